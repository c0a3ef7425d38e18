"""Read a Bluesky repo export (a .car file: Settings, "Export my data", or com.atproto.sync.getRepo), offline.

A repo export is a CAR file (CARv1): a DAG-CBOR header naming the root block, then the blocks, each
its CID and its DAG-CBOR bytes. The root is the repo's signed commit, which names the account (its
DID) and the root of the record tree, a Merkle Search Tree: nodes ``{l, e}`` whose entries
``{p, k, v, t}`` hold a key (``collection/record-key``, of which the first ``p`` bytes are the key
before's), a link to the record and a link to the subtree of the keys that follow; ``l`` links to
the subtree of the keys before the first. The file is read through car_file.CarFile, which indexes
where its blocks are and decodes (with libipld, atproto's own DAG-CBOR decoder) only those the tree
reaches, as it reaches them: likes, follows and anything else in the file cost 24 bytes of index
each (atproto's ``CAR.from_bytes`` decodes every block: 6.4 times the file in memory). atproto has
no walker of the tree, so it is walked here, depth first without recursion: a node two nodes link to
is read once, and a node that links back to one above it (a cycle) or a link to a block the file
lacks is refused.

What is read: ``app.bsky.feed.post`` records (posts and replies, by the API's rules:
``bluesky.post_of``), ``app.bsky.feed.repost`` records (reposts, counted, without text: the
reposted words are someone else's and not in the export) and ``app.bsky.actor.profile/self`` (the
display name, and the avatar at the address Bluesky's CDN serves it from), and the account's
AI-preference records at key ``self`` (bluesky_prefs.py): one that says no to AI training or synthetic
content is one warning line naming the record, and the export is read anyway (it is its holder's own, and
running hf-tweets on it their choice); a broken one is an error naming it. Likes, follows, lists and other
apps' records are never read.

Whose it is: the commit's DID. A repo holds no handle (a handle lives in the DID's document, on the
network): ``known_as`` asks the PLC directory for the document and names the account by the handle its
``alsoKnownAs`` gives, and when the directory does not answer the account stays the DID; ``named`` takes
a Bluesky handle its holder gives with ``fetch --handle`` as the account's name instead, on their word
(the export is theirs), and refuses another platform's account or another DID.

Consent: a repo is public by nature (the network serves every repo to whoever asks), so an export
holds no private posts. A post its author hid from logged-out viewers (``!no-unauthenticated``) is
still left out, and one they labelled (porn, nudity, ...) is marked as behind a content warning.

A stranger's file is read as hostile: only a regular file of at most ``settings.archive_limits()``'s
bytes, within CarFile's budgets (blocks, bytes of a block, bytes decoded). Every problem is one
SourceError naming the file (and the record): not a CAR, cut short, a block that is not DAG-CBOR,
nested too deeply, no commit, a cycle, a missing block, a key or a record of the wrong shape.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from hf_tweets import settings
from hf_tweets.errors import SourceError
from hf_tweets.platforms import Account
from hf_tweets.platforms.bluesky import BLUESKY, is_did
from hf_tweets.sources import bluesky_prefs, bluesky_repo
from hf_tweets.sources.bluesky import POST, REPOST, post_of, repost_of
from hf_tweets.sources.car_file import CarFile
from hf_tweets.sources.exports import Archive, collector_paused, open_regular
from hf_tweets.sources.posts import Post, Profile, display_name
from hf_tweets.text import clean_url, snippet

PROFILE = "app.bsky.actor.profile"
READ = {c.encode(): c for c in (POST, REPOST, PROFILE, *bluesky_prefs.COLLECTIONS)}  # collections read, by key bytes
CAR_START = re.compile(rb"[\x01-\x7f]|[\x80-\xff][\x01-\x7f]")  # the header's length: a varint of 1-2 bytes
HEADER_MAP = (b"\xa2\x65roots", b"\xa1\x65roots")  # DAG-CBOR {"roots": ..., "version": 1}, keys sorted
CID_RE = re.compile(r"b[a-z2-7]{20,120}")  # a CID as text (base32, CIDv1)
EXPORT_FIX = "download it again (Bluesky: Settings, Export my data)"


def recognises(path: Path) -> bool:
    """Whether ``path`` is a regular file that starts as a repo export does: a CAR header, which is a varint
    length and a DAG-CBOR map whose first key is "roots" (cheap: 64 bytes are read); a file cut short within
    those bytes is one too (read_export says it is cut short)."""
    try:
        with open_regular(Path(path), str(path)) as stream:
            head = stream.read(64)
    except SourceError:
        return False
    length = CAR_START.match(head)
    start = head[length.end() : length.end() + 7] if length else b""
    return bool(start) and any(known.startswith(start) for known in HEADER_MAP)


def read_export(path: Path, include_replies: bool = True) -> Archive:
    """The profile (its DID), posts and replies left out of a repo export (it has no side files to miss)."""
    path = Path(path)
    with _open(path) as (stream, size), collector_paused():  # decoded blocks hold no cycles for the collector
        blocks = CarFile(stream, size, path)
        did, tree = _commit(blocks, path)
        posts, skipped, profile, prefs = [], 0, None, {}
        for collection, rkey, cid in _records(blocks, tree, path):
            if collection == PROFILE:
                profile = blocks.get(cid) if rkey == "self" else profile
                continue
            if collection in bluesky_prefs.COLLECTIONS:  # the account-wide record only (bluesky_prefs.py says why)
                if rkey == bluesky_prefs.RKEY:
                    prefs[collection] = _record(collection, rkey, blocks.get(cid), path)
                continue
            post = _post(collection, rkey, blocks.get(cid), path)
            if post is None:
                continue
            if post.kind == "reply" and not include_replies:
                skipped += 1
                continue
            posts.append(post)
    return Archive(_profile(did, profile), posts, skipped, _read_anyway(prefs, did, path))


def _read_anyway(prefs: dict, did: str, path: Path) -> list[SourceError]:
    """The warning for an export whose own AI-preference records say no (bluesky_prefs.py): it is read (it is its
    holder's own, and their choice), and the line says which record said no; SourceError for a broken record."""
    said = bluesky_prefs.decide(prefs, did, path)
    if said.verdict != "refused":
        return []
    return [SourceError(said.line(did), where=path, fix="read anyway, as it is the account holder's own export")]


def named(profile: Profile, given: Account) -> Profile | None:
    """The export's ``profile`` under the account its holder named (``fetch --handle``): its own DID, or a Bluesky
    handle, taken on their word (a repo holds no handle, and there is no network to ask whose it is); None for
    another DID or another platform's account."""
    if given.platform != BLUESKY.name or is_did(given.handle) and given.handle != profile.handle:
        return None
    return profile if given.handle == profile.handle else replace(profile, handle=given.handle)


def known_as(profile: Profile) -> Profile:
    """The export's ``profile`` under the handle its DID document names (``alsoKnownAs``, asked of the PLC
    directory: bluesky_repo.py), its display name too when it had none; as it is when the directory does not
    answer or names none (the command line then says how to name it with ``--handle``). The handle is the one
    the document claims, taken as ``--handle`` is: the export is its holder's own."""
    try:
        handle = bluesky_repo.identity(profile.handle).handle
    except SourceError:
        return profile
    if not handle or BLUESKY.handle(handle) != handle or is_did(handle) or handle == "handle.invalid":
        return profile
    name = handle if profile.display_name == profile.handle else profile.display_name
    return replace(profile, handle=handle, display_name=name)


@contextmanager
def _open(path: Path):
    """(the open file, its size); SourceError past the archive size limit (checked before reading)."""
    most = settings.archive_limits()[0]
    with open_regular(path, str(path)) as stream:
        size = os.fstat(stream.fileno()).st_size
        if size > most:
            raise SourceError(
                f"is {size:,} bytes, more than {most:,}",
                where=path,
                fix=f"if it really is a Bluesky repo export, set {settings.ARCHIVE_MAX_BYTES_ENV} to a larger number"
                " of bytes",
            )
        yield stream, size


def _commit(blocks: CarFile, path: Path) -> tuple[str, bytes]:
    """(the DID, the tree's root) of the commit the header names."""
    header = blocks.header
    roots = header.get("roots") if isinstance(header, dict) else None
    root = roots[0] if isinstance(roots, list) and roots else None
    commit = blocks.get(root) if isinstance(root, bytes) else None
    if commit is None:
        raise SourceError("names no root block (the repo's commit)", where=path, fix="is it a repo export?")
    if not isinstance(commit, dict) or not isinstance(commit.get("data"), bytes) or "did" not in commit:
        raise SourceError(
            "its root block is not a repo commit (with did and data)", where=path, fix="is it a repo export?"
        )
    did = commit["did"]
    if not isinstance(did, str) or not did.startswith("did:") or BLUESKY.handle(did) != did:
        raise SourceError(
            f"its commit names {snippet(did)}, which is not a DID", where=path, fix="is it a repo export?"
        )
    return did, commit["data"]


def _records(blocks: CarFile, root: bytes, path: Path) -> Iterator[tuple[str, str, bytes]]:
    """(collection, record key, record CID) of the tree's entries in the collections read (READ), depth first
    without recursion; a node two nodes link to (a shared subtree) is read once, a node that links back to one
    above it (a cycle) is refused."""
    todo, above, done = [(root, False)], set(), set()  # above: the nodes on the path to the one being read
    while todo:
        cid, leaving = todo.pop()
        if leaving:
            above.discard(cid)
            done.add(cid)
            continue
        if cid in above:
            raise _damaged("the record tree links back to a node above it (a cycle)", path)
        if cid in done:
            continue
        above.add(cid)
        todo.append((cid, True))
        yield from _node(blocks, cid, todo, path)


def _node(blocks: CarFile, cid: bytes, todo: list, path: Path) -> Iterator[tuple[str, str, bytes]]:
    """The entries of one node in the collections read; its subtrees go onto ``todo``."""
    node = blocks.get(cid)
    if node is None:
        raise SourceError(
            "the record tree links to a block the file does not hold", where=path, fix="is the export complete?"
        )
    entries, left = (node.get("e"), node.get("l")) if isinstance(node, dict) else (None, None)
    if not isinstance(entries, list) or not (left is None or isinstance(left, bytes)):
        raise _damaged("a node of the record tree is not one (it needs l and e)", path)
    if left is not None:
        todo.append((left, False))
    key = b""
    for entry in entries:
        key, value, subtree = _entry(entry, key, path)
        if subtree is not None:
            todo.append((subtree, False))
        collection = READ.get(key.partition(b"/")[0])
        if collection is not None:
            yield collection, _rkey(key, path), value


def _entry(entry: object, before: bytes, path: Path) -> tuple[bytes, bytes, bytes | None]:
    """(full key, record CID, subtree or None) of one tree entry; ``before`` is the key of the entry before."""
    if isinstance(entry, dict):
        shared, rest, value, subtree = entry.get("p"), entry.get("k"), entry.get("v"), entry.get("t")
        if (
            type(shared) is int
            and 0 <= shared <= len(before)
            and isinstance(rest, bytes)
            and isinstance(value, bytes)
            and (subtree is None or isinstance(subtree, bytes))
        ):
            return before[:shared] + rest, value, subtree
    raise _damaged("an entry of the record tree is not one (it needs p, k, v and t)", path)


def _rkey(key: bytes, path: Path) -> str:
    """The record key of a tree key collection/rkey."""
    try:
        rkey = key.decode().partition("/")[2]
    except UnicodeDecodeError:
        rkey = ""
    if not re.fullmatch(r"[A-Za-z0-9._:~-]{1,512}", rkey) or rkey in (".", ".."):
        shown = snippet(key.decode("utf-8", "replace") if rkey or key.isascii() else key, 80)
        raise _damaged(f"a key of the record tree is not a collection/record key ({shown})", path)
    return rkey


def _record(collection: str, rkey: str, record: object, path: Path) -> object:
    """A record the tree names; SourceError when the file does not hold it."""
    if record is None:
        raise SourceError(
            f"{collection}/{rkey}: the record is not in the file", where=path, fix="is the export complete?"
        )
    return record


def _post(collection: str, rkey: str, record: object, path: Path) -> Post | None:
    """A post or repost record as a stored post (None: not public); SourceError naming the record."""
    record = _record(collection, rkey, record, path)
    try:
        return post_of(rkey, record) if collection == POST else repost_of(record)
    except ValueError as error:
        raise _damaged(f"{collection}/{rkey}: {error}", path) from None


def _damaged(what: str, path: Path) -> SourceError:
    return SourceError(what, where=path, fix="the file is damaged")


def _profile(did: str, record: object) -> Profile:
    """The account's profile: its DID, the display name of its profile record (else the DID), the avatar."""
    record = record if isinstance(record, dict) else {}
    name = display_name(record.get("displayName"), did)
    return Profile(did, name, _avatar(did, record.get("avatar")), "bluesky-repo", platform=BLUESKY.name)


def _avatar(did: str, blob: object) -> str | None:
    """The avatar's address on Bluesky's CDN, from the profile record's blob (its CID, or a legacy ``cid``)."""
    import libipld

    ref = blob.get("ref", blob.get("cid")) if isinstance(blob, dict) else None
    try:
        cid = libipld.encode_cid(ref) if isinstance(ref, bytes) else ref
    except ValueError:
        return None
    if not isinstance(cid, str) or not CID_RE.fullmatch(cid):
        return None
    return clean_url(f"https://cdn.bsky.app/img/avatar/plain/{did}/{cid}@jpeg")
