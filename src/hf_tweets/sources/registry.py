"""Which source reads each platform's posts: its API (by account), and its exports (recognised by content).

Each platform names its source modules (``Platform.api``, ``Platform.exports``; platforms/), so a
platform is registered once, in ``platforms.REGISTRY``. Modules are named, not imported, so a
command loads only the client library it uses (tweepy, atproto, Mastodon.py).

An API module provides ``fetch(handle, data_dir, *, limit, include_replies, wait, on_wait)`` ->
``(Profile, new posts, posts stored)``: it looks the account up, refuses before storing anything an
account that is not public or asks not to be used (errors.ConsentError), and stores only public
posts (posts.save_posts), marking those behind a content warning (``Post.cw``).

An export module provides ``recognises(path) -> bool`` (cheap: magic bytes, member names) and
``read_export(path, include_replies) -> exports.Archive`` (profile, posts, replies left out, side
files that could not be read). An export is its holder's own download: it counts as their consent,
but its non-public posts are still never stored.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from hf_tweets import platforms
from hf_tweets.errors import HfTweetsError

FALLBACK_EXPORT = "hf_tweets.sources.x_archive"  # reads a bare tweets file of any name; its errors explain the rest


def api(platform: str) -> ModuleType:
    """The module that fetches ``platform``'s posts from its API."""
    kind = platforms.get(platform)
    if kind.api is None:
        raise HfTweetsError(f"hf-tweets cannot fetch {kind.title} accounts yet", fix="give an export with --archive")
    return importlib.import_module(kind.api)


def export_reader(path: Path) -> ModuleType:
    """The module that reads the export at ``path``, by what is in it (never by its name)."""
    for kind in platforms.REGISTRY.values():
        for name in kind.exports:
            if name != FALLBACK_EXPORT and importlib.import_module(name).recognises(path):
                return importlib.import_module(name)
    return importlib.import_module(FALLBACK_EXPORT)
