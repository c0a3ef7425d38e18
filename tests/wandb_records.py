"""Read an offline W&B run file (run-*.wandb): LevelDB-log blocks of protobuf records, as wandb writes them."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from wandb.proto import wandb_internal_pb2 as pb

BLOCK = 32768
HEADER = 7  # ":W&B", a 2-byte magic number and a version byte


def records(path: Path):
    data, pos, pending = path.read_bytes(), HEADER, b""
    while pos + 7 <= len(data):
        left = BLOCK - pos % BLOCK
        if left < 7:  # block trailer
            pos += left
            continue
        _, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        pending += data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):  # a full record, or the last fragment of one
            record = pb.Record()
            record.ParseFromString(pending)
            pending = b""
            yield record


def summary(path: Path) -> dict:
    """The run's config keys (with JSON values) and its artifacts (name, type, files)."""
    config, artifacts, metrics = {}, [], set()
    for record in records(path):
        kind = record.WhichOneof("record_type")
        updates = record.run.config.update if kind == "run" else record.config.update if kind == "config" else []
        config |= {u.key: json.loads(u.value_json) for u in updates}
        if kind == "artifact":
            artifacts.append(
                (record.artifact.name, record.artifact.type, sorted(e.path for e in record.artifact.manifest.contents))
            )
        if kind == "history":
            metrics |= {"/".join(i.nested_key) or i.key for i in record.history.item}
    return {"config": config, "artifacts": artifacts, "metrics": metrics}
