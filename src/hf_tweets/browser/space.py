"""``hf-tweets space``: the free static Space where visitors try a namespace's bots in their browser.

The Space (``NAMESPACE/try-the-bots`` by default) holds a README whose front matter says ``sdk: static``, the
page's files (every file of ``browser/page/``) and ``bots.json`` (manifest.py), which lists the bots the page
offers: the records of the cards folder published to NAMESPACE (their publish state names the repo) whose repo
the Hub says is public and whose accounts are not on the opt-out list, optionally only those of one collection.
Everything goes in one commit through hub.commit (parent commit, lost answers, 412), and nothing is committed when
every file is what the Space has already (compared by git blob sha, as republish compares cards).

``withdraw`` is unpublish's part: it takes bots out of the ``bots.json`` of the namespace's Space, in one commit,
and does nothing when there is no Space or the bots are not in it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypedDict

from huggingface_hub import HfApi, SpaceCardData
from huggingface_hub.errors import RepositoryNotFoundError

from hf_tweets import consent, settings
from hf_tweets.browser.manifest import FILE, TITLE, Bot, Manifest
from hf_tweets.cards.record import TRY_SPACE, CardRecord
from hf_tweets.cards.recordfile import load_record
from hf_tweets.errors import HfTweetsError, PublishError
from hf_tweets.folders import Folders
from hf_tweets.hub import client as hub
from hf_tweets.hub.client import LocalFile

REPO_TYPE = "space"
PAGE = Path(__file__).parent / "page"  # the page's static files (index.html, app.js, style.css)
ONNX = "onnx/model_quantized.onnx"  # the browser copy transformers.js loads with dtype q8 (onnx.py)
DESCRIPTION = "hf-tweets bots that run in your browser"  # the Hub takes at most 60 characters
README_BODY = (
    "# {title}\n\n"
    "The bots of [{namespace}]({endpoint}/{namespace}), run in your browser with transformers.js:"
    " nothing you type leaves the page. Made with `hf-tweets space`; the list is `bots.json`.\n"
)


@dataclass(frozen=True)
class SpaceOptions:
    """What ``hf-tweets space`` was asked for."""

    namespace: str
    folders: Folders  # the records that say what was published, and the opt-out list
    name: str = TRY_SPACE
    collection: str | None = None  # only the bots in the namespace's collection of this title

    @property
    def repo_id(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass
class SpaceResult:
    repo_id: str
    url: str
    bots: list[str]
    commit: str | None  # None: every file was as the Space had it, nothing committed
    created: bool = False

    def lines(self) -> list[str]:
        what = f"committed {self.commit[:7]}" if self.commit else "unchanged (nothing committed)"
        return [f"{self.repo_id}: {len(self.bots)} bot{'s' * (len(self.bots) != 1)}, {what}", f"open {self.url}"]


def space_url(repo_id: str, endpoint: str | None = None) -> str:
    return f"{endpoint or settings.hub_endpoint()}/spaces/{repo_id}"


# -- which bots -------------------------------------------------------------------------------------------------


def published_records(namespace: str, cards_dir: Path) -> list[tuple[CardRecord, str]]:
    """(record, repo id) of each repo of ``namespace`` a record of the cards folder says it published, by name."""
    found = []
    for path in sorted(Path(cards_dir).glob("*.yaml")):
        try:
            record = load_record(path)
        except HfTweetsError:  # a broken record publishes nothing: publish refuses it
            continue
        found += [(record, r) for r in record.publish if r.split("/")[0] == namespace]
    return sorted(found, key=lambda pair: pair[1])


def bot_of(record: CardRecord, repo_id: str, files: set[str], endpoint: str) -> Bot:
    """The manifest's entry for a published record: names and accounts as its card shows them."""
    return Bot.of_record(record, repo_id, card=f"{endpoint}/{repo_id}", onnx=ONNX in files)


