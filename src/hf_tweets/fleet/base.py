"""What every executor of ``hf-tweets batch`` does: run one bot somewhere and say how it went.

An executor takes a bot and gives back a ``concurrent.futures.Future`` of an ``Attempt``; it never
raises for a bot that failed (the failure is the Attempt). The batch (batch.py) decides what to do
next: journal it, or try once more on another worker when ``retry`` says another worker may succeed.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol

from hf_tweets.fleet.spec import Bot

STATUSES = ("trained", "published", "skipped", "failed")
EXECUTORS = ("local", "ray", "hf-jobs")  # --executor: each name is one module of this package
# Hugging Face Jobs: the hardware and time limit of a bot that names none (the batch's --flavor, --timeout)
DEFAULT_FLAVOR, DEFAULT_TIMEOUT = "t4-small", "2h"


@dataclass
class Attempt:
    """One try of one bot."""

    key: str
    status: str  # one of STATUSES
    reason: str = ""  # for skipped and failed: why, in one line; else what was made (the repo's URL)
    url: str | None = None  # the repo, when published
    worker: str = ""  # where it ran: "pid 123", a Ray node id, a job id
    retry: bool = False  # failed for a reason of the worker (killed, out of memory, lost, timed out), not the bot's


class Executor(Protocol):
    name: str

    def submit(self, bot: Bot, avoid: str | None = None) -> Future[Attempt]:
        """Start the bot; ``avoid``: the worker a failed first try ran on (run elsewhere if there is elsewhere)."""
        ...

    def close(self) -> None:
        """Release what the executor holds (processes, a Ray instance it started, upload repos)."""
        ...
