"""What ``republish`` shows: a rich progress bar whose ETA accounts for the commit ceiling, and the final table."""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from hf_tweets.hub.pacing import CommitBucket
from hf_tweets.hub.republish import Outcome, Report
from hf_tweets.text import plural


class Progress:
    """A progress bar on stderr, when it is a terminal. Its ETA is the larger of the observed rate's and
    how long the ceiling makes the commits still to come wait (the share of cards changing so far,
    times the repos left: free while the hour's allowance lasts, then an hour per allowance)."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled and sys.stderr.isatty()
        self.bar = RichProgress(
            TextColumn("republish"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[last]}"),
            TimeElapsedColumn(),
            TextColumn("eta {task.fields[eta]}"),
            console=Console(stderr=True),
            disable=not self.enabled,
        )
        self.task: TaskID | None = None  # start() adds it
        self.total, self.done, self.changed, self.started = 0, 0, 0, time.monotonic()
        self.pacer = CommitBucket(0)

    def __enter__(self) -> Progress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)

    def start(self, total: int, pacer: CommitBucket) -> None:
        self.total, self.pacer, self.started = total, pacer, time.monotonic()
        self.task = self.bar.add_task("republish", total=total, last="", eta="-")

    def advance(self, outcome: Outcome) -> None:
        self.done += 1
        self.changed += outcome.status in ("changed", "would change")
        assert self.task is not None  # republish starts the bar before its first outcome
        self.bar.update(self.task, advance=1, last=f"{outcome.repo_id}: {outcome.status}", eta=_clock(self.eta()))

    def eta(self) -> float:
        left = self.total - self.done
        observed = (time.monotonic() - self.started) / max(1, self.done) * left
        paced = self.pacer.delay(round(left * self.changed / max(1, self.done)))
        return max(observed, paced)


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def table(report: Report, dry_run: bool) -> str:
    """Counts, then one line per repo that was skipped, unreadable or failed (with the reason)."""
    counts = report.counts()
    order = ["would change", "changed", "unchanged", "not published", "skipped", "unreadable", "failed"]
    lines = [
        f"{'dry run: ' if dry_run else ''}{plural(len(report.outcomes), 'repo')} in {report.seconds:.1f} s: "
        + ", ".join(f"{counts[k]} {k}" for k in order if k in counts)
    ]
    for outcome in report.outcomes:
        if dry_run and outcome.diff:
            lines += outcome.diff
        if outcome.status in ("not published", "skipped", "unreadable", "failed") or (
            outcome.status == "changed" and outcome.reason
        ):
            lines.append(f"  {outcome.status:10} {outcome.repo_id}: {outcome.reason}")
    return "\n".join(lines)
