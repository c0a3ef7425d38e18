"""The loopback Hub's storage: repos as lists of commits over a content-addressed blob folder."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from huggingface_hub.utils.sha import git_hash

LFS_SUFFIXES = (
    ".safetensors",
    ".bin",
    ".pt",
    ".pth",
    ".onnx",
    ".h5",
    ".msgpack",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".zip",
)
LFS_MIN_SIZE = 10 * 1024 * 1024
DATASETS = "datasets/"  # a dataset repo is kept in Store.repos under this prefix of its id (as in its URLs)
SPACES = "spaces/"  # and a Space under this one
PREFIXES = {"dataset": DATASETS, "space": SPACES}


def repo_key(repo_id: str, repo_type: str | None = None) -> str:
    """The key of a repo in ``Store.repos``: a model's id as it is, a dataset's as ``datasets/<id>``, a Space's as
    ``spaces/<id>``."""
    return PREFIXES.get(repo_type or "model", "") + repo_id


def repo_id_of(key: str) -> str:
    """The repo id (NAMESPACE/NAME) of a store key, whatever the repo's type."""
    return key.removeprefix(DATASETS).removeprefix(SPACES)


def is_model(key: str) -> bool:
    return not key.startswith((DATASETS, SPACES))


def namespace_of(key: str) -> str:
    """The user or org a repo key belongs to (whatever its type)."""
    return repo_id_of(key).split("/")[0]


def git_blob_sha(data: bytes) -> str:
    """The id git (and the Hub) gives a regular file."""
    return git_hash(data)


def is_lfs(path: str, size: int) -> bool:
    """Whether the Hub stores this file with LFS (its default .gitattributes, or size)."""
    return size > 0 and (path.lower().endswith(LFS_SUFFIXES) or size >= LFS_MIN_SIZE)


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


@dataclass
class Entry:
    """A file at a commit: its sha256 (the blob's name in the store), size, git id, LFS or not."""

    sha256: str
    size: int
    git_sha: str
    lfs: bool


@dataclass
class Commit:
    sha: str
    parent: str | None
    title: str
    date: str
    files: dict[str, Entry]
    author: str = ""  # who made it (shown as a pull request's author)


@dataclass
class Thread:
    """A discussion or a pull request: the Hub numbers both in one sequence (discussions.py serves them)."""

    num: int
    title: str
    author: str
    date: str
    pr: int | None = None  # a pull request's commit: its index in Repo.prs
    status: str = "open"  # open, closed (merged and draft for pull requests)
    events: list[dict] = field(default_factory=list)  # comments and status changes, as the Hub shapes them


@dataclass
class Repo:
    repo_id: str
    private: bool = False
    commits: list[Commit] = field(default_factory=list)  # main, oldest first
    prs: list[Commit] = field(default_factory=list)  # the pull requests' commits (threads number them)
    sdk: str | None = None  # a Space's (static, gradio, docker ...)
    threads: list[Thread] = field(default_factory=list)  # discussion or pull request N is threads[N - 1]

    @property
    def head(self) -> Commit:
        return self.commits[-1]

    def open_thread(self, title: str, author: str, date: str, pr: int | None = None) -> Thread:
        thread = Thread(len(self.threads) + 1, title, author, date, pr)
        self.threads.append(thread)
        return thread


class Store:
    """Repos in memory, blobs on disk, and the whole state saved to ``root/state.json`` after each write."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.blobs = self.root / "blobs"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.repos: dict[str, Repo] = {}
        self._load()

    def _load(self) -> None:
        state = self.root / "state.json"
        if not state.exists():
            return
        for data in json.loads(state.read_text()):
            commits, prs = (
                [Commit(**{**c, "files": {p: Entry(**e) for p, e in c["files"].items()}}) for c in data[k]]
                for k in ("commits", "prs")
            )
            repo = Repo(data["repo_id"], data["private"], commits, prs, data.get("sdk"))
            made_before = [Thread(n, c.title, c.author, c.date, n - 1) for n, c in enumerate(prs, 1)]  # no threads
            repo.threads = [Thread(**t) for t in data["threads"]] if "threads" in data else made_before
            self.repos[data["repo_id"]] = repo

    def save(self, force: bool = False) -> None:
        """Write state.json, at most once a second (rewriting it per commit is quadratic for big hubs)."""
        now = time.monotonic()
        if not force and now - getattr(self, "_saved_at", -10.0) < 1.0:
            self._dirty = True
            return
        state = self.root / "state.json"
        tmp = state.with_suffix(".tmp")
        tmp.write_text(json.dumps([asdict(r) for r in self.repos.values()]))
        os.replace(tmp, state)
        self._saved_at, self._dirty = now, False

    def flush(self) -> None:
        if getattr(self, "_dirty", False):
            self.save(force=True)

    def put_blob(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self.blobs / digest
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return digest

    def has_blob(self, sha256: str) -> bool:
        return (self.blobs / sha256).exists()

    def read_blob(self, sha256: str) -> bytes:
        return (self.blobs / sha256).read_bytes()

    def create(self, repo_id: str, private: bool, sdk: str | None = None) -> Repo:
        gitattributes = b"".join(b"*%s filter=lfs diff=lfs merge=lfs -text\n" % s.encode() for s in LFS_SUFFIXES)
        digest = self.put_blob(gitattributes)
        entry = Entry(digest, len(gitattributes), git_blob_sha(gitattributes), False)
        repo = Repo(
            repo_id,
            private,
            [Commit(self._sha(repo_id, "initial"), None, "initial commit", now_iso(), {".gitattributes": entry})],
        )
        repo.sdk = sdk
        self.repos[repo_id] = repo
        self.save()
        return repo

    def commit(
        self, repo: Repo, parent: Commit, title: str, files: dict[str, Entry], pr: bool = False, author: str = ""
    ) -> Commit:
        commit = Commit(
            self._sha(repo.repo_id, title, parent.sha, str(time.time_ns())), parent.sha, title, now_iso(), files, author
        )
        (repo.prs if pr else repo.commits).append(commit)
        if pr:
            repo.open_thread(title, author, commit.date, pr=len(repo.prs) - 1)
        self.save()
        return commit

    def resolve(self, repo: Repo, revision: str) -> Commit | None:
        """A commit by branch name (main), PR ref (refs/pr/N) or sha."""
        if revision == "main":
            return repo.head
        if revision.startswith("refs/pr/") and revision[8:].isdigit():
            number = int(revision[8:])
            thread = repo.threads[number - 1] if 0 < number <= len(repo.threads) else None
            return repo.prs[thread.pr] if thread and thread.pr is not None else None
        return next((c for c in repo.commits + repo.prs if c.sha == revision), None)

    @staticmethod
    def _sha(*parts: str) -> str:
        return hashlib.sha1("\0".join(parts).encode()).hexdigest()
