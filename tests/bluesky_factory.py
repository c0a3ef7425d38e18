"""Synthetic Bluesky data in the real shapes (made-up people and posts only), for tests and benchmarks.

    .venv/bin/python tests/bluesky_factory.py      # rewrite the made-up cassettes in tests/cassettes/bluesky/

A ``Person`` and their ``Item``s (posts, replies, reposts, labelled posts) give both:

* a repo export (``car_bytes``/``write_car``): a CARv1 file as a PDS writes it, its DAG-CBOR blocks
  encoded by libipld (atproto's encoder: bytes that are a CID become links), a commit naming the DID,
  and a Merkle Search Tree built by the spec's rule (a key's layer is the number of leading zero
  2-bit groups of its SHA-256; keys below a layer hang between the entries of that layer);
* AppView answers (``profile_view``, ``feed_item``, ``feed_pages``) in the shapes of the lexicons
  and of the real recordings in tests/cassettes/bluesky/real_*.yaml;

so that an export and an API fetch of the same person can be compared. ``car`` and ``cid_of`` build
files of any shape (a cycle, a missing block) for the hostile cases.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

import libipld
import yaml

APPVIEW = "https://public.api.bsky.app"
CASSETTES = Path(__file__).parent / "cassettes" / "bluesky"
DAG_CBOR, RAW = 0x71, 0x55
START = datetime(2024, 6, 1, 12, 0, 0, tzinfo=timezone.utc)
RESET = "1893456000"  # 2030-01-01T00:00:00Z
B32 = "234567abcdefghijklmnopqrstuvwxyz"  # the sortable base32 of record keys (TIDs)


def ago(i: int) -> timedelta:
    """How long before START the ``i``-th item is: an hour apart for a year, then a minute apart, so that 100,000
    items stay within the platform's lifetime (posts.save_posts refuses a post dated before it began)."""
    return timedelta(hours=i) if i < 8760 else timedelta(hours=8760, minutes=i - 8760)


SENTENCES = [
    "The kettle and I have reached an understanding about Mondays.",
    "Planted basil today and told it about my week, it seemed to listen.",
    "A pigeon followed me for three blocks and I think we are friends now.",
    "Rainy afternoons are for soup, old maps and very long naps.",
    "My bicycle squeaks in a rhythm that sounds almost like jazz.",
    "Found a left glove on the bench again, the right one must be lonely.",
    "Tried to fold a fitted sheet and lost the argument, as usual.",
    "Every library smells like a promise that somebody kept.",
    "The moon looked very pleased with itself tonight over the rooftops.",
    "Painted the fence blue and now the garden looks like a postcard.",
]


# -- encoding: CIDs, blocks, CAR framing, the record tree ------------------------------------------------------


def varint(n: int) -> bytes:
    """``n`` as an unsigned LEB128 varint (the CAR framing)."""
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def cid_of(data: bytes, codec: int = DAG_CBOR) -> bytes:
    """The binary CIDv1 (sha2-256) of ``data``."""
    return bytes([1, codec, 0x12, 0x20]) + hashlib.sha256(data).digest()


def car(roots: list[bytes], blocks: list[tuple[bytes, bytes]]) -> bytes:
    """A CARv1 file: the header naming ``roots``, then each (cid, block bytes) as written."""
    header = libipld.encode_dag_cbor({"version": 1, "roots": roots})
    body = b"".join(varint(len(cid) + len(data)) + cid + data for cid, data in blocks)
    return varint(len(header)) + header + body


class Blocks(list):
    """Encoded blocks in order, (cid, bytes) each."""

    def put(self, value: object) -> bytes:
        data = libipld.encode_dag_cbor(value)
        cid = cid_of(data)
        self.append((cid, data))
        return cid


def layer(key: bytes) -> int:
    """A key's MST layer: the leading zero 2-bit groups of its SHA-256 (fanout 4)."""
    zeros = 0
    for byte in hashlib.sha256(key).digest():
        if byte:
            return zeros + (8 - byte.bit_length()) // 2
        zeros += 4
    return zeros


