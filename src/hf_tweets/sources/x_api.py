"""Fetch a user's posts from the X API v2 with tweepy's Client and Paginator.

The bearer token comes from $X_BEARER_TOKEN and is never printed. A user is
looked up first (display name, 400x400 avatar, protected flag: protected
accounts are refused), then the timeline is paged newest first, 100 a page, up
to the API's 3,200. What was fetched is saved after every page, and the
pagination token with it, so a run cut short by the network resumes where it
stopped; a later run fetches only posts newer than the newest stored.

The answer is checked like any source's (see posts.py) before anything is
written: the username must be an X handle (it names the files), the name is
one clipped line, the avatar a clean URL or none, and a lone surrogate in a
text or name becomes U+FFFD.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hf_tweets import settings
from hf_tweets.cards.record import HANDLE_RE
from hf_tweets.errors import SourceError
from hf_tweets.folders import Folders
from hf_tweets.sources import api_source
from hf_tweets.sources.api_source import LIMIT, Page, RateLimit, Run, Wait
from hf_tweets.sources.dates import iso_utc
from hf_tweets.sources.posts import Post, Profile, display_name
from hf_tweets.text import clean_url, replace_lone_surrogates, snippet

if TYPE_CHECKING:
    import tweepy

PAGE = 100
TOKEN_HELP = f"set {settings.X_BEARER_TOKEN_ENV} to the bearer token of your X developer app"


def client() -> tweepy.Client:
    import tweepy

    token = settings.x_bearer_token()
    if not token:
        raise SourceError("no X API token", fix=TOKEN_HELP)
    return tweepy.Client(bearer_token=token)


def lookup(api: tweepy.Client, handle: str, on_wait: Wait | None = None) -> tuple[str, Profile]:
    """(user id, profile) for a handle; SourceError for unknown, suspended and protected accounts. A rate limit is
    waited out with ``on_wait(seconds)`` (fetch --wait), as the timeline's is, or (None) stops saying when it resets."""
    if not HANDLE_RE.fullmatch(handle):
        raise SourceError(f"{handle!r} is not an X handle", fix="use 1-15 letters, digits or underscores (without @)")
    response = api_source.patiently(
        lambda: api.get_user(username=handle, user_fields=["name", "profile_image_url", "protected"]),
        failures=_failures(),
        limited=_rate_limit,
        explain=lambda error: _explain(error, handle, ""),
        on_wait=on_wait,
        api="X API",
        when=f"looking up @{handle}",
    )
    if response.data is None:
        detail = " ".join(str(e.get("detail", "")) for e in response.errors or [])
        if "suspended" in detail.lower():
            raise SourceError(f"@{handle} is suspended", fix="X does not serve its posts")
        raise SourceError(f"@{handle} does not exist on X", fix="check the spelling")
    user = response.data
    if user.protected:
        raise SourceError(f"@{handle} is a protected account", fix="hf-tweets never trains on protected posts")
    if not isinstance(user.username, str) or not HANDLE_RE.fullmatch(user.username):
        raise SourceError(
            f"the X API answered @{handle} with username {snippet(user.username)}, which is not an X handle",
            fix="nothing was stored; try again later",
        )
    avatar = clean_url(user.profile_image_url)
    avatar = avatar.replace("_normal.", "_400x400.") if avatar else None
    return str(user.id), Profile(user.username, display_name(user.name, user.username), avatar, "x-api")


def current_profiles(handles: list[str]) -> dict[str, tuple[str, str | None]]:
    """What each account shows today, (display name, 400x400 avatar) by lower-case handle, in one request;
    accounts X does not answer for (unknown, suspended) are left out. For pairing a legacy card's columns."""
    if any(not isinstance(h, str) or not HANDLE_RE.fullmatch(h) for h in handles):
        raise SourceError(f"{snippet(handles)} are not all X handles", fix="use 1-15 letters, digits or underscores")
    api = client()
    fields = ["name", "profile_image_url"]
    response = _request(lambda: api.get_users(usernames=list(handles), user_fields=fields), ", ".join(handles))
    found = {}
    for user in response.data or []:
        if isinstance(user.username, str) and HANDLE_RE.fullmatch(user.username):
            avatar = clean_url(user.profile_image_url)
            avatar = avatar.replace("_normal.", "_400x400.") if avatar else None
            found[user.username.lower()] = (display_name(user.name, user.username), avatar)
    return found


