"""``hf-tweets publish``: push a model folder and its card to the Hub in one commit.

The plan compares the local files (model files plus the rendered README.md)
with the repo's file hashes from one ``model_info`` call; only what differs is
sent, files the new version no longer has are deleted in the same commit, and
nothing at all is sent when nothing changed. The commit itself goes through
hub.commit (parent commit, lost answers, 412s). Afterwards only the record's
publish state for that repo is saved, re-reading the record first (an edit
made meanwhile is kept); ``--namespace`` applies to this run only.

The browser copy, ``onnx/`` (browser/copy.py), goes in the same commit unless ``onnx=False`` (``--no-onnx``).
A repo's ``onnx/`` that this commit does not replace stays while the weights stay (it is a copy of them; maybe
added by ``hf-tweets onnx``), and is deleted in the same commit when the weights change: a copy of other
weights must never be served beside them.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from huggingface_hub import HfApi, hf_hub_download

from hf_tweets import consent
from hf_tweets.cards.basecard import render_base_card
from hf_tweets.cards.importer import import_card
from hf_tweets.cards.record import PublishState, random_base
from hf_tweets.cards.recordfile import load_record, update_record
from hf_tweets.cards.render import render
from hf_tweets.errors import CardImportError, HfTweetsError, PublishError
from hf_tweets.folders import Folders
from hf_tweets.fsutil import sweep_orphans
from hf_tweets.hub import client as hub
from hf_tweets.hub.client import LocalFile, RemoteFile

# What a model folder may contribute to the repo; anything else in it (checkpoints, logs) stays local.
MODEL_FILES = (
    "config.json",
    "generation_config.json",
    "*.safetensors",
    "model.safetensors.index.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.json",
    "merges.txt",
    "added_tokens.json",
    "chat_template.jinja",
    "tokenizer.model",
    "adapter_config.json",
    "predictions.png",
)
KEEP_REMOTE = frozenset({".gitattributes"})
ONNX = "onnx"  # the browser copy's folder (browser/copy.py): its .onnx files and their facts (.json)
ONNX_FILES = ("*.onnx", "*.json")
WEIGHTS = ("*.safetensors", "pytorch_model.bin", "tf_model.h5", "flax_model.msgpack")  # a change makes onnx/ stale


@dataclass
class Plan:
    """What one publish would change in the repo, made against one commit."""

    repo_id: str
    parent: str | None  # None: the repo does not exist yet
    files: dict[str, LocalFile]
    remote: dict[str, RemoteFile]
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return bool(self.added or self.changed or self.deleted)

    def summary(self) -> str:
        return f"{len(self.added)} added, {len(self.changed)} changed, {len(self.deleted)} deleted"


@dataclass
class PublishResult:
    status: str  # "unchanged", "committed", "pull-request" or "dry-run"
    plan: Plan
    commit: str | None = None
    url: str | None = None
    readme_diff: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What ``hf-tweets publish`` prints."""
        plan = self.plan
        commit = (self.commit or "")[:7]  # set when unchanged (the repo's head) or committed (the new commit)
        if self.status == "unchanged":
            return [f"{plan.repo_id} is up to date at {commit}: nothing to publish ({self.url})"]
        if self.status == "pull-request":
            return [f"opened a pull request on {plan.repo_id} ({plan.summary()}): {self.url}"]
        if self.status == "committed":
            return [f"published {plan.repo_id}: commit {commit} ({plan.summary()}) {self.url}"]
        where = f"against {plan.parent[:7]}" if plan.parent else "the repo would be created"
        lines = [f"plan for {plan.repo_id} ({where}): {plan.summary()}"]
        for mark, paths in (("+", plan.added), ("~", plan.changed), ("-", plan.deleted)):
            for path in paths:
                size = plan.files[path].size if path in plan.files else plan.remote[path].size
                lines.append(f"  {mark} {path} ({_size(size)})")
        return lines + self.readme_diff + ["dry run: nothing was sent"]


