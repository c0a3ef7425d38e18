"""The collections endpoints of the loopback Hub, shaped as huggingface_hub 2.4's collection methods call them.

Served (``HfApi`` method: request -> answer):

* ``list_collections``: ``GET /api/collections`` with ``owner`` and ``item`` (each repeatable; an item is
  ``models/NS/NAME``), ``sort`` (``lastModified``, ``upvotes``; ``trending``, the default, sorts as
  ``lastModified``) and ``limit`` (the page size); Link pagination (``cursor``) as for models. Each collection
  carries at most 4 items and no ``position`` key (the client adds it, and would fail on a second one). Private
  collections are listed to those who may write to their namespace only.
* ``get_collection``: ``GET /api/collections/NS/SLUG`` -> the collection with every item; 404 (no error code) for
  a missing one or a private one the caller may not see.
* ``create_collection``: ``POST /api/collections`` ``{"title", "namespace", "private", "description"?}`` -> the
  collection; 401 without a token, 403 for a namespace the caller may not write (only members write to an org's
  collections), 400 for an empty title, a title over 60 characters or a description over 150 characters, 409
  ``{"error", "slug"}`` when the namespace has a collection of that title (``exists_ok`` reads the slug and gets
  that collection).
* ``add_collection_item``: ``POST /api/collections/NS/SLUG/items`` ``{"item": {"id", "type"}, "note"?}`` -> the
  collection; 403 as above, 400 for a type other than ``model`` (the only kind this Hub has) or a note over 500
  characters, 404 ``RepoNotFound`` for a repo that does not exist (or that the caller may not see), 409 when the
  collection has the item already (``exists_ok`` then gets the collection).
* ``update_collection_item``: ``PATCH /api/collections/NS/SLUG/items/ITEM_OBJECT_ID`` ``{"note"?, "position"?}``.
* ``delete_collection``, ``delete_collection_item``: ``DELETE`` on the same paths.

Slugs are ``NS/title-slug-<24 hex id>``; items have a 24-hex ``_id`` (``item_object_id``), ``id`` (the repo),
``type``, ``position`` and ``note: {"text", "html"}``. Not served: metadata updates (``PATCH`` of a collection),
resource groups, and items that are not models.
"""

from __future__ import annotations

import html
import itertools
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlencode, urlsplit

NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*"
SLUG = rf"(?P<slug>{NAME}/[A-Za-z0-9._-]+)"
LISTED_ITEMS = 4  # what the Hub's listing shows of each collection
NOTE_LIMIT, DESCRIPTION_LIMIT, TITLE_LIMIT = 500, 150, 60
_TICKS = itertools.count()  # the order of changes (timestamps of two changes in one millisecond tie)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "collection"


@dataclass
class Collection:
    slug: str
    id: str
    namespace: str
    title: str
    private: bool
    description: str | None
    items: list[dict] = field(default_factory=list)  # {"_id", "id", "type", "note"?}, in order
    updated: str = field(default_factory=_now)
    tick: int = field(default_factory=lambda: next(_TICKS))

    def touch(self) -> None:
        self.updated, self.tick = _now(), next(_TICKS)


class State:
    """Every collection by slug, in the order made."""

    def __init__(self) -> None:
        self.by_slug: dict[str, Collection] = {}

    def reset(self) -> None:
        self.by_slug.clear()


