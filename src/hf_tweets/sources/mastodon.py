"""Fetch an account's public posts from its Mastodon instance, with Mastodon.py.

An account is user@instance, and its instance is asked: https://<instance>, or
$HF_TWEETS_MASTODON_BASE_URL (tests, a proxy), with the access token in $MASTODON_ACCESS_TOKEN when
it is set (public posts need none; it is never printed). The account is looked up first
(``account_lookup``): an answer for another account is refused, and so, with a one-line reason and
before anything is stored (errors.ConsentError), is an account that asks not to be used: #nobot,
#noai or #nobridge in its bio or a profile field, ``noindex``, or ``indexable: false``. A locked
account is not refused: its public posts are public.

Its statuses are then paged newest first, 40 a page, by the Link headers (Mastodon.py's
``fetch_next``). Each page is saved as it comes, with where the next one starts
(data/raw/<name>.state.json), so a run cut short resumes there; a later run asks only for statuses
newer than the newest stored (``since_id``) and stops at the first page that holds stored ones.

What is stored: public and unlisted statuses (unlisted ones are public: anyone who opens the profile
reads them), never followers-only or direct ones. A reblog (``reblog`` set) is a repost ("retweet")
with the reblogged post's text; a status with ``in_reply_to_id`` is a reply, left out here with
include_replies=False (the server's exclude_replies keeps a thread's replies to oneself); a
non-empty ``spoiler_text`` is a content warning (``sensitive`` alone is not one). Pinned statuses
are in the timeline in their place, and a status listed twice is stored once. Text comes from the
HTML through mastodon_html; ids, names, avatars and dates are checked as posts.py says, a lone
surrogate becomes U+FFFD.

Mastodon.py is told to raise on a rate limit (429) rather than sleep: without ``wait`` the fetch
stops with the reset time (what was saved is kept), with it ``on_wait(seconds)`` is called and the
page asked again.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from hf_tweets import __version__, platforms, settings
from hf_tweets.errors import ConsentError, HfTweetsError, SourceError
from hf_tweets.folders import Folders
from hf_tweets.platforms import Account
from hf_tweets.platforms.mastodon import MASTODON
from hf_tweets.sources import api_source
from hf_tweets.sources.api_source import Page, RateLimit, Run, Wait
from hf_tweets.sources.dates import parse_date
from hf_tweets.sources.mastodon_html import shortcodes, to_text, without_shortcodes
from hf_tweets.sources.posts import (
    Post,
    Profile,
    display_name,
    post_id_ok,
)
from hf_tweets.text import clean_url, snippet

if TYPE_CHECKING:
    from mastodon import Mastodon

PAGE = 40  # the most statuses Mastodon gives in one page
TIMEOUT = 60  # seconds for one request
PUBLIC = ("public", "unlisted")
SIGNAL = re.compile(r"(?<![\w#])#(nobot|noai|nobridge)(?!\w)", re.IGNORECASE)


def token_help(instance: str) -> str:
    return (
        f"set {settings.MASTODON_ACCESS_TOKEN_ENV} to an access token of an app on {instance}, or unset it:"
        " public posts need none"
    )


def client(instance: str) -> Mastodon:
    """Mastodon.py's client for ``instance``: raising on rate limits (the caller decides whether to wait)."""
    from mastodon import Mastodon

    return Mastodon(
        api_base_url=settings.mastodon_base_url(instance),
        access_token=settings.mastodon_access_token(),
        ratelimit_method="throw",
        request_timeout=TIMEOUT,
        user_agent=f"hf-tweets/{__version__}",
    )


def lookup(api: Mastodon, account: Account, on_wait: Callable[[int], None] | None = None) -> tuple[str, Profile]:
    """(account id, profile) of ``account``; SourceError for an unknown, suspended or other account, ConsentError
    for one that asks not to be used. ``on_wait``: as in ``fetch``, None to stop at a rate limit."""
    user, _, instance = account.handle.partition("@")
    found = _call(partial(api.account_lookup, user), api, account, None, on_wait)
    acct = found.get("acct") if isinstance(found, dict) else None
    if not isinstance(acct, str) or acct.lower() not in (user.lower(), account.handle.lower()):
        raise SourceError(
            f"{instance} answered {account} with {snippet(acct)}, another account", fix="nothing was stored"
        )
    if found.get("suspended"):
        raise SourceError(f"{account} is suspended on {instance}", fix="its instance does not serve its posts")
    signal = opt_out(found)
    if signal:
        raise ConsentError(
            f"{account} asks not to be used ({signal})",
            fix="hf-tweets does not fetch its posts (the person can give their own archive with fetch --archive)",
        )
    raw_id = found.get("id")
    user_id = _id(raw_id)
    if user_id is None:
        raise SourceError(f"{instance} answered {account} with the id {_shown(raw_id)}", fix="nothing was stored")
    username = found.get("username")
    handle = f"{username if isinstance(username, str) and username.lower() == user.lower() else user}@{instance}"
    name = found.get("display_name")
    name = without_shortcodes(name, shortcodes(found.get("emojis"))) if isinstance(name, str) else None
    avatar = clean_url(found.get("avatar"))
    return user_id, Profile(handle, display_name(name, handle), avatar, "mastodon-api", platform=MASTODON.name)


