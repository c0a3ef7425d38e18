"""Synthetic Mastodon archives ("Request your archive") in the real shape, of made-up people, for tests and benchmarks.

An archive is a .zip (Mastodon since 4.1) or a .tar.gz (before) holding ``outbox.json`` (an
ActivityStreams OrderedCollection of ``Create`` and ``Announce`` activities) and ``actor.json``
(the account), plus media, likes and bookmarks, which hf-tweets never reads. The activities
below carry every field of a real export (see ../shared/fixtures/mastodon/archive), not only
those hf-tweets reads, so benchmarks parse what a real reader would.
"""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
INSTANCE = "example.social"
START = datetime(2023, 3, 3, 16, 17, 23, tzinfo=timezone.utc)


def ago(i: int) -> timedelta:
    """How long before START the ``i``-th item is: an hour apart for a year, then a minute apart, so that 100,000
    items stay within the platform's lifetime (posts.save_posts refuses a post dated before it began)."""
    return timedelta(hours=i) if i < 8760 else timedelta(hours=8760, minutes=i - 8760)


VISIBILITIES = ("public", "unlisted", "private", "direct")

SENTENCES = [  # made up for these tests
    "My dream is a lighthouse that serves soup to passing ships.",
    "Today I watered the cactus again. It did not thank me.",
    "If you hum near the toaster it makes better toast.",
    "Reminder: the moon is just a very committed streetlight.",
    "Puddles are mirrors that got tired of standing up.",
    "Every sandwich is a small architecture project if you believe.",
    "I asked the weather app for advice and it said bring a jacket, emotionally.",
    "Knitting a scarf for the radiator, it looks cold.",
]


def users_url(user: str, instance: str = INSTANCE) -> str:
    return f"https://{instance}/users/{user}"


def addressing(visibility: str, user: str, instance: str = INSTANCE, mentioned: tuple[str, ...] = ()) -> dict:
    """``to`` and ``cc`` as Mastodon writes them for each visibility."""
    followers = f"{users_url(user, instance)}/followers"
    to, cc = {
        "public": ([PUBLIC], [followers]),
        "unlisted": ([followers], [PUBLIC]),
        "private": ([followers], []),
        "direct": ([], []),
    }[visibility]
    return {"to": to + (list(mentioned) if visibility == "direct" else []), "cc": cc + list(mentioned)}


def html(i: int, text: str) -> str:
    """``text`` as Mastodon renders a post, with a mention, hashtag, link, line break or emoji by turns."""
    shape = i % 5
    if shape == 1:
        text = (
            '<span class="h-card" translate="no"><a href="https://other.example/@bob" class="u-url mention">'
            f"@<span>bob</span></a></span> {text}"
        )
    elif shape == 2:
        text += f' <a href="https://{INSTANCE}/tags/soup" class="mention hashtag" rel="tag">#<span>soup</span></a>'
    elif shape == 3:
        text += (
            ' <a href="https://blog.example/posts/2023/lighthouse" target="_blank" rel="nofollow noopener noreferrer"'
            ' translate="no"><span class="invisible">https://</span><span class="ellipsis">blog.example/posts/2023'
            '</span><span class="invisible">/lighthouse</span></a>'
        )
    elif shape == 4:
        text = text.replace(". ", ".<br />", 1) + " :blobcat:"
    return f"<p>{text.replace('&', '&amp;').replace(chr(39), '&#39;')}</p>"


