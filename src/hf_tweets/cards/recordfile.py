"""Card record files: load, save, update under a lock, find by name (the schema is record.py's).

Loading validates (the YAML dialect is in yamlio.py); saving is atomic, keeps
the file's key order so diffs stay small, and checks that what it wrote loads
back before it replaces the old file.

Commands that run for a while (publish, republish, train, prepare) never save
the record they loaded at the start: ``update_record`` re-reads it under a
lock just before saving and changes only the fields the command owns, so an
edit made meanwhile (by hand, or by ``card import``) is kept.
"""

from __future__ import annotations

import contextlib
import difflib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hf_tweets import platforms
from hf_tweets.cards import yamlio
from hf_tweets.cards.record import CardRecord, problems_of, validate_record
from hf_tweets.errors import Problem, RecordError, RecordNotFoundError
from hf_tweets.fsutil import NAME_RE, atomic_write_text, child


def load_record(path: str | Path) -> CardRecord:
    """Read and validate ``cards/<name>.yaml``."""
    path = Path(path)
    return validate_record(_read_yaml(path)[1], path)


def _read_yaml(path: Path) -> tuple[str, Any]:
    """(text, parsed data) of a record file; RecordError/RecordNotFoundError say what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecordNotFoundError(
            "no such record", where=path, fix="create it with hf-tweets card import README.md"
        ) from None
    except UnicodeDecodeError:
        raise RecordError(path, [Problem("", "is not UTF-8 text; save it as UTF-8")]) from None
    try:
        return text, yamlio.load(text)
    except yamlio.YamlProblem as problem:
        raise RecordError(path, [Problem(f"line {problem.line}" if problem.line else "", problem.message)]) from None


def record_to_dict(record: CardRecord) -> dict[str, Any]:
    """The record as plain data, in field order, without empty optional parts."""
    data = _prune(record.model_dump(mode="python", exclude_none=True))
    for user in data["users"]:  # X is every legacy record's platform: said only for the others
        if user.get("platform") == platforms.DEFAULT:
            del user["platform"]
    for key, default in (("weights", "full"), ("base_model_local", False)):  # said only when they are not the default
        if data.get(key) == default:
            del data[key]
    if record.base_model is None:  # null means "trained from scratch"; absent means the default GPT-2
        data = {k: data.get(k) for k in CardRecord.model_fields if k in data or k == "base_model"}
    return data


def _prune(value: Any) -> Any:
    """Drop empty lists and mappings, which say nothing."""
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if not (isinstance(v, (list, dict)) and not v)}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def dump_record(record: CardRecord, key_order: Any = None) -> str:
    """The record as YAML; ``key_order`` (a previous version's data) keeps its key order."""
    data = record_to_dict(record)
    if key_order is not None:
        data = _reorder(data, key_order)
    return yamlio.dump(data)


def save_record(record: CardRecord, path: str | Path) -> bool:
    """Write the record atomically; keep an existing file's key order. Return False if unchanged.

    What is written must load back as the same record before it replaces the old file.
    Long-running commands use ``update_record`` instead, which re-reads the file first.
    """
    path = Path(path)
    try:
        old_text, previous = _read_yaml(path)
    except (RecordNotFoundError, RecordError):
        old_text, previous = None, None
    text = dump_record(record, previous)
    if old_text == text:
        return False
    atomic_write_text(path, text, verify=lambda written: _loads_back(written, record, path))
    return True


def _loads_back(written: Path, meant: CardRecord, path: Path) -> None:
    try:
        same = load_record(written) == meant
    except RecordError as error:
        raise RecordError(
            path, [Problem("", f"would not load back ({error.problems[0]}); nothing was saved")]
        ) from None
    if not same:
        raise RecordError(path, [Problem("", "would not load back as the same record; nothing was saved")])


def update_record(path: Path, change: Callable[[CardRecord], CardRecord | None]) -> CardRecord:
    """Re-read the record now, apply ``change`` (which sets only the fields its command owns, in place or by
    returning the new record) and save it.

    Runs under a lock on the cards folder, so hf-tweets processes (and threads) update one at a
    time; an edit saved by hand since the command started is kept, because it is what gets re-read.
    """
    with _cards_lock(Path(path).parent):
        record = load_record(path)
        try:
            record = change(record) or record
        except ValidationError as error:  # a value this command set that a record cannot hold
            raise RecordError(path, problems_of(error)) from None
        save_record(record, path)
        return record


def replace_record(record: CardRecord, path: Path) -> bool:
    """Save ``record`` over the one at ``path`` (card import), keeping what a card does not carry (the publish
    state, the language prepare detected); under the lock."""
    with _cards_lock(Path(path).parent):
        with contextlib.suppress(RecordNotFoundError, RecordError):  # none, or broken: nothing to keep
            old = load_record(path)
            record.publish, record.detected_language = old.publish, old.detected_language
        return save_record(record, path)


@contextlib.contextmanager
def _cards_lock(folder: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # no advisory locks (Windows): the re-read alone keeps the window small
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def record_path(cards_dir: Path, name: str) -> Path:
    """``cards/<name>.yaml`` for a record name (UnsafePathError if the name could leave the folder)."""
    return child(cards_dir, name, ".yaml")


def find_record(arg: str, cards_dir: Path) -> Path:
    """A record given as a path, or as a name looked up in the cards folder."""
    path = Path(arg)
    if path.is_file():
        return path
    name = arg.removesuffix(".yaml")
    if len(path.parts) == 1 and NAME_RE.fullmatch(name):  # a bare name: look in the cards folder
        path = record_path(cards_dir, name)
        if path.is_file():
            return path
    close = difflib.get_close_matches(name, sorted(p.stem for p in cards_dir.glob("*.yaml")), n=1)
    raise RecordNotFoundError(
        f"no such record (looked for {path})",
        where=arg,
        fix=f"did you mean {close[0]}?"
        if close
        else "pass a path, set --cards-dir, or create one with hf-tweets card import README.md",
    )


def _reorder(new: Any, old: Any) -> Any:
    if isinstance(new, dict) and isinstance(old, dict):
        keys = [k for k in old if k in new] + [k for k in new if k not in old]
        return {k: _reorder(new[k], old.get(k)) for k in keys}
    if isinstance(new, list) and isinstance(old, list):
        return [_reorder(n, old[i] if i < len(old) else None) for i, n in enumerate(new)]
    return new