def _size(size: float | None) -> str:
    if size is None:
        return "? B"
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return ""


def model_files(model_dir: Path) -> dict[str, Path]:
    """The files of a model folder that go to the Hub; PublishError names what is missing."""
    if not model_dir.is_dir():
        raise PublishError(str(model_dir), "no such model folder; point --model-dir at the output of hf-tweets train")
    found = {
        p.name: p
        for p in sorted(model_dir.iterdir())
        if p.is_file() and any(fnmatch.fnmatch(p.name, pat) for pat in MODEL_FILES)
    }
    missing = [
        name
        for name, ok in (
            ("config.json (or adapter_config.json)", "config.json" in found or "adapter_config.json" in found),
            ("model.safetensors", any(n.endswith(".safetensors") for n in found)),
            (
                "tokenizer.json (or vocab.json and merges.txt)",
                "tokenizer.json" in found or {"vocab.json", "merges.txt"} <= set(found),
            ),
        )
        if not ok
    ]
    if missing:
        raise PublishError(
            str(model_dir),
            f"model folder is missing {', '.join(missing)}; point --model-dir at the output of hf-tweets train",
        )
    return found


def onnx_files(model_dir: Path) -> dict[str, Path]:
    """The browser copy's files of a model folder, by their path in the repo (onnx/...); {} when it has none."""
    folder = model_dir / ONNX
    if not folder.is_dir():
        return {}
    return {
        f"{ONNX}/{p.name}": p
        for p in sorted(folder.iterdir())
        if p.is_file() and any(fnmatch.fnmatch(p.name, pat) for pat in ONNX_FILES)
    }


def _browser_facts(path: Path):
    """The BrowserCopy facts of an onnx/browser_copy.json (None: unreadable, then the card says no copy)."""
    from hf_tweets.cards.record import BrowserCopy

    try:
        return BrowserCopy.model_validate(json.loads(path.read_text(encoding="utf-8"))["browser"])
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def keep_remote_copy(plan: Plan) -> bool:
    """Leave the repo's onnx/ alone when this commit sends none and the weights stay; True when it is kept."""
    if any(p.startswith(f"{ONNX}/") for p in plan.files) or not any(p.startswith(f"{ONNX}/") for p in plan.remote):
        return False
    touched = plan.added + plan.changed + plan.deleted
    if any(fnmatch.fnmatch(p, pat) for p in touched for pat in WEIGHTS):
        return False  # deleted with the weights it was made from
    plan.deleted = [p for p in plan.deleted if not p.startswith(f"{ONNX}/")]
    return True


def make_plan(api: HfApi, repo_id: str, files: dict[str, LocalFile]) -> Plan:
    """Compare the local files with the repo's, in one request."""
    found = hub.remote_files(api, repo_id)
    parent, remote = found if found is not None else (None, {})
    plan = Plan(repo_id, parent, files, remote)
    for path, local in sorted(files.items()):
        if path not in remote:
            plan.added.append(path)
        elif not remote[path].same_as(local):
            plan.changed.append(path)
    plan.deleted = sorted(p for p in remote if p not in files and p not in KEEP_REMOTE)
    return plan


def same_model_or_refuse(api: HfApi, plan: Plan, card) -> None:
    """PublishError unless the repo's card is a model of the same accounts: two accounts can derive one name
    (platforms.repo_name), and a repo may hold someone else's model; neither is ever overwritten."""
    parent = plan.parent
    assert parent is not None  # asked only of a repo that exists
    text = hub.call(lambda: hub.fetch_readme(api, plan.repo_id, parent), plan.repo_id, "downloading README.md")
    if text is None:
        return
    try:
        theirs = import_card(text, f"{plan.repo_id}/README.md").accounts
    except CardImportError:
        raise PublishError(
            plan.repo_id,
            "the repo holds a model card hf-tweets cannot read, so it may be another model; nothing was sent",
            fix="publish under another name (run --name) or namespace (--namespace), or delete that repo first",
        ) from None
    if {a.key for a in theirs} != {a.key for a in card.accounts}:
        listed = ", ".join(map(str, theirs))
        raise PublishError(
            plan.repo_id,
            f"the repo holds the model of {listed}, not of {', '.join(map(str, card.accounts))}; nothing was sent",
            fix="give this model another name (run --name NAME) or publish it under another --namespace",
        )