def mst(entries: list[tuple[bytes, bytes]], blocks: Blocks) -> bytes:
    """The root CID of the tree of (key, record CID) ``entries`` (any order); its nodes go into ``blocks``."""
    keyed = sorted((key, value, layer(key)) for key, value in entries)
    top = max((depth for *_, depth in keyed), default=0)
    return _node(keyed, top, blocks)


def _node(entries: list[tuple[bytes, bytes, int]], at: int, blocks: Blocks) -> bytes:
    left, own, run = None, [], []
    for key, value, depth in entries:
        if depth < at:
            run.append((key, value, depth))
            continue
        below = _node(run, at - 1, blocks) if run else None
        if own:
            own[-1]["t"] = below
        else:
            left = below
        own.append({"k": key, "v": value, "t": None})
        run = []
    below = _node(run, at - 1, blocks) if run else None
    if own:
        own[-1]["t"] = below
    else:
        left = below
    previous = b""
    for entry in own:  # keys are stored as (length shared with the previous key, the rest)
        key = entry["k"]
        shared = next(
            (i for i, (a, b) in enumerate(zip(previous, key, strict=False)) if a != b), min(len(previous), len(key))
        )
        entry["p"], entry["k"], previous = shared, key[shared:], key
    return blocks.put({"l": left, "e": own})


# -- made-up people and their posts ----------------------------------------------------------------------------


def tid(moment: datetime, clock: int = 7) -> str:
    """A record key made of a time (a TID: 53 bits of microseconds, 10 of clock id, sortable base32)."""
    value = (int(moment.timestamp() * 1_000_000) << 10) | clock
    return "".join(B32[(value >> shift) & 31] for shift in range(60, -1, -5))


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Item:
    """One thing a person did: a post, a reply, a repost (of ``subject``), with self-labels and a link."""

    rkey: str
    created: str
    text: str = ""
    kind: str = "post"  # "post", "reply" or "repost"
    labels: tuple[str, ...] = ()  # self-labels: porn, nudity, graphic-media, !no-unauthenticated ...
    link: str = ""  # visible text of a link facet appended to the text ("example.com/a...")
    mention: str = ""  # a handle mentioned at the start of the text
    subject: str = ""  # a repost's subject (an at:// post URI of someone else)

    def record(self) -> dict:
        if self.kind == "repost":
            ref = {"uri": self.subject, "cid": libipld.encode_cid(cid_of(self.subject.encode()))}
            return {"$type": "app.bsky.feed.repost", "subject": ref, "createdAt": self.created}
        text, facets = self.text, []
        if self.mention:
            text = f"@{self.mention} {text}"
            facet = {"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:" + "m" * 24}
            facets.append({"index": {"byteStart": 0, "byteEnd": len(self.mention.encode()) + 1}, "features": [facet]})
        if self.link:
            start = len(text.encode()) + 1
            text = f"{text} {self.link}"
            facet = {"$type": "app.bsky.richtext.facet#link", "uri": f"https://{self.link.rstrip('.')}"}
            facets.append(
                {"index": {"byteStart": start, "byteEnd": start + len(self.link.encode())}, "features": [facet]}
            )
        record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": self.created, "langs": ["en"]}
        if facets:
            record["facets"] = facets
        if self.kind == "reply":
            parent = {"uri": f"at://did:plc:{'f' * 24}/app.bsky.feed.post/3kfriendpost22", "cid": _fake_cid("p")}
            record["reply"] = {"root": parent, "parent": parent}
        if self.labels:
            values = [{"val": value} for value in self.labels]
            record["labels"] = {"$type": "com.atproto.label.defs#selfLabels", "values": values}
        return record


def _fake_cid(seed: str) -> str:
    return libipld.encode_cid(cid_of(seed.encode()))


@dataclass(frozen=True)
class Person:
    did: str
    handle: str
    name: str
    items: tuple[Item, ...] = ()
    avatar: bytes = field(default=b"", compare=False)  # the avatar blob's bytes ("" for none)

    def uri(self, item: Item) -> str:
        collection = "app.bsky.feed.repost" if item.kind == "repost" else "app.bsky.feed.post"
        return f"at://{self.did}/{collection}/{item.rkey}"

    def avatar_url(self) -> str | None:
        if not self.avatar:
            return None
        return f"https://cdn.bsky.app/img/avatar/plain/{self.did}/{libipld.encode_cid(cid_of(self.avatar, RAW))}@jpeg"


