"""Synthetic X archives in the real shape (made-up posts only), for tests and benchmarks."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

START = datetime(2021, 3, 3, 16, 17, 23, tzinfo=timezone.utc)


def tweet(i: int, text: str, *, retweet: bool = False, reply_to: str | None = None, media: bool = False) -> dict:
    """One archive tweet object, as X writes it (entities escaped in full_text, strings for counts)."""
    created = (START - timedelta(hours=i)).strftime("%a %b %d %H:%M:%S +0000 %Y")
    body = {
        "id_str": str(1_000_000 + i),
        "id": str(1_000_000 + i),
        "created_at": created,
        "full_text": text,
        "retweeted": False,
        "favorite_count": "3",
        "retweet_count": "0",
        "lang": "en",
        "source": '<a href="https://mobile.example" rel="nofollow">Example for iPhone</a>',
        "entities": {"hashtags": [], "user_mentions": [], "urls": [], "symbols": []},
    }
    if retweet:
        body["full_text"] = f"RT @someone: {text}"
    if reply_to:
        body |= {
            "in_reply_to_status_id_str": "42",
            "in_reply_to_screen_name": reply_to,
            "full_text": f"@{reply_to} {text}",
        }
    if media:
        body["full_text"] += " https://t.co/AbCdEf123"
        body["entities"]["media"] = [
            {"url": "https://t.co/AbCdEf123", "media_url_https": "https://pbs.twimg.com/media/x.jpg"}
        ]
    return {"tweet": body}


def js(name: str, part: int, items: list) -> str:
    return f"window.YTD.{name}.part{part} = {json.dumps(items, ensure_ascii=False, indent=2)}"


def write_archive(
    target: Path,
    tweets: list[dict],
    *,
    handle: str = "pixel_poet",
    display: str = "Pixel Poet",
    word: str = "tweets",
    parts: int = 1,
    as_zip: bool = True,
    extras: bool = True,
    avatar: object = "",
    formatted: bool = False,
    override: dict | None = None,
) -> Path:
    """An archive (zip, or folder when ``as_zip`` is False) with ``tweets`` spread over ``parts`` files.

    ``avatar`` is profile.js's avatarMediaUrl ("" for the usual one made of the handle); ``formatted`` writes
    account.js and profile.js as a code formatter leaves them; ``override`` replaces (or adds) files by name.
    """
    files = {}
    size = -(-len(tweets) // parts) if tweets else 0
    for part in range(parts):
        name = f"data/{word}.js" if part == 0 else f"data/{word}-part{part}.js"
        files[name] = js(word, part, tweets[part * size : (part + 1) * size])
    side = formatted_js if formatted else js
    files["data/account.js"] = side(
        "account",
        0,
        [
            {
                "account": {
                    "username": handle,
                    "accountId": "123",
                    "accountDisplayName": display,
                    "email": "secret@example.com",
                    "createdAt": "2010-01-01T00:00:00.000Z",
                }
            }
        ],
    )
    files["data/profile.js"] = side(
        "profile",
        0,
        [
            {
                "profile": {
                    "description": {"bio": "made up"},
                    "avatarMediaUrl": avatar
                    if avatar != ""
                    else f"https://pbs.twimg.com/profile_images/1/{handle}_normal.jpg",
                }
            }
        ],
    )
    if extras:  # private parts the tool must never read
        files["data/direct-messages.js"] = "THIS MUST NOT BE READ"
        files["data/ip-audit.js"] = "THIS MUST NOT BE READ"
    return write_files(target, files | (override or {}), as_zip)


def write_files(target: Path, files: dict, as_zip: bool) -> Path:
    """``files`` (name: text or bytes) as a zip at ``target``, or under the folder ``target``."""
    if as_zip:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                archive.writestr(name, text)
        return target
    for name, text in files.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            (target / name).write_bytes(text)
        else:
            (target / name).write_text(text, encoding="utf-8")
    return target


def made_up_tweets(n: int) -> list[dict]:
    """``n`` archive tweets built from the made-up fixture posts, with every kind mixed in."""
    lines = (Path(__file__).parent / "fixtures" / "posts.txt").read_text(encoding="utf-8").splitlines()
    out = []
    for i in range(n):
        text = f"{lines[i % len(lines)]} (#{i})"
        retweet = i % 7 == 3
        out.append(
            tweet(
                i, text, retweet=retweet, reply_to="friend" if i % 11 == 5 and not retweet else None, media=i % 5 == 1
            )
        )
    return out


# --- what a code formatter (prettier and the like) makes of a part ----------------------------------------------------


def js_literal(value: object, level: int = 0) -> str:
    """``value`` as a formatter writes a JavaScript literal: bare keys, single quotes, trailing commas."""
    pad, inner = "  " * level, "  " * (level + 1)
    if isinstance(value, dict) and value:
        rows = [f"{inner}{_js_key(key)}: {js_literal(item, level + 1)}," for key, item in value.items()]
        return "{\n" + "\n".join(rows) + f"\n{pad}}}"
    if isinstance(value, list) and value:
        return "[\n" + "\n".join(f"{inner}{js_literal(item, level + 1)}," for item in value) + f"\n{pad}]"
    if isinstance(value, str):
        return "'" + json.dumps(value, ensure_ascii=False)[1:-1].replace('\\"', '"').replace("'", "\\'") + "'"
    return json.dumps(value)


def _js_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_$][\w$]*", key) else js_literal(key)


def formatted_js(name: str, part: int, items: list) -> str:
    return f"window.YTD.{name}.part{part} = {js_literal(items)};\n"


# --- the archive X gave before 2019 ("Grailbird") ---------------------------------------------------------------------

GRAILBIRD_START = datetime(2013, 1, 31, 17, 42, 33, tzinfo=timezone.utc)


def grailbird_user(handle: str = "quill_wren", name: str = "Quill Wren", avatar: object = "") -> dict:
    """The ``user`` object of a Grailbird tweet (the owner as they were when they posted it)."""
    return {
        "name": name,
        "screen_name": handle,
        "protected": False,
        "id_str": "5550001",
        "profile_image_url_https": f"https://si0.twimg.com/profile_images/7/{handle}_normal.png"
        if avatar == ""
        else avatar,
        "id": 5550001,
        "verified": False,
    }


def grailbird_tweet(
    i: int, text: str, *, retweet: bool = False, reply_to: str | None = None, user: dict | None = None
) -> dict:
    """One Grailbird tweet object, ``i`` hours before the newest (text HTML-escaped, ids as numbers too)."""
    created = (GRAILBIRD_START - timedelta(hours=i)).strftime("%Y-%m-%d %H:%M:%S +0000")
    body = {
        "source": '<a href="https://client.example" rel="nofollow">Example Client</a>',
        "entities": {"user_mentions": [], "media": [], "hashtags": [], "urls": []},
        "geo": {},
        "id_str": str(290_000_000 + i),
        "text": text,
        "id": 290_000_000 + i,
        "created_at": created,
        "user": user or grailbird_user(),
    }
    if retweet:
        original = {**grailbird_tweet(i + 10_000, text, user=grailbird_user("someone_else", "Someone Else"))}
        body |= {"retweeted_status": original, "text": f"RT @someone_else: {text}"}
    if reply_to:
        body |= {
            "in_reply_to_status_id_str": "42",
            "in_reply_to_status_id": 42,
            "in_reply_to_screen_name": reply_to,
            "in_reply_to_user_id_str": "43",
            "text": f"@{reply_to} {text}",
        }
    return body


def grailbird_js(variable: str, value: object) -> str:
    """``Grailbird.data.tweets_2013_01 = [...]`` or ``var user_details = {...}``, spaced as Grailbird wrote them."""
    return f"{variable} = \n {json.dumps(value, ensure_ascii=False, indent=2, separators=(',', ' : '))}"


def write_grailbird(
    target: Path,
    tweets: list[dict],
    *,
    handle: object = "quill_wren",
    full_name: object = "Quill Wren",
    as_zip: bool = True,
    details: bool = True,
    override: dict | None = None,
) -> Path:
    """A Grailbird archive: one ``data/js/tweets/YYYY_MM.js`` a month, user_details.js, tweet_index.js, the rest."""
    months: dict[str, list] = {}
    for item in tweets:
        months.setdefault(item["created_at"][:7].replace("-", "_"), []).append(item)
    files = {
        f"data/js/tweets/{month}.js": grailbird_js(f"Grailbird.data.tweets_{month}", items)
        for month, items in months.items()
    }
    index = [
        {
            "file_name": f"data/js/tweets/{month}.js",
            "year": int(month[:4]),
            "var_name": f"tweets_{month}",
            "tweet_count": len(items),
            "month": int(month[5:]),
        }
        for month, items in sorted(months.items(), reverse=True)
    ]
    files["data/js/tweet_index.js"] = grailbird_js("var tweet_index", index).replace("/", "\\/")
    if details:
        files["data/js/user_details.js"] = grailbird_js(
            "var user_details",
            {
                "screen_name": handle,
                "location": "Nowhere",
                "full_name": full_name,
                "bio": "made up",
                "id": "5550001",
                "created_at": "2009-03-13 00:40:03 +0000",
            },
        )
    # Everything else in the archive: the viewer, and a CSV of the same tweets. None of it may be opened.
    files["data/js/payload_details.js"] = "THIS MUST NOT BE READ"
    files["tweets.csv"] = "THIS MUST NOT BE READ"
    files["index.html"] = "<html>THIS MUST NOT BE READ</html>"
    files["lib/twt/twt.min.js"] = "THIS MUST NOT BE READ"
    return write_files(target, files | (override or {}), as_zip)


def made_up_grailbird_tweets(n: int, user: dict | None = None) -> list[dict]:
    """``n`` Grailbird tweets of the made-up posts, every kind mixed in, over several months."""
    lines = (Path(__file__).parent / "fixtures" / "posts.txt").read_text(encoding="utf-8").splitlines()
    out = []
    for i in range(n):
        kind = {3: "retweet", 5: "reply"}.get(i % 7, "post")
        text = f"{lines[i % len(lines)]} (#{i})"
        out.append(
            grailbird_tweet(
                i * 20, text, retweet=kind == "retweet", reply_to="friend" if kind == "reply" else None, user=user
            )
        )
    return out
