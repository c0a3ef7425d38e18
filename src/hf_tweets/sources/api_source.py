"""What every API source does: page an account's posts into the store, resumably, waiting out rate limits.

A platform's API module (x_api, bluesky, mastodon) gives only its own parts, a ``Feed``: the account
looked up (its profile), its pages newest first (each request through ``patiently``, which honours
``wait``/``on_wait``), each item as a post, and its wording of "there are no posts". ``fetch`` does the
rest, the same for every platform:

* the cursor file (data/raw/<name>.state.json): where the next page starts, rewritten after every page
  once something of the account is stored, so a run cut short resumes there; a damaged one is ignored
  (start over), and it is removed when the run ends;
* at most ``limit`` items (``LIMIT`` unless told: X's API serves no more of a timeline);
* each page's public posts saved as it comes (a failure keeps them), replies left out with
  include_replies=False, the profile saved with them; a page that holds a post stored before ends the run;
* counting: new posts, items fetched, items that are not the account's public posts, replies left out.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from hf_tweets import consent
from hf_tweets.errors import SourceError
from hf_tweets.folders import Folders
from hf_tweets.fsutil import atomic_write_text
from hf_tweets.sources.posts import Post, Profile, load_posts, raw_path, save_posts, save_profile, user_file

LIMIT = 3200  # the posts a fetch asks for unless told (the command line's default): all X's API serves

Wait = Callable[[int], None]  # called with the seconds to wait for a rate limit's reset


@dataclass(frozen=True)
class Page:
    """One answer of a feed: its items (newest first), where the page after it starts (the cursor file's content),
    and whether it is the last one."""

    items: list
    resume: dict
    last: bool


@dataclass(frozen=True)
class RateLimit:
    """A rate limit an API answered with: how long to wait, and when it resets (epoch seconds; None: not said)."""

    seconds: int
    reset: float | None


class Feed(Protocol):
    """One platform's side of a fetch, for an account it has looked up."""

    @property
    def profile(self) -> Profile:  # read only: a frozen dataclass is a Feed too
        """The account's profile, as the platform answered."""

    def pages(self, run: Run, state: dict) -> Iterator[Page]:
        """The account's pages, newest first, from where ``state`` (the cursor file's content, {} for none) says."""

    def posts(self, items: list, new: int) -> list[Post | None]:
        """A page's items as posts, None for one that is not the account's public post; ``new``: posts saved so far."""

    def nothing(self, run: Run) -> SourceError:
        """The error for a fetch that stored nothing."""


class Run:
    """One fetch's progress: what was stored before, what this run saved, and the cursor file."""

    def __init__(self, data_dir: Path, profile: Profile, limit: int, include_replies: bool):
        self.data_dir, self.profile, self.who = data_dir, profile, profile.account
        self.limit, self.include_replies = limit, include_replies
        self.state_file = user_file(data_dir, self.who, ".state.json")
        self.stored = load_posts(data_dir, self.who) if self.has_posts() else []
        self.known = {p.id for p in self.stored}
        self.new = self.fetched = self.skipped = self.replies = 0

    @property
    def room(self) -> int:
        """How many more items this run may fetch."""
        return self.limit - self.fetched

    def has_posts(self) -> bool:
        return raw_path(self.data_dir, self.who).exists()

    def state(self) -> dict:
        """Where an interrupted run stopped; {} when there is none, or when the file is damaged (start over)."""
        try:
            state = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return state if isinstance(state, dict) else {}

    def add(self, posts: list[Post | None]) -> bool:
        """Save a page's posts (page by page: a failure keeps them); True when it holds one stored before."""
        found = [p for p in posts if p is not None]
        kept = [p for p in found if self.include_replies or p.kind != "reply"]
        self.skipped += len(posts) - len(found)
        self.replies += len(found) - len(kept)
        if kept:
            self.new += save_posts(self.data_dir, self.who, kept)[0]
        if self.has_posts():
            save_profile(self.data_dir, self.profile)
        return not self.known.isdisjoint(p.id for p in found)

    def keep(self, resume: dict) -> None:
        """Write where the next page starts ({}: nowhere), once something of the account is stored."""
        if self.has_posts():
            atomic_write_text(self.state_file, json.dumps(resume))

    def finish(self, feed: Feed) -> int:
        """The number of posts stored now; the feed's SourceError when there are none."""
        self.state_file.unlink(missing_ok=True)
        if not self.has_posts():
            raise feed.nothing(self)
        return len(load_posts(self.data_dir, self.who))


def fetch(
    open_feed: Callable[[str, Path, Wait | None], AbstractContextManager[Feed]],
    handle: str,
    folders: Folders,
    *,
    limit: int = LIMIT,
    include_replies: bool = True,
    wait: bool = False,
    on_page: Callable[[int], None] = lambda n: None,
    on_wait: Wait = time.sleep,
) -> tuple[Profile, int, int]:
    """Fetch new posts of ``handle`` into the data folder through the feed ``open_feed(handle, optout, waiter)``
    gives (``optout``: the folders' opt-out list; ``waiter``: ``on_wait`` with ``wait``, else None: stop at a rate
    limit). Return (profile, new, total)."""
    with open_feed(handle, folders.optout, on_wait if wait else None) as feed:
        consent.check([feed.profile.account], folders.optout)  # the name the API gives, as well as the one asked for
        run = Run(folders.data, feed.profile, limit, include_replies)
        for page in feed.pages(run, run.state()):
            items = page.items[: run.room]
            if not items:
                break
            run.fetched += len(items)
            met = run.add(feed.posts(items, run.new))
            done = page.last or met or run.room <= 0
            run.keep({} if done else page.resume)
            on_page(run.fetched)
            if done:
                break
        return feed.profile, run.new, run.finish(feed)


def patiently(
    call: Callable,
    *,
    failures: type[Exception] | tuple[type[Exception], ...],
    limited: Callable[[Exception], RateLimit | None],
    explain: Callable[[Exception], SourceError],
    on_wait: Wait | None,
    api: str,
    when: str,
):
    """``call()``'s answer. A failure ``limited`` reads as a rate limit is waited out with ``on_wait(seconds)`` and
    asked again, or (``on_wait`` None) stops the fetch saying when the limit resets; ``api`` and ``when`` name the API
    and where the fetch was ("after 3 new posts of NAME (kept)"). Any other failure is ``explain``'s one line."""
    while True:
        try:
            return call()
        except failures as error:
            try:
                limit = limited(error)
            except SourceError as unreadable:
                raise unreadable from None
            if limit is None:
                raise explain(error) from None
            if on_wait is None:
                raise SourceError(
                    f"{api} rate limit reached {when}; it resets at {clock(limit.reset)}, run fetch again then,"
                    " or add --wait"
                ) from None
            on_wait(limit.seconds)


def clock(reset: float | None) -> str:
    """When a rate limit resets, as the errors say it (HH:MM:SS UTC; "later" when the API did not say)."""
    return "later" if reset is None else datetime.fromtimestamp(reset, timezone.utc).strftime("%H:%M:%S UTC")


def no_posts(who: object, timeline: str = "timeline") -> SourceError:
    """The error for an account whose feed held no posts."""
    return SourceError(f"{who} has no posts to fetch (an empty {timeline})")
