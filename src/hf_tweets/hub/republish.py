"""``hf-tweets republish``: re-render every card and push only what changed, safely, at scale.

For each repo the current state comes from the namespace listing (one request
per page of repos gives every repo's head sha): a repo still at the commit the
record says we published, whose rendered card has the hash we published, costs
no request at all. A changed card costs the client's validate-yaml and one
commit of README.md alone, naming ``parent_commit``. A repo that moved since
our publish has its README downloaded: if that README is not the one we
published, someone edited it by hand and it is skipped (``--force`` overrides).

Progress is journaled (data/republish/journal.jsonl): after a crash or Ctrl-C
the same command skips the repos it finished; a line torn by a crash or a full
disk is repaired on the next run. Commits go through hub.commit (parent
commit, lost answers, 412s, pull requests reused) under an hourly ceiling that
lets a batch go out at once while the hour's allowance lasts, and every request
stays within what the Hub's RateLimit headers say remains (pacing.py); a 429
waits for Retry-After (client.py). A record
is updated only in its publish state, re-read just before saving, so an edit
made while the batch runs is kept.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from huggingface_hub import HfApi

from hf_tweets import consent, journal
from hf_tweets.cards.importer import import_card
from hf_tweets.cards.record import CardRecord, PublishState
from hf_tweets.cards.recordfile import load_record, record_path, save_record, update_record
from hf_tweets.cards.render import render
from hf_tweets.errors import CardImportError, ConsentError, HfTweetsError, RecordError
from hf_tweets.folders import Folders
from hf_tweets.fsutil import sweep_orphans
from hf_tweets.hub import client as hub
from hf_tweets.hub.client import LocalFile
from hf_tweets.hub.pacing import CommitBucket

log = logging.getLogger("hf_tweets.republish")

DEFAULT_COMMITS_PER_HOUR = 120  # under the Hub's hourly commit quota for one account


@dataclass
class Outcome:
    repo_id: str
    status: str  # changed, unchanged, not published, skipped, unreadable, failed (or "would change" in a dry run)
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


class Journal(journal.Journal):
    """What this republish already did, one JSON line per repo (hf_tweets.journal), so a rerun goes on."""

    def __init__(self, path: Path | None):  # None: remember nothing (a dry run)
        super().__init__(path, key="repo_id", required=("status", "readme_sha256"))

    def finished(self, repo_id: str, readme_sha256: str) -> dict | None:
        entry = self.get(repo_id)
        return (
            entry
            if entry and entry["readme_sha256"] == readme_sha256 and entry["status"] in ("changed", "unchanged")
            else None
        )

    def record(self, outcome: Outcome, readme_sha256: str) -> None:
        self.write(
            {
                "repo_id": outcome.repo_id,
                "status": outcome.status,
                "readme_sha256": readme_sha256,
                "commit": outcome.commit,
            }
        )


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def listing(api: HfApi, namespace: str) -> dict[str, str | None]:
    """repo id -> head sha for every model of a namespace (one request per page)."""
    return {
        m.id: m.sha for m in hub.call(lambda: list(api.list_models(author=namespace)), namespace, "listing the repos")
    }


def items_from_records(api: HfApi, cards_dir: Path, only: set[str] | None) -> list[Item]:
    """Every record in the cards folder, with its repo's head from one listing per namespace."""
    items = []
    for path in sorted(cards_dir.glob("*.yaml")):
        if only and path.stem not in only:
            continue
        try:
            record = load_record(path)
        except HfTweetsError as error:
            items.append(Item(path.stem, None, path, None, error.reason()))
            continue
        except Exception as error:  # noqa: BLE001 - one bad record never stops the batch
            items.append(
                Item(
                    path.stem,
                    None,
                    path,
                    None,
                    f"does not load ({type(error).__name__}); run hf-tweets card check {path}",
                )
            )
            continue
        items.append(Item(record.repo_id, record, path, None))
    heads = {
        k: v for ns in sorted({i.record.namespace for i in items if i.record}) for k, v in listing(api, ns).items()
    }
    for item in items:
        item.head = heads.get(item.repo_id)
    return items


def items_from_hub(heads: dict[str, str | None], only: set[str] | None) -> list[Item]:
    return [
        Item(repo_id, None, None, sha)
        for repo_id, sha in sorted(heads.items())
        if not only or repo_id.split("/", 1)[1] in only
    ]


