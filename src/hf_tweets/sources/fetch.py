"""Where posts come from: the X API, an X archive, or a file of texts. Each ends in the raw store (posts.py)."""

from __future__ import annotations

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
):
    """Posts of ``handle`` from the X API; see x_api.py."""
    from hf_tweets.sources import x_api

    sweep_orphans(data_dir / "raw")  # temp files of a fetch killed earlier
    waiting = {"on_wait": on_wait} if on_wait else {}
    return x_api.fetch(
        handle.removeprefix("@"), data_dir, limit=limit, include_replies=include_replies, wait=wait, **waiting
    )


def fetch_archive(path: Path, data_dir: Path, *, include_replies: bool = True, handle: str | None = None):
    """Posts from an X archive; the handle comes from its account.js (or --handle for a bare tweets.js)."""
    sweep_orphans(data_dir / "raw")  # temp files of a fetch killed earlier
    handle = _handle(handle) if handle else None
    profile, posts, _ = read_archive(path, include_replies)
    if profile is None:
        if not handle:
            raise SourceError(
                "has no data/account.js to say whose posts these are", where=path, fix="add --handle NAME"
            )
        profile = Profile(handle, handle, None, "archive")
    elif handle and handle.lower() != profile.handle.lower():
        raise SourceError(
            f"{path}: is @{profile.handle}'s archive, not @{handle}'s; drop --handle or pick the right archive"
        )
    return _store(profile, posts, data_dir, f"{path} has no posts")


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


def _store(profile: Profile, posts, data_dir: Path, empty: str):
    if not posts:
        raise SourceError(f"{empty} (an empty timeline)", fix="nothing to train on")
    new, total = save_posts(data_dir, profile.handle, posts)
    save_profile(data_dir, profile)
    return profile, new, total