def made_up_items(n: int, *, every_reply: int = 5, every_repost: int = 7, every_cw: int = 11) -> tuple[Item, ...]:
    """``n`` items, newest first, one an hour: replies, reposts, self-labelled posts and links mixed in."""
    items = []
    for i in range(n):
        moment = START - ago(i)
        text = f"{SENTENCES[i % len(SENTENCES)]} ({i})"
        kind = "repost" if i % every_repost == 3 else "reply" if i % every_reply == 2 else "post"
        item = Item(tid(moment), stamp(moment), text, kind)
        if kind == "repost":
            item = replace(item, text="", subject=f"at://did:plc:{'q' * 24}/app.bsky.feed.post/{tid(moment, 9)}")
        elif i % every_cw == 4:
            item = replace(item, labels=("nudity",))
        elif i % 4 == 1:
            item = replace(item, link=f"example.com/notes/{i}...")
        elif i % 6 == 0:
            item = replace(item, mention="friend.bsky.social")
        items.append(item)
    return tuple(items)


ALICE = Person(
    "did:plc:alicealicealicealiceabcd", "alice.bsky.social", "Alice Example 🌿", made_up_items(9), avatar=b"alice"
)


def person(n: int, handle: str = "alice.bsky.social", did: str = ALICE.did, name: str = ALICE.name) -> Person:
    return Person(did, handle, name, made_up_items(n), avatar=b"avatar of " + handle.encode())


# -- the repo export -------------------------------------------------------------------------------------------


def repo_records(who: Person, *, profile: bool = True) -> dict[str, dict]:
    """The records of ``who``'s repo by key (collection/rkey): the items, a profile, a follow and a like."""
    records = {}
    for item in who.items:
        collection = "app.bsky.feed.repost" if item.kind == "repost" else "app.bsky.feed.post"
        records[f"{collection}/{item.rkey}"] = item.record()
    if profile:
        avatar = {"$type": "blob", "ref": cid_of(who.avatar, RAW), "mimeType": "image/jpeg", "size": len(who.avatar)}
        records["app.bsky.actor.profile/self"] = {
            "$type": "app.bsky.actor.profile",
            "displayName": who.name,
            "description": "Made up for hf-tweets' tests.",
        } | ({"avatar": avatar} if who.avatar else {})
    records[f"app.bsky.graph.follow/{tid(START, 1)}"] = {
        "$type": "app.bsky.graph.follow",
        "subject": "did:plc:" + "q" * 24,
        "createdAt": stamp(START),
    }
    records[f"app.bsky.feed.like/{tid(START, 2)}"] = {
        "$type": "app.bsky.feed.like",
        "subject": {"uri": f"at://did:plc:{'q' * 24}/app.bsky.feed.post/{tid(START, 9)}", "cid": _fake_cid("l")},
        "createdAt": stamp(START),
    }
    return records


def car_bytes(who: Person, *, records: dict[str, object] | None = None, commit: dict | None = None) -> bytes:
    """``who``'s repo export; ``records`` replaces the records (values may be any DAG-CBOR value), ``commit``
    changes fields of the commit."""
    blocks = Blocks()
    entries = [(key.encode(), blocks.put(value)) for key, value in (records or repo_records(who)).items()]
    root = mst(entries, blocks)
    fields = {"did": who.did, "version": 3, "data": root, "rev": tid(START), "prev": None, "sig": bytes(64)}
    commit_cid = blocks.put(fields | (commit or {}))
    blocks.insert(0, blocks.pop())  # the commit first, as a PDS writes it
    return car([commit_cid], blocks)


def write_car(path: Path, who: Person, **changes) -> Path:
    path.write_bytes(car_bytes(who, **changes))
    return path


# -- AppView answers -------------------------------------------------------------------------------------------


def label(who: Person, value: str) -> dict:
    return {
        "src": who.did,
        "uri": f"at://{who.did}/app.bsky.actor.profile/self",
        "cid": _fake_cid(who.did),
        "val": value,
        "cts": "2024-01-01T00:00:00.000Z",
    }


