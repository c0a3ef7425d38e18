"""Fetch an account's public posts from a Bluesky AppView with the atproto client, without logging in.

The AppView is https://public.api.bsky.app, or $HF_TWEETS_BLUESKY_APPVIEW (tests, self-hosters). The
account (a handle such as alice.bsky.social, or a DID, which then stays the account) is looked up
first with app.bsky.actor.getProfile: its DID, display name, avatar and labels. An account that asks
logged-out viewers not to see it (the self-label ``!no-unauthenticated``) is refused with
errors.ConsentError before anything is stored, and so is one whose own repo says no to AI training or
synthetic content (its User Intents or community AI-preference records, read from its PDS: bluesky_prefs.py,
bluesky_repo.py; a PDS or PLC directory that cannot be reached stops the fetch). Its feed is then paged
newest first with app.bsky.feed.getAuthorFeed, 100 items a page (``filter`` posts_no_replies when replies are left
out). What was fetched is saved after every page, and the cursor with it, so a run cut short
resumes where it stopped; a later run stops after the first page that holds a post already stored.

What a feed item becomes; a repo export's records (bluesky_car.py) go through the same functions,
so both give a post the same id and text:

* the account's own post is a "post", or a "reply" when its record has ``reply``; its id is its
  record key (the last part of its at:// URI, and its key in the repo);
* a repost (``reason`` app.bsky.feed.defs#reasonRepost, by the account) is a "retweet" without
  text (the words are someone else's, and an export does not hold them); its id is made of the
  reposted post's URI, which the AppView and an export both give;
* an item by anyone else is left out;
* the text is the record's, without the bytes of its link facets (their visible text is a
  shortened URL, "example.com/path..."); mentions and tags stay as written;
* a post its author labelled (self-labels: porn, sexual, nudity, graphic-media ...), or that a
  moderation service labelled porn, sexual, nudity, graphic-media, gore or !warn, is behind a
  content warning (``Post.cw``); one labelled !no-unauthenticated, !hide or !takedown is not
  public and never stored. A label taken back (``neg``) does not count.

The answer is checked like any source's (posts.py) before anything is written: the DID must be
one (the one asked for, when a DID was given), a post's URI must name the account's post, dates
go through ``dates.parse_date`` (the record's createdAt, else when the AppView indexed it), the
display name is one clipped line, the avatar a clean URL or none, and a lone surrogate (which
atproto's JSON reader refuses) becomes U+FFFD. Anything else malformed is a one-line SourceError,
and nothing of that answer is stored.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hf_tweets import consent, platforms, settings
from hf_tweets.errors import ConsentError, HfTweetsError, SourceError
from hf_tweets.folders import Folders
from hf_tweets.platforms import Account
from hf_tweets.platforms.bluesky import BLUESKY
from hf_tweets.sources import api_source, bluesky_repo
from hf_tweets.sources.api_source import Page, RateLimit, Run, Wait
from hf_tweets.sources.dates import parse_date
from hf_tweets.sources.posts import (
    Post,
    Profile,
    display_name,
)
from hf_tweets.text import clean_line, clean_url, replace_lone_surrogates, snippet

if TYPE_CHECKING:
    from atproto import Client

PAGE = 100  # the most getAuthorFeed gives at once
POST, REPOST = "app.bsky.feed.post", "app.bsky.feed.repost"
LINK = "app.bsky.richtext.facet#link"
NOT_PUBLIC = "!no-unauthenticated"
HIDDEN = frozenset({NOT_PUBLIC, "!hide", "!takedown"})  # not shown to logged-out viewers
WARNED = frozenset({"porn", "sexual", "nudity", "graphic-media", "gore", "!warn"})  # shown behind a warning
RKEY_RE = re.compile(r"[A-Za-z0-9._:~-]{1,64}")  # a record key short enough to be an id (posts.post_id_ok)
URI_RE = re.compile(r"at://(?P<did>[^/]{1,2048})/(?P<collection>[^/]{1,317})/(?P<rkey>[^/?#]{1,512})")
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
FEED_FILTERS = {True: "posts_with_replies", False: "posts_no_replies"}  # by include_replies
_REENCODED = ("content-encoding", "content-length", "transfer-encoding")  # headers of a body that is rewritten


def appview() -> str:
    """The AppView's URL (settings.bluesky_appview); SourceError naming the variable when it is not an http(s) URL."""
    url = settings.bluesky_appview()
    if clean_url(url) != url:
        raise SourceError(
            f"{settings.BLUESKY_APPVIEW_ENV} is {snippet(url)}, not an http(s) URL",
            fix=f"set it to an AppView such as {settings.DEFAULT_BLUESKY_APPVIEW}, or unset it",
        )
    return url


