"""The blocks of a CAR file (CARv1), read from the file as they are asked for: never the whole file at once.

A CAR file is a varint length and a DAG-CBOR header (``{"roots": [...], "version": 1}``), then
blocks, each a varint length and that many bytes: the block's CID, then its data. libipld's
``decode_car`` (and atproto's ``CAR.from_bytes``, which wraps it) decodes every block of the file
into one dict: 6.4 times the file in memory, and the likes, follows and padding a repo reader never
looks at cost as much as its posts. So ``CarFile`` makes a first pass that keeps only where each
block is (8 bytes of its CID's digest, its offset and its length: 24 bytes a block, in arrays sorted
by digest), and ``get`` reads and decodes (libipld.decode_dag_cbor) a block when it is asked
for. Memory is the index plus what the caller keeps, whatever the file holds besides.

Budgets, each a one-line SourceError naming the file: at most ``MAX_BLOCKS`` blocks, a block at
most ``MAX_BLOCK_BYTES``, and at most the file's size decoded in all (each block of a tree is read
once: asking for one block again and again, as a hostile tree of links to one record does, stops
there). A file that ends inside a block is "cut short"; one whose header does not read is not a
CAR file.
"""

from __future__ import annotations

import os
from array import array
from bisect import bisect_left
from pathlib import Path
from typing import NoReturn

from hf_tweets.errors import SourceError
from hf_tweets.text import clean_line

CHUNK = 1024**2  # bytes read at a time by the first pass
MAX_HEADER = 64 * 1024  # a header names a root or two: some 60 bytes
MAX_BLOCKS = 20_000_000  # a repo of a million posts and as many likes has some 3 million
MAX_BLOCK_BYTES = 2 * 1024**2  # a repo's records and tree nodes are a few KiB
DAG_CBOR, DAG_PB = 0x71, 0x70
SHA256_V1 = frozenset({b"\x01\x71\x12\x20", b"\x01\x55\x12\x20"})  # the CIDs of a repo: 36 bytes, DAG-CBOR or raw
NOT_CAR = "is not a Bluesky repo export (a CAR file)"
AGAIN = "download it again (Bluesky: Settings, Export my data)"


