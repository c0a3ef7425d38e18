"""What every reader of an account's export shares: what it hands back (``Archive``), how it opens files
(regular files only, inside the export), and the collector pause while parsed data piles up."""

from __future__ import annotations

import gc
import os
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from hf_tweets.errors import SourceError
from hf_tweets.sources.posts import Post, Profile

CHUNK = 1024**2  # bytes inflated or read at a time
RATIO_FLOOR = 1024**2  # parts that inflate to less may compress as well as they like


class Archive(NamedTuple):
    """What an archive holds."""

    profile: Profile | None  # None: it does not say whose it is (or what says so is in ``unread``)
    posts: list[Post]
    skipped: int  # replies left out
    # side files that could not be used, each fix saying what was used instead (None: nothing); and records read
    # anyway (a Bluesky repo whose AI preferences say no), the fix saying so: each is one warning line
    unread: list[SourceError]


@contextmanager
def collector_paused():
    """Parsed JSON holds no reference cycles, so the cycle collector has nothing to find in it; left on, it
    walks every tweet again each time json.loads has made 700 objects: a third of the reading time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def open_regular(path: Path, where: str, root: Path | None = None):
    """A binary stream of ``path`` if it is a regular file (inside ``root`` once links are followed)."""
    real = path.resolve()
    if root is not None and not real.is_relative_to(root):
        raise SourceError(
            "is a link to outside the archive folder",
            where=where,
            fix="copy the file itself into the folder; hf-tweets does not follow links out of it",
        )
    try:  # O_NONBLOCK: opening a FIFO must not wait for a writer
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError as error:
        raise SourceError(
            f"cannot be read ({error.strerror})", where=where, fix="check the file and its permissions"
        ) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise SourceError("is not a regular file", where=where, fix="give the archive's own files")
    return os.fdopen(fd, "rb")
