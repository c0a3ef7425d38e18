"""``hf-tweets batch FILE``: every bot of the file through one executor, resumable, one bot's failure its own.

Before any work: the file is checked whole (spec.py) and each bot's accounts against the opt-out list (an
opted-out bot is skipped, never sent to a worker). A bot whose journal entry has its fingerprint and a
finished status (trained, published) is skipped as done: rerunning the same command goes on where it
stopped. A bot whose try failed for a reason of its worker (killed, out of memory, lost, timed out) is tried
once more, on another worker where the executor has one. Each outcome is journaled as it comes
(data/batch/journal.jsonl, one JSON line, whole or not at all) and reported; the batch ends with one line per bot.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import asdict, dataclass
from pathlib import Path

from hf_tweets import consent
from hf_tweets.errors import ConsentError, HfTweetsError, one_line
from hf_tweets.fleet.base import Attempt, Executor
from hf_tweets.fleet.spec import Bot
from hf_tweets.journal import Journal

FINISHED = ("trained", "published")


def journal_path(data_dir: Path) -> Path:
    return data_dir / "batch" / "journal.jsonl"


@dataclass
class Report:
    outcomes: list[Attempt]

    @property
    def failed(self) -> bool:
        return any(o.status == "failed" for o in self.outcomes)

    def repo_ids(self) -> list[str]:
        """The repos of the bots on the Hub: published now, or in an earlier run of the batch."""
        return ["/".join(o.url.rstrip("/").split("/")[-2:]) for o in self.outcomes if o.url]

    def lines(self) -> list[str]:
        width = max((len(o.key) for o in self.outcomes), default=0)
        return [f"{o.key:<{width}}  {o.status:<9}  {o.reason}".rstrip() for o in self.outcomes]

    def json_lines(self) -> str:
        return "\n".join(
            json.dumps({k: v for k, v in asdict(o).items() if v not in ("", None, False)}) for o in self.outcomes
        )


def run_batch(
    bots: list[Bot],
    executor: Executor,
    journal: Journal,
    optout: Path,
    *,
    restart: bool = False,
    say: Callable[[str], None] = lambda line: None,
) -> Report:
    """Run every bot not finished before; see the module docstring (``optout``: the opt-out list's path)."""
    outcomes: dict[str, Attempt] = {}
    pending: dict[Future, tuple[Bot, Attempt | None]] = {}
    for bot in bots:
        if (early := _before_work(bot, journal, optout, restart)) is not None:
            outcomes[bot.key] = early
            say(f"{bot.key}: {early.status} ({early.reason})")
            continue
        pending[executor.submit(bot)] = (bot, None)
    try:
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in [f for f in pending if f in done]:  # in the order they were started: a steady report
                bot, first = pending.pop(future)
                attempt = _result(future, bot)
                if attempt.status == "failed" and attempt.retry and first is None:
                    say(f"{bot.key}: failed on {attempt.worker or 'a worker'} ({attempt.reason}); trying once more")
                    pending[executor.submit(bot, avoid=attempt.worker or None)] = (bot, attempt)
                    continue
                if first is not None:
                    attempt.reason = f"{attempt.reason} (second try; the first failed: {first.reason})".lstrip()
                outcomes[bot.key] = _journaled(journal, bot, attempt)
                say(f"{bot.key}: {attempt.status}")
    finally:
        executor.close()
    return Report([outcomes[bot.key] for bot in bots])


def _journaled(journal: Journal, bot: Bot, attempt: Attempt) -> Attempt:
    """The attempt once its journal line is written; a line that cannot be (a full disk) fails it: a rerun then
    runs the bot again (its run skips what is current) instead of trusting a journal that does not know."""
    try:
        journal.write({"key": bot.key, "fingerprint": bot.fingerprint(), **asdict(attempt)})
    except HfTweetsError as error:
        done = f"{attempt.status} ({attempt.reason})" if attempt.reason else attempt.status
        return Attempt(bot.key, "failed", f"{done}, but {error.line()}", attempt.url, attempt.worker)
    return attempt


def _before_work(bot: Bot, journal: Journal, optout: Path, restart: bool) -> Attempt | None:
    """The outcome of a bot that needs no worker: finished in an earlier run, or opted out; else None."""
    entry = journal.get(bot.key)
    if not restart and entry and entry.get("status") in FINISHED and entry.get("fingerprint") == bot.fingerprint():
        url = f": {entry['url']}" if entry.get("url") else ""
        reason = f"{entry['status']} in an earlier run{url} (--restart runs it again)"
        return Attempt(bot.key, "skipped", reason, url=entry.get("url"))
    try:
        consent.check(bot.accounts(), optout)
    except ConsentError as error:
        return Attempt(bot.key, "skipped", error.reason(bot.key))
    except HfTweetsError as error:  # an unreadable opt-out list stops nothing but the bots it would decide
        return Attempt(bot.key, "failed", error.reason(bot.key))
    return None


def _result(future: Future, bot: Bot) -> Attempt:
    try:
        return future.result()
    except Exception as error:  # noqa: BLE001 - an executor's own failure is this bot's outcome, not the batch's
        return Attempt(bot.key, "failed", one_line(error, [])[:300], retry=True)
