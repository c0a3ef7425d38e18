"""Files on disk: written so that a crash or a full disk never leaves half of one, named so they stay in their folder.

* ``atomic_write_bytes``/``atomic_write_text``: a temp file beside the target,
  flushed to disk, optionally checked (``verify``), then renamed over it. A
  kill -9 at any point leaves the old file or the new one, never a mix; a full
  disk leaves the old one and raises ``WriteError`` naming the file. New files
  get the mode the umask gives (0644 usually); an existing file keeps its mode.
* Temp files carry the writer's pid (``.NAME.PID.RANDOM.tmp``), so
  ``sweep_orphans`` can remove those a killed process left behind without
  touching a live writer's.
* ``append_line``: one line added to a log whole or not at all (a failed write
  is truncated away), for journals.
* ``staged_folder``: a folder written by another library (a model that
  transformers saves file by file) is built beside its target, marked
  complete, then swapped in by two renames; a staging folder that was complete
  when its writer died is put in place by ``sweep_orphans``. Its files get the
  umask's mode whatever the library chose (safetensors writes 0600).
* ``child``: the one way a name that came from data (a handle, a record name)
  becomes a path; it refuses anything but ``[A-Za-z0-9_][A-Za-z0-9._-]*``, so the
  path cannot leave its folder.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from hf_tweets.errors import UnsafePathError, WriteError

NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,95}")  # no leading "." or "-": no dot-files, no options
_ORPHAN = re.compile(r"^\.(.+)\.(\d+)\.(?:[0-9a-f]{8}\.tmp|new|old)$")
_COMPLETE = ".complete"  # in a staging folder: everything was written


def child(folder: Path, name: str, suffix: str = "") -> Path:
    """``folder / (name + suffix)`` for a name from data; UnsafePathError unless it is a plain file name."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise UnsafePathError(
            f"{str(name)[:80]!r} cannot name a file",
            where=folder,
            fix="names may use letters, digits, '.', '_' and '-' (at most 96), not starting with '.' or '-'",
        )
    return folder / f"{name}{suffix}"


def sha256_of(*paths: Path):
    """One sha256 over the files' bytes in order, read a megabyte at a time (call ``.hexdigest()``)."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest


def write_failed(path: Path, error: OSError) -> WriteError:
    """A WriteError naming the file, with what to do for the usual causes."""
    fixes: dict[int | None, str] = {  # OSError.errno may be None
        errno.ENOSPC: "the disk is full: free some space and run the command again",
        errno.EDQUOT: "the disk quota is used up: free some space and run the command again",
        errno.EACCES: "check the folder's permissions",
        errno.EROFS: "the file system is read-only",
        errno.EPERM: "check the folder's permissions",
    }
    fix = fixes.get(error.errno, "check the folder and run the command again")
    return WriteError(
        f"could not be written ({error.strerror or error}); the previous version, if any, is unchanged",
        where=path,
        fix=fix,
    )


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _mode_for(path: Path) -> int:
    """An existing file's mode, else what the umask makes of 0666."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~_umask()


def atomic_write_bytes(path: str | Path, data: bytes, *, verify: Callable[[Path], object] | None = None) -> None:
    """Write ``data`` to ``path`` atomically; ``verify(temp_path)`` may raise to keep the old file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, _mode_for(path))
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if verify is not None:
            verify(tmp)
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise write_failed(path, error) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str, *, verify: Callable[[Path], object] | None = None) -> None:
    """Write UTF-8 text (with \\n line ends, as given) atomically."""
    atomic_write_bytes(path, text.encode("utf-8"), verify=verify)


def append_line(path: Path, line: str) -> None:
    """Append one line (``\\n`` added) to a log file, flushed; on failure the file is as it was."""
    data = (line.rstrip("\n") + "\n").encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, _mode_for(path))
    except OSError as error:
        raise write_failed(path, error) from None
    try:
        size = os.fstat(fd).st_size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except OSError as error:
            os.ftruncate(fd, size)  # freeing space, so this works on a full disk too
            raise write_failed(path, error) from None
    finally:
        os.close(fd)


@contextlib.contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """A folder to write ``target``'s new contents into; on leaving, it replaces ``target`` as a whole."""
    staging = target.with_name(f".{target.name}.{os.getpid()}.new")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir(parents=True)
    except OSError as error:  # named by the folder asked for, not by its staging folder
        raise write_failed(target, error) from None
    try:
        yield staging
        _umask_modes(staging)
        (staging / _COMPLETE).touch()
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _umask_modes(folder: Path) -> None:
    """Give everything under ``folder`` the mode the umask gives new files and folders: the libraries that wrote
    it chose their own (safetensors: 0600), and a model folder is as readable as the rest of the output."""
    umask = _umask()
    for root, dirs, files in os.walk(folder):
        for names, mode in ((dirs, 0o777 & ~umask), (files, 0o666 & ~umask)):
            for path in (os.path.join(root, name) for name in names):
                if not os.path.islink(path):  # a link's mode is its target's, which may be outside
                    os.chmod(path, mode)


def _swap_in(staging: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}.{os.getpid()}.old")
    if target.exists():
        os.rename(target, old)
    os.rename(staging, target)  # a kill between the renames: sweep_orphans puts the complete staging in place
    (target / _COMPLETE).unlink(missing_ok=True)
    shutil.rmtree(old, ignore_errors=True)


def sweep_orphans(*folders: Path) -> list[Path]:
    """Remove what writers that died (kill -9) left in ``folders``: temp files, half-written staging
    folders, replaced folders; a complete staging folder whose target is gone is put in place.
    Return what was removed. Commands call it once, at their start, for the folders they write to."""
    removed = []
    entries = []
    for folder in folders:
        try:
            entries += list(os.scandir(folder))
        except OSError:
            continue
    for entry in sorted(entries, key=lambda e: e.name.endswith(".old")):  # restore from .new before dropping .old
        match = _ORPHAN.match(entry.name)
        if not match or _alive(int(match.group(2))):
            continue
        path, target = Path(entry.path), Path(entry.path).with_name(match.group(1))
        if entry.name.endswith(".new") and (path / _COMPLETE).exists() and not target.exists():
            _swap_in(path, target)
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True
