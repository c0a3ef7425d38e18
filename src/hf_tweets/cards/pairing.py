"""Pair a legacy multi-user card's columns with its accounts, from what the accounts show today.

A legacy multi-user card lists its users' names, avatars and counts column by column, and its
accounts only in the repo name, sorted: which column is which account it does not say (see
importer.py). ``pair_columns`` ties them where the evidence is unambiguous: a column matches an
account whose profile picture is the same picture (X keeps a picture at
``profile_images/<id>/...``; the size suffix may differ) or whose display name is the same (NFC,
case-folded). A column matching exactly one account, and an account matching exactly one column,
are paired; when all but one are paired, the last column is the last account. Anything less leaves
the record as it was (no record ties some users and not others) and says which columns could not
be resolved.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from hf_tweets.cards.record import CardRecord

_PICTURE = re.compile(r"/profile_images/(\d+)/")


def pair_columns(record: CardRecord, profiles: Mapping[str, tuple[str, str | None]]) -> tuple[CardRecord, list[str]]:
    """(the record, paired when every column could be tied to one account; what could not be resolved).

    ``profiles`` maps each account's handle to its current (display name, avatar URL); an account X did
    not answer for is simply absent."""
    if record.paired:
        return record, []
    accounts = [a.handle for a in record.accounts]  # X handles: only legacy cards are unpaired
    candidates = [[h for h in accounts if h in profiles and _same(user, profiles[h])] for user in record.users]
    pairs = {i: found[0] for i, found in enumerate(candidates) if len(found) == 1}
    taken = list(pairs.values())
    if len(set(taken)) != len(taken):  # two columns look like one account: trust neither
        pairs = {i: h for i, h in pairs.items() if taken.count(h) == 1}
    left = [i for i in range(len(record.users)) if i not in pairs]
    rest = [h for h in accounts if h not in pairs.values()]
    if len(left) == 1 and len(rest) == 1:
        pairs[left[0]] = rest[0]
        left = []
    if left:
        return record, [_why(record.users[i].display_name, candidates[i]) for i in left]
    data = record.model_dump(exclude_none=True)
    data["handles"] = None
    for i, user in enumerate(data["users"]):
        user["handle"] = pairs[i]
    return CardRecord.model_validate(data), []


def _same(user, profile: tuple[str, str | None]) -> bool:
    name, avatar = profile
    mine, theirs = _PICTURE.search(user.avatar or ""), _PICTURE.search(avatar or "")
    if mine and theirs and mine.group(1) == theirs.group(1):
        return True
    return _fold(user.display_name) == _fold(name)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold().strip()


def _why(name: str, found: list[str]) -> str:
    if not found:
        return f"column {name!r}: no account's current name or picture matches it"
    listed = ", ".join(f"@{h}" for h in found)
    return f"column {name!r}: matches {listed} alike"
