"""Which source reads each platform's posts: its API (by account), and its exports (recognised by content).

A platform's source (one module for its API, one per kind of export) registers here, one line per
platform; see platforms/__init__.py for the rest of what adding a platform takes. Modules are named,
not imported, so a command loads only the client library it uses (tweepy, atproto, Mastodon.py).

An API module provides ``fetch(handle, data_dir, *, limit, include_replies, wait, on_wait)`` ->
``(Profile, new posts, posts stored)``: it looks the account up, refuses before storing anything an
account that is not public or asks not to be used (errors.ConsentError), and stores only public
posts (posts.save_posts), marking those behind a content warning (``Post.cw``).

An export module provides ``recognises(path) -> bool`` (cheap: magic bytes, member names) and
``read_export(path, include_replies) -> x_archive.Archive`` (profile, posts, replies left out, side
files that could not be read). An export is its holder's own download: it counts as their consent,
but its non-public posts are still never stored.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from hf_tweets import platforms
from hf_tweets.errors import HfTweetsError


@dataclass(frozen=True)
class Source:
    api: str  # the module that reads the platform's API
    exports: tuple[str, ...]  # the modules that read its account exports


SOURCES: dict[str, Source] = {
    "x": Source("hf_tweets.sources.x_api", ("hf_tweets.sources.x_archive",)),
}
FALLBACK_EXPORT = "hf_tweets.sources.x_archive"  # reads a bare tweets file of any name; its errors explain the rest


def api(platform: str) -> ModuleType:
    """The module that fetches ``platform``'s posts from its API."""
    name = platforms.get(platform).name
    if name not in SOURCES:
        raise HfTweetsError(f"hf-tweets cannot fetch {name} accounts yet", fix="give an export with --archive")
    return importlib.import_module(SOURCES[name].api)


def export_reader(path: Path) -> ModuleType:
    """The module that reads the export at ``path``, by what is in it (never by its name)."""
    for source in SOURCES.values():
        for name in source.exports:
            if name != FALLBACK_EXPORT and importlib.import_module(name).recognises(path):
                return importlib.import_module(name)
    return importlib.import_module(FALLBACK_EXPORT)
