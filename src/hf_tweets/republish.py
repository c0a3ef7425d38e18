"""``hf-tweets republish``: re-render every card and push only what changed, safely, at scale.

For each repo the current state comes from the namespace listing (one request
per page of repos gives every repo's head sha): a repo still at the commit the
record says we published, whose rendered card has the hash we published, costs
no request at all. A changed card costs the client's validate-yaml and one
commit of README.md alone, naming ``parent_commit``. A repo that moved since
our publish has its README downloaded: if that README is not the one we
published, someone edited it by hand and it is skipped (``--force`` overrides).

Progress is journaled (data/republish/journal.jsonl): after a crash or Ctrl-C
the same command skips the repos it finished. Commits are paced to stay under
the Hub's hourly commit quota; 429s wait for Retry-After (see hub.py).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_url
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

from . import hub
from .errors import CardImportError, HfTweetsError, RecordError
from .importer import import_card
from .record import CardRecord, PublishState, load_record, record_path, save_record
from .render import render

DEFAULT_COMMITS_PER_HOUR = 120  # under the Hub's hourly commit quota for one account


@dataclass
class Outcome:
    repo_id: str
    status: str  # changed, unchanged, skipped, unreadable, failed (or "would change" in a dry run)
    reason: str = ""
    commit: str | None = None
    diff: list[str] = field(default_factory=list)


@dataclass
class Item:
    """One repo to look at: its record (where it came from) and the head sha the listing gave."""

    repo_id: str
    record: CardRecord | None
    record_file: Path | None
    head: str | None
    error: str = ""
    thumbnail: Path | None = None  # a local predictions.png (out/<name>/), uploaded with the card


class Pacer:
    """Spaces commits so that at most ``per_hour`` happen in any hour (shared by the worker threads)."""

    def __init__(self, per_hour: float, clock=time.monotonic, sleep=time.sleep):
        self.interval = 3600.0 / per_hour if per_hour > 0 else 0.0
        self.clock, self.sleep, self.next = clock, sleep, 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = self.clock()
            start = max(now, self.next)
            self.next = start + self.interval
        if start > now:
            self.sleep(start - now)


class Journal:
    """What this republish already did, one JSON line per repo, so a rerun goes on where it stopped."""

    def __init__(self, path: Path | None):  # None: remember nothing (a dry run)
        self.path, self.lock = path, threading.Lock()
        self.done: dict[str, dict] = {}
        if path is not None and path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                entry = json.loads(line)
                self.done[entry["repo_id"]] = entry

    def finished(self, repo_id: str, readme_sha256: str) -> dict | None:
        entry = self.done.get(repo_id)
        return entry if entry and entry["readme_sha256"] == readme_sha256 and entry["status"] in ("changed", "unchanged") else None

    def write(self, outcome: Outcome, readme_sha256: str) -> None:
        entry = {"repo_id": outcome.repo_id, "status": outcome.status, "readme_sha256": readme_sha256, "commit": outcome.commit}
        with self.lock:
            self.done[outcome.repo_id] = entry
            if self.path is None:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:  # appended and flushed per repo: a crash loses at most one line
                f.write(json.dumps(entry) + "\n")
                f.flush()


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fetch_readme(api: HfApi, repo_id: str, revision: str) -> str | None:
    """README.md at a revision, in one GET (None when the repo has none)."""
    response = get_session().get(hf_hub_url(repo_id, "README.md", revision=revision, endpoint=api.endpoint),
                                 headers=build_hf_headers(token=api.token))
    if response.status_code == 404:
        return None
    hf_raise_for_status(response)
    return response.content.decode("utf-8")


def listing(api: HfApi, namespace: str) -> dict[str, str]:
    """repo id -> head sha for every model of a namespace (one request per page)."""
    return {m.id: m.sha for m in hub.call(lambda: list(api.list_models(author=namespace)), namespace, namespace, "listing the repos")}


def items_from_records(api: HfApi, cards_dir: Path, only: set[str] | None) -> list[Item]:
    """Every record in the cards folder, with its repo's head from one listing per namespace."""
    items = []
    for path in sorted(cards_dir.glob("*.yaml")):
        if only and path.stem not in only:
            continue
        try:
            record = load_record(path)
        except HfTweetsError as error:
            items.append(Item(path.stem, None, path, None, str(error).split(": ", 1)[-1]))
            continue
        items.append(Item(record.repo_id, record, path, None))
    heads = {k: v for ns in sorted({i.record.namespace for i in items if i.record}) for k, v in listing(api, ns).items()}
    for item in items:
        item.head = heads.get(item.repo_id)
    return items


