"""Where posts come from: the X API, an X archive, or a file of texts. Each ends in the raw store (posts.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from hf_tweets.cards.record import HANDLE_RE
from hf_tweets.errors import SourceError
from hf_tweets.fsutil import sweep_orphans
from hf_tweets.sources.posts import Profile, read_text_file, save_posts, save_profile
from hf_tweets.sources.x_api import API_LIMIT
from hf_tweets.sources.x_archive import read_archive
from hf_tweets.text import snippet


def fetch_api(
    handle: str,
    data_dir: Path,
    *,
    limit: int = API_LIMIT,
    include_replies: bool = True,
    wait: bool = False,
    on_wait=None,
) -> Fetched:
    """Posts of ``handle`` from the X API; see x_api.py."""
    from hf_tweets.sources import x_api

    sweep_orphans(data_dir / "raw")  # temp files of a fetch killed earlier
    waiting = {"on_wait": on_wait} if on_wait else {}
    return Fetched(
        *x_api.fetch(
            handle.removeprefix("@"), data_dir, limit=limit, include_replies=include_replies, wait=wait, **waiting
        )
    )


@dataclass(frozen=True)
class Fetched:
    """What a fetch stored: whose posts, how many were new, how many are stored now; ``warnings`` are lines for
    the user, one per file of an archive that could not be read, saying what was used instead."""

    profile: Profile
    new: int
    total: int
    warnings: tuple[str, ...] = ()


def fetch_archive(path: Path, data_dir: Path, *, include_replies: bool = True, handle: str | None = None) -> Fetched:
    """Posts from an X archive (or a bare tweets file); whose they are comes from the archive, else from ``handle``.

    A side file that cannot be read (account.js, profile.js, user_details.js) does not stop the posts: ``handle``
    (or what else the archive says) is used instead, with a warning; with nothing instead, the error asks for
    ``--handle``.
    """
    sweep_orphans(data_dir / "raw")  # temp files of a fetch killed earlier
    handle = _handle(handle) if handle else None
    archive = read_archive(path, include_replies)
    profile = archive.profile
    if profile is None:
        if not handle:
            raise _whose(path, archive.unread)
        profile = Profile(handle, handle, None, "archive")
    elif handle and handle.lower() != profile.handle.lower():
        raise SourceError(
            f"{path}: is @{profile.handle}'s archive, not @{handle}'s; drop --handle or pick the right archive"
        )
    warnings = tuple(f"{e.where}: {e.what}; {e.fix or f'used --handle @{handle} instead'}" for e in archive.unread)
    return replace(_store(profile, archive.posts, data_dir, f"{path} has no posts"), warnings=warnings)


def _whose(path: Path, unread: list[SourceError]) -> SourceError:
    """The error for an archive that does not say whose posts it holds: naming the file that should have."""
    fix = "add --handle NAME to say whose posts these are"
    unusable = next((e for e in unread if e.fix is None), None)
    if unusable is not None:
        return SourceError(unusable.what, where=unusable.where, fix=fix)
    return SourceError("has no data/account.js to say whose posts these are", where=path, fix="add --handle NAME")


def fetch_file(path: Path, data_dir: Path, handle: str | None):
    """Posts from a .jsonl/.csv file of texts, for ``--handle``."""
    if not handle:
        raise SourceError("--from needs --handle NAME: whose posts are these?")
    sweep_orphans(data_dir / "raw")  # temp files of a fetch killed earlier
    handle = _handle(handle)
    posts = read_text_file(path)
    return _store(Profile(handle, handle, None, "file"), posts, data_dir, f"{path} has no posts")


def _handle(handle: str) -> str:
    """``--handle`` without its @; SourceError unless it is an X handle (it names files in the data folder)."""
    handle = handle.removeprefix("@")
    if not HANDLE_RE.fullmatch(handle):
        raise SourceError(f"{snippet(handle)} is not an X handle", fix="use 1-15 letters, digits or underscores")
    return handle


def _store(profile: Profile, posts, data_dir: Path, empty: str) -> Fetched:
    if not posts:
        raise SourceError(f"{empty} (an empty timeline)", fix="nothing to train on")
    new, total = save_posts(data_dir, profile.handle, posts)
    save_profile(data_dir, profile)
    return Fetched(profile, new, total)
