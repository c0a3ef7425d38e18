"""Consent: the opt-out list every command checks first, and the words for a model's consent.

The opt-out list (``optout.yaml`` beside the cards folder, or $HF_TWEETS_OPTOUT: ``Folders.optout``,
the one place that says where it is) holds accounts whose posts hf-tweets will not fetch, train on or
publish: ``hf-tweets unpublish`` adds the accounts of the model it takes down, ``hf-tweets optout
add|list|remove`` manages it by hand (after an e-mail, say). ``check`` refuses, with the reason and the
date, any work on a listed account. Every function takes the list's path, the ``optout`` of the folders the
command was given (folders.py), so every command reads the same list.

    # hf-tweets opt-out list: accounts whose posts are never fetched, trained on or published.
    - account: mastodon:alice@mastodon.social
      date: '2026-11-23'
      reason: asked by e-mail
    - account: bluesky:bob.example.com
      date: '2026-11-24'
      reason: unpublished huggingtweets/bob-example-com
      did: did:plc:...

An entry means the person, in any spelling: its account is read by the command line's parser
(``platforms.parse_account``: ``x:Pixel_Poet``, ``@pixel_poet`` and ``twitter:pixel_poet`` are one
account), and two entries of one account merge. A Bluesky handle's entry may keep the account's DID
(learned when the entry was added), so an export of that account, which names it only by its DID, is
refused too. The file is read as strictly as a card record (cards/yamlio.py: nesting, keys given twice,
oversized numbers); an entry that is not one (no account, unknown keys) refuses the whole list, naming
the entry: a list that is half read would let a listed person through.

A model's consent (the record's ``consent``): "self" (the account holder's own export), "permission"
(the person agreed: ``--consent permission``) or "public" (public posts, read through the API).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from pathlib import Path

from hf_tweets import platforms
from hf_tweets.cards import yamlio
from hf_tweets.cards.record import CONSENTS
from hf_tweets.errors import ConsentError, HfTweetsError
from hf_tweets.fsutil import atomic_write_text
from hf_tweets.platforms import Account
from hf_tweets.platforms.bluesky import BLUESKY, is_did
from hf_tweets.text import snippet

HEADER = "# hf-tweets opt-out list: accounts whose posts are never fetched, trained on or published.\n"
KEYS = ("account", "date", "reason", "did")
ENTRY_FIX = "each entry is account (such as x:alice or bsky:alice.example.com), date, reason (and a Bluesky did)"
ADDED, ALREADY, DID_ADDED = "added", "on the list already", "on the list already; its DID is recorded now"


@dataclass(frozen=True)
class OptOut:
    account: Account
    date: str  # YYYY-MM-DD
    reason: str
    did: str | None = None  # a Bluesky handle's DID, when it was learned: it covers the account's export too

    def covers(self, account: Account) -> bool:
        """Whether ``account`` is this entry's person: the same account, or the DID the entry recorded."""
        return account.key == self.account.key or (
            self.did is not None and account.platform == BLUESKY.name and account.handle == self.did
        )

    def to_dict(self) -> dict:
        data = {"account": self.account.key, "date": self.date, "reason": self.reason}
        return data | ({"did": self.did} if self.did else {})


