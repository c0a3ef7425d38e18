"""The platforms posts come from, one module each, and the one place that tells them apart.

Each platform module (x.py, bluesky.py, mastodon.py) holds a ``Platform``: what its handles look
like, where a profile is, what a post and a repost are called, how an account names a repo and a
file. ``parse_account`` reads a command line's account: ``alice`` or ``x:alice`` (X),
``alice.bsky.social``, ``did:plc:...`` or ``bsky:alice.example.com`` (Bluesky),
``@alice@mastodon.social`` or ``mastodon:alice@mastodon.social`` (Mastodon).

Adding a platform: a module here with its ``Platform``, one line in ``REGISTRY``, and its source
(how posts are fetched) in sources/, registered there (sources/registry.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from hf_tweets.errors import HfTweetsError
from hf_tweets.platforms.base import Account, Platform, shortened
from hf_tweets.platforms.bluesky import BLUESKY
from hf_tweets.platforms.mastodon import MASTODON
from hf_tweets.platforms.x import X

REGISTRY: dict[str, Platform] = {p.name: p for p in (X, BLUESKY, MASTODON)}
DEFAULT = X.name  # what an account without a platform is: every huggingtweets record's

__all__ = ["Account", "Platform", "REGISTRY", "get", "parse_account", "account", "repo_name"]


def get(name: str) -> Platform:
    """The platform called ``name``; HfTweetsError naming the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise HfTweetsError(
            f"{name!r} is not a platform hf-tweets knows", fix=f"use one of {', '.join(REGISTRY)}"
        ) from None


def account(platform: str, handle: str) -> Account:
    """The account ``handle`` on ``platform``, in its canonical form; HfTweetsError when it is not one."""
    kind = get(platform)
    canonical = kind.handle(handle) if isinstance(handle, str) else None
    if canonical is None:
        what, fix = kind.not_one(str(handle))
        raise HfTweetsError(what, fix=fix)
    return Account(kind.name, canonical)


def parse_account(spec: str) -> Account:
    """An account as written on a command line (module docstring): a prefix names the platform; without one,
    the handle's shape does (X handles have no '.', Bluesky handles are domains, Mastodon ones have '@')."""
    text = spec.strip()
    prefix, colon, rest = text.partition(":")
    by_prefix = {p: kind for kind in REGISTRY.values() for p in kind.prefixes}
    if colon and prefix.lower() in by_prefix:
        return account(by_prefix[prefix.lower()].name, rest)
    for kind in (MASTODON, BLUESKY, X):  # the most particular shape first
        canonical = kind.handle(text)
        if canonical is not None:
            return Account(kind.name, canonical)
    raise HfTweetsError(
        f"{text[:80]!r} is not an account hf-tweets can read",
        fix="give an X handle (alice), a Bluesky handle (alice.bsky.social) or a Mastodon account"
        " (@alice@mastodon.social); a prefix such as bsky: or mastodon: names the platform",
    )


def repo_name(accounts: Iterable[Account]) -> str:
    """The default repo name of a model of ``accounts``: huggingtweets' (lower-case X handles, sorted, joined by
    '-') for X accounts; each other account adds its readable slug (alice-bsky-social, alice-at-mastodon-social)."""
    return shortened("-".join(sorted(get(a.platform).slug(a.handle) for a in accounts)))