def choose_bots(api: HfApi, options: SpaceOptions) -> list[Bot]:
    """The bots the page offers: published, public on the Hub, not opted out (and in the collection, if asked)."""
    optouts = consent.load(options.folders.optout)
    candidates = [
        (record, repo_id)
        for record, repo_id in published_records(options.namespace, options.folders.cards)
        if not any(entry.covers(a) for entry in optouts for a in record.accounts)
    ]
    if options.collection is not None:
        members = _collection_members(api, options.namespace, options.collection)
        candidates = [(record, repo_id) for record, repo_id in candidates if repo_id in members]
    bots = []
    for record, repo_id in candidates:
        info = _public_info(api, repo_id)
        if info is not None:
            bots.append(bot_of(record, repo_id, {s.rfilename for s in info.siblings or []}, api.endpoint))
    return bots


def _collection_members(api: HfApi, namespace: str, title: str) -> set[str]:
    from hf_tweets.hub.collections import ITEM_TYPE, find_collection

    collection = find_collection(api, namespace, title)
    if collection is None:
        raise PublishError(
            namespace,
            f"it has no collection titled '{title}'",
            fix="give the title of one of its collections, or leave out --collection",
        )
    return {item.item_id for item in collection.items if item.item_type == ITEM_TYPE}


def _public_info(api: HfApi, repo_id: str):
    """The repo's info with its file list when the Hub says it is public; None when private or gone."""

    def info():
        try:
            return api.model_info(repo_id, files_metadata=False)
        except RepositoryNotFoundError:
            return None

    found = hub.call(info, repo_id, "reading the repo")
    return None if found is None or found.private else found


# -- the Space's files ------------------------------------------------------------------------------------------


def readme(namespace: str, endpoint: str) -> str:
    """README.md: the Space's front matter (``sdk: static``) by huggingface_hub's SpaceCardData, and a line."""
    data = SpaceCardData(
        title=TITLE,
        sdk="static",
        app_file="index.html",
        emoji="🤖",
        colorFrom="blue",
        colorTo="purple",
        short_description=DESCRIPTION,
        pinned=False,
    )
    body = README_BODY.format(title=TITLE, namespace=namespace, endpoint=endpoint)
    return f"---\n{data.to_yaml()}\n---\n\n{body}"


def page_files(folder: Path | None = None) -> dict[str, LocalFile]:
    """Every file of the page's folder (default: the bundled page), by its path in the Space."""
    folder = folder or PAGE
    if not folder.is_dir():
        return {}
    files = sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return {p.relative_to(folder).as_posix(): LocalFile.of(p.relative_to(folder).as_posix(), p) for p in files}


def space_files(namespace: str, manifest: Manifest, endpoint: str) -> dict[str, LocalFile]:
    files = page_files()
    files["README.md"] = LocalFile.of("README.md", readme(namespace, endpoint).encode())
    files[FILE] = LocalFile.of(FILE, manifest.to_json().encode())
    return files


class Library(TypedDict, total=False):
    """Manifest's library and wasm folders, when they are not its defaults."""

    library: str
    wasm: str


def library(repo_id: str) -> Library:
    """Where the Space's page loads transformers.js and onnxruntime-web's .wasm files from: the pinned CDN
    (nothing to say: the manifest's defaults), or one self-hosted URL folder holding both
    ($HF_TWEETS_TRANSFORMERS_JS). A folder of this machine is no place for a page on the Hub to load from."""
    chosen = settings.transformers_js()
    if chosen is None:
        return {}
    if not chosen.startswith(("https://", "http://")):
        raise PublishError(
            repo_id,
            f"{settings.TRANSFORMERS_JS_ENV} is a folder of this machine ({chosen}), which the Space's visitors cannot"
            " load from",
            fix=f"set {settings.TRANSFORMERS_JS_ENV} to a URL folder with transformers.min.js and onnxruntime-web's"
            " .wasm files, or unset it for the pinned CDN",
        )
    folder = chosen.rstrip("/") + "/"
    return {"library": folder, "wasm": folder}


