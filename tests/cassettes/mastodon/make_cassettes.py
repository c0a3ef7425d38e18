"""Write the Mastodon API cassettes of our own, in the shape of the real recordings in shared/fixtures/mastodon.

    .venv/bin/python tests/cassettes/mastodon/make_cassettes.py

The real recordings (Mastodon.py's own test suite against a real server) hold one account and no
rate limit, opt-out or error; these add them, for made-up people on a made-up instance,
https://example.social (so the default base URL, https://<instance>, is what is asked). Account
and status objects carry the real ones' fields; ids are strings, content is HTML, a content warning
is ``spoiler_text`` (``sensitive`` is true without one too), and X-RateLimit-Reset is an ISO time.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

import yaml

HERE = Path(__file__).parent
BASE = "https://example.social"
ALICE_ID = "110000000000000001"
STATUSES = f"{BASE}/api/v1/accounts/{ALICE_ID}/statuses"
DATE = "Sat, 01 Aug 2026 12:00:00 GMT"  # the server's clock: X-RateLimit-Reset is read against it
RESET = "2026-08-01T12:00:03.000Z"  # three seconds later
NEWEST = datetime(2026, 7, 31, 12, tzinfo=timezone.utc)
SENTENCES = [
    "My dream is a lighthouse that serves soup to passing ships.",
    "Today I watered the cactus again. It did not thank me.",
    "If you hum near the toaster it makes better toast.",
    "Reminder: the moon is just a very committed streetlight.",
    "Puddles are mirrors that got tired of standing up.",
    "Every sandwich is a small architecture project if you believe.",
]


def account(username: str = "alice", acct: str | None = None, **changes) -> dict:
    """An Account entity with the real one's fields; ``changes`` override any."""
    return {
        "id": ALICE_ID if username == "alice" else "110000000000000002",
        "username": username,
        "acct": username if acct is None else acct,
        "display_name": "Alice :blobcat: Example",
        "locked": False,
        "bot": False,
        "discoverable": True,
        "indexable": True,
        "group": False,
        "created_at": "2022-11-10T00:00:00.000Z",
        "note": "<p>Bakes bread, writes about lighthouses.</p>",
        "url": f"{BASE}/@{username}",
        "uri": f"{BASE}/users/{username}",
        "avatar": f"{BASE}/system/accounts/avatars/110/000/000/000/000/001/original/a1b2c3.png",
        "avatar_static": f"{BASE}/system/accounts/avatars/110/000/000/000/000/001/original/a1b2c3.png",
        "avatar_description": "",
        "header": f"{BASE}/headers/original/missing.png",
        "header_static": f"{BASE}/headers/original/missing.png",
        "header_description": "",
        "followers_count": 12,
        "following_count": 30,
        "statuses_count": 14,
        "last_status_at": "2026-07-31",
        "hide_collections": False,
        "noindex": False,
        "emojis": [{"shortcode": "blobcat", "url": f"{BASE}/emoji/blobcat.png", "static_url": f"{BASE}/emoji/b.png",
                    "visible_in_picker": True}],
        "roles": [],
        "fields": [{"name": "Bakery", "value": "<p>open on Sundays</p>", "verified_at": None}],
    } | changes