def items_from_hub(heads: dict[str, str], only: set[str] | None) -> list[Item]:
    return [Item(repo_id, None, None, sha) for repo_id, sha in sorted(heads.items())
            if not only or repo_id.split("/", 1)[1] in only]


def republish_one(api: HfApi, item: Item, *, dry_run: bool, force: bool, create_pr: bool, pacer: Pacer,
                  journal: Journal, cards_dir: Path, save_records: bool) -> Outcome:
    """Decide and do what one repo needs; every failure becomes an Outcome, never an exception."""
    try:
        return _republish_one(api, item, dry_run, force, create_pr, pacer, journal, cards_dir, save_records)
    except (CardImportError, RecordError) as error:
        return Outcome(item.repo_id, "unreadable", str(error).split(": ", 1)[-1])
    except Exception as error:  # noqa: BLE001 - one repo failing must not stop the batch
        return Outcome(item.repo_id, "failed", " ".join(str(error).split())[:200] or type(error).__name__)


def _republish_one(api, item, dry_run, force, create_pr, pacer, journal, cards_dir, save_records) -> Outcome:
    if item.error:
        return Outcome(item.repo_id, "unreadable", item.error)
    if item.head is None:
        return Outcome(item.repo_id, "failed", "not on the Hub (deleted, or never published); publish it with hf-tweets publish")
    namespace = item.repo_id.split("/")[0]
    record, remote = item.record, None
    if record is None:  # --from-hub: the card on the Hub is the record
        remote = hub.call(lambda: fetch_readme(api, item.repo_id, item.head), item.repo_id, namespace, "downloading README.md")
        if remote is None:
            return Outcome(item.repo_id, "unreadable", "the repo has no README.md")
        record = import_card(remote, f"{item.repo_id}/README.md")
        record.publish = PublishState(commit=item.head, readme_sha256=sha256(remote))
    if item.thumbnail is not None:  # the card points at the image this commit uploads
        record.thumbnail = f"{api.endpoint}/{item.repo_id}/resolve/main/predictions.png"
    new = render(record)
    new_hash = sha256(new)
    state = record.publish
    if state and state.commit == item.head and state.readme_sha256 == new_hash:
        return Outcome(item.repo_id, "unchanged")
    if (done := journal.finished(item.repo_id, new_hash)) and done["commit"] == item.head and not dry_run:
        # committed by a run that stopped before it could save the record: save it now, send nothing
        return _finish(item, record, Outcome(item.repo_id, done["status"], "done in an earlier run", done["commit"]),
                       new_hash, None, cards_dir, save_records, dry_run)
    if remote is None and (dry_run or not (state and state.commit == item.head and state.readme_sha256)):
        remote = hub.call(lambda: fetch_readme(api, item.repo_id, item.head), item.repo_id, namespace, "downloading README.md")
    if remote is not None:
        if sha256(remote) == new_hash:
            return _finish(item, record, Outcome(item.repo_id, "unchanged"), new_hash, journal, cards_dir, save_records, dry_run)
        if state and state.readme_sha256 and sha256(remote) != state.readme_sha256 and not force:
            return Outcome(item.repo_id, "skipped", "README.md was edited on the Hub since hf-tweets published it (--force overwrites)")
    old = remote if remote is not None else None
    if dry_run:
        diff = list(difflib.unified_diff((old or "").splitlines(), new.splitlines(), f"{item.repo_id}/README.md", "rendered", lineterm="")) if old is not None else []
        return Outcome(item.repo_id, "would change", diff=diff)
    pacer.wait()
    operation = CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=new.encode("utf-8"))
    operation._upload_mode = "regular"  # a README is always a regular file: no preupload request needed
    operations = [operation]
    if item.thumbnail is not None:
        operations.append(CommitOperationAdd(path_in_repo="predictions.png", path_or_fileobj=item.thumbnail))
    info = hub.call(lambda: api.create_commit(item.repo_id, operations, commit_message="Update the model card with hf-tweets",
                                              parent_commit=item.head, create_pr=create_pr),
                    item.repo_id, namespace, "the commit")
    outcome = Outcome(item.repo_id, "changed", "pull request opened" if create_pr else "", info.oid)
    if create_pr:
        outcome.reason = info.pr_url or "pull request opened"
        return outcome
    return _finish(item, record, outcome, new_hash, journal, cards_dir, save_records, dry_run)