class CarFile:
    """The CAR file open at ``stream`` (a binary file of ``size`` bytes; ``where`` names it in errors)."""

    def __init__(self, stream, size: int, where: Path | str):
        self.fd, self.size, self.where, self.decoded = stream.fileno(), size, where, 0
        self.header, body = self._header()
        self.keys, self.places, self.lengths = self._index(body)

    def get(self, cid: bytes) -> object | None:
        """The decoded block whose CID is ``cid``; None when the file has none."""
        key, keys = _key(cid), self.keys
        at = bisect_left(keys, key)
        while at < len(keys) and keys[at] == key:  # 8 bytes of a digest may be shared: compare the whole CID
            place, length = self.places[at], self.lengths[at]
            if length > MAX_BLOCK_BYTES + len(cid):
                self._refuse(
                    f"holds a block of {length - len(cid):,} bytes, more than the {MAX_BLOCK_BYTES:,} of a repo's"
                    " largest",
                    "is it one?",
                )
            data = os.pread(self.fd, length, place) if length >= len(cid) else b""
            if data[: len(cid)] == cid:
                return self._decode(cid, data[len(cid) :])
            at += 1
        return None

    def _decode(self, cid: bytes, data: bytes) -> object:
        import libipld

        self.decoded += len(data)
        if self.decoded > self.size:
            self._refuse("its blocks are reached more than once each (a tree that links to one block many times)")
        if _codec(cid) != DAG_CBOR:
            self._refuse("a block the record tree reaches is not DAG-CBOR")
        try:
            return libipld.decode_dag_cbor(data)
        except RecursionError:
            self._refuse("a block is nested too deeply")
        except ValueError as error:
            self._refuse(f"a block is not DAG-CBOR ({clean_line(str(error))[:80]})")

    def _header(self) -> tuple[object, int]:
        """(the decoded header, where the blocks start)."""
        import libipld

        head = os.pread(self.fd, 16, 0)
        length, start = _varint(head, 0)
        data = os.pread(self.fd, min(length or 0, MAX_HEADER), start)
        if length is None or length > MAX_HEADER or not data or data[0] >> 5 != 5:  # 5: a CBOR map
            self._refuse(f"{NOT_CAR}: it does not start with a CAR header")
        if len(data) < length:
            self._refuse("is cut short: it ends inside the CAR header")
        try:
            return libipld.decode_dag_cbor(data), start + length
        except (ValueError, RecursionError):
            self._refuse(f"{NOT_CAR}: its header is not DAG-CBOR")

    def _index(self, offset: int) -> tuple[array[int], array[int], array[int]]:
        """Where each block is, sorted by its key (``_key``): (keys, offsets of the CIDs, lengths of CID and data)."""
        import numpy as np

        keys, places, lengths = array("Q"), array("Q"), array("Q")
        chunk, chunk_at = b"", offset
        while offset < self.size:
            if offset + 128 > chunk_at + len(chunk):  # a block's length and CID may run past what was read
                chunk, chunk_at = os.pread(self.fd, CHUNK, offset), offset
            at = offset - chunk_at
            length, start = _varint(chunk, at) if chunk[at] >= 0x80 else (chunk[at], at + 1)
            cid_end = start + 36 if chunk[start : start + 4] in SHA256_V1 else _cid_end(chunk, start)
            if length is None or cid_end is None or length < cid_end - start or cid_end > len(chunk):
                self._refuse(f"is cut short, or damaged: block {len(keys) + 1:,} does not read")
            place = offset + start - at
            if place + length > self.size:
                self._refuse(f"is cut short: it ends inside block {len(keys) + 1:,}")
            if len(keys) == MAX_BLOCKS:
                self._refuse(f"holds more than {MAX_BLOCKS:,} blocks, more than a repo export has", "is it one?")
            keys.append(_key(chunk[start:cid_end]))
            places.append(place)
            lengths.append(length)
            offset = place + length
        order = np.argsort(np.frombuffer(keys, np.uint64), kind="stable")  # numpy: the sort takes 8 bytes a block
        keys, places, lengths = (
            array("Q", np.frombuffer(column, np.uint64)[order].tobytes()) for column in (keys, places, lengths)
        )
        return keys, places, lengths

    def _refuse(self, what: str, fix: str = AGAIN) -> NoReturn:
        raise SourceError(what, where=self.where, fix=fix)


def _key(cid: bytes) -> int:
    """A block's index key: the last 8 bytes of its CID (of its digest: spread evenly)."""
    return int.from_bytes(cid[-8:], "little")


def _varint(data: bytes, at: int) -> tuple[int | None, int]:
    """(the unsigned varint at ``data[at:]``, where it ends); (None, at) when it does not end within 9 bytes."""
    value = shift = 0
    for end in range(at, min(at + 9, len(data))):
        byte = data[end]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, end + 1
        shift += 7
    return None, at


def _cid_end(data: bytes, at: int) -> int | None:
    """Where the binary CID at ``data[at:]`` ends (CIDv0: a bare sha2-256 multihash; CIDv1: version, codec and
    multihash); None when it does not read."""
    if data[at : at + 2] == b"\x12\x20":
        return at + 34 if len(data) >= at + 34 else None
    end = at
    for _ in range(3):  # version, codec, hash function
        value, end = _varint(data, end)
        if value is None:
            return None
    size, end = _varint(data, end)
    if size is None or size > 64 or end + size > len(data):
        return None
    return end + size


def _codec(cid: bytes) -> int | None:
    if cid[:2] == b"\x12\x20":
        return DAG_PB  # a CIDv0 is always DAG-PB
    version, end = _varint(cid, 0)
    codec, _ = _varint(cid, end)
    return codec if version == 1 else None