@dataclass(frozen=True)
class RepublishOptions:
    """What ``republish`` does; the defaults are the CLI's."""

    from_hub: str | None = None  # re-render every model card of this namespace instead of the records
    only: frozenset[str] = frozenset()  # repo names; empty: all
    limit: int | None = None
    dry_run: bool = False
    force: bool = False  # overwrite cards edited on the Hub by hand
    create_pr: bool = False
    jobs: int = 4
    max_commits_per_hour: float = DEFAULT_COMMITS_PER_HOUR  # 0: no pacing
    save_records: bool = False  # with from_hub: keep the imported records


@dataclass
class _Batch:
    """What every repo of one republish shares."""

    api: HfApi
    options: RepublishOptions
    pacer: CommitBucket
    journal: Journal
    folders: Folders


def republish_one(batch: _Batch, item: Item) -> Outcome:
    """Decide and do what one repo needs; every failure becomes an Outcome, never an exception."""
    try:
        return _republish_one(batch, item)
    except (CardImportError, RecordError) as error:
        return Outcome(item.repo_id, "unreadable", error.reason())
    except HfTweetsError as error:
        return Outcome(item.repo_id, "failed", error.reason(item.repo_id))
    except Exception as error:  # noqa: BLE001 - one repo failing must not stop the batch
        return Outcome(item.repo_id, "failed", " ".join(str(error).split())[:200] or type(error).__name__)


def _republish_one(batch: _Batch, item: Item) -> Outcome:
    """One repo: its record (or its card on the Hub), the card rendered again, and what becomes of it."""
    if (gone := _not_here(item)) is not None:
        return gone
    read = _record_of(batch.api, item)
    if isinstance(read, Outcome):
        return read
    record, remote = read
    try:
        consent.check(record.accounts, batch.folders.optout)
    except ConsentError as error:  # taken down (unpublish) or asked by the person: never put back
        return Outcome(item.repo_id, "skipped", error.what)
    if item.thumbnail is not None:  # the card points at the image this commit uploads
        record.thumbnail = "predictions.png"
    return _send(batch, item, record, remote, render(record, endpoint=batch.api.endpoint))


def _not_here(item: Item) -> Outcome | None:
    """The outcome of an entry there is nothing to republish of: unreadable, or no repo on the Hub."""
    if item.error:
        return Outcome(item.repo_id, "unreadable", item.error)
    if item.head is None:
        if item.record is not None and item.record.published(item.repo_id) is None:
            return Outcome(item.repo_id, "not published", "not published yet (run hf-tweets publish first)")
        return Outcome(item.repo_id, "failed", "not on the Hub any more (deleted or renamed?); publish it again")
    return None


def _record_of(api: HfApi, item: Item) -> tuple[CardRecord, str | None] | Outcome:
    """The record, and the card on the Hub when it was read to make it (--from-hub: the card is the record)."""
    if item.record is not None:
        return item.record, None
    remote = _readme(api, item)
    if remote is None:
        return Outcome(item.repo_id, "unreadable", "the repo has no README.md")
    record = import_card(remote, f"{item.repo_id}/README.md")
    record.set_published(item.repo_id, PublishState(commit=item.head, readme_sha256=sha256(remote)))
    return record, remote


def _send(batch: _Batch, item: Item, record: CardRecord, remote: str | None, new: str) -> Outcome:
    """Commit the card ``new`` unless it is there already, an earlier run committed it, or the card on the Hub
    was edited by hand (without --force); with --dry-run, the diff instead."""
    options, new_hash = batch.options, sha256(new)
    state = record.published(item.repo_id)
    if state and state.commit == item.head and state.readme_sha256 == new_hash:
        return Outcome(item.repo_id, "unchanged")
    if (done := batch.journal.finished(item.repo_id, new_hash)) and done["commit"] == item.head and not options.dry_run:
        # committed by a run that stopped before it could save the record: save it now, send nothing
        outcome = Outcome(item.repo_id, done["status"], "done in an earlier run", done["commit"])
        return _finish(batch, item, record, outcome, new_hash, write_journal=False)
    if remote is None and (options.dry_run or not (state and state.commit == item.head and state.readme_sha256)):
        remote = _readme(batch.api, item)
    if remote is not None:
        if sha256(remote) == new_hash:
            return _finish(batch, item, record, Outcome(item.repo_id, "unchanged"), new_hash)
        if state and state.readme_sha256 and sha256(remote) != state.readme_sha256 and not options.force:
            reason = "README.md was edited on the Hub since hf-tweets published it (--force overwrites)"
            return Outcome(item.repo_id, "skipped", reason)
    if options.dry_run:
        diff = difflib.unified_diff(
            (remote or "").splitlines(), new.splitlines(), f"{item.repo_id}/README.md", "rendered", lineterm=""
        )
        return Outcome(item.repo_id, "would change", diff=list(diff) if remote is not None else [])
    return _commit(batch, item, record, new, new_hash)


