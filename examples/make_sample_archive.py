"""Write examples/sample-archive.zip: an X archive in the real shape, of posts made up for this project.

    python examples/make_sample_archive.py

The persona (@pixel_poet, "Pixel Poet") and every post are invented; the posts
are built from the phrase lists below with a fixed seed, so the file is the
same on every run. It holds retweets, replies, links, entities and emoji, like
a real archive, for the offline quickstart.
"""

from __future__ import annotations

import json
import random
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

OPENERS = [
    "My dream is",
    "Today I",
    "Hot take:",
    "Reminder:",
    "Small victory:",
    "Confession:",
    "Breaking:",
    "Note to self:",
    "Fun fact:",
    "Plot twist:",
    "Update:",
    "Somehow",
    "Every morning",
    "Tonight",
]
SUBJECTS = [
    "the moon",
    "my cactus",
    "the toaster",
    "a pigeon",
    "the bus stop",
    "my spoon",
    "the library",
    "a cloud",
    "the kettle",
    "my bicycle",
    "the lighthouse",
    "a puddle",
    "the neighbour's cat",
    "this sandwich",
]
VERBS = [
    "whispered to",
    "argued with",
    "wrote a poem for",
    "apologised to",
    "made soup for",
    "waved at",
    "painted",
    "invited",
    "forgot about",
    "taught a song to",
    "raced",
    "borrowed a scarf from",
]
ENDINGS = [
    "and honestly it went well.",
    "which nobody asked for.",
    "and now we are friends.",
    "before breakfast.",
    "in the rain, obviously.",
    "and I regret nothing.",
    "with great dignity.",
    "for science.",
    "and it said thank you.",
    "while the kettle judged me.",
    "and the streetlights approved.",
    "again. 🌙",
    "like a tiny parade ✨",
    "& called it art.",
    "<3",
]
START = datetime(2024, 6, 30, 21, 0, 0, tzinfo=timezone.utc)


def post(rng: random.Random) -> str:
    return (
        f"{rng.choice(OPENERS)} {rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(SUBJECTS)} {rng.choice(ENDINGS)}"
    )


def tweets(n: int, seed: int = 7) -> list[dict]:
    rng, out = random.Random(seed), []
    for i in range(n):
        text = post(rng).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        item = {
            "id_str": str(1_800_000_000_000_000_000 - i * 1_000_003),
            "created_at": (START - timedelta(hours=7 * i)).strftime("%a %b %d %H:%M:%S +0000 %Y"),
            "full_text": text,
            "retweeted": False,
            "lang": "en",
            "favorite_count": str(rng.randint(0, 40)),
            "retweet_count": "0",
            "entities": {"hashtags": [], "urls": [], "user_mentions": []},
        }
        if i % 9 == 4:
            item["full_text"] = "RT @a_friend: " + text
        elif i % 13 == 6:
            item |= {
                "in_reply_to_status_id_str": "1",
                "in_reply_to_screen_name": "a_friend",
                "full_text": "@a_friend " + text,
            }
        elif i % 10 == 1:
            item["full_text"] += " https://t.co/ExAmPlE01"
        elif i % 17 == 3:
            item["full_text"] = rng.choice(["lol", "yes", "ok ok", "🌙"])
        out.append({"tweet": item})
    return out


def js(name: str, items: list) -> str:
    return f"window.YTD.{name}.part0 = {json.dumps(items, ensure_ascii=False, indent=2)}"


def main(target: Path = Path(__file__).parent / "sample-archive.zip", n: int = 600) -> Path:
    account = [
        {
            "account": {
                "username": "pixel_poet",
                "accountId": "1",
                "accountDisplayName": "Pixel Poet 🌙",
                "createdAt": "2015-05-05T05:05:05.000Z",
            }
        }
    ]
    profile = [
        {
            "profile": {
                "description": {"bio": "An invented poet of small things."},
                "avatarMediaUrl": "https://pbs.twimg.com/profile_images/1/pixel_poet_normal.jpg",
            }
        }
    ]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (
            ("data/tweets.js", js("tweets", tweets(n))),
            ("data/account.js", js("account", account)),
            ("data/profile.js", js("profile", profile)),
        ):
            info = zipfile.ZipInfo(name, date_time=(2024, 7, 1, 0, 0, 0))  # fixed, so the zip is the same each run
            archive.writestr(info, text, zipfile.ZIP_DEFLATED)
    return target


if __name__ == "__main__":
    print("wrote", main())