def basic(who: Person) -> dict:
    view = {"did": who.did, "handle": who.handle, "displayName": who.name, "labels": [], "createdAt": stamp(START)}
    return view | ({"avatar": who.avatar_url()} if who.avatar else {})


def profile_view(who: Person, labels: tuple[str, ...] = ()) -> dict:
    """app.bsky.actor.getProfile's answer (ProfileViewDetailed)."""
    return basic(who) | {
        "labels": [label(who, value) for value in labels],
        "description": "Made up for hf-tweets' tests.",
        "indexedAt": stamp(START),
        "followersCount": 12,
        "followsCount": 34,
        "postsCount": len(who.items),
        "associated": {"lists": 0, "feedgens": 0, "starterPacks": 0, "labeler": False},
    }


OTHER = Person("did:plc:" + "q" * 24, "quill.bsky.social", "Quill Other")


def post_view(author: Person, uri: str, record: dict, indexed: str, labels: list | None = None) -> dict:
    return {
        "uri": uri,
        "cid": libipld.encode_cid(cid_of(libipld.encode_dag_cbor(record))),
        "author": basic(author),
        "record": record,
        "replyCount": 0,
        "repostCount": 0,
        "likeCount": 1,
        "quoteCount": 0,
        "indexedAt": indexed,
        "labels": labels or [],
    }


def feed_item(who: Person, item: Item) -> dict:
    """One getAuthorFeed item: the person's post (with ``reply`` refs for a reply), or a repost of OTHER's post."""
    if item.kind == "repost":
        record = {"$type": "app.bsky.feed.post", "text": "Someone else's made-up words.", "createdAt": item.created}
        reason = {"$type": "app.bsky.feed.defs#reasonRepost", "by": basic(who), "indexedAt": item.created}
        return {"post": post_view(OTHER, item.subject, record, item.created), "reason": reason}
    view = post_view(who, who.uri(item), item.record(), item.created)
    if item.labels:  # the AppView shows self-labels among the post's labels too
        view["labels"] = [label(who, value) | {"uri": who.uri(item)} for value in item.labels]
    found = {"post": view}
    if item.kind == "reply":
        parent = item.record()["reply"]["parent"]["uri"]
        missing = {"$type": "app.bsky.feed.defs#notFoundPost", "uri": parent, "notFound": True}
        found["reply"] = {"root": missing, "parent": missing}
    return found


def feed_page(who: Person, items: tuple[Item, ...], cursor: str | None) -> dict:
    return {"feed": [feed_item(who, item) for item in items]} | ({"cursor": cursor} if cursor else {})


def feed_pages(who: Person, size: int = 100) -> list[tuple[str | None, dict]]:
    """The whole feed as the AppView pages it: (the cursor that asks for a page, the page); the cursor of the
    last page's answer asks for an empty page, as the AppView answers at the end."""
    pages, cursor = [], None
    for start in range(0, len(who.items), size):
        chunk = who.items[start : start + size]
        pages.append((cursor, feed_page(who, chunk, chunk[-1].created)))
        cursor = chunk[-1].created
    return [*pages, (cursor, {"feed": []})]


# -- cassettes -------------------------------------------------------------------------------------------------

MESSAGES = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 429: "Too Many Requests", 503: "Service Unavailable"}


def interaction(nsid: str, query: dict, body: dict, status: int = 200) -> dict:
    """A recorded exchange, shaped as vcrpy writes one (headers as the real AppView sends them)."""
    headers = {
        "Date": ["Sat, 01 Jun 2024 12:00:00 GMT"],
        "Content-Type": ["application/json; charset=utf-8"],
        "RateLimit-Limit": ["3000"],
        "RateLimit-Remaining": ["0" if status == 429 else "2990"],
        "RateLimit-Reset": [RESET],
        "RateLimit-Policy": ["3000;w=300"],
    }
    return {
        "request": {"body": None, "headers": {}, "method": "GET", "uri": f"{APPVIEW}/xrpc/{nsid}?{urlencode(query)}"},
        "response": {
            "body": {"string": json.dumps(body, ensure_ascii=False)},
            "headers": headers,
            "status": {"code": status, "message": MESSAGES[status]},
        },
    }


