"""Run hf-tweets, and kill it with SIGKILL (as kill -9 would) at its Nth write; for the fault tests.

    python tests/kill_at.py N LOG -- ARGS...

A write point is each moment a crash can fall between two states on disk or on the Hub:
* ``temp:PATH``    an atomic write's temp file is complete but not yet renamed over PATH;
* ``renamed:PATH`` it has just been renamed (the write is done; nothing after it is);
* ``half:PATH``    half of a journal line has reached PATH (append_line);
* ``commit:REPO``  a commit has landed on the Hub and its answer arrived (nothing recorded yet);
* ``staged:DIR``   a folder written elsewhere (the model) is complete beside DIR, not yet swapped in;
* ``swapping:DIR`` the first of the swap's two renames is done (DIR may be missing for a moment).
Each point passed is appended to LOG (one label a line) before it can kill, so a run with N=0 (never
kill) lists them all. Nothing in hf-tweets knows about this: it patches the writers from outside.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

kill_at, log = int(sys.argv[1]), Path(sys.argv[2])
args = sys.argv[sys.argv.index("--") + 1 :]
passed = 0


def point(label: str, before_death=lambda: None) -> None:
    global passed
    passed += 1
    with log.open("a", encoding="utf-8") as f:
        f.write(f"{label}\n")
    if passed == kill_at:
        before_death()
        os.kill(os.getpid(), signal.SIGKILL)


from huggingface_hub import HfApi  # noqa: E402

import hf_tweets.fsutil as fsutil  # noqa: E402

real_write, real_append, real_commit, real_swap = (
    fsutil.atomic_write_bytes,
    fsutil.append_line,
    HfApi.create_commit,
    fsutil._swap_in,
)


def atomic_write_bytes(path, data, *, verify=None):
    def check_then_point(tmp):
        if verify is not None:
            verify(tmp)
        point(f"temp:{path}")

    real_write(path, data, verify=check_then_point)
    point(f"renamed:{path}")


def append_line(path, line):
    def half():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as f:
            f.write((line + "\n").encode()[: len(line) // 2])

    point(f"half:{path}", half)
    real_append(path, line)


def create_commit(self, repo_id, *a, **kw):
    info = real_commit(self, repo_id, *a, **kw)
    point(f"commit:{repo_id}")
    return info


def swap_in(staging, target):
    point(f"staged:{target}")
    real_rename, renamed = os.rename, []

    def rename(source, destination):
        real_rename(source, destination)
        if not renamed:
            renamed.append(destination)
            point(f"swapping:{target}")

    os.rename = rename
    try:
        real_swap(staging, target)
    finally:
        os.rename = real_rename


import importlib  # noqa: E402
import pkgutil  # noqa: E402

import hf_tweets  # noqa: E402

fsutil.atomic_write_bytes, fsutil.append_line, HfApi.create_commit = atomic_write_bytes, append_line, create_commit
fsutil._swap_in = swap_in
for info in pkgutil.walk_packages(hf_tweets.__path__, "hf_tweets."):  # modules that import the writers by name
    if info.name.endswith("__main__"):
        continue
    module = importlib.import_module(info.name)
    for name, patched in (("atomic_write_bytes", atomic_write_bytes), ("append_line", append_line)):
        if hasattr(module, name) and module is not fsutil:
            setattr(module, name, patched)

from hf_tweets.cli import main  # noqa: E402

main(args)