def create(
    i: int,
    content: str,
    *,
    user: str = "alice",
    instance: str = INSTANCE,
    visibility: str = "public",
    reply_to: str | None = None,
    cw: str | None = None,
    emojis: tuple[str, ...] = (),
) -> dict:
    """A ``Create`` activity of a Note, as an export holds it (status ids count down from 110000000000100000)."""
    status = str(110_000_000_000_100_000 - i)
    url = f"{users_url(user, instance)}/statuses/{status}"
    published = (START - ago(i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    mentioned = ("https://other.example/users/bob",) if visibility == "direct" or i % 5 == 1 else ()
    address = addressing(visibility, user, instance, mentioned)
    tags = [{"type": "Mention", "href": m, "name": "@bob@other.example"} for m in mentioned]
    tags += [
        {"id": f"https://{instance}/emojis/1", "type": "Emoji", "name": f":{code}:", "updated": published,
         "icon": {"type": "Image", "mediaType": "image/png", "url": f"https://{instance}/emoji/{code}.png"}}
        for code in emojis
    ]
    note = {
        "id": url,
        "type": "Note",
        "summary": cw,
        "inReplyTo": reply_to,
        "published": published,
        "url": f"https://{instance}/@{user}/{status}",
        "attributedTo": users_url(user, instance),
        **address,
        "sensitive": cw is not None,
        "atomUri": url,
        "inReplyToAtomUri": reply_to,
        "conversation": f"tag:{instance},{published[:10]}:objectId={i}:objectType=Conversation",
        "content": content,
        "contentMap": {"en": content},
        "attachment": [],
        "tag": tags,
        "replies": {
            "id": f"{url}/replies",
            "type": "Collection",
            "first": {
                "type": "CollectionPage",
                "next": f"{url}/replies?only_other_accounts=true&page=true",
                "partOf": f"{url}/replies",
                "items": [],
            },
        },
    }
    return {"id": f"{url}/activity", "type": "Create", "actor": users_url(user, instance), "published": published,
            **address, "object": note}


def announce(i: int, *, user: str = "alice", instance: str = INSTANCE, visibility: str = "public") -> dict:
    """An ``Announce`` (a boost): its ``object`` is the bare URL of someone else's post."""
    status = str(110_000_000_000_100_000 - i)
    published = (START - ago(i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    boosted = f"https://other.example/users/bob/statuses/{900_000 + i}"
    address = addressing(visibility, user, instance, ("https://other.example/users/bob",))
    return {"id": f"{users_url(user, instance)}/statuses/{status}/activity", "type": "Announce",
            "actor": users_url(user, instance), "published": published, **address, "object": boosted}


def made_up_activities(n: int, *, user: str = "alice", instance: str = INSTANCE) -> list[dict]:
    """``n`` activities, newest first: every 7th a boost, every 5th a reply, every 11th behind a content warning,
    one in 13 followers-only and one in 17 direct, the rest public or unlisted by turns (see ``expected``)."""
    items = []
    for i in range(n):
        visibility = "private" if i % 13 == 6 else "direct" if i % 17 == 8 else VISIBILITIES[i % 2]
        if i % 7 == 3:
            items.append(announce(i, user=user, instance=instance, visibility=visibility))
            continue
        text = f"{SENTENCES[i % len(SENTENCES)]} ({i})"
        items.append(
            create(
                i,
                html(i, text),
                user=user,
                instance=instance,
                visibility=visibility,
                reply_to=f"https://other.example/users/bob/statuses/{800_000 + i}" if i % 5 == 0 else None,
                cw="spoilers about soup" if i % 11 == 4 else None,
                emojis=("blobcat",) if i % 5 == 4 else (),
            )
        )
    return items


def expected(n: int, include_replies: bool = True) -> dict:
    """What hf-tweets should store of ``made_up_activities(n)``: counts by kind, content warnings, replies left out."""
    counts = {"post": 0, "retweet": 0, "reply": 0, "cw": 0, "skipped": 0}
    for i in range(n):
        if i % 13 == 6 or i % 17 == 8:  # followers-only or direct: never stored, not even counted
            continue
        kind = "retweet" if i % 7 == 3 else "reply" if i % 5 == 0 else "post"
        if kind == "reply" and not include_replies:
            counts["skipped"] += 1
            continue
        counts[kind] += 1
        counts["cw"] += kind != "retweet" and i % 11 == 4
    return counts


def actor(
    user: str = "alice",
    instance: str = INSTANCE,
    *,
    name: str = "Alice Example :blobcat:",
    summary: str = "<p>Bakes bread, writes about lighthouses. #nobot</p>",
    icon: str = "avatar.png",
) -> dict:
    """``actor.json``: the account (an export is its holder's own: an opt-out tag in it refuses nothing)."""
    base = users_url(user, instance)
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": base,
        "type": "Person",
        "following": f"{base}/following",
        "followers": f"{base}/followers",
        "inbox": f"{base}/inbox",
        "outbox": "outbox.json",
        "preferredUsername": user,
        "name": name,
        "summary": summary,
        "url": f"https://{instance}/@{user}",
        "manuallyApprovesFollowers": False,
        "discoverable": False,
        "published": "2022-11-10T00:00:00Z",
        "tag": [{"type": "Emoji", "name": ":blobcat:", "icon": {"type": "Image", "url": "emoji.png"}}],
        "attachment": [{"type": "PropertyValue", "name": "Home", "value": "<p>#noai</p>"}],
        "icon": {"type": "Image", "mediaType": "image/png", "url": icon},
        "image": {"type": "Image", "mediaType": "image/png", "url": "header.png"},
        "likes": "likes.json",
        "bookmarks": "bookmarks.json",
    }


def outbox(activities: list[dict], total: object = None) -> dict:
    """``outbox.json``; ``total`` overrides totalItems (real exports may disagree with the items they hold)."""
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "outbox.json",
        "type": "OrderedCollection",
        "totalItems": len(activities) if total is None else total,
        "orderedItems": activities,
    }


def members(activities: list[dict], *, outbox_json: bytes | None = None, actor_json: bytes | None = None,
            extras: bool = True, **who) -> dict[str, bytes]:
    """The files of an archive by name: outbox.json and actor.json (given as bytes to write a broken one), and,
    with ``extras``, what hf-tweets must never open (media, likes, bookmarks, avatar)."""
    files = {
        "outbox.json": outbox_json if outbox_json is not None else json.dumps(outbox(activities)).encode(),
        "actor.json": actor_json if actor_json is not None else json.dumps(actor(**who), ensure_ascii=False).encode(),
    }
    if extras:
        files |= {
            "media_attachments/files/110/000/000/original/a1b2c3.jpg": b"\xff\xd8\xff\xe0 not really a jpeg",
            "likes.json": json.dumps({"type": "OrderedCollection", "orderedItems": []}).encode(),
            "bookmarks.json": json.dumps({"type": "OrderedCollection", "orderedItems": []}).encode(),
            "avatar.png": b"\x89PNG not really a png",
        }
    return files


def write_archive(target: Path, activities: list[dict], *, kind: str = "zip", **options) -> Path:
    """Write an archive of ``activities`` as ``kind``: "zip", "tar.gz", "tar.bz2", "tar.xz", "tar" or "folder"
    (``members`` takes the options)."""
    files = members(activities, **options)
    if kind == "folder":
        for name, data in files.items():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(data)
    elif kind == "zip":
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                archive.writestr(name, data)
    else:
        compression = {"tar.gz": "gz", "tar.bz2": "bz2", "tar.xz": "xz", "tar": ""}[kind]
        with tarfile.open(target, f"w:{compression}") as archive:
            for name, data in files.items():
                add_member(archive, name, data)
    return target


def add_member(archive: tarfile.TarFile, name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE,
               link: str = "") -> None:
    """One member of a tar: a regular file of ``data``, or a link, device, FIFO (``kind``) to ``link``."""
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, 0o644
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    archive.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