def client() -> Client:
    """The atproto client, asking the AppView without a login."""
    from atproto import Client
    from atproto_client.request import Request

    return Client(base_url=appview(), request=Request(transport=_lenient_transport()(), timeout=30))


@functools.cache
def _lenient_transport():
    """The httpx transport class that reads lone surrogates (made once, when a fetch needs httpx)."""
    import httpx

    class LenientJson(httpx.HTTPTransport):
        """httpx's transport; JSON holding a lone surrogate (an escape such as \\ud800 without its partner, which
        atproto's JSON reader refuses) comes back with U+FFFD in its place."""

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = super().handle_request(request)
            response.read()
            if "json" not in response.headers.get("content-type", "") or not SURROGATE_ESCAPE.search(response.content):
                return response
            try:
                text = replace_lone_surrogates(json.dumps(json.loads(response.content), ensure_ascii=False))
            except (ValueError, RecursionError):
                return response  # the client says what is wrong with it
            kept = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _REENCODED]
            return httpx.Response(response.status_code, headers=kept, content=text.encode(), request=request)

    return LenientJson


def lookup(api: Client, account: Account, optout: Path, on_wait: Wait | None = None) -> tuple[str, Profile]:
    """(DID, profile) of an account; SourceError for one that is unknown, taken down or deactivated, ConsentError
    for one that asks logged-out viewers not to see it or is on the opt-out list at ``optout``. ``on_wait``:
    as api_source.patiently's (None: stop at a rate limit)."""
    view = _request(lambda: api.app.bsky.actor.get_profile({"actor": account.handle}), account, None, on_wait)
    did = view.did
    if not isinstance(did, str) or not did.startswith("did:") or BLUESKY.handle(did) != did:
        raise _odd_did(account, did, "a DID")
    if account.handle.startswith("did:") and did != account.handle:
        raise _odd_did(account, did, "a DID of that account")
    hidden = active_labels(view.labels) & HIDDEN
    if hidden:
        why = "asks logged-out viewers not to see its posts" if NOT_PUBLIC in hidden else "is hidden by moderation"
        raise ConsentError(
            f"{account} {why} ({NOT_PUBLIC if NOT_PUBLIC in hidden else min(hidden)})",
            fix="hf-tweets reads only public posts, nothing was stored",
        )
    shown = view.handle if isinstance(view.handle, str) and BLUESKY.handle(view.handle) == view.handle else None
    shown = shown if shown != "handle.invalid" else None
    # The opt-out list may name the account by its DID, or by the handle it has now, whichever was given here.
    consent.check([Account(BLUESKY.name, did), *([Account(BLUESKY.name, shown)] if shown else [])], optout)
    refuse_if_it_says_no(did, account, on_wait)
    name = display_name(view.display_name, shown or account.handle)
    return did, Profile(account.handle, name, clean_url(view.avatar), "bluesky-api", platform=BLUESKY.name)


def refuse_if_it_says_no(did: str, account: Account, on_wait: Wait | None) -> None:
    """ConsentError when the account's own repo says no to AI training or synthetic content (bluesky_prefs.py), read
    from its PDS (bluesky_repo.py); SourceError when that cannot be read."""
    said = bluesky_repo.preferences(bluesky_repo.identity(did, account, on_wait), account, on_wait)
    if said.verdict == "refused":
        raise ConsentError(
            said.line(account), fix="hf-tweets does not make a bot of an account that says no, nothing was stored"
        )


def did_of(account: Account) -> str:
    """The DID of a Bluesky handle, as the AppView knows it (for the opt-out list, which keeps it beside the handle
    so that the account's export is refused too); SourceError when it cannot be learned."""
    api = client()
    with contextlib.closing(api.request):
        view = _request(lambda: api.app.bsky.actor.get_profile({"actor": account.handle}), account, None, None)
    if not isinstance(view.did, str) or not view.did.startswith("did:") or BLUESKY.handle(view.did) != view.did:
        raise _odd_did(account, view.did, "a DID")
    return view.did


def _odd_did(account: Account, did: object, kind: str) -> SourceError:
    return SourceError(
        f"the Bluesky AppView answered {account} with DID {snippet(did)}, which is not {kind}",
        fix="nothing was stored, try again later",
    )


