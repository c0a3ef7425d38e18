"""Mastodon (and the fediverse): accounts are user@instance (written @alice@mastodon.social); posts and reposts.

The instance is part of the account: alice on mastodon.social and alice on another server are two
people. The user part is letters, digits and '_' (other fediverse servers also allow inner '.' and
'-'); the instance is a domain, kept lower-case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hf_tweets.platforms.base import Platform, domain

USER_RE = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?")


@dataclass(frozen=True)
class _Mastodon(Platform):
    def handle(self, text: str) -> str | None:
        user, at, instance = text.removeprefix("@").partition("@")
        if not at or not USER_RE.fullmatch(user) or domain(instance) is None:
            return None
        return f"{user}@{domain(instance)}"

    def profile_url(self, handle: str) -> str:
        user, _, instance = handle.partition("@")
        return f"https://{instance}/@{user}"

    def display(self, handle: str) -> str:
        return f"@{handle}"

    def slug(self, handle: str) -> str:
        user, _, instance = handle.lower().partition("@")
        return f"{user}-at-{instance}".replace(".", "-")  # alice-at-mastodon-social

    def file_name(self, handle: str) -> str:
        # user_at_instance: the last "_at_" separates them (an instance has no '_'); Bluesky names have no
        # '_', X names no '.', so no other account gets this name.
        user, _, instance = handle.lower().partition("@")
        return f"{user}_at_{instance}"

    def syntax(self) -> str:
        return "a Mastodon account is user@instance, such as @alice@mastodon.social"


MASTODON = _Mastodon(
    "mastodon",
    "Mastodon",
    ("mastodon",),
    post="post",
    repost="repost",
    example="@alice@mastodon.social",
    api="hf_tweets.sources.mastodon",
    exports=("hf_tweets.sources.mastodon_archive",),
    since="2016-03-01",  # its first release; the real archive in tests has posts from November 2016
)
