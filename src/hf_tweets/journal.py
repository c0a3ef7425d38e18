"""Journals: what a long command already did, one JSON line per item, so a rerun goes on where it stopped.

Each line is appended whole or not at all (fsutil.append_line: flushed, fsync'd, truncated back on a full
disk). A last line torn by a crash is dropped and the file repaired on the next read; a damaged line
elsewhere is a one-line error saying what to do.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from hf_tweets.errors import JournalError
from hf_tweets.fsutil import append_line, atomic_write_bytes

log = logging.getLogger("hf_tweets.journal")


class Journal:
    """Entries by ``key`` (the last one of a key wins); ``path`` None remembers nothing (a dry run)."""

    def __init__(self, path: Path | None, key: str = "key", required: tuple[str, ...] = ()):
        self.path, self.key, self.required, self.lock = path, key, required, threading.Lock()
        self.done: dict[str, dict] = {} if path is None or not path.exists() else self._read(path)

    def _read(self, path: Path) -> dict[str, dict]:
        data, done, good = path.read_bytes(), {}, 0
        lines = data.split(b"\n")
        for number, raw in enumerate(lines, 1):
            last = number == len(lines)  # after the final newline: empty, unless the last write was torn
            try:
                entry = json.loads(raw) if raw.strip() else None
                if entry is not None:
                    done[entry[self.key]] = entry
                    _ = [entry[field] for field in self.required]
            except (ValueError, KeyError, TypeError):
                if not last:
                    raise JournalError(
                        f"line {number} is not a journal entry",
                        where=path,
                        fix="delete that line, or the file (the items it names are then done again)",
                    ) from None
                log.warning("%s: dropped a line cut short by an earlier run (%d bytes)", path, len(raw))
                atomic_write_bytes(path, data[:good])
                break
            good += len(raw) + 1
        else:
            if lines[-1].strip():  # a whole entry whose newline was lost: give it one
                atomic_write_bytes(path, data + b"\n")
        return done

    def get(self, key: str) -> dict | None:
        return self.done.get(key)

    def write(self, entry: dict) -> None:
        with self.lock:
            self.done[entry[self.key]] = entry
            if self.path is not None:
                append_line(self.path, json.dumps(entry))
