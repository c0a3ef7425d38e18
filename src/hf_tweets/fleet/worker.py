"""One bot of a batch, run in this process: the stages of ``hf-tweets run`` with the bot's settings, as an Attempt.

``main([BOT_JSON, FOLDERS_JSON, RESULT_FILE, PARENT_PID])`` is how the local executor runs a bot, in a
process its bot host (host.py) forks, which dies with the host; the Ray executor calls ``run_bot`` in a Ray
worker. Either way the output of the run goes to the bot's log file (data/batch/logs/KEY.log) and the outcome
is an Attempt, never an exception.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import threading
import time
from dataclasses import asdict
from pathlib import Path

from hf_tweets.errors import ERROR_LINE, ConsentError, GaveUp, HfTweetsError, TrainError, one_line, redact
from hf_tweets.fleet.base import Attempt
from hf_tweets.fleet.spec import Bot
from hf_tweets.folders import Folders
from hf_tweets.fsutil import atomic_write_text, child


def log_path(folders: Folders, key: str) -> Path:
    return child(folders.data / "batch" / "logs", key, ".log")


def run_bot(bot: Bot, folders: Folders) -> Attempt:
    """Run the bot's ``hf-tweets run`` stages here, its output appended to its log; see the module docstring."""
    from hf_tweets import settings

    worker = f"{socket.gethostname()} pid {os.getpid()}"
    log = log_path(folders, bot.key)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a", encoding="utf-8") as out, contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        print(f"--- {bot.key} on {worker}: hf-tweets {' '.join(bot.run_args())}", flush=True)
        try:
            summary = _run(bot, folders)
        except ConsentError as error:
            return Attempt(bot.key, "skipped", error.reason(bot.key), worker=worker)
        except Exception as error:  # noqa: BLE001 - a bot's failure is its outcome; a crash is worth one more try
            secrets = settings.secret_values()
            if isinstance(error, HfTweetsError):
                reason = redact(" ".join(error.reason(bot.key).split()), secrets)
                again = isinstance(error, GaveUp) or (isinstance(error, TrainError) and "out of memory" in error.what)
            else:
                reason, again = one_line(error, secrets)[:300], True
            print(ERROR_LINE + reason, flush=True)
            return Attempt(bot.key, "failed", reason, worker=worker, retry=again)
        print("\n".join(summary.lines()), flush=True)
    if summary.published:
        return Attempt(bot.key, "published", summary.published, url=summary.published, worker=worker)
    return Attempt(bot.key, "trained", f"model in {summary.out_dir}", worker=worker)


def _run(bot: Bot, folders: Folders):
    """What ``hf-tweets run <bot.run_args()>`` does, in this process: its options parsed and run as run's are."""
    from hf_tweets.options import parse_run, run_stages

    return run_stages(**parse_run(bot.run_args()[1:] + folders.args()), say=lambda line: print(line, flush=True))


def bot_to_json(bot: Bot) -> str:
    return json.dumps({**asdict(bot), "handles": list(bot.handles), "archive": bot.archive and str(bot.archive)})


def bot_from_json(text: str) -> Bot:
    data = json.loads(text)
    archive, settings = data["archive"] and Path(data["archive"]), tuple(tuple(pair) for pair in data["settings"])
    return Bot(**{**data, "handles": tuple(data["handles"]), "archive": archive, "settings": settings})


def die_with_parent(parent: int, watch: bool = True) -> None:
    """End this process when the one that started it (the batch, or its bot host) ends, even by kill -9: no bot
    trains on as an orphan beside the rerun. Linux: the kernel sends SIGKILL (prctl PR_SET_PDEATHSIG); elsewhere
    a thread looks, unless ``watch`` is False (the bot host looks itself: a thread would make its forks unsafe)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0:  # 1: PR_SET_PDEATHSIG
            if os.getppid() != parent:  # the parent died before the line above
                os._exit(1)
            return
    except (OSError, AttributeError):
        pass
    if not watch:
        return

    def look() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=look, name="parent-watch", daemon=True).start()


def main(argv: list[str]) -> int:
    die_with_parent(int(argv[3]))
    bot, folders, result = bot_from_json(argv[0]), Folders.from_json(argv[1]), Path(argv[2])
    attempt = run_bot(bot, folders)
    atomic_write_text(result, json.dumps(asdict(attempt)))
    return 0
