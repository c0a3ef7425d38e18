"""What every API source shares (sources/api_source.py): a new source gives only its Feed, and gets the cursor file,
the rate-limit wait, the limit, counting and the "no posts" error from api_source.fetch.

The platforms' own tests (test_xapi, test_bluesky, test_mastodon) replay recorded answers through the real clients;
here a Feed of a few lines stands for a new platform, so the shared part is tested once, apart from any client."""

from __future__ import annotations

import importlib
import json
from contextlib import nullcontext
from dataclasses import dataclass, field

import pytest

from hf_tweets import platforms
from hf_tweets.errors import SourceError
from hf_tweets.folders import Folders
from hf_tweets.sources import api_source, registry
from hf_tweets.sources.api_source import Page, RateLimit, Run
from hf_tweets.sources.posts import Post, Profile, load_posts

RESET = 1893456000  # 2030-01-01 00:00:00 UTC


class Limited(Exception):
    """The new platform's "429"."""


@dataclass
class Feed:
    """A platform's own parts: pages (cursor "p1", "p2", ...), its page call, its mapping and its wording."""

    pages_of: list[list[str]]
    on_wait: object
    limited_once: set[int] = field(default_factory=set)  # pages whose first ask is a rate limit
    profile: Profile = field(default_factory=lambda: Profile("pixel_poet", "Pixel", None, "x-api"))
    asked: list[str] = field(default_factory=list)

    def pages(self, run: Run, state: dict):
        at = int(state.get("next", "p0")[1:])
        while at < len(self.pages_of):
            yield Page(self._ask(at, run.new), {"next": f"p{at + 1}"}, at + 1 == len(self.pages_of))
            at += 1

    def _ask(self, at: int, new: int) -> list[str]:
        def call():
            self.asked.append(f"p{at}")
            if at in self.limited_once:
                self.limited_once.discard(at)
                raise Limited
            return self.pages_of[at]

        return api_source.patiently(
            call,
            failures=Limited,
            limited=lambda error: RateLimit(7, RESET),
            explain=lambda error: SourceError("unreachable"),
            on_wait=self.on_wait,
            api="New API",
            when=f"after {new} new posts of @pixel_poet (kept)",
        )

    def posts(self, items: list, new: int) -> list[Post | None]:
        return [
            None if i.startswith("-") else Post(i.rstrip("r"), "", f"text {i}", "reply" if "r" in i else "post")
            for i in items
        ]

    def nothing(self, run: Run) -> SourceError:
        return api_source.no_posts("@pixel_poet")


def fetch(tmp_path, feed: Feed, **options):
    return api_source.fetch(
        lambda handle, optout, on_wait: nullcontext(feed),
        "pixel_poet",
        Folders.resolve(data=tmp_path / "data", cards=tmp_path / "cards"),
        **options,
    )


def ids(tmp_path) -> list[str]:
    return [p.id for p in load_posts(tmp_path / "data", "pixel_poet")]


def test_a_rate_limit_stops_with_the_reset_time_and_the_next_run_resumes_at_the_cursor(tmp_path):
    pages = [["9", "8"], ["7", "6"], ["5"]]
    with pytest.raises(SourceError) as stopped:
        fetch(tmp_path, Feed(pages, None, {1}))
    assert str(stopped.value.what) == (
        "New API rate limit reached after 2 new posts of @pixel_poet (kept); it resets at 00:00:00 UTC,"
        " run fetch again then, or add --wait"
    )
    state = tmp_path / "data" / "raw" / "pixel_poet.state.json"
    assert json.loads(state.read_text()) == {"next": "p1"} and ids(tmp_path) == ["9", "8"]
    again = Feed(pages, None)
    assert fetch(tmp_path, again)[1:] == (3, 5)
    assert again.asked == ["p1", "p2"] and ids(tmp_path) == ["9", "8", "7", "6", "5"] and not state.exists()


def test_with_wait_the_limit_is_waited_out_and_the_page_asked_again(tmp_path):
    slept = []
    feed = Feed([["9"], ["8"]], slept.append, {1})
    assert fetch(tmp_path, feed, wait=True, on_wait=slept.append)[1:] == (2, 2)
    assert slept == [7] and feed.asked == ["p0", "p1", "p1"]


def test_limit_counting_replies_and_the_stop_at_stored_posts(tmp_path):
    feed = Feed([["9", "-x", "8r"], ["7", "6"], ["5"]], None)
    assert fetch(tmp_path, feed, limit=4, include_replies=False)[1:] == (2, 2)  # 9 and 7; "-x" and 8r count
    assert ids(tmp_path) == ["9", "7"] and feed.asked == ["p0", "p1"]
    later = Feed([["10", "9"], ["8"]], None)
    assert fetch(tmp_path, later)[1:] == (1, 3) and later.asked == ["p0"]  # page p0 holds 9, stored before


def test_nothing_stored_is_the_feeds_error_and_writes_no_file(tmp_path):
    with pytest.raises(SourceError) as empty:
        fetch(tmp_path, Feed([["-a", "-b"], []], None))
    assert empty.value.what == "@pixel_poet has no posts to fetch (an empty timeline)"
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("kind", [k for k in platforms.REGISTRY.values() if k.api], ids=lambda k: k.name)
def test_each_platforms_api_module_is_an_api_source(kind):
    assert isinstance(registry.api(kind.name), registry.ApiSource)
    assert all(isinstance(importlib.import_module(name), registry.ExportReader) for name in kind.exports)
