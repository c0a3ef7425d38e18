"""Consent: the opt-out list every command checks first, and the words for a model's consent.

The opt-out list (``optout.yaml`` beside the cards folder, or $HF_TWEETS_OPTOUT) holds accounts
whose posts hf-tweets will not fetch, train on or publish: ``hf-tweets unpublish`` adds the
accounts of the model it takes down, ``hf-tweets optout add|list|remove`` manages it by hand (after
an e-mail, say). ``check`` refuses, with the reason and the date, any work on a listed account.

    # hf-tweets opt-out list: accounts whose posts are never fetched, trained on or published.
    - account: mastodon:alice@mastodon.social
      date: '2026-11-23'
      reason: asked by e-mail

A model's consent (the record's ``consent``): "self" (the account holder's own export), "permission"
(the person agreed: ``--consent permission``) or "public" (public posts, read through the API).
"""

from __future__ import annotations

import datetime
import os
from dataclasses import asdict, dataclass

import yaml

from hf_tweets import platforms, settings
from hf_tweets.errors import ConsentError, HfTweetsError
from hf_tweets.fsutil import atomic_write_text
from hf_tweets.platforms import Account

CONSENTS = ("self", "permission", "public")  # strongest first
HEADER = "# hf-tweets opt-out list: accounts whose posts are never fetched, trained on or published.\n"


@dataclass(frozen=True)
class OptOut:
    account: str  # an account's key, platform:handle
    date: str  # YYYY-MM-DD
    reason: str


def load(cards_dir: str | os.PathLike | None = None) -> list[OptOut]:
    """The opt-out list ([] when there is none); HfTweetsError naming the file when it cannot be read."""
    path = settings.optout_path(cards_dir)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        return [OptOut(str(e["account"]), str(e.get("date", "")), str(e.get("reason", ""))) for e in data]
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError, yaml.YAMLError, TypeError, KeyError, AttributeError) as error:
        raise HfTweetsError(
            f"the opt-out list cannot be read ({type(error).__name__})",
            where=path,
            fix="fix it by hand (a YAML list of account, date, reason) or remove the broken entry",
        ) from None


def check(accounts: list[Account], cards_dir: str | os.PathLike | None = None) -> None:
    """ConsentError, before any work, when one of ``accounts`` is on the opt-out list."""
    listed = {entry.account: entry for entry in load(cards_dir)}
    for account in accounts:
        entry = listed.get(account.key)
        if entry is not None:
            since = f" since {entry.date}" if entry.date else ""
            why = f": {entry.reason}" if entry.reason else ""
            raise ConsentError(
                f"{account} is on the opt-out list{since}{why}; hf-tweets does not fetch, train on or publish"
                " its posts",
                where=settings.optout_path(cards_dir),
                fix=f"if the person has changed their mind, remove it with hf-tweets optout remove {account}",
            )


def add(account: Account, reason: str, cards_dir: str | os.PathLike | None = None) -> bool:
    """Put ``account`` on the opt-out list (today's date); False when it was on it already."""
    entries = load(cards_dir)
    if any(e.account == account.key for e in entries):
        return False
    _save([*entries, OptOut(account.key, datetime.date.today().isoformat(), reason)], cards_dir)
    return True


def remove(account: Account, cards_dir: str | os.PathLike | None = None) -> bool:
    """Take ``account`` off the opt-out list; False when it was not on it."""
    entries = load(cards_dir)
    kept = [e for e in entries if e.account != account.key]
    if len(kept) == len(entries):
        return False
    _save(kept, cards_dir)
    return True


def _save(entries: list[OptOut], cards_dir) -> None:
    text = yaml.safe_dump([asdict(e) for e in entries], allow_unicode=True, sort_keys=False) if entries else "[]\n"
    atomic_write_text(settings.optout_path(cards_dir), HEADER + text)


def account_of(key: str) -> Account:
    """The account of an opt-out list entry's key."""
    platform, _, handle = key.partition(":")
    return platforms.account(platform, handle)


def weakest(consents: list[str]) -> str:
    """A model's consent: the weakest of its accounts' (a model of two people is as consented as the less)."""
    return max(consents, key=CONSENTS.index) if consents else "public"
