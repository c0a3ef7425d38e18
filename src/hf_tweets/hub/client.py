"""Talking to the Hugging Face Hub: the token, retries, errors people can act on, and the one commit path.

Every Hub call of hf-tweets goes through ``call``: 429 (waiting for
Retry-After, announced, and capped by HF_TWEETS_MAX_RETRY_WAIT), 5xx and
dropped connections are retried with back-off; 401 and 403 become one-line
errors that say what to do. The token comes from
``huggingface_hub.get_token()`` (HF_TOKEN, or a prior ``hf auth login``) and is
never put in a message.

Every commit (``publish``, ``republish``) goes through ``commit``, which is
where these rules live:

* the commit names the commit it was planned against (``parent_commit``), so
  a repo that moved meanwhile is never overwritten (the Hub answers 412);
* an answer that was lost (a dropped connection, a 5xx after the Hub acted)
  is not taken for a failure: before each retry, and after a 412 or the last
  try, the repo is checked for the files the commit meant to write, on main or,
  for ``create_pr``, on an open pull request with the same title, which is
  then reused instead of opening a second one;
* when it did not land, the error says nothing was committed and what to do;
* the upload-mode shortcut (huggingface_hub's private ``_upload_mode``, which
  spares the preupload request for files whose storage is known) is set here
  and only here.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

import huggingface_hub
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, hf_hub_url
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status
from huggingface_hub.utils.sha import git_hash

from hf_tweets import settings
from hf_tweets.errors import ConcurrentUpdateError, GaveUp, HfTweetsError, PublishError
from hf_tweets.hub import pacing

T = TypeVar("T")
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
log = logging.getLogger("hf_tweets.hub")


def token_help() -> str:
    return f"set HF_TOKEN or run `hf auth login` (a token with write access: {settings.hub_endpoint()}/settings/tokens)"


def client() -> HfApi:
    """An HfApi with the user's token, or a PublishError saying how to get one."""
    token = huggingface_hub.get_token()
    if not token:
        raise PublishError(settings.hub_endpoint(), "no Hugging Face token found", fix=token_help())
    pacing.install()  # every request then stays within what the Hub's RateLimit headers say remains
    return HfApi(token=token)


def check_write_access(api: HfApi, namespace: str) -> None:
    """Refuse now, before any work, a token that cannot write to ``namespace`` (one whoami, cached for the process)."""
    who = call(lambda: api.whoami(cache=True), namespace, "checking the token")
    token = (who.get("auth") or {}).get("accessToken") or {}
    if token.get("role") == "read":
        raise PublishError(namespace, "the Hugging Face token is read-only", fix=token_help())
    roles = {org.get("name"): org.get("roleInOrg") for org in who.get("orgs") or []}
    if namespace != who.get("name") and (namespace not in roles or roles[namespace] == "read"):
        raise PublishError(
            namespace,
            f"the token of '{who.get('name')}' cannot write to '{namespace}' (not your name, nor an organization"
            " you may write to)",
            fix=f"publish under your own name with --namespace {who.get('name')}, or ask {namespace} for write access",
        )


# -- retries ------------------------------------------------------------------------------------------


class Transient(Exception):
    """A failure worth another try: what happened, and how long the server asked us to wait."""

    def __init__(self, what: str, wait: float | None = None):
        super().__init__(what)
        self.wait = wait


def status_of(error: BaseException) -> int | None:
    response = getattr(error, "response", None)
    return getattr(response, "status_code", None)


def _transient(error: BaseException) -> Transient | None:
    """A Transient for errors worth retrying, else None."""
    status = status_of(error)
    if isinstance(error, HfHubHTTPError) and status in RETRY_STATUSES:
        retry_after = error.response.headers.get("Retry-After", "").strip()
        return Transient(f"HTTP {status}", float(retry_after) if retry_after.isdigit() else None)
    if _is_network_error(error):
        return Transient(f"network error ({type(error).__name__})")
    return None


def _is_network_error(error: BaseException) -> bool:
    names = {cls.__name__ for cls in type(error).__mro__}
    return bool(names & {"TransportError", "ConnectionError", "TimeoutException"}) or isinstance(error, ConnectionError)


