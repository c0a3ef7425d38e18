"""Write the X API cassettes of our own, in the shape of the real recordings beside them.

    .venv/bin/python tests/cassettes/make_cassettes.py

The test_client_*.yaml files are real responses recorded by tweepy's own test
suite; these add what those lack (several pages, retweets and replies, a
protected, unknown or suspended user, 401, 429, a 503 midway). Headers and
JSON bodies follow the real ones; every post is made up for this project.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import yaml

HERE = Path(__file__).parent / "x-api"
API = "https://api.twitter.com/2"
USER_FIELDS = {"user.fields": "name,profile_image_url,protected"}
TWEET_FIELDS = {"max_results": "100", "tweet.fields": "created_at,referenced_tweets,in_reply_to_user_id"}
RESET = "1893456000"  # 2030-01-01T00:00:00Z
USER = {
    "id": "1111",
    "name": "Pixel Poet 🌙",
    "username": "pixel_poet",
    "protected": False,
    "profile_image_url": "https://pbs.twimg.com/profile_images/1111/pixel_normal.jpg",
}

POSTS = [
    "My dream is a lighthouse that serves soup to passing ships.",
    "Today I watered the cactus again. It did not thank me. Classic cactus.",
    "If you hum near the toaster it makes better toast. Science is still catching up.",
    "Reminder: the moon is just a very committed streetlight.",
    "Hot take: puddles are mirrors that got tired of standing up.",
    "Every sandwich is a small architecture project if you believe hard enough.",
    "I asked the weather app for advice and it said bring a jacket, emotionally.",
    "My dream is to own exactly one very good spoon.",
]


def tweet(n: int, kind: str = "post") -> dict:
    item = {
        "edit_history_tweet_ids": [str(9100 - n)],
        "id": str(9100 - n),  # newer posts have larger ids
        "created_at": f"2022-10-{20 - n:02d}T12:00:00.000Z",
        "text": POSTS[n % len(POSTS)],
    }
    if kind == "retweet":
        item["text"] = "RT @someone: " + item["text"]
        item["referenced_tweets"] = [{"type": "retweeted", "id": "5555"}]
    if kind == "reply":
        item["text"] = "@friend " + item["text"]
        item["referenced_tweets"] = [{"type": "replied_to", "id": "6666"}]
        item["in_reply_to_user_id"] = "7777"
    return item


def page(tweets: list[dict], next_token: str | None) -> dict:
    meta = {"result_count": len(tweets), "newest_id": tweets[0]["id"], "oldest_id": tweets[-1]["id"]}
    if next_token:
        meta["next_token"] = next_token
    return {"data": tweets, "meta": meta}


def headers(status: int) -> dict:
    remaining = "0" if status == 429 else "1497"
    return {
        "api-version": ["2.52"],
        "cache-control": ["no-cache, no-store, max-age=0"],
        "content-type": ["application/json; charset=utf-8"],
        "date": ["Fri, 21 Oct 2022 12:00:00 UTC"],
        "server": ["tsa_b"],
        "x-access-level": ["read"],
        "x-rate-limit-limit": ["1500"],
        "x-rate-limit-remaining": [remaining],
        "x-rate-limit-reset": [RESET],
        "x-content-type-options": ["nosniff"],
    }


MESSAGES = {200: "OK", 401: "Unauthorized", 403: "Forbidden", 429: "Too Many Requests", 503: "Service Unavailable"}


def interaction(path: str, query: dict, body: dict, status: int = 200) -> dict:
    return {
        "request": {
            "body": None,
            "headers": {"Accept": ["*/*"], "User-Agent": ["Python/3.11 Requests/2.32 Tweepy/4.17.0"]},
            "method": "GET",
            "uri": f"{API}{path}?{urlencode(query)}",
        },
        "response": {
            "body": {"string": json.dumps(body, ensure_ascii=False)},
            "headers": headers(status),
            "status": {"code": status, "message": MESSAGES[status]},
        },
    }


def lookup(user: dict | None = None, errors: list | None = None, status: int = 200) -> dict:
    name = (user or USER)["username"]
    body = TOO_MANY if status == 429 else {"data": user or USER} if errors is None else {"errors": errors}
    return interaction(f"/users/by/username/{name}", USER_FIELDS, body, status)


def timeline(body: dict, status: int = 200, **extra) -> dict:
    return interaction(f"/users/{USER['id']}/tweets", TWEET_FIELDS | extra, body, status)


PAGE1 = page([tweet(0), tweet(1, "retweet"), tweet(2, "reply")], "p2")
PAGE2 = page([tweet(3), tweet(4), tweet(5, "retweet")], "p3")
PAGE3 = page([tweet(6), tweet(7)], None)
NEWER = page(
    [
        {
            **tweet(0),
            "id": "9200",
            "edit_history_tweet_ids": ["9200"],
            "created_at": "2022-10-25T12:00:00.000Z",
            "text": "A brand new made-up post about spoons.",
        }
    ],
    None,
)
FORBIDDEN = {
    "title": "Unsupported Authentication",
    "type": "https://api.twitter.com/2/problems/unsupported-authentication",
    "status": 403,
    "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.",
}
UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}
UNAVAILABLE = {"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank", "status": 503}

# Three made-up accounts of a legacy multi-user card (tests/legacy_cards.py), as they look today: Alpha kept
# the picture but changed the name, Mid kept the name but changed the picture, Zeta changed both.
LEGACY_USERS = [
    {"id": "21", "name": "Alpha (new name)", "username": "Alpha_One",
     "profile_image_url": "https://pbs.twimg.com/profile_images/1001/av1_normal.jpg"},
    {"id": "22", "name": "Mid 🌙", "username": "mid_1",
     "profile_image_url": "https://pbs.twimg.com/profile_images/2222/new_normal.jpg"},
    {"id": "23", "name": "Someone Else", "username": "Zeta_Z",
     "profile_image_url": "https://pbs.twimg.com/profile_images/3333/other_normal.jpg"},
]  # fmt: skip


def users_by(names: list[str], users: list[dict], errors: list | None = None, status: int = 200) -> dict:
    body = TOO_MANY if status == 429 else {"data": users} | ({"errors": errors} if errors else {})
    query = {"usernames": ",".join(names), "user.fields": "name,profile_image_url"}
    return interaction("/users/by", query, body, status)


CASSETTES = {
    "legacy_accounts": [users_by(["alpha_one", "mid_1", "zeta_z"], LEGACY_USERS)],
    "legacy_accounts_unknown": [
        users_by(
            ["alpha_one", "mid_1", "zeta_z"],
            LEGACY_USERS[:1],
            [
                {
                    "value": v,
                    "detail": f"Could not find user with usernames: [{v}].",
                    "title": "Not Found Error",
                    "resource_type": "user",
                    "parameter": "usernames",
                    "resource_id": v,
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }
                for v in ("mid_1", "zeta_z")
            ],
        )
    ],  # fmt: skip
    "timeline_pages": [
        lookup(),
        timeline(PAGE1),
        timeline(PAGE2, pagination_token="p2"),
        timeline(PAGE3, pagination_token="p3"),
    ],
    "timeline_newer": [lookup(), timeline(NEWER, since_id="9100")],
    "timeline_no_replies": [lookup(), timeline(page([tweet(0), tweet(3)], None), exclude="replies")],
    "timeline_empty": [lookup(), timeline({"meta": {"result_count": 0}})],
    "protected_user": [lookup({**USER, "protected": True})],
    "unknown_user": [
        lookup(
            {**USER, "username": "nobody_here"},
            errors=[
                {
                    "value": "nobody_here",
                    "detail": "Could not find user with username: [nobody_here].",
                    "title": "Not Found Error",
                    "resource_type": "user",
                    "parameter": "username",
                    "resource_id": "nobody_here",
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }
            ],
        )
    ],
    "suspended_user": [
        lookup(
            {**USER, "username": "gone_away"},
            errors=[
                {
                    "value": "gone_away",
                    "detail": "User has been suspended: [gone_away].",
                    "title": "Forbidden",
                    "resource_type": "user",
                    "parameter": "username",
                    "resource_id": "gone_away",
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }
            ],
        )
    ],
    "unauthorized": [interaction("/users/by/username/pixel_poet", USER_FIELDS, UNAUTHORIZED, 401)],
    "forbidden": [interaction("/users/by/username/pixel_poet", USER_FIELDS, FORBIDDEN, 403)],
    "rate_limited_midway": [lookup(), timeline(PAGE1), timeline(TOO_MANY, 429, pagination_token="p2")],
    "rate_limited_then_ok": [
        lookup(),
        timeline(PAGE1),
        timeline(TOO_MANY, 429, pagination_token="p2"),
        timeline(PAGE2, pagination_token="p2"),
        timeline(PAGE3, pagination_token="p3"),
    ],
    "lookup_rate_limited": [lookup(status=429)],
    "lookup_rate_limited_then_ok": [
        lookup(status=429),
        lookup(),
        timeline(PAGE1),
        timeline(PAGE2, pagination_token="p2"),
        timeline(PAGE3, pagination_token="p3"),
    ],
    "legacy_accounts_rate_limited": [users_by(["alpha_one", "mid_1", "zeta_z"], [], status=429)],
    "server_error_midway": [lookup(), timeline(PAGE1), timeline(UNAVAILABLE, 503, pagination_token="p2")],
    "resume_after_error": [lookup(), timeline(PAGE2, pagination_token="p2"), timeline(PAGE3, pagination_token="p3")],
}

if __name__ == "__main__":
    for name, interactions in CASSETTES.items():
        text = yaml.safe_dump({"interactions": interactions, "version": 1}, allow_unicode=True, sort_keys=False)
        (HERE / f"{name}.yaml").write_text(text, encoding="utf-8")
        print("wrote", HERE / f"{name}.yaml")
