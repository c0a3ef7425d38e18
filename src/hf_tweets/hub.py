"""Talking to the Hugging Face Hub: the token, retries with back-off, and errors people can act on.

Every Hub call of hf-tweets goes through ``call``: 429 (waiting for
Retry-After), 5xx and dropped connections are retried with back-off; 401 and
403 become one-line errors that say what to do. The token comes from
``huggingface_hub.get_token()`` (HF_TOKEN, or a prior ``hf auth login``) and is
never put in a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import huggingface_hub
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from . import settings
from .errors import PublishError

T = TypeVar("T")
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
TOKEN_HELP = "set HF_TOKEN or run `hf auth login` (a token with write access: https://huggingface.co/settings/tokens)"


class Transient(Exception):
    """A failure worth another try: what happened, and how long the server asked us to wait."""

    def __init__(self, what: str, wait: float | None = None):
        super().__init__(what)
        self.wait = wait


def client() -> HfApi:
    """An HfApi with the user's token, or a PublishError saying how to get one."""
    token = huggingface_hub.get_token()
    if not token:
        raise PublishError("huggingface.co", f"no Hugging Face token found; {TOKEN_HELP}")
    return HfApi(token=token)


def status_of(error: BaseException) -> int | None:
    response = getattr(error, "response", None)
    return getattr(response, "status_code", None)


def _transient(error: BaseException) -> Transient | None:
    """A Transient for errors worth retrying, else None."""
    status = status_of(error)
    if isinstance(error, HfHubHTTPError) and status in RETRY_STATUSES:
        retry_after = error.response.headers.get("Retry-After", "")
        return Transient(f"HTTP {status}", float(retry_after) if retry_after.isdigit() else None)
    if _is_network_error(error):
        return Transient(f"network error ({type(error).__name__})")
    return None


def _is_network_error(error: BaseException) -> bool:
    names = {cls.__name__ for cls in type(error).__mro__}
    return bool(names & {"TransportError", "ConnectionError", "TimeoutException"}) or isinstance(error, ConnectionError)


def explain(error: BaseException, repo_id: str, namespace: str) -> PublishError | None:
    """A PublishError for failures with a known fix (401, 403, missing repo), else None."""
    status = status_of(error)
    if status == 401:
        return PublishError(repo_id, f"the Hugging Face token was refused (401); {TOKEN_HELP}")
    if status == 403:
        return PublishError(
            repo_id,
            f"your token cannot write to the namespace '{namespace}' (403); use a token with write access"
            f" to {namespace}, or publish elsewhere with --namespace YOUR_NAME",
        )
    if isinstance(error, RepositoryNotFoundError):
        return PublishError(repo_id, "the repo does not exist or your token cannot see it; check the name and the token")
    return None


def call(fn: Callable[[], T], repo_id: str, namespace: str, what: str) -> T:
    """Run one Hub call, retrying what is transient; raise PublishError once it is not."""
    base, tries = settings.retry_policy()
    for attempt in range(1, tries + 1):
        try:
            return fn()
        except Exception as error:  # noqa: BLE001 - sorted into transient, explained or unknown below
            transient = _transient(error)
            if transient is None:
                raise explain(error, repo_id, namespace) or error
            if attempt == tries:
                raise GaveUp(repo_id, f"{what} failed {tries} times (last: {transient})") from None
            time.sleep(transient.wait if transient.wait is not None else base * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


class GaveUp(PublishError):
    """A call that kept failing transiently; the caller says whether anything was committed."""
