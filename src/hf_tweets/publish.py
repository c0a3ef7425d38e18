"""``hf-tweets publish``: push a model folder and its card to the Hub in one commit.

The plan compares the local files (model files plus the rendered README.md)
with the repo's file hashes from one ``model_info`` call; only what differs is
sent, files the new version no longer has are deleted in the same commit, and
nothing at all is sent when nothing changed. The commit names the commit the
plan was made against (``parent_commit``), so a repo that moved in between is
never overwritten. The record's publish state is written only after success.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError
from huggingface_hub.utils.sha import git_hash

from . import hub
from .errors import ConcurrentUpdateError, PublishError
from .record import PublishState, load_record, save_record
from .render import render

# What a model folder may contribute to the repo; anything else in it (checkpoints, logs) stays local.
MODEL_FILES = ("config.json", "generation_config.json", "*.safetensors", "model.safetensors.index.json",
               "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt",
               "added_tokens.json", "chat_template.jinja", "predictions.png")
KEEP_REMOTE = frozenset({".gitattributes"})


@dataclass
class LocalFile:
    """A file the new version of the repo has."""

    path: str
    source: Path | bytes
    size: int
    sha256: str
    git_sha: str

    @classmethod
    def of(cls, path: str, source: Path | bytes) -> LocalFile:
        data = source if isinstance(source, bytes) else source.read_bytes()
        return cls(path, source, len(data), hashlib.sha256(data).hexdigest(), git_hash(data))


@dataclass
class RemoteFile:
    size: int | None
    git_sha: str | None
    sha256: str | None  # set for LFS files

    def same_as(self, local: LocalFile) -> bool:
        return self.sha256 == local.sha256 if self.sha256 else self.git_sha == local.git_sha


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


def model_files(model_dir: Path) -> dict[str, Path]:
    """The files of a model folder that go to the Hub; PublishError names what is missing."""
    if not model_dir.is_dir():
        raise PublishError(str(model_dir), "no such model folder; point --model-dir at the output of hf-tweets train")
    found = {p.name: p for p in sorted(model_dir.iterdir()) if p.is_file() and any(fnmatch.fnmatch(p.name, pat) for pat in MODEL_FILES)}
    missing = [name for name, ok in (
        ("config.json", "config.json" in found),
        ("model.safetensors", any(n.endswith(".safetensors") for n in found)),
        ("tokenizer.json (or vocab.json and merges.txt)", "tokenizer.json" in found or {"vocab.json", "merges.txt"} <= set(found)),
    ) if not ok]
    if missing:
        raise PublishError(str(model_dir), f"model folder is missing {', '.join(missing)}; point --model-dir at the output of hf-tweets train")
    return found


def make_plan(api: HfApi, repo_id: str, namespace: str, files: dict[str, LocalFile]) -> Plan:
    """Compare the local files with the repo's, in one request."""

    def info():
        try:
            return api.model_info(repo_id, files_metadata=True)
        except RepositoryNotFoundError:
            return None

    model = hub.call(info, repo_id, namespace, "reading the repo")
    remote = {} if model is None else {
        s.rfilename: RemoteFile(s.size, s.blob_id, s.lfs.sha256 if s.lfs else None) for s in model.siblings or []
    }
    plan = Plan(repo_id, None if model is None else model.sha, files, remote)
    for path, local in sorted(files.items()):
        if path not in remote:
            plan.added.append(path)
        elif not remote[path].same_as(local):
            plan.changed.append(path)
    plan.deleted = sorted(p for p in remote if p not in files and p not in KEEP_REMOTE)
    return plan


def _operations(plan: Plan) -> list:
    ops = []
    for path in plan.added + plan.changed:
        local = plan.files[path]
        op = CommitOperationAdd(path_in_repo=path, path_or_fileobj=local.source)
        remote = plan.remote.get(path)
        if remote is not None and hasattr(op, "_upload_mode"):
            # The plan already knows how the Hub stores this path (LFS or not): skip the preupload request.
            op._upload_mode = "lfs" if remote.sha256 else "regular"
        ops.append(op)
    return ops + [CommitOperationDelete(path_in_repo=path) for path in plan.deleted]


class _Moved(Exception):
    """The commit was refused because the repo is no longer at the plan's parent (412)."""