def _commit(api: HfApi, plan: Plan, create_pr: bool) -> hub.Landed:
    # Files the repo already has keep their storage (LFS or not): the plan knows it, so no preupload request.
    modes: dict[str, Literal["lfs", "regular"]] = {
        path: "lfs" if plan.remote[path].sha256 else "regular" for path in plan.changed
    }
    request = hub.Commit(
        plan.repo_id,
        plan.parent,
        {p: plan.files[p] for p in plan.added + plan.changed},
        plan.deleted,
        description=plan.summary(),
        create_pr=create_pr,
        modes=modes,
    )
    return hub.commit(api, request)


def readme_diff(plan: Plan, readme: str) -> list[str]:
    """A unified diff from the repo's README.md to the new one (downloads it into a throwaway cache)."""
    old = ""
    if "README.md" in plan.remote and plan.parent:
        with tempfile.TemporaryDirectory() as cache:
            old = Path(hf_hub_download(plan.repo_id, "README.md", revision=plan.parent, cache_dir=cache)).read_text(
                encoding="utf-8"
            )
    return list(
        difflib.unified_diff(
            old.splitlines(), readme.splitlines(), f"{plan.repo_id}/README.md", "README.md (new)", lineterm=""
        )
    )


def publish(
    record_path: Path,
    model_dir: Path,
    *,
    namespace: str | None = None,
    private: bool = False,
    create_pr: bool = False,
    dry_run: bool = False,
    optout: Path | None = None,
    onnx: bool = True,
) -> PublishResult:
    """Publish a model folder and the card of ``record_path`` in one commit; see the module docstring. The
    opt-out list is ``optout`` (the command's), else the one beside the record's folder; ``onnx``: send its
    browser copy (onnx/) when it has one."""
    record = load_record(record_path)
    consent.check(record.accounts, optout or Folders.resolve(cards=record_path.parent).optout)  # before any request
    sweep_orphans(record_path.parent)
    found = model_files(model_dir) | (onnx_files(model_dir) if onnx else {})
    api = hub.client()
    card = record.model_copy(update={"namespace": namespace} if namespace else {})  # --namespace: this run only
    if "predictions.png" in found and card.thumbnail is None:  # the card's thumbnail is the image this commit uploads
        card.thumbnail = "predictions.png"
    base = _random_base(card, model_dir, namespace)
    files = {name: LocalFile.of(name, path) for name, path in found.items()}
    if "adapter_config.json" in files:  # names the base the card names, by Hub id (never a local path)
        files["adapter_config.json"] = _adapter_config(found["adapter_config.json"], card.base_model)
    sent = f"{ONNX}/browser_copy.json" in files and any(p.endswith(".onnx") for p in files)
    card.browser = _browser_facts(found[f"{ONNX}/browser_copy.json"]) if sent else None  # the card says what is there
    readme = render(card, endpoint=api.endpoint)
    files["README.md"] = LocalFile.of("README.md", readme.encode("utf-8"))
    plan = make_plan(api, card.repo_id, files)
    if keep_remote_copy(plan) and record.browser is not None:  # the card says the copy that stays is there
        card.browser = record.browser
        readme = render(card, endpoint=api.endpoint)
        files["README.md"] = LocalFile.of("README.md", readme.encode("utf-8"))
        plan = make_plan(api, card.repo_id, files)
        keep_remote_copy(plan)
    if plan.parent is not None and card.published(plan.repo_id) is None and "README.md" in plan.remote:
        same_model_or_refuse(api, plan, card)  # a first publish to a repo that exists: whose model is there?
    if dry_run:
        return PublishResult(
            "dry-run", plan, readme_diff=readme_diff(plan, readme) if "README.md" in plan.added + plan.changed else []
        )
    if base is not None:  # before the adapter: the adapter is useless until its base loads
        assert card.base_model is not None  # _random_base found the base it names
        publish_base(api, card.base_model, base, private)
    if not plan.changes:
        _remember(record_path, card, plan.parent, files["README.md"].sha256)
        return PublishResult("unchanged", plan, plan.parent, _repo_url(api, plan.repo_id))
    if plan.parent is None:
        hub.call(
            lambda: api.create_repo(plan.repo_id, private=private, exist_ok=True), plan.repo_id, "creating the repo"
        )
        plan.parent = hub.call(lambda: api.model_info(plan.repo_id).sha, plan.repo_id, "reading the new repo")
    info = _commit(api, plan, create_pr)
    if create_pr:
        return PublishResult("pull-request", plan, info.oid, info.pr_url)
    _remember(record_path, card, info.oid, files["README.md"].sha256)
    return PublishResult("committed", plan, info.oid, _repo_url(api, plan.repo_id))