def opt_out(account: dict) -> str | None:
    """How the account asks not to be used, or None: #nobot, #noai or #nobridge in its bio (``note``) or a profile
    field, ``noindex`` (no search engines), ``indexable: false`` (no search)."""
    found = SIGNAL.search(to_text(account.get("note")))
    if found:
        return f"#{found[1].lower()} in its bio"
    fields = account.get("fields")
    for field in fields if isinstance(fields, list) else []:
        for key in ("name", "value"):
            found = SIGNAL.search(to_text(field.get(key))) if isinstance(field, dict) else None
            if found:
                return f"#{found[1].lower()} in a profile field"
    if account.get("noindex") is True:
        return "noindex: it asks search engines not to index it"
    if account.get("indexable") is False:
        return "indexable: false, it opts out of search"
    return None


def fetch(handle: str, folders: Folders, **options) -> tuple[Profile, int, int]:
    """Fetch new public posts of ``handle`` (user@instance) into the data folder (the opt-out list is the
    folders'); the options are api_source.fetch's. Return (profile, new, total)."""
    return api_source.fetch(_timeline, handle, folders, **options)


def _timeline(handle: str, optout: Path, on_wait: Wait | None) -> AbstractContextManager[_Timeline]:
    try:
        account = platforms.account(MASTODON.name, handle)
    except HfTweetsError as error:
        raise SourceError(error.what, fix=error.fix) from None
    api = client(account.handle.partition("@")[2])
    user_id, profile = lookup(api, account, on_wait)
    return nullcontext(_Timeline(api, user_id, profile, on_wait))


@dataclass
class _Timeline:
    """An account's statuses (api_source.Feed), paged by their Link headers."""

    api: Mastodon
    user_id: str
    profile: Profile
    on_wait: Wait | None

    def pages(self, run: Run, state: dict) -> Iterator[Page]:
        query: dict[str, object] = {"limit": PAGE}
        if post_id_ok(state.get("max_id", "0")) and state.get("max_id"):  # resume an interrupted run where it stopped
            query["max_id"] = state["max_id"]
        elif run.stored and run.stored[0].id.isdigit():
            query["since_id"] = run.stored[0].id
        from mastodon.types_base import Entity  # the base of every answer Mastodon.py makes

        call = partial(self.api.account_statuses, self.user_id, **query)
        seen: set[str] = set()
        while True:
            page = _call(call, self.api, self.profile.account, run.new, self.on_wait)
            if not page:
                return
            if isinstance(page, list) and isinstance(page, Entity):  # a list Mastodon.py made: it may say what next
                following = self.api.get_pagination_info(page, "next")
            else:
                following = None
            statuses = _statuses(page)
            ids = {str(status.get("id")) for status in statuses[: run.room] if isinstance(status, dict)}
            again, seen = ids <= seen, seen | ids  # a server that gives a page again
            max_id = following.get("max_id") if following is not None else None
            yield Page(statuses, {"max_id": str(max_id)} if max_id is not None else {}, following is None or again)
            if following is None:
                return  # that page said it was the last
            call = partial(self.api.fetch_next, _untyped(following))

    def posts(self, items: list, new: int) -> list[Post | None]:
        instance = self.profile.handle.partition("@")[2]
        return [_post(status, self.user_id, instance) for status in items]

    def nothing(self, run: Run) -> SourceError:
        who = self.profile.account
        if run.skipped:
            return SourceError(
                f"{who} has no public posts ({run.skipped:,} followers-only or direct ones left out:"
                " hf-tweets never stores those)"
            )
        if run.replies:
            return SourceError(f"{who} has only replies to fetch", fix="leave out --no-replies to keep them")
        return api_source.no_posts(who)


def _untyped(following: dict) -> dict:
    """The next page's pagination info (Mastodon.py's own), asking for its statuses as the JSON they are.

    Mastodon.py casts every answer into its typed classes, every status's account and emoji too: 90 ms a page
    of 40, 7 of the 8 s that 3,200 posts take. Its pagination info names the type it casts the next page to;
    a plain list leaves the statuses as parsed JSON dicts, which ``_post`` reads as it reads typed ones (and
    their dates go through dates.parse_date rather than dateutil's guesses). A Mastodon.py without that key
    pages all the same, only slower."""
    if "_mastopy_type" in following:
        following = type(following)(following) | {"_mastopy_type": list}
    return following


def _statuses(page: object) -> list:
    if not isinstance(page, list):
        raise SourceError("the instance answered with something other than a list of statuses", fix="try again later")
    return page


