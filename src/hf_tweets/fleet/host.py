"""The bot host of ``--executor local``: one interpreter imports torch, transformers and hf-tweets once, then
forks a process per bot, so a batch pays for those imports (some 4 s) once instead of once per bot.

    python -m hf_tweets.fleet.host BATCH_PID

Requests come on stdin, one JSON line each: ``{"id": N, "argv": [...], "output": PATH}`` runs
``worker.main(argv)`` in a new process whose output goes to PATH; the answer, on stdout, is
``{"id": N, "code": C}`` when that process has ended (C as ``subprocess`` gives it: negative for a signal).

A bot's process is as much its own as a new interpreter would be: its memory is given back when it ends, and
its death (the OOM killer's SIGKILL) is nobody else's. The host has no thread, so forking it is safe. It ends
when its stdin closes or its batch dies, even by kill -9 (PR_SET_PDEATHSIG on Linux; elsewhere it looks at
its parent every second), and kills the bots still running as it goes: no bot trains on as an orphan.
``BotHost`` is the batch's end of it.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import itertools
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from concurrent.futures import Future

# What every bot needs, imported before the first fork. transformers imports the text-generation pipeline and
# GPT-2's modelling code lazily, so they are named too; peft only matters to --lora bots, and may be missing.
PRELOAD = (
    "torch",
    "transformers",
    "transformers.pipelines.text_generation",
    "transformers.models.gpt2.modeling_gpt2",
    "hf_tweets.pipeline",
    "hf_tweets.training.train",
    "hf_tweets.training.generate",
    "hf_tweets.fleet.worker",
)
OPTIONAL = ("peft",)


class HostGone(Exception):
    """The bot host ended while a bot was running or about to start (killed, out of memory, failed to start)."""


def main(argv: list[str]) -> int:
    from hf_tweets.errors import HfTweetsError
    from hf_tweets.fleet.worker import die_with_parent
    from hf_tweets.training import language

    batch = int(argv[0])
    die_with_parent(batch, watch=False)  # a watching thread would make the forks below unsafe: looked at in the loop
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the bots (the terminal sends it them too)
    for name in PRELOAD:
        importlib.import_module(name)
    for name in OPTIONAL:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    with contextlib.suppress(HfTweetsError):  # each bot's prepare would load the language detector (~1 s) again
        language.preload()  # missing, it fails the bots that need it, with its own message
    gc.freeze()  # what the imports made is never garbage: each bot's collections (and copies of pages) skip it
    _serve(batch)
    return 0


def _serve(batch: int) -> None:
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    running: dict[int, int] = {}  # pid -> request id
    buffer = b""
    try:
        while os.getppid() == batch:
            ready, _, _ = select.select([0, wake_r], [], [], 1.0)
            if wake_r in ready:
                os.read(wake_r, 4096)
            _reap(running)
            if 0 not in ready:
                continue
            chunk = os.read(0, 65536)
            if not chunk:
                return
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in filter(None, lines):
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    _bot(request, (wake_r, wake_w))
                running[pid] = request["id"]
    finally:
        for pid in running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _reap(running: dict[int, int]) -> None:
    """Answer for each bot process that has ended."""
    while running:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in running:
            answer = json.dumps({"id": running.pop(pid), "code": os.waitstatus_to_exitcode(status)})
            os.write(1, (answer + "\n").encode())


def _bot(request: dict, fds: tuple[int, int]) -> None:
    """The forked bot process: the host's pipes closed, its signals as a new interpreter has them, then the bot."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for fd in fds:
            os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        output = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(null, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        from hf_tweets.fleet import worker

        code = worker.main(request["argv"])
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # noqa: BLE001 - the process ends here whatever happened; its output says what
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


class BotHost:
    """The batch's end of a host: ``run(argv, output)`` runs one bot there and gives its exit code."""

    def __init__(self):
        self._errors = tempfile.TemporaryFile()  # what the host says if it fails (an import that breaks)
        command = [sys.executable, "-m", "hf_tweets.fleet.host", str(os.getpid())]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors)
        self._ids = itertools.count(1)
        self._waiting: dict[int, Future[int]] = {}
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, name="bot-host", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def run(self, argv: list[str], output: str) -> int:
        """Run ``worker.main(argv + [host pid])`` in a process of the host; its exit code (negative: a signal).
        Raises HostGone when the host ended first."""
        answer: Future[int] = Future()
        with self._lock:
            number = next(self._ids)
            self._waiting[number] = answer
            line = json.dumps({"id": number, "argv": [*argv, str(self.process.pid)], "output": output})
            stdin = self.process.stdin
            assert stdin is not None  # Popen(stdin=PIPE)
            try:
                stdin.write(line.encode() + b"\n")
                stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                self._waiting.pop(number, None)
                raise HostGone(self._why()) from None
        return answer.result()

    def _read(self) -> None:
        assert self.process.stdout is not None  # Popen(stdout=PIPE)
        for line in self.process.stdout:
            answer = json.loads(line)
            with self._lock:
                waiting = self._waiting.pop(answer["id"], None)
            if waiting is not None:
                waiting.set_result(answer["code"])
        self.process.wait()
        with self._lock:
            left, self._waiting = list(self._waiting.values()), {}
        for future in left:
            future.set_exception(HostGone(self._why()))

    def _why(self) -> str:
        """Why the host ended, in one line."""
        code = self.process.poll()
        if code is not None and code < 0:
            return f"the bot host was killed by {signal.Signals(-code).name}"
        self._errors.seek(0)
        last = self._errors.read().decode(errors="replace").strip().splitlines()[-1:]
        return f"the bot host ended ({' '.join(last[0].split())[:200] if last else f'exit code {code}'})"

    def close(self) -> None:
        """End the host (its bots have ended: the batch waited for them)."""
        assert self.process.stdin is not None and self.process.stdout is not None  # Popen(stdin=PIPE, stdout=PIPE)
        with contextlib.suppress(OSError, ValueError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)
        self.process.stdout.close()
        self._errors.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
