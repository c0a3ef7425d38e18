"""Read a Bluesky repo export (a .car file: Settings, "Export my data", or com.atproto.sync.getRepo), offline.

A repo export is a CAR file (CARv1): a DAG-CBOR header naming the root block, then the blocks, each
its CID and its DAG-CBOR bytes. The root is the repo's signed commit, which names the account (its
DID) and the root of the record tree, a Merkle Search Tree: nodes ``{l, e}`` whose entries
``{p, k, v, t}`` hold a key (``collection/record-key``, of which the first ``p`` bytes are the key
before's), a link to the record and a link to the subtree of the keys that follow; ``l`` links to
the subtree of the keys before the first. libipld, atproto's own DAG-CBOR and CAR decoder, decodes
the file (``atproto_core.car.CAR.from_bytes`` wraps it, making a CID object of every block's key:
0.3 s more for 100,000 posts); atproto has no walker of the tree, so it is walked here, without
recursion, refusing a node it has been through (a cycle) and a link to a block the file lacks.

What is read: ``app.bsky.feed.post`` records (posts and replies, by the API's rules:
``bluesky.post_of``), ``app.bsky.feed.repost`` records (reposts, counted, without text: the
reposted words are someone else's and not in the export) and ``app.bsky.actor.profile/self`` (the
display name, and the avatar at the address Bluesky's CDN serves it from). Likes, follows, lists
and other apps' records are never read.

Whose it is: the commit's DID. A repo holds no handle (a handle lives in the DID's document, on the
network), so the account is the DID; ``named`` takes a Bluesky handle its holder gives with
``fetch --handle`` as the account's name instead, on their word (the export is theirs), and refuses
another platform's account or another DID.

Consent: a repo is public by nature (the network serves every repo to whoever asks), so an export
holds no private posts. A post its author hid from logged-out viewers (``!no-unauthenticated``) is
still left out, and one they labelled (porn, nudity, ...) is marked as behind a content warning.

A stranger's file is read as hostile: only a regular file of at most ``settings.archive_limits()``'s
bytes, read whole (a CAR is not compressed: there is no ratio to watch). Every problem is one
SourceError naming the file (and the record): not a CAR, truncated, a block that is not DAG-CBOR,
nested too deeply, no commit, a cycle, a missing block, a key or a record of the wrong shape.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from hf_tweets import settings
from hf_tweets.errors import SourceError
from hf_tweets.platforms import Account
from hf_tweets.platforms.bluesky import BLUESKY, is_did
from hf_tweets.sources.bluesky import POST, REPOST, post_of, repost_of
from hf_tweets.sources.exports import Archive, collector_paused, open_regular
from hf_tweets.sources.posts import Post, Profile, display_name
from hf_tweets.text import clean_line, clean_url, snippet

PROFILE = "app.bsky.actor.profile"
READ = {POST.encode(): POST, REPOST.encode(): REPOST, PROFILE.encode(): PROFILE}  # collections read, by key bytes
CAR_START = re.compile(rb"[\x01-\x7f]|[\x80-\xff][\x01-\x7f]")  # the header's length: a varint of 1-2 bytes
HEADER_MAP = (b"\xa2\x65roots", b"\xa1\x65roots")  # DAG-CBOR {"roots": ..., "version": 1}, keys sorted
CID_RE = re.compile(r"b[a-z2-7]{20,120}")  # a CID as text (base32, CIDv1)
EXPORT_FIX = "download it again (Bluesky: Settings, Export my data)"


def recognises(path: Path) -> bool:
    """Whether ``path`` is a regular file that starts as a repo export does: a CAR header, which is a varint
    length and a DAG-CBOR map whose first key is "roots" (cheap: 64 bytes are read)."""
    try:
        with open_regular(Path(path), str(path)) as stream:
            head = stream.read(64)
    except SourceError:
        return False
    length = CAR_START.match(head)
    return length is not None and head[length.end() : length.end() + 7] in HEADER_MAP


def read_export(path: Path, include_replies: bool = True) -> Archive:
    """The profile (its DID), posts and replies left out of a repo export (it has no side files to miss)."""
    path = Path(path)
    data = _read(path)
    with collector_paused():  # decoding makes a dict of every block: nothing for the cycle collector to find
        header, blocks = _decode(data, path)
        del data
        did, tree = _commit(header, blocks, path)
        posts, skipped, profile = [], 0, None
        for collection, rkey, cid in _records(blocks, tree, path):
            if collection == PROFILE:
                profile = blocks.get(cid) if rkey == "self" else profile
                continue
            post = _post(collection, rkey, blocks.get(cid), path)
            if post is None:
                continue
            if post.kind == "reply" and not include_replies:
                skipped += 1
                continue
            posts.append(post)
    return Archive(_profile(did, profile), posts, skipped, [])


def named(profile: Profile, given: Account) -> Profile | None:
    """The export's ``profile`` under the account its holder named (``fetch --handle``): its own DID, or a Bluesky
    handle, taken on their word (a repo holds no handle, and there is no network to ask whose it is); None for
    another DID or another platform's account."""
    if given.platform != BLUESKY.name or is_did(given.handle) and given.handle != profile.handle:
        return None
    return profile if given.handle == profile.handle else replace(profile, handle=given.handle)


def _read(path: Path) -> bytes:
    """The file's bytes; SourceError past the archive size limit (checked before reading)."""
    most = settings.archive_limits()[0]
    with open_regular(path, str(path)) as stream:
        size = os.fstat(stream.fileno()).st_size
        data = stream.read(most + 1) if size <= most else b""
    if size > most or len(data) > most:
        raise SourceError(
            f"is {max(size, len(data)):,} bytes, more than {most:,}",
            where=path,
            fix=f"if it really is a Bluesky repo export, set {settings.ARCHIVE_MAX_BYTES_ENV} to a larger number"
            " of bytes",
        )
    return data


def _decode(data: bytes, path: Path) -> tuple[object, dict]:
    import libipld

    try:
        return libipld.decode_car(data)
    except (ValueError, RecursionError) as error:
        raise SourceError(
            f"is not a Bluesky repo export (a CAR file): {clean_line(str(error))[:120]}", where=path, fix=EXPORT_FIX
        ) from None


def _commit(header: object, blocks: dict, path: Path) -> tuple[str, bytes]:
    """(the DID, the tree's root) of the commit the header names."""
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


def _records(blocks: dict, root: bytes, path: Path) -> Iterator[tuple[str, str, bytes]]:
    """(collection, record key, record CID) of the tree's entries in the collections read (READ)."""
    seen, todo = set(), [root]
    while todo:
        cid = todo.pop()
        if cid in seen:
            raise _damaged("the record tree links back to a node it has been through (a cycle)", path)
        seen.add(cid)
        node = blocks.get(cid)
        if node is None:
            raise SourceError(
                "the record tree links to a block the file does not hold", where=path, fix="is the export complete?"
            )
        entries, left = (node.get("e"), node.get("l")) if isinstance(node, dict) else (None, None)
        if not isinstance(entries, list) or not (left is None or isinstance(left, bytes)):
            raise _damaged("a node of the record tree is not one (it needs l and e)", path)
        if left is not None:
            todo.append(left)
        key = b""
        for entry in entries:
            key, value, subtree = _entry(entry, key, path)
            if subtree is not None:
                todo.append(subtree)
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


def _post(collection: str, rkey: str, record: object, path: Path) -> Post | None:
    """A post or repost record as a stored post (None: not public); SourceError naming the record."""
    if record is None:
        raise SourceError(
            f"{collection}/{rkey}: the record is not in the file", where=path, fix="is the export complete?"
        )
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
