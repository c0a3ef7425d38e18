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

The tests use ``Killer``: each run is a process forked from a multiprocessing forkserver that imported
torch, transformers and hf-tweets (patched) once, instead of a new interpreter that spends ~4 s importing
them. The forkserver is a fresh interpreter with no threads, so forking it is safe; the runs it forks are
real processes, killed for real.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from pathlib import Path

kill_at, log, passed, installed = 0, Path(os.devnull), 0, False


def point(label: str, before_death=lambda: None) -> None:
    global passed
    passed += 1
    with log.open("a", encoding="utf-8") as f:
        f.write(f"{label}\n")
    if passed == kill_at:
        before_death()
        os.kill(os.getpid(), signal.SIGKILL)


def install() -> None:
    """Patch hf-tweets' writers and huggingface_hub's commit so that each passes a point."""
    global installed
    if installed:
        return
    import importlib
    import pkgutil

    from huggingface_hub import HfApi

    import hf_tweets
    import hf_tweets.fsutil as fsutil

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

    fsutil.atomic_write_bytes, fsutil.append_line, HfApi.create_commit = atomic_write_bytes, append_line, create_commit
    fsutil._swap_in = swap_in
    for info in pkgutil.walk_packages(hf_tweets.__path__, "hf_tweets."):  # modules that import the writers by name
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, patched in (("atomic_write_bytes", atomic_write_bytes), ("append_line", append_line)):
            if hasattr(module, name) and module is not fsutil:
                setattr(module, name, patched)
    installed = True


def run(n: int, log_path: Path, args: list[str]) -> int:
    """Run ``hf-tweets ARGS`` in this process, killing it at point ``n`` (0: never); the exit code."""
    global kill_at, log, passed
    install()
    kill_at, log, passed = n, Path(log_path), 0
    from hf_tweets.cli import main

    try:
        main(args)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    return 0


def _forked(n: int, log_path: str, args: list[str], cwd: str, env: dict, output: str) -> None:
    """The body of one forked run: its own folder, environment and output file, then ``run``."""
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    code = run(n, Path(log_path), args)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


class Killer:
    """Runs of hf-tweets, each in a process forked from one that has imported everything (see above)."""

    PRELOAD = "kill_at_preload"  # imports torch, transformers and this module, installed

    def __init__(self):
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload([self.PRELOAD])

    def _start(self) -> None:
        """Start the forkserver with this folder on its path (Python 3.11's forkserver ignores the parent's
        sys.path, and would skip the preload without a word)."""
        from multiprocessing import forkserver

        before = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent), before]))
        try:
            forkserver.ensure_running()
        finally:
            os.environ.pop("PYTHONPATH") if before is None else os.environ.update(PYTHONPATH=before)

    def __call__(self, n: int, log_path: Path, args: list[str], cwd: Path, env: dict) -> tuple[int, str]:
        """(exit code, -9 when killed; what it printed)."""
        self._start()
        output = Path(cwd).parent / f".{Path(cwd).name}.output"
        process = self.context.Process(target=_forked, args=(n, str(log_path), args, str(cwd), env, str(output)))
        process.start()
        process.join(600)
        if process.exitcode is None:
            process.kill()
            process.join()
            raise AssertionError(f"hf-tweets {' '.join(args)} did not end in 600 s")
        text = output.read_text(errors="replace") if output.exists() else ""
        output.unlink(missing_ok=True)
        return process.exitcode, text


if __name__ == "__main__":
    sys.exit(run(int(sys.argv[1]), Path(sys.argv[2]), sys.argv[sys.argv.index("--") + 1 :]))
