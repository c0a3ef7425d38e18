"""``hf-tweets unpublish``: take a bot down, and keep its accounts out of future ones.

The accounts go on the opt-out list first (consent.py), with the DID of a Bluesky handle when the
AppView tells it (so the account's export is refused too), so even when the Hub cannot be reached
nothing will fetch, train on or publish them again; then the repo is made private (the default: its
owner keeps the files) or deleted (``--delete``). The record's publish state for that repo is
dropped, so ``republish`` does not count it as published.

The other repos of the namespace that learn from the same people (found in the records of the cards
folder: every repo a record says it published there) are named; ``take_all`` (``--all``) takes them
down in the same run.

With a ``reply`` (``--reply``), each open take-down request (requests.py) of every repo taken down is
answered with it and closed: after the repo is made private, or before it is deleted, since its
discussions go with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hf_tweets import consent
from hf_tweets.cards.recordfile import load_record, update_record
from hf_tweets.errors import HfTweetsError
from hf_tweets.folders import Folders
from hf_tweets.hub import client as hub
from hf_tweets.hub import requests
from hf_tweets.platforms import Account
from hf_tweets.platforms.bluesky import BLUESKY, is_did


@dataclass
class Unpublished:
    repo_ids: list[str]  # taken down: the bot's repo first, then (take_all) the others
    deleted: bool
    listed: list[str]  # the accounts added to the opt-out list (those that were on it already are not)
    optout: Path
    others: list[str] = field(default_factory=list)  # repos of the same people still up (not take_all)
    warnings: list[str] = field(default_factory=list)  # a DID that could not be learned
    answered: list[requests.Request] = field(default_factory=list)  # take-down requests replied to and closed

    @property
    def repo_id(self) -> str:
        return self.repo_ids[0]


def learn_did(account: Account) -> str | None:
    """The DID of a Bluesky handle, from the AppView (None for any other account); SourceError when it cannot
    be learned."""
    if account.platform != BLUESKY.name or is_did(account.handle):
        return None
    from hf_tweets.sources import bluesky

    return bluesky.did_of(account)


def list_accounts(
    accounts: list[Account], reason: str, optout: Path, learn: Callable[[Account], str | None] = learn_did
) -> tuple[list[tuple[Account, str]], list[str]]:
    """Put ``accounts`` on the opt-out list, each with the DID ``learn`` finds: ((account, consent.add's answer)
    each, warnings for the DIDs that could not be learned). optout add and unpublish both do this."""
    done, warnings = [], []
    for account in accounts:
        try:
            did = learn(account)
        except HfTweetsError as error:
            did = None
            warnings.append(
                f"{account}: its DID could not be learned ({error.what}); an export of that account (.car) is"
                " refused only once its DID is on the list too: hf-tweets optout add did:plc:..."
            )
        done.append((account, consent.add(account, reason, optout, did=did)))
    return done, warnings


@dataclass(frozen=True)
class UnpublishOptions:
    """How to take a bot down: ``unpublish``'s flags."""

    delete: bool = False  # delete the repo (default: make it private)
    namespace: str | None = None  # the repo's user or org, when it is not the record's
    reason: str = ""  # for the opt-out list (default: "unpublished NAMESPACE/NAME")
    take_all: bool = False  # also the namespace's other repos of the same accounts
    reply: str | None = None  # posted on each open take-down request of the repos taken down, which it closes


def unpublish(
    record_path: Path,
    folders: Folders,
    options: UnpublishOptions = UnpublishOptions(),
    learn: Callable[[Account], str | None] = learn_did,
) -> Unpublished:
    """Make the record's repo private (or delete it) and put its accounts on the opt-out list; name the other repos
    of the namespace that learn from the same people, and take them down too with ``take_all``; answer and close
    their take-down requests with ``reply``."""
    record = load_record(record_path)
    repo_id = f"{options.namespace or record.namespace}/{record.name}"
    requests.check_reply(options.reply, repo_id)
    why = options.reason or f"{'deleted' if options.delete else 'unpublished'} {repo_id}"
    added, warnings = list_accounts(record.accounts, why, folders.optout, learn)
    listed = [str(a) for a, outcome in added if outcome == consent.ADDED]
    others = same_people(record.accounts, repo_id, folders)
    targets = [(record_path, repo_id), *(others if options.take_all else [])]
    api = hub.client()
    answered = []
    for path, target in targets:
        answered += _take_down(api, path, target, options)
    return Unpublished(
        [t for _, t in targets],
        options.delete,
        listed,
        folders.optout,
        [] if options.take_all else [t for _, t in others],
        warnings,
        answered,
    )


def same_people(accounts: list[Account], repo_id: str, folders: Folders) -> list[tuple[Path, str]]:
    """(record, repo) of every other repo of ``repo_id``'s namespace that a record of the cards folder says it
    published from one of ``accounts`` (by handle, or by the DID the opt-out list keeps for it)."""
    entries = [e for e in consent.load(folders.optout) if any(e.covers(a) for a in accounts)]
    entries += [consent.OptOut(a, "", "") for a in accounts]
    prefix, found = repo_id.split("/")[0] + "/", []
    for path in sorted(folders.cards.glob("*.yaml")):
        try:
            other = load_record(path)
        except HfTweetsError:  # a broken record publishes nothing: publish refuses it
            continue
        if any(e.covers(a) for e in entries for a in other.accounts):
            found += [(path, r) for r in other.publish if r.startswith(prefix) and r != repo_id]
    return found


def _take_down(api, record_path: Path, repo_id: str, options: UnpublishOptions) -> list[requests.Request]:
    """Take one repo down; the take-down requests answered (before a deletion, after making it private)."""
    answered = []
    if options.delete:
        if options.reply is not None:  # a repo gone already has no requests left
            answered = requests.answer(api, repo_id, options.reply)
        hub.call(lambda: api.delete_repo(repo_id, missing_ok=True), repo_id, "deleting the repo")
    else:
        hub.call(lambda: api.update_repo_settings(repo_id, private=True), repo_id, "making the repo private")
        if options.reply is not None:
            answered = requests.answer(api, repo_id, options.reply)

    def forget(current):
        current.publish = {k: v for k, v in current.publish.items() if k != repo_id}

    update_record(record_path, forget)
    return answered
