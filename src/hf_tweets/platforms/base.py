"""What every platform says about its accounts: ``Platform``, and ``Account``, one account on one platform.

A platform knows its handles (what they look like, and their one canonical form), where an account's
profile is, what a post and a repost are called, and how an account names files and repos. It knows
nothing of fetching: that is its source's (sources/), which may use what is here.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

MAX_REPO_NAME = 96  # what the Hub allows

# An internet domain: labels of letters, digits and inner '-', a letter-led last label (the AT Protocol's rule).
DOMAIN_RE = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")
MAX_DOMAIN = 253


def domain(text: str) -> str | None:
    """``text`` as a lower-case domain name, or None."""
    text = text.lower()
    return text if len(text) <= MAX_DOMAIN and DOMAIN_RE.fullmatch(text) else None


@dataclass(frozen=True)
class Platform:
    """One platform's identity; subclasses say how its handles look (see x.py, bluesky.py, mastodon.py)."""

    name: str  # what records and the command line call it: "x", "bluesky", "mastodon"
    title: str  # how a card names it: "X", "Bluesky", "Mastodon"
    prefixes: tuple[str, ...]  # what may precede a handle on the command line: "x", "bsky", "mastodon"
    post: str  # the word for a post ("tweet") ...
    repost: str  # ... and for sharing someone else's ("retweet")
    example: str  # a handle, for error messages
    # Its source (sources/registry.py): the module that reads its API, and those that read its exports.
    api: str | None = None
    exports: tuple[str, ...] = ()
    since: str = ""  # the first day its posts can be dated (YYYY-MM-DD): an earlier date is not one of its posts'

    def handle(self, text: str) -> str | None:
        """``text`` (without a prefix) as this platform's canonical handle, or None when it is not one."""
        raise NotImplementedError

    def profile_url(self, handle: str) -> str:
        raise NotImplementedError

    def display(self, handle: str) -> str:
        """How a card shows the handle ("@alice")."""
        return f"@{handle}"

    def slug(self, handle: str) -> str:
        """The account's part of a repo name: letters, digits, '_', '-' and '.' only."""
        raise NotImplementedError

    def file_name(self, handle: str) -> str:
        """The account's name in the post store (data/raw/<name>.jsonl): distinct for every account of every
        platform (see each platform), made only of fsutil.NAME_RE's characters."""
        raise NotImplementedError

    def syntax(self) -> str:
        """What a handle of this platform looks like, for error messages."""
        raise NotImplementedError

    def not_one(self, text: str) -> tuple[str, str]:
        """(what, fix) of an error about ``text``, which is no account of this platform: the forms it takes."""
        article = "an" if self.title[:1] in "AEIOUX" else "a"  # an X account, a Bluesky account
        what = f"{text[:80]!r} is not {article} {self.title} account"
        return what, f"{self.syntax()}: write it as {self.example} or {self.prefixes[0]}:{self.example}"


@dataclass(frozen=True, order=True)
class Account:
    """An account: a platform's name and a canonical handle (see platforms.parse_account)."""

    platform: str
    handle: str

    @property
    def key(self) -> str:
        """``platform:handle``, lower-cased: the same for every spelling of the account."""
        return f"{self.platform}:{self.handle.lower()}"

    def __str__(self) -> str:  # as a card shows it
        from hf_tweets.platforms import get

        return get(self.platform).display(self.handle)


def shortened(name: str, limit: int = MAX_REPO_NAME) -> str:
    """``name`` if it fits, else its start and a hash of all of it (names stay distinct)."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    return f"{name[: limit - 11].rstrip('-._')}-{digest}"
