"""Which bot a command means: its name, or its accounts in any of the spellings ``fetch`` takes.

A bot is a record (cards/NAME.yaml) and its folders (data/NAME/, out/NAME/); NAME is its repo name,
by default its accounts' (``platforms.repo_name``: alice, alice-bsky-social, alice-at-mastodon-social,
sorted and joined by '-' for several). Every command that takes a bot (prepare and its --users,
train, generate, publish, unpublish, card render, preview, republish --only) reads its argument here,
and ``name`` reads it in this order:

1. a record's path, or a name whose record is in the cards folder: that record, as it is named (so a
   name given with ``run --name``, or a legacy card's, is never read as accounts);
2. accounts, one or several separated by commas, each as fetch takes it (``@Alice``, ``X:alice``,
   ``alice.bsky.social``, ``did:plc:...``, ``@alice@Mastodon.Social``): the bot of their repo name, the
   same for every spelling of the same people (a command whose only argument is the bot also takes its
   accounts as several arguments: the CLI joins them with commas);
3. anything else (a new name, a path, a Hub repo id): itself.

``prepare`` makes records, so it needs the accounts of a bot that has none yet: ``for_prepare`` takes
them from --users, from the argument (2.), or, for a repo name, from the fetched accounts whose repo
name it is (``accounts_named``: alice-at-mastodon-social is @alice@mastodon.social, not four X handles),
and refuses a name no fetched accounts make with what to fetch.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Iterator
from pathlib import Path

from hf_tweets import platforms
from hf_tweets.cards.record import MAX_USERS
from hf_tweets.cards.recordfile import find_record, load_record, record_path
from hf_tweets.errors import HfTweetsError, RecordNotFoundError, SourceError
from hf_tweets.folders import Folders
from hf_tweets.fsutil import NAME_RE
from hf_tweets.platforms import Account
from hf_tweets.sources.posts import stored_accounts

_SEPARATOR = re.compile(r"\s*,\s*")


def parse_accounts(text: str) -> list[Account]:
    """The accounts ``text`` spells (separated by commas), each once, in the order given; the error of the first
    part that is no account (platforms.parse_account)."""
    accounts: dict[str, Account] = {}
    for part in _SEPARATOR.split(text.strip()):
        if part:
            account = platforms.parse_account(part)
            accounts.setdefault(account.key, account)
    if not accounts:
        raise HfTweetsError("no account given", fix="give one, as fetch takes it: alice, alice.bsky.social, ...")
    return list(accounts.values())


def accounts_in(text: str) -> list[Account] | None:
    """``parse_accounts``, or None when ``text`` is no accounts (a name, a path, a repo id)."""
    try:
        return parse_accounts(text)
    except HfTweetsError:
        return None


def name(arg: str, cards_dir: Path | None = None) -> str:
    """The name of the bot ``arg`` means, in the order of the module docstring (without ``cards_dir``, no record
    is looked for: generate looks for its model folder first)."""
    if _is_record(arg, cards_dir):
        return arg
    accounts = accounts_in(arg)
    return platforms.repo_name(accounts) if accounts else arg


def _is_record(arg: str, cards_dir: Path | None) -> bool:
    if arg.endswith(".yaml") or _is_file(Path(arg)):  # a record file, as card render takes it
        return True
    return cards_dir is not None and bool(NAME_RE.fullmatch(arg)) and record_path(cards_dir, arg).is_file()


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long for a file, or with a NUL: no file, whatever it names
        return False


def record(arg: str, cards_dir: Path) -> Path:
    """The record file of the bot ``arg`` means; RecordNotFoundError saying how to make it."""
    resolved = name(arg, cards_dir)
    try:
        return find_record(resolved, cards_dir)
    except RecordNotFoundError:
        accounts = accounts_in(arg) if resolved != arg else None
        if not accounts:
            raise
        raise RecordNotFoundError(
            f"no record of {', '.join(map(str, accounts))} (looked for {record_path(cards_dir, resolved)})",
            where=arg,
            fix=f"make it: hf-tweets fetch {' '.join(map(str, accounts))}, then hf-tweets prepare {resolved}",
        ) from None


def for_prepare(arg: str, users: str | None, folders: Folders) -> tuple[str, list[Account] | None]:
    """(name, accounts) of the bot ``prepare`` makes or remakes; accounts None: the record's.

    With --users, ``arg`` is the new bot's name as given (when it can name a file; else its accounts' repo
    name) and ``users`` its accounts; without, ``arg`` is a record, accounts, or a repo name of fetched ones."""
    if users:
        return (arg if NAME_RE.fullmatch(arg) else name(arg, folders.cards)), parse_accounts(users)
    if _is_record(arg, folders.cards) and not arg.endswith(".yaml"):
        return arg, None
    accounts = accounts_in(arg)
    if accounts is None:
        return arg, accounts_named(folders.data, arg)
    resolved = platforms.repo_name(accounts)
    card = record_path(folders.cards, resolved)
    if not card.is_file():
        return resolved, sorted(accounts, key=_slug)
    theirs = load_record(card).accounts
    if {a.key for a in theirs} != {a.key for a in accounts}:  # a name given with run --name, to other people
        raise HfTweetsError(
            f"is the model of {', '.join(map(str, theirs))}, not of {', '.join(map(str, accounts))}",
            where=card,
            fix=f"give this one another name: hf-tweets prepare NAME --users {','.join(map(str, accounts))}",
        )
    return resolved, None


def accounts_named(data_dir: Path, bot: str) -> list[Account]:
    """The accounts whose repo name ``bot`` is: among the fetched ones (data/raw), else those it spells (an X
    handle, whose posts load_posts then asks to fetch); SourceError naming what to fetch when there are none."""
    wanted = bot.lower()
    by_slug: dict[str, list[Account]] = {}
    for account in stored_accounts(data_dir):
        by_slug.setdefault(_slug(account), []).append(account)
    cut = _HASHED.fullmatch(wanted)  # a long name, shortened: its start, then a hash of all of it
    found = _readings(cut[1] if cut else wanted, by_slug, MAX_USERS, cut=bool(cut))
    readings = list({tuple(a.key for a in r): r for r in found if platforms.repo_name(r) == wanted}.values())
    if len(readings) == 1:
        return readings[0]
    if readings:
        raise SourceError(
            f"is the repo name of {' and of '.join(', '.join(map(str, r)) for r in readings)}",
            where=bot,
            fix="name the accounts instead: hf-tweets prepare ACCOUNT,...",
        )
    spelled = accounts_in(bot)
    if spelled and platforms.repo_name(spelled) == wanted:
        return spelled
    close = difflib.get_close_matches(wanted, sorted(by_slug), n=1)
    raise SourceError(
        "no record of this name, and no fetched accounts whose repo name it is",
        where=bot,
        fix=f"did you mean {close[0]}?"
        if close
        else "fetch them first (hf-tweets fetch ACCOUNT...), then name them: hf-tweets prepare ACCOUNT...",
    )


_HASHED = re.compile(r"(.+)-[0-9a-f]{10}")  # what platforms.base.shortened makes of a name past the Hub's limit


def _slug(account: Account) -> str:
    return platforms.get(account.platform).slug(account.handle)


def _readings(name: str, by_slug: dict[str, list[Account]], most: int, *, cut: bool) -> Iterator[list[Account]]:
    """Every way ``name`` is the slugs of at most ``most`` fetched accounts joined by '-' (a slug may hold '-'
    itself: alice-at-mastodon-social is one account). ``cut``: the name was cut short, so its last slug may be
    the start of one, and the slugs after it are gone (the caller checks each reading against the hash)."""
    for slug, accounts in by_slug.items():
        if name == slug or cut and slug.startswith(name):
            for account in accounts:
                yield [account]
                if cut:
                    yield from ([account, *gone] for gone in _any(by_slug, most - 1))
        if most > 1 and name.startswith(slug + "-"):
            for rest in _readings(name[len(slug) + 1 :], by_slug, most - 1, cut=cut):
                yield from ([a, *rest] for a in accounts)


def _any(by_slug: dict[str, list[Account]], most: int) -> Iterator[tuple[Account, ...]]:
    """Every set of 1 to ``most`` fetched accounts."""
    every = [a for accounts in by_slug.values() for a in accounts]
    for size in range(1, most + 1):
        yield from itertools.combinations(every, size)