def explain(error: BaseException, repo_id: str) -> PublishError | None:
    """A PublishError for failures with a known fix (401, 403, missing repo), else None."""
    status, namespace = status_of(error), repo_id.split("/")[0]
    if status == 401:
        return PublishError(repo_id, "the Hugging Face token was refused (401)", fix=token_help())
    if status == 403:
        return PublishError(
            repo_id,
            f"your token cannot write to the namespace '{namespace}' (403)",
            fix=f"use a token with write access to {namespace}, or publish elsewhere with --namespace YOUR_NAME",
        )
    if isinstance(error, RepositoryNotFoundError):
        return PublishError(
            repo_id, "the repo does not exist or your token cannot see it", fix="check the name and the token"
        )
    return None


def call(fn: Callable[[], T], repo_id: str, what: str, *, before_retry: Callable[[], T | None] | None = None) -> T:
    """Run one Hub call, retrying what is transient; raise PublishError once it is not.

    ``before_retry`` runs before each new try; a result other than None ends the call with it
    (a commit uses it to find that a try whose answer was lost did land)."""
    base, tries = settings.retry_policy()
    for attempt in range(1, tries + 1):
        if attempt > 1 and before_retry is not None and (found := before_retry()) is not None:
            return found
        try:
            return fn()
        except HfTweetsError:
            raise
        except Exception as error:  # noqa: BLE001 - sorted into transient, explained or unknown below
            transient = _transient(error)
            if transient is None:
                raise explain(error, repo_id) or error from None
            if attempt == tries:
                raise GaveUp(repo_id, f"{what} failed {tries} times (last: {transient})") from None
            _wait(transient, base * 2 ** (attempt - 1), repo_id, what)
    raise AssertionError("unreachable")


sleep = time.sleep  # how retries wait (tests of the Hub's windows give it their fake clock's)


def _wait(transient: Transient, backoff: float, repo_id: str, what: str) -> None:
    if transient.wait is None:
        sleep(backoff)
        return
    cap = settings.max_retry_wait()
    if transient.wait > cap:
        raise GaveUp(
            repo_id,
            f"{what}: the Hub asked to wait {transient.wait:.0f} s ({transient}), longer than"
            f" {settings.MAX_RETRY_WAIT_ENV} ({cap:.0f} s)",
            fix=f"run the command again later, or set {settings.MAX_RETRY_WAIT_ENV}={transient.wait:.0f} to wait",
        )
    log.warning(
        "%s: the Hub asked to wait %.0f s (%s); waiting before trying %s again",
        repo_id,
        transient.wait,
        transient,
        what,
    )
    sleep(transient.wait)


# -- what a repo holds ----------------------------------------------------------------------------------


@dataclass
class LocalFile:
    """A file a commit writes: where its bytes come from, and the hashes the Hub knows files by."""

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


def remote_files(
    api: HfApi, repo_id: str, revision: str | None = None, repo_type: str | None = None
) -> tuple[str, dict[str, RemoteFile]] | None:
    """(commit sha, files by path) of a repo (a model, or ``repo_type``'s) at a revision, in one request; None when
    there is no such repo."""

    def info():
        try:
            return api.repo_info(repo_id, revision=revision, files_metadata=True, repo_type=repo_type)
        except (RepositoryNotFoundError, RevisionNotFoundError):
            return None

    model = call(info, repo_id, "reading the repo")
    if model is None:
        return None
    return model.sha, {
        s.rfilename: RemoteFile(s.size, s.blob_id, s.lfs.sha256 if s.lfs else None) for s in model.siblings or []
    }


def fetch_readme(api: HfApi, repo_id: str, revision: str) -> str | None:
    """README.md at a revision, in one GET (None when the repo has none)."""
    return fetch_text(api, repo_id, "README.md", revision)


def fetch_text(api: HfApi, repo_id: str, path: str, revision: str, repo_type: str | None = None) -> str | None:
    """A text file of a repo (a model, or ``repo_type``'s) at a revision, in one GET (None when it has none)."""
    response = get_session().get(
        hf_hub_url(repo_id, path, revision=revision, endpoint=api.endpoint, repo_type=repo_type),
        headers=build_hf_headers(token=api.token),
    )
    if response.status_code == 404:
        return None
    hf_raise_for_status(response)
    return response.content.decode("utf-8")


# -- the commit path ------------------------------------------------------------------------------------