def status(n: int, **changes) -> dict:
    """A Status entity of alice's (newer ones have larger ids), with the real one's fields."""
    sid = str(110_000_000_000_001_000 - n)
    text = SENTENCES[n % len(SENTENCES)]
    return {
        "id": sid,
        "created_at": (NEWEST - timedelta(days=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "sensitive": True,
        "spoiler_text": "",
        "visibility": "public",
        "language": "en",
        "uri": f"{BASE}/users/alice/statuses/{sid}",
        "url": f"{BASE}/@alice/{sid}",
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 1,
        "edited_at": None,
        "content": f"<p>{text}</p>",
        "reblog": None,
        "application": {"name": "Web", "website": None},
        "account": account(),
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "card": None,
        "poll": None,
        "pinned": False,
    } | changes


def bobs_post() -> dict:
    post = status(90, id="110000000000000777", uri="https://other.example/users/bob/statuses/777",
                  url="https://other.example/@bob/777", content="<p>Bob says the soup is ready.</p>")
    return post | {"account": account("bob", acct="bob@other.example", id="110000000000000002")}


def timeline() -> list[dict]:
    """Alice's statuses, newest first: every kind, every visibility (see tests/test_mastodon.py for what is kept)."""
    hashtag = f'<a href="{BASE}/tags/soup" class="mention hashtag" rel="tag">#<span>soup</span></a>'
    mention = ('<span class="h-card" translate="no"><a href="https://other.example/@bob" class="u-url mention">'
               "@<span>bob</span></a></span>")
    link = ('<a href="https://blog.example/soup" target="_blank" rel="nofollow noopener noreferrer" translate="no">'
            '<span class="invisible">https://</span><span class="">blog.example/soup</span>'
            '<span class="invisible"></span></a>')
    return [
        status(0),
        status(1, content=f"<p>Soup &amp; bread :blobcat: {hashtag}</p>",
               emojis=[{"shortcode": "blobcat", "url": f"{BASE}/emoji/blobcat.png"}]),
        status(2, content="", reblog=bobs_post(), sensitive=False),  # a boost: the post is under reblog
        status(3, content=f"<p>{mention} yes, ready at noon {link}</p>", in_reply_to_id="110000000000000777",
               in_reply_to_account_id="110000000000000002", mentions=[{"id": "110000000000000002"}]),
        status(4, spoiler_text="soup film spoilers", content="<p>The soup was the hero all along.</p>"),
        status(5, visibility="private", content="<p>Only my followers read this.</p>"),
        status(6, visibility="direct", content=f"<p>{mention} only you read this.</p>"),
        status(7, visibility="unlisted"),
        status(8, content="<p>Line one<br />line two</p><p>A new paragraph.</p>", pinned=True),
        status(9),
        status(10, visibility="unlisted", content="<p>An unlisted thought about toast.</p>"),
    ]


def headers(status_code: int = 200, link: str | None = None, reset: str = RESET) -> dict:
    found = {
        "cache-control": ["private, no-store"],
        "content-type": ["application/json; charset=utf-8"],
        "date": [DATE],
        "referrer-policy": ["strict-origin-when-cross-origin"],
        "vary": ["Authorization, Origin"],
        "x-content-type-options": ["nosniff"],
        "x-ratelimit-limit": ["300"],
        "x-ratelimit-remaining": ["0" if status_code == 429 else "299"],
        "x-ratelimit-reset": [reset],
        "x-request-id": ["00000000-0000-0000-0000-000000000000"],
    }
    if link:
        found["link"] = [link]
    return found


MESSAGES = {200: "OK", 401: "Unauthorized", 404: "Not Found", 410: "Gone", 429: "Too Many Requests",
            503: "Service Unavailable"}


def interaction(uri: str, body: object, status_code: int = 200, link: str | None = None, *, reset: str = RESET) -> dict:
    return {
        "request": {
            "body": None,
            "headers": {"Accept": ["*/*"], "User-Agent": ["hf-tweets"]},
            "method": "GET",
            "uri": uri,
        },
        "response": {
            "body": {"string": json.dumps(body, separators=(",", ":"))},  # ASCII: a lone surrogate stays escaped
            "headers": headers(status_code, link, reset),
            "status": {"code": status_code, "message": MESSAGES[status_code]},
        },
    }


def lookup(answer: object = None, status_code: int = 200, user: str = "alice") -> dict:
    return interaction(f"{BASE}/api/v1/accounts/lookup?acct={user}", account() if answer is None else answer,
                       status_code)


def page(statuses: list, query: dict, next_max_id: str | None = None, code: int = 200, *, reset: str = RESET) -> dict:
    """``account_statuses`` with ``query`` (Mastodon.py's own parameters); Link headers as Mastodon writes them."""
    link = None
    if statuses and code == 200:
        links = [f'<{STATUSES}?{urlencode({"limit": 40, "min_id": statuses[0]["id"]})}>; rel="prev"']
        if next_max_id:
            links.insert(0, f'<{STATUSES}?{urlencode({"limit": 40, "max_id": next_max_id})}>; rel="next"')
        link = ", ".join(links)
    body = statuses if code == 200 else {"error": MESSAGES[code]}
    return interaction(f"{STATUSES}?{urlencode(query)}", body, code, link, reset=reset)


def first(extra: dict | None = None) -> dict:
    return {"limit": "40"} | (extra or {})


def pages() -> list[dict]:
    """The timeline in three pages of 4, 4 and 3 (a server may send fewer than the limit); the pinned status is
    also on top of the first page, as some servers list it."""
    posts = timeline()
    return [
        page([posts[8], *posts[0:3]], first(), posts[2]["id"]),
        page(posts[3:7], first({"max_id": posts[2]["id"]}), posts[6]["id"]),
        page(posts[7:11], first({"max_id": posts[6]["id"]})),
    ]


def cassettes() -> dict[str, list[dict]]:
    posts, [p1, p2, p3] = timeline(), pages()
    newer = [status(-2, content="<p>Newest soup news.</p>"), status(-1, visibility="private")]
    rate_limited = page([], first({"max_id": posts[2]["id"]}), code=429)
    return {
        "timeline_pages": [lookup(), p1, p2, p3],
        "timeline_newer": [
            lookup(),
            page(newer, first({"since_id": posts[0]["id"]}), newer[-1]["id"]),
            page(posts[0:3], first({"max_id": newer[-1]["id"]}), posts[2]["id"]),  # meets stored posts: stops
        ],
        "rate_limited": [lookup(), p1, rate_limited, p2, p3],
        "server_error_midway": [lookup(), p1, page([], first({"max_id": posts[2]["id"]}), code=503)],
        "resume_after_error": [lookup(), p2, p3],
        "timeline_empty": [lookup(), page([], first())],
        "only_private": [lookup(), page([posts[5], posts[6]], first())],
        "nobot_bio": [lookup(account(note='<p>Hello. <a href="https://example.social/tags/nobot" class="mention '
                                          'hashtag" rel="tag">#<span>NoBot</span></a></p>'))],
        "nobridge_bio": [lookup(account(note="<p>no bridges please #nobridge</p>"))],
        "noai_field": [lookup(account(fields=[{"name": "AI", "value": "<p>#noai</p>", "verified_at": None}]))],
        "noindex": [lookup(account(noindex=True))],
        "not_indexable": [lookup(account(indexable=False))],
        "other_account": [lookup(account("mallory", acct="mallory@elsewhere.example"))],
        "suspended": [lookup(account(suspended=True, note="", fields=[], display_name=""))],
        "gone": [lookup({"error": "Gone"}, 410)],
        "unknown": [lookup({"error": "Record not found"}, 404)],
        "unauthorized": [lookup({"error": "The access token is invalid"}, 401)],
        "hostile_values": [
            lookup(account(display_name="Al\ud800ice :blobcat:\n<b>", avatar="javascript:alert(1)")),
            page([status(0, content="<p>lone \ud800 surrogate</p>", created_at="2026-07-31T12:00:00.123456Z"),
                  5, "status", None, [], status(1, account={"id": "999", "acct": "mallory"})], first()),
        ],
        "bad_status_id": [lookup(), page([status(0, id="x" * 100)], first())],
        "bad_reset": [lookup(), page(posts[0:2], first(), posts[1]["id"], reset="soon")],
    }


def main() -> None:
    for name, interactions in cassettes().items():
        text = yaml.safe_dump({"interactions": interactions, "version": 1}, allow_unicode=False, sort_keys=False)
        (HERE / f"{name}.yaml").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
