"""Bluesky (the AT Protocol): handles are domains (alice.bsky.social), or a DID (did:plc:...); posts and reposts.

Handles are case-insensitive and kept lower-case. A DID names the account itself, whatever its
handle becomes: ``did:plc:`` followed by 24 base32 characters, or ``did:web:`` and a domain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hf_tweets.platforms.base import Platform, domain

DID_RE = re.compile(r"did:plc:[a-z2-7]{24}|did:web:(?P<web>[a-z0-9.-]{1,253})")


def is_did(handle: str) -> bool:
    """Whether a Bluesky account is named by its DID (a repo export's only name for it), not by a handle."""
    return handle.startswith("did:")


@dataclass(frozen=True)
class _Bluesky(Platform):
    def handle(self, text: str) -> str | None:
        text = text.removeprefix("@").lower()
        did = DID_RE.fullmatch(text)
        if did:
            return text if did.group("web") is None or domain(did.group("web")) else None
        return domain(text)

    def profile_url(self, handle: str) -> str:
        return f"https://bsky.app/profile/{handle}"

    def slug(self, handle: str) -> str:
        return handle.replace(":", "-").replace(".", "-")  # alice-bsky-social, did-plc-...

    def file_name(self, handle: str) -> str:
        # A domain keeps its dots (and has no '_'); a DID's ':' become '_' (did_plc_..., 32 characters:
        # longer than any X handle, without '.'; did_web_<domain> has no "_at_" as Mastodon's names do).
        return handle.replace(":", "_")

    def syntax(self) -> str:
        return "a Bluesky handle is a domain such as alice.bsky.social, or a DID such as did:plc:..."


BLUESKY = _Bluesky(
    "bluesky",
    "Bluesky",
    ("bsky", "bluesky"),
    post="post",
    repost="repost",
    example="alice.bsky.social",
    api="hf_tweets.sources.bluesky",
    exports=("hf_tweets.sources.bluesky_car",),
    since="2022-11-01",  # its team's first posts (the public beta opened in February 2023)
)
