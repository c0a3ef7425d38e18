"""``hf-tweets batch`` for the CLI: the executor asked for, the batch, and what it prints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hf_tweets.fleet.base import DEFAULT_FLAVOR, DEFAULT_TIMEOUT, Executor
from hf_tweets.fleet.batch import Report, journal_path, run_batch
from hf_tweets.fleet.spec import load_bots
from hf_tweets.folders import Folders
from hf_tweets.journal import Journal


@dataclass(frozen=True)
class BatchOptions:
    executor: str = "local"
    jobs: int = 1  # local: bots at a time
    ray_address: str | None = None
    package_spec: str | None = None  # what Ray or an HF Job installs (default: this hf-tweets version)
    flavor: str = DEFAULT_FLAVOR  # hf-jobs: the hardware of bots that name none
    timeout: str = DEFAULT_TIMEOUT  # hf-jobs: the time limit of bots that name none
    restart: bool = False  # forget the journal: run every bot again


def batch(
    file: Path, folders: Folders, options: BatchOptions, *, say: Callable[[str], None] = lambda line: None
) -> Report:
    """Check the file, then run its bots on the executor asked for; see fleet/batch.py."""
    bots = load_bots(file)  # the whole file is checked before any work
    journal = Journal(journal_path(folders.data), required=("status", "fingerprint"))
    return run_batch(bots, _executor(folders, options), journal, folders.optout, restart=options.restart, say=say)


def _executor(folders: Folders, options: BatchOptions) -> Executor:
    if options.executor == "ray":
        from hf_tweets.fleet.ray_executor import RayExecutor

        return RayExecutor(folders, options.ray_address, options.package_spec)
    if options.executor == "hf-jobs":
        from hf_tweets import settings
        from hf_tweets.fleet.hfjobs import HfJobsExecutor
        from hf_tweets.hub import client

        return HfJobsExecutor(
            client.client(),
            package_spec=options.package_spec,
            flavor=options.flavor,
            timeout=options.timeout,
            poll=settings.jobs_poll(),
        )
    from hf_tweets.fleet.local import LocalExecutor

    return LocalExecutor(folders, options.jobs)