@dataclass
class Commit:
    """One commit to make: what it writes and deletes, against which parent, and how the Hub stores known files."""

    repo_id: str
    parent: str | None
    write: dict[str, LocalFile]
    delete: list[str] = field(default_factory=list)
    message: str = "Publish with hf-tweets"
    description: str = ""
    create_pr: bool = False
    modes: dict[str, Literal["lfs", "regular"]] = field(default_factory=dict)  # where already known
    repo_type: str | None = None  # None: a model; "space" for the try-it Space

    def operations(self) -> list:
        """Fresh operation objects (each try needs its own: the client records upload state on them)."""
        ops = []
        for path, local in self.write.items():
            op = CommitOperationAdd(path_in_repo=path, path_or_fileobj=local.source)
            if path in self.modes and hasattr(op, "_upload_mode"):  # the one place a private attribute is used
                op._upload_mode = self.modes[path]  # known storage: no preupload request for this file
            ops.append(op)
        return ops + [CommitOperationDelete(path_in_repo=path) for path in self.delete]

    def held_by(self, files: dict[str, RemoteFile]) -> bool:
        """Whether a revision with these files is what this commit meant to make."""
        return all(path in files and files[path].same_as(local) for path, local in self.write.items()) and not any(
            path in files for path in self.delete
        )


@dataclass
class Landed:
    oid: str
    pr_url: str | None = None


class _Moved(Exception):
    """The commit was refused because the repo is no longer at the parent (412)."""


def commit(api: HfApi, request: Commit) -> Landed:
    """Make ``request`` once, whatever is lost on the way; see the module docstring."""

    def attempt() -> Landed:
        try:
            info = api.create_commit(
                request.repo_id,
                request.operations(),
                commit_message=request.message,
                commit_description=request.description,
                parent_commit=request.parent,
                create_pr=request.create_pr,
                repo_type=request.repo_type,
            )
        except HfHubHTTPError as error:
            if status_of(error) == 412:
                raise _Moved() from None
            raise
        return Landed(info.oid, info.pr_url)

    still_at = f"the repo is still at {(request.parent or 'nothing')[:7]}"
    if request.create_pr and (found := _open_pull_request(api, request)):  # an earlier run opened it already
        return found
    try:
        return call(attempt, request.repo_id, "the commit", before_retry=lambda: landed(api, request))
    except _Moved:
        if found := landed(api, request):  # an earlier try went through though its answer was lost
            return found
        was = f"at {request.parent[:7]}" if request.parent else "empty"
        raise ConcurrentUpdateError(
            request.repo_id,
            f"the repo changed after the plan was made (it is no longer {was}); nothing was overwritten",
            fix="run the command again to plan against the new version (add --dry-run to see it first)",
        ) from None
    except GaveUp as error:
        if found := landed(api, request):
            return found
        raise PublishError(
            request.repo_id,
            f"{error.what}; nothing was committed ({still_at})",
            fix=error.fix or "run the command again",
        ) from None
    except HfTweetsError:
        raise
    except Exception as error:  # noqa: BLE001 - e.g. "Error while uploading 'x.png'" after the client's own retries
        if found := landed(api, request):
            return found
        cause = " ".join(str(error).split())[:160] or type(error).__name__
        raise PublishError(
            request.repo_id,
            f"the commit failed ({cause}); nothing was committed ({still_at})",
            fix="run the command again; if it keeps failing, the Hub may be having trouble",
        ) from None


def landed(api: HfApi, request: Commit) -> Landed | None:
    """The commit, if an earlier try made it: the new head of main, or an open pull request of ours that holds it."""
    if request.create_pr:
        return _open_pull_request(api, request)
    now = remote_files(api, request.repo_id, repo_type=request.repo_type)
    if now is not None and now[0] != request.parent and request.held_by(now[1]):
        return Landed(now[0])
    return None


def _open_pull_request(api: HfApi, request: Commit) -> Landed | None:
    def pull_requests():
        return [
            d
            for d in api.get_repo_discussions(request.repo_id, discussion_type="pull_request", discussion_status="open")
            if d.title == request.message
        ]

    for pr in call(pull_requests, request.repo_id, "listing pull requests"):
        now = remote_files(api, request.repo_id, revision=pr.git_reference)
        if now is not None and request.held_by(now[1]):
            return Landed(now[0], pr.url)
    return None