def fetch(handle: str, folders: Folders, **options) -> tuple[Profile, int, int]:
    """Fetch new posts of a Bluesky account (handle or DID) into the data folder (the opt-out list is the
    folders'); the options are api_source.fetch's. Return (profile, new, total)."""
    return api_source.fetch(_feed, handle, folders, **options)


@contextlib.contextmanager
def _feed(handle: str, optout: Path, on_wait: Wait | None) -> Iterator[_Feed]:
    try:
        account = platforms.account(BLUESKY.name, handle)
    except HfTweetsError as error:
        raise SourceError(error.what, fix=error.fix) from None
    api = client()
    with contextlib.closing(api.request):  # the connection to the AppView
        did, profile = lookup(api, account, optout, on_wait)
        yield _Feed(api, account, did, profile, on_wait)


@dataclass(frozen=True)
class _Feed:
    """An account's feed (api_source.Feed), paged by getAuthorFeed's cursor."""

    api: Client
    account: Account
    did: str
    profile: Profile
    on_wait: Wait | None

    def pages(self, run: Run, state: dict) -> Iterator[Page]:
        feed_filter = FEED_FILTERS[run.include_replies]
        cursor = state.get("cursor") if state.get("filter") == feed_filter else None
        cursor = cursor if isinstance(cursor, str) and cursor else None  # else start at the newest
        while True:
            params = {"actor": self.account.handle, "filter": feed_filter, "limit": min(PAGE, run.room)}
            ask = functools.partial(
                self.api.app.bsky.feed.get_author_feed, params | ({"cursor": cursor} if cursor else {})
            )
            page = _request(ask, self.account, run.new, self.on_wait)
            cursor = page.cursor if isinstance(page.cursor, str) and page.cursor else None
            yield Page(page.feed, {"cursor": cursor, "filter": feed_filter} if cursor else {}, not cursor)

    def posts(self, items: list, new: int) -> list[Post | None]:
        return _posts(items, self.did, self.account, new)

    def nothing(self, run: Run) -> SourceError:
        return api_source.no_posts(self.account, "feed")


def _posts(items: list, did: str, account: Account, new: int) -> list[Post | None]:
    """A page's items as stored posts, None for one that is not the account's (module docstring); SourceError when
    one is malformed."""
    try:
        return [_item(item, did) for item in items]
    except ValueError as error:
        raise _malformed(account, str(error), new) from None


def _item(item, did: str) -> Post | None:
    """One feed item as a stored post; None when it is not the account's; ValueError when it is malformed."""
    from atproto_client import models

    view, reason = item.post, item.reason
    if isinstance(reason, models.AppBskyFeedDefs.ReasonRepost):
        return reposted(view.uri, reason.indexed_at) if reason.by.did == did else None
    if reason is not None and not isinstance(reason, models.AppBskyFeedDefs.ReasonPin):
        return None  # a reason this version does not know: not the account's own post
    if view.author.did != did:
        return None
    found = URI_RE.fullmatch(view.uri)
    if not found or found["did"] != did or found["collection"] != POST:
        raise ValueError(f"post {clean_line(view.uri)[:120]} is not a post's URI")
    record = view.record
    record = record.to_dict() if hasattr(record, "to_dict") else record.model_dump(by_alias=True, exclude_none=True)
    try:
        return post_of(found["rkey"], record, labels=active_labels(view.labels), indexed=view.indexed_at)
    except ValueError as error:
        raise ValueError(f"post {found['rkey']}: {error}") from None


# -- what a record says (the API's post views and a repo export's records) ---------------------------------------


def post_of(rkey: str, record: object, *, labels: frozenset[str] = frozenset(), indexed: object = None) -> Post | None:
    """A post record (app.bsky.feed.post, as a dict) as a stored post, with the AppView's ``labels`` on it and when
    it was ``indexed`` (for a date the record lacks); None when it is not public. ValueError says what is wrong."""
    _check_type(record, POST)
    assert isinstance(record, dict)  # _check_type refuses anything else
    text = record.get("text")
    if not isinstance(text, str):
        raise ValueError("text is not a string")
    if not RKEY_RE.fullmatch(rkey) or rkey in (".", ".."):
        raise ValueError(f"record key {snippet(rkey)} is not one hf-tweets can use")
    cw = False
    if "labels" in record or labels:  # most posts have none: a 100,000-post export is read without this
        own = _self_labels(record["labels"]) if "labels" in record else frozenset()
        if (own or frozenset()) & HIDDEN or labels & HIDDEN:
            return None
        cw = own is None or bool(own) or bool(labels & WARNED)  # labels that cannot be read count as a warning
    kind = "post" if record.get("reply") is None else "reply"
    if not text.isascii():  # only a non-ASCII text can hold a lone surrogate
        text = replace_lone_surrogates(text)
    return Post(rkey, _date(record.get("createdAt"), indexed), plain_text(text, record.get("facets")), kind, cw)