def publish_space(options: SpaceOptions) -> SpaceResult:
    """Create or update the Space: one commit of what changed, none when nothing did."""
    api = hub.client()
    hub.check_write_access(api, options.namespace)
    bots = choose_bots(api, options)
    manifest = Manifest(bots=bots, hub=api.endpoint, **library(options.repo_id))
    files = space_files(options.namespace, manifest, api.endpoint)
    remote = hub.remote_files(api, options.repo_id, repo_type=REPO_TYPE)
    created = remote is None
    if remote is None:
        hub.call(
            lambda: api.create_repo(options.repo_id, repo_type=REPO_TYPE, space_sdk="static", exist_ok=True),
            options.repo_id,
            "creating the Space",
        )
        remote = hub.remote_files(api, options.repo_id, repo_type=REPO_TYPE)
        assert remote is not None  # the Space was just created
    parent, existing = remote
    changed = {p: f for p, f in files.items() if p not in existing or not existing[p].same_as(f)}
    commit = None
    if changed:
        request = hub.Commit(
            options.repo_id, parent, changed, message="Update the bots with hf-tweets space", repo_type=REPO_TYPE
        )
        commit = hub.commit(api, request).oid
    url = space_url(options.repo_id, api.endpoint)
    return SpaceResult(options.repo_id, url, manifest.ids(), commit, created)


# -- unpublish's part -------------------------------------------------------------------------------------------


@dataclass
class Withdrawn:
    repo_id: str  # the Space
    bots: list[str] = field(default_factory=list)  # taken out of its bots.json


def withdraw(repo_ids: list[str], name: str = TRY_SPACE) -> list[Withdrawn]:
    """Take the bots out of the bots.json of their namespace's Space, one commit per Space; nothing when a
    namespace has no such Space or its list does not name them."""
    api = hub.client()
    done = []
    for namespace in dict.fromkeys(r.split("/")[0] for r in repo_ids):
        space_id = f"{namespace}/{name}"
        result = _withdraw_from(api, space_id, [r for r in repo_ids if r.split("/")[0] == namespace])
        if result is not None:
            done.append(result)
    return done


def _withdraw_from(api: HfApi, space_id: str, repo_ids: list[str]) -> Withdrawn | None:
    remote = hub.remote_files(api, space_id, repo_type=REPO_TYPE)
    if remote is None or FILE not in remote[1]:
        return None
    text = hub.call(lambda: hub.fetch_text(api, space_id, FILE, remote[0], REPO_TYPE), space_id, f"reading {FILE}")
    manifest = _read_manifest(text, space_id)
    gone = [bot.id for bot in manifest.bots if bot.id in repo_ids]
    if not gone:
        return None
    kept = replace(manifest, bots=[bot for bot in manifest.bots if bot.id not in repo_ids])
    request = hub.Commit(
        space_id,
        remote[0],
        {FILE: LocalFile.of(FILE, kept.to_json().encode())},
        message=f"Remove {', '.join(gone)} (unpublished)",
        repo_type=REPO_TYPE,
    )
    hub.commit(api, request)
    return Withdrawn(space_id, gone)


_FIELDS = ("bots", "hub", "local_models", "library", "wasm", "title", "format")


def _read_manifest(text: str | None, space_id: str) -> Manifest:
    """The Space's bots.json as a Manifest, keeping the fields this version does not know (``extra``)."""
    try:
        data = json.loads(text or "")
        bots = [Bot(**bot) for bot in data["bots"]]
    except (ValueError, KeyError, TypeError) as error:
        raise PublishError(
            space_id,
            f"its {FILE} is not a list of bots ({type(error).__name__}); it was left as it is",
            fix="run hf-tweets space NAMESPACE to write it again",
        ) from None
    known = {k: data[k] for k in _FIELDS[1:] if k in data}
    extra = {k: v for k, v in data.items() if k not in _FIELDS}
    return Manifest(bots=bots, **known, extra=extra)