def _readme(api: HfApi, item: Item) -> str | None:
    head = item.head
    assert head is not None  # _not_here has left out every repo that is not on the Hub
    return hub.call(lambda: hub.fetch_readme(api, item.repo_id, head), item.repo_id, "downloading README.md")


def _commit(batch: _Batch, item: Item, record: CardRecord, new: str, new_hash: str) -> Outcome:
    batch.pacer.acquire()
    write = {"README.md": LocalFile.of("README.md", new.encode("utf-8"))}
    if item.thumbnail is not None:
        write["predictions.png"] = LocalFile.of("predictions.png", item.thumbnail)
    create_pr = batch.options.create_pr
    request = hub.Commit(
        item.repo_id,
        item.head,
        write,
        message="Update the model card with hf-tweets",
        create_pr=create_pr,
        modes={"README.md": "regular"},  # a README is a regular file: no preupload request needed
    )
    info = hub.commit(batch.api, request)
    if create_pr:
        return Outcome(item.repo_id, "changed", info.pr_url or "pull request opened", info.oid)
    return _finish(batch, item, record, Outcome(item.repo_id, "changed", "", info.oid), new_hash)


def _finish(
    batch: _Batch, item: Item, record: CardRecord, outcome: Outcome, new_hash: str, write_journal: bool = True
) -> Outcome:
    if batch.options.dry_run:
        return outcome
    if write_journal:  # first: it is what a rerun trusts if the record cannot be saved
        batch.journal.record(outcome, new_hash)
    state = PublishState(commit=outcome.commit or item.head, readme_sha256=new_hash)
    if item.record_file is not None:  # only what republish owns, on the record as it is now

        def change(current: CardRecord) -> None:
            current.set_published(item.repo_id, state)
            if record.thumbnail == "predictions.png":
                current.thumbnail = record.thumbnail

        update_record(item.record_file, change)
    elif batch.options.save_records:
        record.set_published(item.repo_id, state)
        assert record.name is not None  # validation fills it in (CardRecord._repo_name)
        save_record(record, record_path(batch.folders.cards, record.name))
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


def republish(
    folders: Folders,
    options: RepublishOptions | None = None,
    *,
    on_item: Callable[[Outcome], None] = lambda o: None,
    on_start: Callable[[int, CommitBucket], None] = lambda n, pacer: None,
) -> Report:
    """Re-render and push every card that changed; see the module docstring. A picture `run` drew,
    out/NAME/predictions.png, goes out with its card."""
    options, journal_dir = options or RepublishOptions(), folders.data / "republish"
    api = hub.client()
    sweep_orphans(folders.cards, journal_dir)
    start = time.perf_counter()
    only = set(options.only) or None
    if options.from_hub:
        items = items_from_hub(listing(api, options.from_hub), only)
    else:
        items = items_from_records(api, folders.cards, only)
    items = items[: options.limit] if options.limit else items
    if not items:
        where = f"the namespace {options.from_hub}" if options.from_hub else f"{folders.cards}"
        fix = (
            "check the namespace's name"
            if options.from_hub
            else "get some with hf-tweets card import README.md..., or make one with hf-tweets run"
        )
        raise HfTweetsError(
            "no card records to republish" + (f" (--only {', '.join(sorted(only))})" if only else ""),
            where=where,
            fix=fix,
        )
    for item in items:  # thumbnails drawn by `hf-tweets run` go out with their card
        picture = folders.model(item.repo_id.rsplit("/", 1)[-1]) / "predictions.png"
        item.thumbnail = picture if picture.is_file() else None
    dry_run = options.dry_run
    batch = _Batch(
        api,
        options,
        CommitBucket(0 if dry_run else options.max_commits_per_hour),
        Journal(None if dry_run else journal_dir / "journal.jsonl"),
        folders,
    )
    on_start(len(items), batch.pacer)
    outcomes: list[Outcome] = []
    pool = ThreadPoolExecutor(max_workers=max(1, options.jobs))
    futures = [pool.submit(republish_one, batch, item) for item in items]
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
    return "\n".join(
        json.dumps({k: v for k, v in asdict(o).items() if v not in ("", [], None)}) for o in report.outcomes
    )