def _random_base(card, model_dir: Path, namespace: str | None) -> Path | None:
    """The folder of the tiny base an adapter loads on (lora.py), its repo put in the target namespace; or None."""
    folder = model_dir / "base"
    if card.weights != "adapter" or not random_base(card.base_model) or not (folder / "config.json").is_file():
        return None
    if namespace:
        card.base_model = f"{namespace}/{card.base_model.split('/', 1)[1]}"
    return folder


def _adapter_config(path: Path, base_model: str | None) -> LocalFile:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PublishError(str(path), f"is not readable JSON ({error})", fix="train the model again") from None
    data["base_model_name_or_path"] = base_model
    return LocalFile.of("adapter_config.json", (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())


def publish_base(api: HfApi, repo_id: str, folder: Path, private: bool) -> None:
    """Publish a tiny base (its weights, tokenizer and a card saying what it is) unless the repo has it already.
    Its name is the hash of its weights: a repo of that name with other weights is refused, never overwritten."""
    files = {name: LocalFile.of(name, path) for name, path in model_files(folder).items()}
    files["README.md"] = LocalFile.of("README.md", render_base_card(repo_id).encode("utf-8"))
    plan = make_plan(api, repo_id, files)
    if any(name.endswith(".safetensors") for name in plan.changed):
        raise PublishError(
            repo_id,
            "holds other weights than the tiny base this adapter was trained on; nothing was sent",
            fix="delete that repo, or train the adapter on another base",
        )
    if not plan.changes:
        return
    if plan.parent is None:
        hub.call(lambda: api.create_repo(repo_id, private=private, exist_ok=True), repo_id, "creating the repo")
        plan.parent = hub.call(lambda: api.model_info(repo_id).sha, repo_id, "reading the new repo")
    _commit(api, plan, create_pr=False)


def _remember(record_path: Path, card, commit: str | None, readme_sha256: str) -> None:
    """Save what publish owns, the repo's publish state (and a thumbnail it uploaded), on the record as it is now."""
    state = PublishState(commit=commit, readme_sha256=readme_sha256)

    def change(record) -> None:
        if record.published(card.repo_id) != state:
            record.set_published(card.repo_id, state)
        if record.thumbnail is None and card.thumbnail == "predictions.png":
            record.thumbnail = card.thumbnail

    try:
        update_record(record_path, change)
    except HfTweetsError as error:
        raise PublishError(
            card.repo_id,
            f"published as {(commit or '?')[:7]}, but the record could not be updated ({error.line()})",
            fix="fix the record and run publish again to record it (nothing will be sent twice)",
        ) from None


def _repo_url(api: HfApi, repo_id: str) -> str:
    return f"{api.endpoint}/{repo_id}"