class Routes:
    """Handler methods for ROUTES (a mixin of the server's request handler)."""

    def do_PATCH(self) -> None:  # the server's handler has no PATCH of its own
        self._serve("PATCH")

    # -- reading ---------------------------------------------------------------------------------
    def list_collections(self) -> None:
        query = parse_qs(urlsplit(self.path).query)  # owner and item repeat; the server's query keeps one
        owners, wanted = set(query.get("owner", [])), set(query.get("item", []))
        found = [
            c
            for c in self.hub.collections.by_slug.values()
            if (not owners or c.namespace in owners)
            and (not wanted or wanted <= {f"models/{i['id']}" for i in c.items})
            and self._visible(c)
        ]
        key = (lambda c: -len(c.items)) if self.query.get("sort") == "upvotes" else (lambda c: c.tick)
        found.sort(key=key, reverse=self.query.get("sort") != "upvotes")
        size = min(int(self.query.get("limit") or self.hub.page_size), self.hub.page_size)
        start = int(self.query.get("cursor", 0))
        headers = {}
        if start + size < len(found):
            rest = [(k, v) for k, values in query.items() if k != "cursor" for v in values]
            query_string = urlencode(rest + [("cursor", start + size)])
            headers["Link"] = f'<{self.hub.url}/api/collections?{query_string}>; rel="next"'
        page = [self._shape(c, LISTED_ITEMS) for c in found[start : start + size]]
        for shaped in page:
            del shaped["position"]
        self._json(page, headers=headers)

    def get_collection(self, slug: str) -> None:
        self._json(self._shape(self._found(slug)))

    # -- writing ---------------------------------------------------------------------------------
    def create_collection(self) -> None:
        body = self._body_json()
        namespace, title = body.get("namespace"), str(body.get("title") or "").strip()
        self._may_write(namespace)
        if not title:
            raise self._error(400, "title is required")
        if len(title) > TITLE_LIMIT:
            raise self._error(400, f"title must be at most {TITLE_LIMIT} characters")
        if len(body.get("description") or "") > DESCRIPTION_LIMIT:
            raise self._error(400, f"description must be at most {DESCRIPTION_LIMIT} characters")
        for existing in self.hub.collections.by_slug.values():
            if existing.namespace == namespace and existing.title == title:
                message = "Collection already exists"
                self._json({"error": message, "slug": existing.slug}, 409, {"X-Error-Message": message})
                return
        ident = secrets.token_hex(12)
        made = Collection(
            f"{namespace}/{_slugify(title)}-{ident}",
            ident,
            namespace,
            title,
            bool(body.get("private")),
            body.get("description"),
        )
        self.hub.collections.by_slug[made.slug] = made
        self._json(self._shape(made))

    def add_collection_item(self, slug: str) -> None:
        collection = self._writable(slug)
        body = self._body_json()
        item, note = body.get("item") or {}, body.get("note")
        if item.get("type") != "model":
            raise self._error(400, "only model items on this Hub")
        if note is not None and len(note) > NOTE_LIMIT:
            raise self._error(400, f"note must be at most {NOTE_LIMIT} characters")
        repo = self.hub.repo(str(item.get("id")))
        if repo is None or (repo.private and not self.hub.can_write(self.who, str(item["id"]).split("/")[0])):
            raise self._error(404, f"Repository {item.get('id')} not found", "RepoNotFound")
        if any(i["id"] == item["id"] for i in collection.items):
            raise self._error(409, "Item already exists in this collection")
        collection.items.append({"_id": secrets.token_hex(12), "id": item["id"], "type": "model", "note": note})
        collection.touch()
        self._json(self._shape(collection))

    def update_collection_item(self, slug: str, item: str) -> None:
        collection = self._writable(slug)
        found = self._item(collection, item)
        body = self._body_json()
        if "note" in body:
            if len(body["note"] or "") > NOTE_LIMIT:
                raise self._error(400, f"note must be at most {NOTE_LIMIT} characters")
            found["note"] = body["note"]
        if "position" in body:
            collection.items.remove(found)
            collection.items.insert(int(body["position"]), found)
        collection.touch()
        self._json({"success": True})

    def delete_collection(self, slug: str) -> None:
        self._writable(slug)
        del self.hub.collections.by_slug[slug]
        self._json({})

    def delete_collection_item(self, slug: str, item: str) -> None:
        collection = self._writable(slug)
        collection.items.remove(self._item(collection, item))
        self._json({})

    # -- shared ----------------------------------------------------------------------------------
    def _error(self, status: int, message: str, code: str | None = None):
        from .server import HubError  # the server imports this module first

        return HubError(status, message, code)

    def _visible(self, collection: Collection) -> bool:
        return not collection.private or self.hub.can_write(self.who, collection.namespace)

    def _found(self, slug: str) -> Collection:
        collection = self.hub.collections.by_slug.get(slug)
        if collection is None or not self._visible(collection):
            raise self._error(404, "Collection not found")
        return collection

    def _may_write(self, namespace: str | None) -> None:
        if self.who is None:
            raise self._error(401, "You must be authenticated to write to a collection")
        if not namespace or not self.hub.can_write(self.who, namespace):
            raise self._error(403, f"You don't have the rights to write to the collections of {namespace}")

    def _writable(self, slug: str) -> Collection:
        collection = self._found(slug)
        self._may_write(collection.namespace)
        return collection

    def _item(self, collection: Collection, object_id: str) -> dict:
        for item in collection.items:
            if item["_id"] == object_id:
                return item
        raise self._error(404, "Item not found in this collection")

    def _shape(self, c: Collection, at_most: int | None = None) -> dict:
        """The collection as the Hub answers it (``Collection(**answer)`` in huggingface_hub)."""
        is_org = any(c.namespace in orgs for _, orgs in self.hub.users.values())
        owner = {"name": c.namespace, "type": "org" if is_org else "user", "fullname": c.namespace}
        mine = [x for x in self.hub.collections.by_slug.values() if x.namespace == c.namespace]
        items = [
            {
                "_id": i["_id"],
                "id": i["id"],
                "type": i["type"],
                "position": n,
                "author": i["id"].split("/")[0],
                **({"note": {"text": i["note"], "html": html.escape(i["note"])}} if i.get("note") else {}),
            }
            for n, i in enumerate(c.items)
        ]
        return {
            "slug": c.slug,
            "title": c.title,
            "owner": owner,
            "items": items[:at_most] if at_most else items,
            "lastUpdated": c.updated,
            "position": mine.index(c),
            "private": c.private,
            "theme": "indigo",
            "upvotes": 0,
            "gating": False,
            **({"description": c.description} if c.description else {}),
        }


ROUTES: list[tuple[str, str, str]] = [
    ("GET", r"/api/collections", "list_collections"),
    ("POST", r"/api/collections", "create_collection"),
    ("GET", rf"/api/collections/{SLUG}", "get_collection"),
    ("DELETE", rf"/api/collections/{SLUG}", "delete_collection"),
    ("POST", rf"/api/collections/{SLUG}/items", "add_collection_item"),
    ("PATCH", rf"/api/collections/{SLUG}/items/(?P<item>[0-9a-f]{{24}})", "update_collection_item"),
    ("DELETE", rf"/api/collections/{SLUG}/items/(?P<item>[0-9a-f]{{24}})", "delete_collection_item"),
]
