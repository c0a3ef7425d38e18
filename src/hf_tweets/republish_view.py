"""What ``republish`` shows: a rich progress bar (its ETA follows the observed rate, paced commits
included) and the final table."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichProgress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from .republish import Outcome, Report


class Progress:
    """A progress bar on stderr, when it is a terminal."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled and sys.stderr.isatty()
        self.bar = RichProgress(TextColumn("republish"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[last]}"),
                                TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                                console=Console(stderr=True), disable=not self.enabled)
        self.task = None

    def __enter__(self) -> Progress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)

    def start(self, total: int, interval: float) -> None:
        self.task = self.bar.add_task("republish", total=total, last="")

    def advance(self, outcome: Outcome) -> None:
        self.bar.update(self.task, advance=1, last=f"{outcome.repo_id}: {outcome.status}")


def table(report: Report, dry_run: bool) -> str:
    """Counts, then one line per repo that was skipped, unreadable or failed (with the reason)."""
    counts = report.counts()
    order = ["would change", "changed", "unchanged", "skipped", "unreadable", "failed"]
    lines = [f"{'dry run: ' if dry_run else ''}{len(report.outcomes)} repos in {report.seconds:.1f} s: "
             + ", ".join(f"{counts[k]} {k}" for k in order if k in counts)]
    for outcome in report.outcomes:
        if dry_run and outcome.diff:
            lines += outcome.diff
        if outcome.status in ("skipped", "unreadable", "failed") or (outcome.status == "changed" and outcome.reason):
            lines.append(f"  {outcome.status:10} {outcome.repo_id}: {outcome.reason}")
    return "\n".join(lines)
