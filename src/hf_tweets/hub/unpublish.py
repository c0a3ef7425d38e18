"""``hf-tweets unpublish``: take a bot down, and keep its accounts out of future ones.

The accounts go on the opt-out list first (consent.py), so even when the Hub cannot be reached
nothing will fetch, train on or publish them again; then the repo is made private (the default:
its owner keeps the files) or deleted (``--delete``). The record's publish state for that repo is
dropped, so ``republish`` does not count it as published.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hf_tweets import consent, settings
from hf_tweets.cards.recordfile import load_record, update_record
from hf_tweets.hub import client as hub


@dataclass
class Unpublished:
    repo_id: str
    deleted: bool
    listed: list[str]  # the accounts added to the opt-out list (those that were on it already are not)
    optout: Path


def unpublish(
    record_path: Path, *, delete: bool = False, namespace: str | None = None, reason: str = ""
) -> Unpublished:
    """Make the record's repo private (or delete it) and put its accounts on the opt-out list."""
    record = load_record(record_path)
    repo_id = f"{namespace or record.namespace}/{record.name}"
    why = reason or f"{'deleted' if delete else 'unpublished'} {repo_id}"
    listed = [str(a) for a in record.accounts if consent.add(a, why, record_path.parent)]
    api = hub.client()
    if delete:
        hub.call(lambda: api.delete_repo(repo_id, missing_ok=True), repo_id, "deleting the repo")
    else:
        hub.call(lambda: api.update_repo_settings(repo_id, private=True), repo_id, "making the repo private")

    def forget(current):
        current.publish = {k: v for k, v in current.publish.items() if k != repo_id}

    update_record(record_path, forget)
    return Unpublished(repo_id, delete, listed, settings.optout_path(record_path.parent))