def repost_of(record: object) -> Post:
    """A repost record (app.bsky.feed.repost) as a stored post; ValueError says what is wrong."""
    _check_type(record, REPOST)
    assert isinstance(record, dict)  # _check_type refuses anything else
    subject = record.get("subject")
    return reposted(subject.get("uri") if isinstance(subject, dict) else None, record.get("createdAt"))


def reposted(subject: object, when: object) -> Post:
    """The repost of the post at ``subject`` (an at:// URI), made ``when``: a "retweet" without text, whose id is
    made of ``subject`` (the AppView does not always say the repost record's own key; an export does not say
    anything else of the reposted post)."""
    found = URI_RE.fullmatch(subject) if isinstance(subject, str) else None
    if not found or found["collection"] != POST:
        raise ValueError("its subject is not a post's at:// URI")
    return Post("repost-" + hashlib.sha256(found.string.encode()).hexdigest()[:20], _date(when, None), "", "retweet")


def _check_type(record: object, kind: str) -> None:
    if not isinstance(record, dict) or not isinstance(record.get("$type"), str):
        raise ValueError("is not a record (a map with $type)")
    if record["$type"] != kind:
        raise ValueError(f"is an {clean_line(record['$type'])[:80]} record, not a {kind.rsplit('.', 1)[1]}")


def _date(created: object, indexed: object) -> str:
    """A record's createdAt as stored; when it has none or a wrong one, when the AppView indexed it (if it says);
    ValueError when there is no date (the lexicon requires createdAt)."""
    date = _date_or_none(created, indexed)
    if not date:
        raise ValueError("has no createdAt (the date every record has)")
    return date


def _date_or_none(created: object, indexed: object) -> str:
    try:
        date = parse_date(created)
    except ValueError as error:
        if indexed is None:
            raise ValueError(f"createdAt {error}") from None
        try:
            return parse_date(indexed)
        except ValueError:
            raise ValueError(f"createdAt {error}") from None
    if not date and indexed is not None:
        try:
            return parse_date(indexed)
        except ValueError:
            return ""
    return date


def active_labels(labels: object) -> frozenset[str]:
    """The values of the labels (AppView models or dicts) that were not taken back (``neg``)."""
    values = set()
    for label in labels if isinstance(labels, list) else ():
        pick = label.get if isinstance(label, dict) else functools.partial(getattr, label)
        value, neg = pick("val", None), pick("neg", None)
        if isinstance(value, str) and neg is not True:
            values.add(value)
    return frozenset(values)


def _self_labels(labels: object) -> frozenset[str] | None:
    """The values of a record's self-labels (com.atproto.label.defs#selfLabels); None when they cannot be read."""
    if labels is None:
        return frozenset()
    values = labels.get("values") if isinstance(labels, dict) else None
    if not isinstance(values, list) or not all(isinstance(v, dict) and isinstance(v.get("val"), str) for v in values):
        return None
    return frozenset(v["val"] for v in values)


def plain_text(text: str, facets: object) -> str:
    """``text`` without the bytes its link facets cover (``facets``' UTF-8 byte ranges); mentions, tags, and a link
    facet that does not fit the text (out of range, or inside a character) stay."""
    if not facets or not isinstance(facets, list):
        return text
    data = text.encode("utf-8", "surrogatepass")
    cuts = sorted(cut for cut in map(_link_bytes, facets) if cut and _fits(data, *cut))
    if not cuts:
        return text
    kept, at = [], 0
    for start, end in cuts:
        kept.append(data[at:start] if start > at else b"")
        at = max(at, end)
    kept.append(data[at:])
    return b"".join(kept).decode("utf-8", "surrogatepass")


