"""Published repos into a Hub collection of their namespace (``--collection TITLE``), made once, each item once.

The collection is found by its title among the namespace's collections (``list_collections(owner=...)``, whose
items are cut short, so the one found is read whole with ``get_collection``) and is created only when there is
none. ``create_collection(exists_ok=True)`` covers one made meanwhile or an answer lost on the way (the Hub
answers 409 with the slug for a title the namespace has). A repo already in it is not added again (its note is
replaced when another is given); the others are added with ``add_collection_item(exists_ok=True)``, so a retry
after a lost answer never makes a second item. A dry run only reads. Every call goes through hub.call.

A failure here never undoes what was published: it is one PublishError that says the publish is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Final

from huggingface_hub import Collection, HfApi

from hf_tweets.errors import HfTweetsError, PublishError
from hf_tweets.hub import client as hub
from hf_tweets.text import plural

ITEM_TYPE: Final = "model"
NOTE_LIMIT = 500  # characters: the Hub refuses a longer note
TITLE_LIMIT = 60  # characters: the Hub's collection form takes no longer title


@dataclass(frozen=True)
class CollectionResult:
    """What adding to one collection did (or, in a dry run, would do)."""

    namespace: str
    title: str
    url: str | None  # None: a dry run, and the collection does not exist yet
    created: bool = False
    added: tuple[str, ...] = ()
    present: tuple[str, ...] = ()  # in it already
    noted: tuple[str, ...] = ()  # in it already, with the note replaced
    dry_run: bool = False

    def line(self) -> str:
        """The summary line the commands print: where the collection is, and what changed in it."""
        if self.dry_run:
            where = (
                f"the collection '{self.title}' of {self.namespace} would be created"
                if self.url is None
                else f"the collection '{self.title}' at {self.url}"
            )
            counts = [f"{len(self.added)} would be added"] + (
                [f"{len(self.present)} already in it"] * bool(self.present)
            )
            return f"dry run: {where}: {', '.join(counts)}"
        counts = [f"{len(self.added)} added"]
        counts += [f"{len(self.present)} already in it"] * bool(self.present)
        counts += [f"note updated on {len(self.noted)}"] * bool(self.noted)
        return f"collection '{self.title}'{' (new)' * self.created} at {self.url}: {', '.join(counts)}"


def by_namespace(repo_ids: Iterable[str]) -> dict[str, list[str]]:
    """Repo ids grouped by their namespace (each namespace has its own collection), in order, each once."""
    groups: dict[str, list[str]] = {}
    for repo_id in repo_ids:
        group = groups.setdefault(repo_id.split("/", 1)[0], [])
        if repo_id not in group:
            group.append(repo_id)
    return groups


def add_to_collection(
    api: HfApi,
    namespace: str,
    title: str,
    repo_ids: list[str],
    *,
    note: str | None = None,
    dry_run: bool = False,
) -> CollectionResult:
    """Add ``repo_ids`` (models of ``namespace``) to its collection titled ``title``; see the module docstring."""
    subject = repo_ids[0] if len(repo_ids) == 1 else plural(len(repo_ids), "repo")
    try:
        return _add(api, namespace, title, repo_ids, note, dry_run)
    except Exception as error:  # noqa: BLE001 - whatever it was, the publish stays and the line says so
        cause, fix = _cause(error)
        raise PublishError(
            namespace,
            f"adding {subject} to the collection '{title}' failed ({cause}); the publish itself is kept",
            fix=fix
            or f"run the command again with the same --collection to add {'it' if len(repo_ids) == 1 else 'them'}"
            " (nothing is published or added twice)",
        ) from None


def _add(
    api: HfApi, namespace: str, title: str, repo_ids: list[str], note: str | None, dry_run: bool
) -> CollectionResult:
    found = find_collection(api, namespace, title)
    if found is None and dry_run:
        return CollectionResult(namespace, title, None, added=tuple(repo_ids), dry_run=True)
    collection = found or hub.call(
        lambda: api.create_collection(title, namespace=namespace, exists_ok=True), namespace, "creating the collection"
    )
    items = {i.item_id: i for i in collection.items if i.item_type == ITEM_TYPE}
    added = tuple(r for r in repo_ids if r not in items)
    present = tuple(r for r in repo_ids if r in items)
    noted = tuple(r for r in present if note is not None and items[r].note != note)
    if not dry_run:
        for repo_id in added:
            hub.call(
                partial(api.add_collection_item, collection.slug, repo_id, ITEM_TYPE, note=note, exists_ok=True),
                repo_id,
                "adding the item",
            )
        for repo_id in noted:
            hub.call(
                partial(api.update_collection_item, collection.slug, items[repo_id].item_object_id, note=note),
                repo_id,
                "updating the item's note",
            )
    return CollectionResult(namespace, title, collection.url, found is None, added, present, noted, dry_run)


def find_collection(api: HfApi, namespace: str, title: str) -> Collection | None:
    """The namespace's collection titled ``title``, with all its items; None when it has none."""
    listed = hub.call(lambda: list(api.list_collections(owner=namespace)), namespace, "finding the collection")
    match = next((c for c in listed if c.title == title), None)
    if match is None:
        return None
    return hub.call(lambda: api.get_collection(match.slug), namespace, "reading the collection")


def _cause(error: BaseException) -> tuple[str, str | None]:
    """(what went wrong, its fix if it has its own) for the one line."""
    if isinstance(error, HfTweetsError):  # hub.call's: gave up after retries, or a 401/403/404 it explains
        return error.what, error.fix
    status = hub.status_of(error)
    text = " ".join(str(error).split())[:160] or type(error).__name__
    return (f"HTTP {status}: {text}" if status and str(status) not in text else text), None


def collect(
    title: str, repo_ids: Iterable[str], *, note: str | None = None, dry_run: bool = False
) -> Iterator[CollectionResult]:
    """Add published repos to the collection ``title`` of each one's namespace, one namespace at a time."""
    groups = by_namespace(repo_ids)
    if not groups:
        return  # no client, so no token needed
    api = hub.client()
    for namespace, ids in groups.items():
        yield add_to_collection(api, namespace, title, ids, note=note, dry_run=dry_run)