def get_profile(who: Person, body: dict | None = None, status: int = 200, actor: str | None = None) -> dict:
    return interaction("app.bsky.actor.getProfile", {"actor": actor or who.handle}, body or profile_view(who), status)


def get_feed(who: Person, body: dict, cursor: str | None = None, *, status: int = 200, **options) -> dict:
    """getAuthorFeed as the atproto client asks for it (its lexicon defaults included)."""
    query = {"actor": options.pop("actor", who.handle)} | ({"cursor": cursor} if cursor else {})
    query |= {"filter": options.pop("filter", "posts_with_replies"), "includePins": "false"}
    query |= {"limit": str(options.pop("limit", 100))}
    return interaction("app.bsky.feed.getAuthorFeed", query, body, status)


def error(name: str, message: str) -> dict:
    return {"error": name, "message": message}


PAGE1, PAGE2 = ALICE.items[:5], ALICE.items[5:]
C1, C2 = PAGE1[-1].created, PAGE2[-1].created
NEWER = Item(tid(START + timedelta(days=1)), stamp(START + timedelta(days=1)), "A brand new made-up post about kites.")
CW = replace(ALICE.items[0], labels=("porn",))
DID_ONLY = replace(ALICE, handle=ALICE.did)
TOO_MANY = error("RateLimitExceeded", "Rate Limit Exceeded")


def cassettes() -> dict[str, list[dict]]:
    """The made-up cassettes by name (tests/test_bluesky.py says what each is for)."""
    first, second, end = feed_page(ALICE, PAGE1, C1), feed_page(ALICE, PAGE2, C2), {"feed": []}
    return {
        "pages": [get_profile(ALICE), get_feed(ALICE, first), get_feed(ALICE, second, C1), get_feed(ALICE, end, C2)],
        "newer": [get_profile(ALICE), get_feed(ALICE, feed_page(ALICE, (NEWER, *PAGE1[:2]), PAGE1[1].created))],
        "no_replies": [
            get_profile(ALICE),
            get_feed(
                ALICE,
                feed_page(ALICE, tuple(i for i in ALICE.items if i.kind != "reply"), None),
                filter="posts_no_replies",
            ),
        ],
        "limited": [get_profile(ALICE), get_feed(ALICE, feed_page(ALICE, PAGE1[:3], PAGE1[2].created), limit=3)],
        "no_unauthenticated": [get_profile(ALICE, profile_view(ALICE, ("!no-unauthenticated",)))],
        "unknown_actor": [
            get_profile(ALICE, error("InvalidRequest", "Profile not found"), 400, actor="nobody.bsky.social")
        ],
        "did": [
            get_profile(DID_ONLY, profile_view(ALICE)),
            get_feed(DID_ONLY, feed_page(ALICE, PAGE1, None)),
        ],
        "rate_limited_midway": [get_profile(ALICE), get_feed(ALICE, first), get_feed(ALICE, TOO_MANY, C1, status=429)],
        "rate_limited_then_ok": [
            get_profile(ALICE),
            get_feed(ALICE, first),
            get_feed(ALICE, TOO_MANY, C1, status=429),
            get_feed(ALICE, second, C1),
            get_feed(ALICE, end, C2),
        ],
        "server_error_midway": [
            get_profile(ALICE),
            get_feed(ALICE, first),
            get_feed(ALICE, error("InternalServerError", "Internal Server Error"), C1, status=503),
        ],
        "resume": [get_profile(ALICE), get_feed(ALICE, second, C1), get_feed(ALICE, end, C2)],
        "empty": [get_profile(ALICE), get_feed(ALICE, end)],
    }


def dump(interactions: list[dict]) -> str:
    return yaml.safe_dump({"interactions": interactions, "version": 1}, allow_unicode=True, sort_keys=False)


def write_cassettes(folder: Path = CASSETTES) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, interactions in cassettes().items():
        path = folder / f"{name}.yaml"
        path.write_text(dump(interactions), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_cassettes():
        print(path)
