"""Synthetic X archives in the real shape (made-up posts only), for tests and benchmarks."""

from __future__ import annotations

import json
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
) -> Path:
    """An archive (zip, or folder when ``as_zip`` is False) with ``tweets`` spread over ``parts`` files.

    ``avatar`` is profile.js's avatarMediaUrl ("" for the usual one made of the handle).
    """
    files = {}
    size = -(-len(tweets) // parts) if tweets else 0
    for part in range(parts):
        name = f"data/{word}.js" if part == 0 else f"data/{word}-part{part}.js"
        files[name] = js(word, part, tweets[part * size : (part + 1) * size])
    files["data/account.js"] = js(
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
    files["data/profile.js"] = js(
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
    if as_zip:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                archive.writestr(name, text)
        return target
    for name, text in files.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
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