def fetch(handle: str, folders: Folders, **options) -> tuple[Profile, int, int]:
    """Fetch new posts of ``handle`` into the data folder (the opt-out list is the folders'); the options are
    api_source.fetch's. Return (profile, new posts, total stored)."""
    return api_source.fetch(_timeline, handle, folders, **options)


def _timeline(handle: str, optout: Path, on_wait: Wait | None) -> AbstractContextManager[_Timeline]:
    api = client()
    user_id, profile = lookup(api, handle, on_wait)
    return nullcontext(_Timeline(api, user_id, profile, on_wait))


@dataclass
class _Timeline:
    """An X user's timeline (api_source.Feed), paged by tweepy's Paginator."""

    api: tweepy.Client
    user_id: str
    profile: Profile
    on_wait: Wait | None

    def pages(self, run: Run, state: dict) -> Iterator[Page]:
        import tweepy

        params = {"max_results": PAGE, "tweet_fields": ["created_at", "referenced_tweets", "in_reply_to_user_id"]}
        if not run.include_replies:
            params["exclude"] = ["replies"]
        token = state.get("next_token")
        if isinstance(token, str) and token:  # resume an interrupted run where it stopped
            params["pagination_token"] = token
        elif run.stored:
            params["since_id"] = max(run.stored, key=lambda p: int(p.id) if p.id.isdigit() else 0).id
        pages = max(1, -(-min(run.limit, LIMIT) // PAGE))  # the API serves no more than LIMIT of a timeline
        iterator = iter(tweepy.Paginator(self.api.get_users_tweets, self.user_id, limit=pages, **params))
        while (response := self._next(iterator, run.new)) is not None:
            following = (response.meta or {}).get("next_token")
            yield Page(response.data or [], {"next_token": following} if following else {}, not following)

    def _next(self, iterator, new: int):
        progress = f"after {new} new posts (kept; run fetch again to resume)"
        return api_source.patiently(
            lambda: next(iterator, None),
            failures=_failures(),
            limited=_rate_limit,
            explain=lambda error: _explain(error, self.profile.handle, progress),
            on_wait=self.on_wait,
            api="X API",
            when=f"after {new} new posts of @{self.profile.handle} (kept)",
        )

    def posts(self, items: list, new: int) -> list[Post | None]:
        return [_post(t) for t in items]

    def nothing(self, run: Run) -> SourceError:
        return api_source.no_posts(f"@{self.profile.handle}")


def _rate_limit(error: Exception) -> RateLimit | None:
    import tweepy

    if not isinstance(error, tweepy.TooManyRequests):
        return None
    reset = int(error.response.headers.get("x-rate-limit-reset", 0) or 0)
    return RateLimit(max(1, reset - int(time.time())), reset or None)


def _failures() -> tuple[type[Exception], ...]:
    """What tweepy raises for an answer it did not like and for one it did not get."""
    import requests
    import tweepy

    return (tweepy.errors.TweepyException, requests.RequestException)


def _request(call, handle: str):
    try:
        return call()
    except _failures() as error:
        raise _explain(error, handle, "") from None


def _explain(error: Exception, handle: str, progress: str) -> SourceError:
    import tweepy

    suffix = f" {progress}" if progress else ""
    if isinstance(error, tweepy.Unauthorized):
        return SourceError(f"the X API refused the token (401){suffix}", fix=TOKEN_HELP)
    if isinstance(error, tweepy.Forbidden):
        return SourceError(
            f"the X API token may not read @{handle}'s posts (403){suffix}; check the app's access level"
        )
    if isinstance(error, tweepy.NotFound):
        return SourceError(f"@{handle} does not exist on X{suffix}", fix="check the spelling")
    if limit := _rate_limit(error):  # where no --wait can wait (card import's one request)
        return SourceError(
            f"the X API's rate limit is reached (429){suffix}; it resets at {api_source.clock(limit.reset)}",
            fix="try again then",
        )
    if isinstance(error, tweepy.TwitterServerError):
        return SourceError(f"the X API failed ({error.response.status_code}){suffix}", fix="try again later")
    return SourceError(
        f"could not reach the X API ({type(error).__name__}){suffix}; check the network and run fetch again"
    )


def _post(tweet) -> Post:
    kinds = {ref.type for ref in tweet.referenced_tweets or []}
    kind = (
        "retweet"
        if "retweeted" in kinds
        else ("reply" if "replied_to" in kinds or tweet.in_reply_to_user_id else "post")
    )
    created = iso_utc(tweet.created_at) if tweet.created_at else ""
    return Post(str(tweet.id), created, replace_lone_surrogates(tweet.text), kind)
