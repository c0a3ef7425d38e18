"""Read an offline W&B run file (run-*.wandb), once wandb's core process has written all of it.

wandb 0.31 has no Python reader for these files (its core is a separate process, which flushes the
transaction log on its own schedule), so this reads the format it writes: LevelDB-log blocks of
``wandb_internal_pb2.Record`` protobufs, the message types wandb publishes in ``wandb.proto``.
``complete(path)`` waits, with a bound, for the run's final ``exit`` record: reading earlier is what
made the W&B tests flicker (a config not yet on disk).
"""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path

from wandb.proto import wandb_internal_pb2 as pb

BLOCK = 32768
HEADER = 7  # ":W&B", a 2-byte magic number and a version byte


def records(path: Path):
    """The whole records in the file so far (a record still being written at the end is left out)."""
    data, pos, pending = path.read_bytes(), HEADER, b""
    while pos + 7 <= len(data):
        left = BLOCK - pos % BLOCK
        if left < 7:  # block trailer
            pos += left
            continue
        _, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        if pos + 7 + length > len(data):
            return  # cut short: the writer has not got that far yet
        pending += data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):  # a full record, or the last fragment of one
            record = pb.Record()
            record.ParseFromString(pending)
            pending = b""
            yield record


def complete(path: Path, timeout: float = 60.0) -> list:
    """The file's records once its ``exit`` record is there; AssertionError after ``timeout`` seconds."""
    import wandb

    wandb.teardown()  # the core process exits, and flushes what it holds, before the file is read
    deadline = time.monotonic() + timeout
    while True:
        found = list(records(path))
        if found and found[-1].WhichOneof("record_type") == "exit":
            return found
        assert time.monotonic() < deadline, f"{path} has no exit record after {timeout:.0f} s"
        time.sleep(0.1)


def summary(path: Path) -> dict:
    """The run's config keys (with JSON values), its artifacts (name, type, files), metric names and summary keys
    (with JSON values)."""
    config, artifacts, metrics, summaries = {}, [], set(), {}
    for record in complete(path):
        kind = record.WhichOneof("record_type")
        updates = record.run.config.update if kind == "run" else record.config.update if kind == "config" else []
        config |= {u.key: json.loads(u.value_json) for u in updates}
        if kind == "artifact":
            artifacts.append(
                (record.artifact.name, record.artifact.type, sorted(e.path for e in record.artifact.manifest.contents))
            )
        if kind == "history":
            metrics |= {"/".join(i.nested_key) or i.key for i in record.history.item}
        if kind == "summary":
            summaries |= {"/".join(i.nested_key) or i.key: json.loads(i.value_json) for i in record.summary.update}
    return {"config": config, "artifacts": artifacts, "metrics": metrics, "summary": summaries}