def load(path: Path) -> list[OptOut]:
    """The opt-out list at ``path`` ([] when there is none), one entry per account; HfTweetsError naming the file
    (and the entry) when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except UnicodeDecodeError:
        raise _broken(path, "is not UTF-8 text", "save it as UTF-8") from None
    except OSError as error:
        raise _broken(path, f"cannot be read ({error.strerror})", "check the file's permissions") from None
    try:
        data = yamlio.load(text)
    except yamlio.YamlProblem as problem:
        at = f"line {problem.line}: " if problem.line else ""
        raise _broken(path, f"{at}{problem.message}", ENTRY_FIX) from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise _broken(path, f"is {type(data).__name__}, not a list of entries", ENTRY_FIX)
    return _merged([_entry(path, number, item) for number, item in enumerate(data, 1)])


def _entry(path: Path, number: int, item: object) -> OptOut:
    """One entry of the list, its account read as the command line reads one; HfTweetsError naming it."""

    def refuse(what: str, fix: str = ENTRY_FIX) -> HfTweetsError:
        return _broken(path, f"entry {number} ({snippet(item, 60)}): {what}", fix)

    if not isinstance(item, dict):
        raise refuse("is not a mapping")
    unknown = [key for key in item if key not in KEYS]
    if unknown:
        raise refuse(f"has an unknown key {snippet(unknown[0])}", f"keep only {', '.join(KEYS)}")
    spec = item.get("account")
    if not isinstance(spec, str):
        raise refuse("names no account")
    try:
        account = person(platforms.parse_account(spec))
    except HfTweetsError as error:
        raise refuse(error.what, error.fix or ENTRY_FIX) from None
    if any(not isinstance(item.get(key, ""), str) for key in ("date", "reason")):
        raise refuse("its date and reason are not text", "write them as text (quote them)")
    return OptOut(account, item.get("date", ""), item.get("reason", ""), _did(item.get("did"), account, refuse))


def _did(value: object, account: Account, refuse) -> str | None:
    """The DID an entry of a Bluesky handle keeps (None: not learned)."""
    if value is None:
        return None
    did = BLUESKY.handle(value) if isinstance(value, str) else None
    if account.platform != BLUESKY.name or did is None or not is_did(did):
        raise refuse("its did is not a Bluesky DID of a Bluesky account", "remove the did, or write did:plc:...")
    return did


def person(account: Account) -> Account:
    """The one spelling of ``account`` the list keeps and shows: its key's (``@Pixel_Poet`` is ``@pixel_poet``)."""
    return platforms.account(account.platform, account.key.partition(":")[2])


def _merged(entries: list[OptOut]) -> list[OptOut]:
    """One entry per account: the first (its date and reason), with a DID a later one of it recorded."""
    by_key: dict[str, OptOut] = {}
    for entry in entries:
        first = by_key.setdefault(entry.account.key, entry)
        if first.did is None and entry.did is not None:
            by_key[entry.account.key] = replace(first, did=entry.did)
    return list(by_key.values())


def _broken(path: Path, what: str, fix: str) -> HfTweetsError:
    return HfTweetsError(f"the opt-out list {what}", where=path, fix=f"{fix}; nothing was done")


def check(accounts: list[Account], optout: Path) -> None:
    """ConsentError, before any work, when one of ``accounts`` is on the opt-out list at ``optout``."""
    entries = load(optout)
    for account in accounts:
        entry = next((e for e in entries if e.covers(account)), None)
        if entry is not None:
            since = f" since {entry.date}" if entry.date else ""
            why = f": {entry.reason}" if entry.reason else ""
            raise ConsentError(
                f"{account} is on the opt-out list{since}{why}; hf-tweets does not fetch, train on or publish"
                " its posts",
                where=optout,
                fix=f"if the person has changed their mind, remove it with hf-tweets optout remove {account}",
            )


def add(account: Account, reason: str, optout: Path, *, did: str | None = None) -> str:
    """Put ``account`` on the opt-out list (today's date), with the DID of a Bluesky handle when it is known.
    ADDED; ALREADY when it was on it; DID_ADDED when it was, without the DID given."""
    entries = load(optout)
    did = did if account.platform == BLUESKY.name and not is_did(account.handle) else None
    old = next((e for e in entries if e.account.key == account.key), None)
    if old is None:
        _save([*entries, OptOut(person(account), datetime.date.today().isoformat(), reason, did)], optout)
        return ADDED
    if did is None or old.did is not None:
        return ALREADY
    _save([replace(e, did=did) if e is old else e for e in entries], optout)
    return DID_ADDED


def remove(account: Account, optout: Path) -> bool:
    """Take ``account`` off the opt-out list (by its handle, or the DID an entry recorded); False when it was not
    on it."""
    entries = load(optout)
    kept = [e for e in entries if not e.covers(account)]
    if len(kept) == len(entries):
        return False
    _save(kept, optout)
    return True


def _save(entries: list[OptOut], optout: Path) -> None:
    text = yamlio.dump([e.to_dict() for e in entries]) if entries else "[]\n"
    atomic_write_text(optout, HEADER + text)


def weakest(consents: list[str]) -> str:
    """A model's consent: the weakest of its accounts' (a model of two people is as consented as the less)."""
    return max(consents, key=CONSENTS.index) if consents else "public"
