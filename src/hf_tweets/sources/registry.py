"""Which source reads each platform's posts: its API (by account), and its exports (recognised by content).

Each platform names its source modules (``Platform.api``, ``Platform.exports``; platforms/), so a
platform is registered once, in ``platforms.REGISTRY``. Modules are named, not imported, so a
command loads only the client library it uses (tweepy, atproto, Mastodon.py).

An API module is an ``ApiSource`` and an export module an ``ExportReader`` (the protocols below);
``api`` and ``export_reader`` check that the module they load is one. An API module's ``fetch``
looks the account up, refuses before storing anything an account that is not public or asks not to
be used (errors.ConsentError), and stores only public posts, marking those behind a content warning
(``Post.cw``); what every API module does alike (resuming, rate limits, counting) is
sources/api_source.py's. An export is its holder's own download: it counts as their consent, but
its non-public posts are still never stored.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, runtime_checkable

from hf_tweets import platforms
from hf_tweets.errors import HfTweetsError
from hf_tweets.folders import Folders
from hf_tweets.platforms import Account
from hf_tweets.sources import exports
from hf_tweets.sources.posts import Profile

FALLBACK_EXPORT = "hf_tweets.sources.x_archive"  # reads a bare tweets file of any name; its errors explain the rest


@runtime_checkable
class ApiSource(Protocol):
    """A module that fetches an account's posts from its platform's API (x_api, bluesky, mastodon)."""

    def fetch(
        self,
        handle: str,
        folders: Folders,
        *,
        limit: int = ...,
        include_replies: bool = ...,
        wait: bool = ...,
        on_wait: Callable[[int], None] = ...,
    ) -> tuple[Profile, int, int]:
        """Store the account's new public posts (api_source.fetch); (profile, new posts, posts stored)."""


@runtime_checkable
class ExportReader(Protocol):
    """A module that reads an account's export (x_archive, bluesky_car, mastodon_archive)."""

    def recognises(self, path: Path) -> bool:
        """Whether ``path`` is an export of this kind, by its content (cheap: magic bytes, member names)."""

    def read_export(self, path: Path, include_replies: bool) -> exports.Archive:
        """The export's profile, posts, replies left out, and side files that could not be read."""


@runtime_checkable
class Renaming(ExportReader, Protocol):
    """An export reader whose exports name their account by another id (a Bluesky repo: its DID)."""

    def named(self, profile: Profile, given: Account) -> Profile | None:
        """``profile`` under ``given`` (--handle) when that is the same account, else None."""

    def known_as(self, profile: Profile) -> Profile:
        """``profile`` under the name the network knows the account by (a Bluesky DID's handle), else as it is."""


def api(platform: str) -> ApiSource:
    """The module that fetches ``platform``'s posts from its API."""
    kind = platforms.get(platform)
    if kind.api is None:
        raise HfTweetsError(f"hf-tweets cannot fetch {kind.title} accounts yet", fix="give an export with --archive")
    return _load(kind.api, ApiSource)


def export_reader(path: Path) -> ExportReader:
    """The module that reads the export at ``path``, by what is in it (never by its name)."""
    for kind in platforms.REGISTRY.values():
        for name in kind.exports:
            if name != FALLBACK_EXPORT and _load(name, ExportReader).recognises(path):
                return _load(name, ExportReader)
    return _load(FALLBACK_EXPORT, ExportReader)


def _load(name: str, protocol: type) -> Any:
    # Any, not a TypeVar: PEP 544 lets no protocol class stand for a type[P]; the callers' return types name it.
    module: ModuleType = importlib.import_module(name)
    if not isinstance(module, protocol):  # a platform names a module that lacks the protocol's functions
        raise TypeError(f"{name} is not an {protocol.__name__} (sources/registry.py)")
    return module