def _link_bytes(facet: object) -> tuple[int, int] | None:
    """(byteStart, byteEnd) of a link facet; None for any other facet, or one that is not the lexicon's shape."""
    index = facet.get("index") if isinstance(facet, dict) else None
    features = facet.get("features") if isinstance(facet, dict) else None
    if not isinstance(index, dict) or not isinstance(features, list):
        return None
    if not any(isinstance(f, dict) and f.get("$type") == LINK for f in features):
        return None
    start, end = index.get("byteStart"), index.get("byteEnd")
    return (start, end) if type(start) is int and type(end) is int else None


def _fits(data: bytes, start: int, end: int) -> bool:
    """Whether start..end is a range of ``data`` that begins and ends between characters."""
    return 0 <= start < end <= len(data) and all(i == len(data) or data[i] & 0xC0 != 0x80 for i in (start, end))


# -- requests and what their failures mean -----------------------------------------------------------------------


def _request(call, account: Account, new: int | None, on_wait: Wait | None):
    """``call()``'s answer. On a rate limit, wait for the reset (``on_wait``) or stop (None); other failures are
    explained. ``new``: posts stored so far by this run (None while looking the account up)."""
    import httpx
    from atproto_client import exceptions as atp

    return api_source.patiently(
        call,
        failures=(atp.AtProtocolError, httpx.HTTPError, httpx.InvalidURL, ValueError),
        limited=_rate_limit,
        explain=lambda error: _explain(error, account, new),
        on_wait=on_wait,
        api="Bluesky",
        when=f"looking up {account}" if new is None else f"after {new} new posts of {account} (kept)",
    )


def _rate_limit(error: Exception) -> RateLimit | None:
    from atproto_client import exceptions as atp

    if not isinstance(error, atp.RateLimitExceededError):
        return None
    reset = error.reset_at
    seconds = max(1, int(reset.timestamp()) - int(time.time())) if reset else int(error.retry_after or 60)
    return RateLimit(seconds, reset.timestamp() if reset else None)


def _explain(error: Exception, account: Account, new: int | None) -> SourceError:
    from atproto_client import exceptions as atp
    from atproto_client.models.common import XrpcError

    suffix = f" after {new} new posts (kept; run fetch again to resume)" if new is not None else ""
    response = getattr(error, "response", None)
    if not isinstance(error, atp.RequestErrorBase):
        return _malformed(account, _problem(error), new)
    if response is None:
        return SourceError(
            f"could not reach the Bluesky AppView at {appview()} ({type(error.__cause__ or error).__name__}){suffix}",
            fix=f"check the network (or {settings.BLUESKY_APPVIEW_ENV}) and run fetch again",
        )
    status, content = response.status_code, response.content
    name = clean_line(str(content.error))[:60] if isinstance(content, XrpcError) else ""
    message = clean_line(str(content.message or ""))[:80] if isinstance(content, XrpcError) else ""
    gone = {"AccountTakedown": "has been taken down", "AccountDeactivated": "is deactivated"}
    if status == 400 and name in gone:
        return SourceError(f"{account} {gone[name]}{suffix}", fix="Bluesky does not serve its posts")
    if status == 400 and "not found" in message.lower():
        return SourceError(
            f"{account} does not exist on Bluesky{suffix}",
            fix="check the spelling (a handle such as alice.bsky.social, or a DID)",
        )
    if status in (401, 403):
        return SourceError(
            f"the Bluesky AppView at {appview()} refused to answer without a login ({status}: {name}){suffix}",
            fix=f"hf-tweets reads only what logged-out viewers see, check {settings.BLUESKY_APPVIEW_ENV}",
        )
    if status >= 500 or isinstance(error, atp.NetworkError):
        return SourceError(f"the Bluesky AppView failed ({status}){suffix}", fix="try again later")
    said = f": {name}" + (f", {message}" if message else "") if name else ""
    return SourceError(
        f"the Bluesky AppView at {appview()} answered {status}{said}{suffix}",
        fix=f"check the account and {settings.BLUESKY_APPVIEW_ENV}",
    )


def _malformed(account: Account, problem: str, new: int | None) -> SourceError:
    suffix = f" after {new} new posts (kept; run fetch again to resume)" if new is not None else ""
    return SourceError(
        f"the Bluesky AppView's answer for {account} is malformed ({problem}){suffix}",
        fix=f"nothing of it was stored; try again later, or check {settings.BLUESKY_APPVIEW_ENV}",
    )


def _problem(error: Exception) -> str:
    """What a parse or validation error says, on one line: pydantic's first three lines, without its type notes."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return clean_line(": ".join(lines[:3]).split(" [type=")[0])[:160] or type(error).__name__
