"""X (Twitter): handles of 1-15 letters, digits or '_'; tweets and retweets; profiles at x.com.

X is the legacy platform: its repo names, file names and card words are huggingtweets' own
(the lower-case handle; "Tweets downloaded", "Retweets").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hf_tweets.platforms.base import Platform

HANDLE_RE = re.compile(r"[A-Za-z0-9_]{1,15}")


@dataclass(frozen=True)
class _X(Platform):
    def handle(self, text: str) -> str | None:
        text = text.removeprefix("@")
        return text if HANDLE_RE.fullmatch(text) else None

    def profile_url(self, handle: str) -> str:
        return f"https://x.com/{handle}"

    def slug(self, handle: str) -> str:
        return handle.lower()

    def file_name(self, handle: str) -> str:  # no '.', no '-': no other platform's name looks like this
        return handle.lower()

    def syntax(self) -> str:
        return "an X handle is 1-15 letters, digits or underscores"


X = _X(
    "x",
    "X",
    ("x", "twitter"),
    post="tweet",
    repost="retweet",
    example="alice",
    api="hf_tweets.sources.x_api",
    exports=("hf_tweets.sources.x_archive",),
    since="2006-03-21",  # the first tweet
)