def _call(call: Callable, api: Mastodon, who: Account, new: int | None, on_wait: Wait | None):
    """``call()``, waiting out rate limits with ``on_wait(seconds)`` (None: stop at one); Mastodon.py's errors as
    one-line SourceErrors. ``new``: the posts saved so far (None while looking the account up)."""
    from mastodon import MastodonError

    progress = "" if new is None else f"after {new:,} new posts (kept; run fetch again to resume)"
    return api_source.patiently(
        call,
        failures=MastodonError,
        limited=partial(_rate_limit, api, who, progress),
        explain=lambda error: _explain(error, who, progress),
        on_wait=on_wait,
        api="Mastodon",
        when=f"after {new:,} new posts of {who} (kept)" if new is not None else f"looking up {who}",
    )


def _rate_limit(api: Mastodon, who: Account, progress: str, error: Exception) -> RateLimit | None:
    """The rate limit ``error`` is (Mastodon.py's 429), None for another error; SourceError when its reset time
    cannot be read."""
    from mastodon import MastodonRatelimitError

    if not isinstance(error, MastodonRatelimitError):
        return None
    if not str(error).startswith("Hit rate limit"):  # what it raises for a 429; else a header it cannot read
        raise SourceError(
            f"{who.handle.partition('@')[2]} sent a rate limit reset time (X-RateLimit-Reset) that cannot be"
            f" read{' ' + progress if progress else ''}",
            fix="try again later",
        )
    reset = getattr(api, "ratelimit_reset", None)
    return RateLimit(max(1, round(reset - time.time())) if reset else 60, reset or None)


def _explain(error: Exception, who: Account, progress: str) -> SourceError:
    """A Mastodon.py error as one line; never its text (it may hold a server's answer)."""
    from mastodon import MastodonNetworkError, MastodonNotFoundError, MastodonServerError, MastodonUnauthorizedError

    instance = who.handle.partition("@")[2]
    suffix = f" {progress}" if progress else ""
    code = error.args[1] if len(error.args) > 1 and isinstance(error.args[1], int) else None
    if isinstance(error, MastodonUnauthorizedError) or code == 401:
        refused = "refused the access token" if settings.mastodon_access_token() else "asks for an access token"
        return SourceError(f"{instance} {refused} (401){suffix}", fix=token_help(instance))
    if code == 403:
        return SourceError(f"{instance} does not let hf-tweets read {who} (403){suffix}", fix=token_help(instance))
    if isinstance(error, MastodonNotFoundError):
        return SourceError(f"{who} does not exist on {instance}{suffix}", fix="check the spelling")
    if code == 410:
        return SourceError(f"{who} is gone from {instance} (410){suffix}", fix="its instance no longer has its posts")
    if isinstance(error, MastodonServerError):
        return SourceError(f"{instance} failed ({code}){suffix}", fix="try again later")
    if isinstance(error, MastodonNetworkError):
        return SourceError(f"could not reach {instance}{suffix}", fix="check the network and run fetch again")
    what = f"answered with an error ({code})" if code else "sent an answer hf-tweets cannot read"
    return SourceError(f"{instance} {what}{suffix}", fix="try again later")


def _post(status: object, account_id: str, instance: str = "the instance") -> Post | None:
    """A status of the account's as a Post; None when it is not public, or not the account's own."""
    if not isinstance(status, dict) or status.get("visibility") not in PUBLIC:
        return None
    reblog = status.get("reblog")
    if reblog is not None and (not isinstance(reblog, dict) or reblog.get("visibility") not in PUBLIC):
        return None
    owner = status.get("account")
    if isinstance(owner, dict) and str(owner.get("id")) != account_id:
        return None
    status_id = _id(status.get("id"))
    if status_id is None:
        raise SourceError(
            f"{instance} answered with a status whose id {_shown(status.get('id'))} is not an id",
            fix="nothing of that page was stored; try again later",
        )
    shown = reblog or status
    spoiler = shown.get("spoiler_text")
    kind = "retweet" if reblog else "reply" if status.get("in_reply_to_id") else "post"
    text = to_text(shown.get("content"), shortcodes(shown.get("emojis")))
    cw = isinstance(spoiler, str) and bool(spoiler.strip())
    return Post(status_id, _date(status.get("created_at")), text, kind, cw)


def _id(value: object) -> str | None:
    """An id Mastodon.py read (a str subclass, or an int) as the store's string; None when it is not one."""
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    return text if post_id_ok(text) else None


def _shown(value: object) -> str:
    return snippet(str(value) if isinstance(value, str) else value)  # Mastodon.py's ids have a repr of their own


def _date(value: object) -> str:
    """Mastodon.py's datetime (or the text it could not read) as the store's date; "" when it is none."""
    try:
        return parse_date(value.isoformat() if isinstance(value, datetime) else value)
    except ValueError:
        return ""
