"""``--executor local``: bots on this machine, one after another or ``--jobs N`` at a time, each in a process.

A process of its own per bot: a bot that runs out of memory or is killed takes nothing else with it, and
its memory is given back. Its outcome comes back in a result file (worker.py); a process that died before
writing one failed for a reason of the worker (a signal, the kernel's OOM killer) and is worth a retry.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from hf_tweets.fleet.base import Attempt, Folders
from hf_tweets.fleet.spec import Bot
from hf_tweets.fleet.worker import bot_to_json, log_path


class LocalExecutor:
    name = "local"

    def __init__(self, folders: Folders, jobs: int = 1):
        self.folders = folders
        self.pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="bot")

    def submit(self, bot: Bot, avoid: str | None = None) -> Future[Attempt]:
        return self.pool.submit(self._run, bot)

    def _run(self, bot: Bot) -> Attempt:
        with tempfile.TemporaryDirectory(prefix="hf-tweets-bot-") as scratch:
            result = Path(scratch) / "attempt.json"
            command = [sys.executable, "-m", "hf_tweets.fleet.worker", bot_to_json(bot)]
            command += [json.dumps(asdict(self.folders)), str(result), str(os.getpid())]
            process = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True)
            if result.exists():
                return Attempt(**json.loads(result.read_text(encoding="utf-8")))
        return Attempt(bot.key, "failed", _died(process, log_path(self.folders, bot.key)), retry=True)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _died(process: subprocess.CompletedProcess, log: Path) -> str:
    """Why a bot's process ended without an outcome, in one line."""
    code = process.returncode
    if code < 0:
        name = signal.Signals(-code).name
        cause = " (out of memory? the kernel's OOM killer sends it)" if -code == signal.SIGKILL else ""
        return f"its process was killed by {name}{cause}; see {log}"
    last = (process.stderr or "").strip().splitlines()[-1:] or [f"exit code {code}"]
    return f"its process ended without an outcome ({' '.join(last[0].split())[:200]}); see {log}"