def _commit(api: HfApi, plan: Plan, namespace: str, create_pr: bool):
    def attempt():
        try:
            return api.create_commit(plan.repo_id, _operations(plan), commit_message="Publish with hf-tweets",
                                     commit_description=plan.summary(), parent_commit=plan.parent, create_pr=create_pr)
        except HfHubHTTPError as error:
            if hub.status_of(error) == 412:
                raise _Moved() from None
            raise

    try:
        return hub.call(attempt, plan.repo_id, namespace, "the commit")
    except _Moved:
        landed = None if create_pr else _landed(api, plan, namespace)
        if landed:  # an earlier try went through though its answer was lost
            return landed
        raise ConcurrentUpdateError(
            plan.repo_id,
            f"the repo changed after the plan was made (it is no longer at {plan.parent[:7]}); nothing was"
            " overwritten. Run publish again to plan against the new version (add --dry-run to see it first)",
        ) from None
    except hub.GaveUp as error:
        landed = None if create_pr else _landed(api, plan, namespace)
        if landed:
            return landed
        raise PublishError(plan.repo_id, f"{str(error).split(': ', 1)[1]}; nothing was committed (the repo is still"
                                         f" at {(plan.parent or 'nothing')[:7]}). Run publish again") from None


def _landed(api: HfApi, plan: Plan, namespace: str):
    """The new head, if the repo now holds exactly the files we meant to commit."""
    again = make_plan(api, plan.repo_id, namespace, plan.files)
    return _Landed(again.parent) if not again.changes and again.parent != plan.parent else None


@dataclass
class _Landed:
    oid: str
    pr_url: str | None = None


def readme_diff(plan: Plan, readme: str) -> list[str]:
    """A unified diff from the repo's README.md to the new one (downloads it into a throwaway cache)."""
    old = ""
    if "README.md" in plan.remote and plan.parent:
        with tempfile.TemporaryDirectory() as cache:
            old = Path(hf_hub_download(plan.repo_id, "README.md", revision=plan.parent, cache_dir=cache)).read_text(encoding="utf-8")
    return list(difflib.unified_diff(old.splitlines(), readme.splitlines(), f"{plan.repo_id}/README.md", "README.md (new)", lineterm=""))


def publish(record_path: Path, model_dir: Path, namespace: str | None = None, private: bool = False,
            create_pr: bool = False, dry_run: bool = False) -> PublishResult:
    """Publish a model folder and the card of ``record_path`` in one commit; see the module docstring."""
    record = load_record(record_path)
    if namespace:
        record.namespace = namespace
    found = model_files(model_dir)
    api = hub.client()
    if "predictions.png" in found:  # the card's thumbnail is the image this commit uploads
        record.thumbnail = f"{api.endpoint}/{record.repo_id}/resolve/main/predictions.png"
    readme = render(record)
    files = {name: LocalFile.of(name, path) for name, path in found.items()}
    files["README.md"] = LocalFile.of("README.md", readme.encode("utf-8"))
    ns = record.namespace
    plan = make_plan(api, record.repo_id, ns, files)
    if dry_run:
        return PublishResult("dry-run", plan, readme_diff=readme_diff(plan, readme) if "README.md" in plan.added + plan.changed else [])
    if not plan.changes:
        _remember(record, record_path, plan.parent, files["README.md"].sha256)
        return PublishResult("unchanged", plan, plan.parent, _repo_url(api, plan.repo_id))
    if plan.parent is None:
        hub.call(lambda: api.create_repo(plan.repo_id, private=private, exist_ok=True), plan.repo_id, ns, "creating the repo")
        plan.parent = hub.call(lambda: api.model_info(plan.repo_id).sha, plan.repo_id, ns, "reading the new repo")
    info = _commit(api, plan, ns, create_pr)
    if create_pr:
        return PublishResult("pull-request", plan, info.oid, info.pr_url)
    _remember(record, record_path, info.oid, files["README.md"].sha256)
    return PublishResult("committed", plan, info.oid, _repo_url(api, plan.repo_id))


def _remember(record, record_path: Path, commit: str | None, readme_sha256: str) -> None:
    state = PublishState(commit=commit, readme_sha256=readme_sha256)
    if record.publish != state:
        record.publish = state
        save_record(record, record_path)


def _repo_url(api: HfApi, repo_id: str) -> str:
    return f"{api.endpoint}/{repo_id}"