def _finish(item, record, outcome, new_hash, journal, cards_dir, save_records, dry_run) -> Outcome:
    if dry_run:
        return outcome
    if journal is not None:  # first: it is what a rerun trusts if the record cannot be saved
        journal.write(outcome, new_hash)
    record.publish = PublishState(commit=outcome.commit or item.head, readme_sha256=new_hash)
    target = item.record_file or (record_path(cards_dir, record.name) if save_records else None)
    if target is not None:
        save_record(record, target)
    return outcome


@dataclass
class Report:
    outcomes: list[Outcome]
    seconds: float

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for o in self.outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        return counts

    @property
    def failed(self) -> bool:
        return any(o.status == "failed" for o in self.outcomes)


def republish(cards_dir: Path, data_dir: Path, *, out_root: Path = Path("out"), from_hub: str | None = None, only: Iterable[str] = (), limit: int | None = None,
              dry_run: bool = False, force: bool = False, create_pr: bool = False, jobs: int = 4,
              max_commits_per_hour: float = DEFAULT_COMMITS_PER_HOUR, save_records: bool = False,
              on_item: Callable[[Outcome], None] = lambda o: None, on_start: Callable[[int, float], None] = lambda n, i: None) -> Report:
    """Re-render and push every card that changed; see the module docstring."""
    api = hub.client()
    only_set = set(only) or None
    start = time.perf_counter()
    items = items_from_hub(listing(api, from_hub), only_set) if from_hub else items_from_records(api, cards_dir, only_set)
    items = items[:limit] if limit else items
    for item in items:  # thumbnails drawn by `hf-tweets run` go out with their card
        picture = out_root / item.repo_id.rsplit("/", 1)[-1] / "predictions.png"
        item.thumbnail = picture if picture.is_file() else None
    pacer = Pacer(0 if dry_run else max_commits_per_hour)
    journal = Journal(None if dry_run else data_dir / "republish" / "journal.jsonl")
    on_start(len(items), pacer.interval)
    outcomes: list[Outcome] = []
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    futures = [pool.submit(republish_one, api, item, dry_run=dry_run, force=force, create_pr=create_pr, pacer=pacer,
                           journal=journal, cards_dir=cards_dir, save_records=save_records) for item in items]
    try:
        for future in futures:
            outcome = future.result()
            outcomes.append(outcome)
            on_item(outcome)
    except KeyboardInterrupt:  # Ctrl-C: let the repos under way finish (and be journaled), start no more
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    return Report(outcomes, time.perf_counter() - start)


def report_json(report: Report) -> str:
    return "\n".join(json.dumps({k: v for k, v in asdict(o).items() if v not in ("", [], None)}) for o in report.outcomes)
