"""``--executor local``: bots on this machine, one after another or ``--jobs N`` at a time, each in a process.

A process of its own per bot: a bot that runs out of memory or is killed takes nothing else with it, and
its memory is given back. The processes are forked by one bot host per batch (host.py), which imports torch
and transformers once for them all. A bot's outcome comes back in a result file (worker.py); a process that
died before writing one failed for a reason of the worker (a signal, the kernel's OOM killer) and is worth a
retry, and so is a bot whose host ended under it (the next bot gets a new host).
"""

from __future__ import annotations

import json
import signal
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from hf_tweets.fleet.base import Attempt
from hf_tweets.fleet.host import BotHost, HostGone
from hf_tweets.fleet.spec import Bot
from hf_tweets.fleet.worker import bot_to_json, log_path
from hf_tweets.folders import Folders


class LocalExecutor:
    name = "local"

    def __init__(self, folders: Folders, jobs: int = 1):
        self.folders = folders
        self.pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="bot")
        self._host: BotHost | None = None
        self._lock = threading.Lock()

    def submit(self, bot: Bot, avoid: str | None = None) -> Future[Attempt]:
        return self.pool.submit(self._run, bot)

    def host(self) -> BotHost:
        """The bot host, started at the first bot (and again after one that ended)."""
        with self._lock:
            if self._host is None or not self._host.alive:
                if self._host is not None:
                    self._host.close()
                self._host = BotHost()
            return self._host

    def _run(self, bot: Bot) -> Attempt:
        log = log_path(self.folders, bot.key)
        with tempfile.TemporaryDirectory(prefix="hf-tweets-bot-") as scratch:
            result, output = Path(scratch) / "attempt.json", Path(scratch) / "output"
            argv = [bot_to_json(bot), self.folders.to_json(), str(result)]
            try:
                code = self.host().run(argv, str(output))
            except HostGone as gone:
                return Attempt(bot.key, "failed", f"{gone}; see {log}", retry=True)
            if result.exists():
                return Attempt(**json.loads(result.read_text(encoding="utf-8")))
            said = output.read_text(encoding="utf-8", errors="replace") if output.exists() else ""
        return Attempt(bot.key, "failed", _died(code, said, log), retry=True)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            if self._host is not None:
                self._host.close()
                self._host = None


def _died(code: int, said: str, log: Path) -> str:
    """Why a bot's process ended without an outcome, in one line (``said``: what it printed)."""
    if code < 0:
        name = signal.Signals(-code).name
        cause = " (out of memory? the kernel's OOM killer sends it)" if -code == signal.SIGKILL else ""
        return f"its process was killed by {name}{cause}; see {log}"
    last = said.strip().splitlines()[-1:] or [f"exit code {code}"]
    return f"its process ended without an outcome ({' '.join(last[0].split())[:200]}); see {log}"
