"""``--executor hf-jobs``: each bot one Hugging Face Job (hardware on the Hub), its outcome read from the Job.

A bot runs ``hf-tweets run ... --publish`` in a Job started with ``run_uv_job``: a stock Python image with uv,
hf-tweets installed there by uv (``package_spec``; by default this very version), the bot's flavor and time
limit or the executor's, and the labels ``hf-tweets=batch`` and ``bot=KEY``. A bot in a Job always publishes:
the Job's disk goes away with it. The user's token goes to the Job as the secret HF_TOKEN (with the X, Mastodon
and W&B keys this process has, as secrets of the same names), and only so: never in its environment, command,
labels, a log line or a message.

An archive bot's archive first goes to a private dataset repo of the user (``USER/hf-tweets-batch-HEX``); the
Job runs ``hf-tweets run --archive hf://datasets/USER/REPO/FILE ... --publish``, which downloads it first
(hub/datasets.py). The repo is deleted when the Job ends, whatever the outcome,
and by ``close()`` when the batch is interrupted.

A thread per bot polls ``inspect_job`` every ``poll`` seconds; the end of the Job becomes an Attempt
(``attempt_of``): COMPLETED is published (the URL of the "on the Hub:" line hf-tweets run prints); ERROR with
hf-tweets' own one-line error is the bot's failure, not retried; ERROR otherwise (killed, out of memory), a
timeout, CANCELED or DELETED is the worker's, worth one more try. ``close()`` cancels the Jobs still running.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
import time
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import huggingface_hub
from huggingface_hub import HfApi, JobInfo
from huggingface_hub.errors import HfHubHTTPError

from hf_tweets import __version__, settings
from hf_tweets.errors import ERROR_LINE, GaveUp, HfTweetsError, PublishError, SourceError, one_line, redact
from hf_tweets.fleet.base import DEFAULT_FLAVOR, DEFAULT_TIMEOUT, Attempt
from hf_tweets.fleet.spec import Bot
from hf_tweets.hub.client import call, status_of, token_help
from hf_tweets.hub.datasets import REMOTE
from hf_tweets.pipeline import ON_THE_HUB

PUBLISHED = re.compile(rf"{re.escape(ON_THE_HUB)}(\S+)")  # RunSummary.lines
TERMINAL = ("COMPLETED", "ERROR", "CANCELED", "DELETED")
PASSED_SECRETS = (settings.X_BEARER_TOKEN_ENV, settings.MASTODON_ACCESS_TOKEN_ENV, "WANDB_API_KEY")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}  # huggingface_hub's units for a Job's timeout
log = logging.getLogger("hf_tweets.fleet")


class HfJobsExecutor:
    name = "hf-jobs"

    def __init__(
        self,
        api: HfApi,
        *,
        package_spec: str | None = None,
        flavor: str = DEFAULT_FLAVOR,
        timeout: str = DEFAULT_TIMEOUT,
        namespace: str | None = None,
        poll: float = 10.0,
        jobs: int = 16,
    ):
        seconds(timeout)  # a bad default is refused now, not once per bot
        # huggingface_hub's Jobs calls warn on each use that they are experimental: three lines about its own
        # API that the user can do nothing about (the executor is tested against the Jobs API it targets)
        warnings.filterwarnings("ignore", message=r"'HfApi\.\w+' is experimental")
        self.api, self.flavor, self.timeout, self.namespace, self.poll = api, flavor, timeout, namespace, poll
        self.package_spec = package_spec or f"hf-tweets=={__version__}"
        self.pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="hf-job")
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._running: dict[str, str] = {}  # job id -> its namespace, while it runs
        self._uploads: set[str] = set()  # dataset repos not deleted yet
        self._user: str | None = None

    def submit(self, bot: Bot, avoid: str | None = None) -> Future[Attempt]:
        return self.pool.submit(self._run, bot)  # every Job gets fresh hardware: nothing to avoid

    def close(self) -> None:
        self.stopping.set()
        with self._lock:
            running, uploads = dict(self._running), set(self._uploads)
        for job_id, namespace in running.items():
            try:
                self._cancel(job_id, namespace)
            except Exception as error:  # noqa: BLE001 - the others are still canceled
                log.warning("could not cancel job %s (%s); cancel it with: hf jobs cancel %s", job_id, error, job_id)
        for repo_id in uploads:
            self._delete(repo_id)
        self.pool.shutdown(wait=True, cancel_futures=True)

    # -- one bot ------------------------------------------------------------------------------------

    def _run(self, bot: Bot) -> Attempt:
        token, upload, job_id = "", None, ""
        try:
            given = self.api.token if isinstance(self.api.token, str) else None  # True: the saved one, as below
            token = given or huggingface_hub.get_token() or ""
            if not token:
                raise PublishError(self.api.endpoint, "no Hugging Face token found", fix=token_help())
            timeout = bot.timeout or self.timeout
            seconds(timeout)
            upload = self._upload(bot) if bot.archive is not None else None
            job_id, namespace = self._start(bot, upload, token, timeout)
            info, logs = self._follow(job_id, namespace)
            attempt = attempt_of(bot.key, info, logs, timeout)
        except HfTweetsError as error:
            attempt = Attempt(bot.key, "failed", error.line(), worker=job_id, retry=isinstance(error, GaveUp))
        except Exception as error:  # noqa: BLE001 - one bot's trouble with the Hub is its outcome, not the batch's
            attempt = Attempt(bot.key, "failed", one_line(error, [])[:300], worker=job_id, retry=True)
        finally:
            if upload is not None:
                self._delete(upload)
        attempt.reason = redact(attempt.reason, [token] if token else [])
        return attempt

    def _upload(self, bot: Bot) -> str:
        assert bot.archive is not None  # _run uploads only a bot's archive
        archive = Path(bot.archive)
        if not archive.exists():  # this bot fails alone, and is not tried again: another worker will not find it
            raise SourceError("no such file", where=archive, fix="fix the path (relative to the batch file)")
        if archive.is_dir():
            raise HfTweetsError(
                "is a folder; a Hugging Face Job takes an archive as one file",
                where=archive,
                fix="give the export as the file you downloaded (its .zip), or run this bot with --executor local",
            )
        repo_id = f"{self._user_name()}/hf-tweets-batch-{secrets.token_hex(4)}"
        with self._lock:
            self._uploads.add(repo_id)
        call(lambda: self.api.create_repo(repo_id, repo_type="dataset", private=True), repo_id, "creating a repo")
        call(
            lambda: self.api.upload_file(
                path_or_fileobj=str(archive),
                path_in_repo=archive.name,
                repo_id=repo_id,
                repo_type="dataset",
                commit_message=f"Archive of {bot.key} for hf-tweets batch (deleted after its job)",
            ),
            repo_id,
            "uploading the archive",
        )
        return repo_id

    def _start(self, bot: Bot, upload: str | None, token: str, timeout: str) -> tuple[str, str]:
        namespace = self.namespace or self._user_name()
        slug = re.sub(r"[^A-Za-z0-9_-]", "-", bot.key)[:100]  # labels: letters, digits, '-' and '_' only
        tag = secrets.token_hex(8)  # finds the Job when the answer that started it was lost
        script, *args = job_command(bot, upload)

        def start() -> JobInfo:
            try:
                return self.api.run_uv_job(
                    script,
                    script_args=args,
                    dependencies=[self.package_spec],
                    flavor=bot.flavor or self.flavor,
                    timeout=timeout,
                    name=f"hf-tweets-{slug}"[:100],
                    labels={"hf-tweets": "batch", "bot": slug, "try": tag},
                    secrets=job_secrets(token),
                    namespace=namespace,
                )
            except HfHubHTTPError as error:
                status = status_of(error)
                if status in (402, 403):
                    raise _no_jobs(namespace, status) from None
                raise

        def started() -> JobInfo | None:
            return next(iter(self.api.list_jobs(namespace=namespace, labels={"try": tag})), None)

        info = call(start, namespace, "starting a job", before_retry=started)
        with self._lock:
            self._running[info.id] = namespace
        if self.stopping.is_set():  # close() came while it was starting
            self._cancel(info.id, namespace)
        return info.id, namespace

    def _cancel(self, job_id: str, namespace: str) -> None:
        call(lambda: self.api.cancel_job(job_id=job_id, namespace=namespace), job_id, "canceling a job")

    def _follow(self, job_id: str, namespace: str) -> tuple[JobInfo, list[str]]:
        """The Job's end (polling its stage) and its log lines."""
        try:
            while True:
                info = call(lambda: self.api.inspect_job(job_id=job_id, namespace=namespace), job_id, "checking a job")
                if str(info.status.stage) in TERMINAL:
                    break
                if self.stopping.wait(self.poll):
                    time.sleep(min(self.poll, 1.0))  # canceled by close(): look again soon for the end
        finally:
            with self._lock:
                self._running.pop(job_id, None)
        try:
            logs = call(lambda: list(self.api.fetch_job_logs(job_id=job_id, namespace=namespace)), job_id, "logs")
        except Exception as error:  # noqa: BLE001 - the stage alone still says how it ended
            log.warning("could not read the logs of job %s (%s)", job_id, error)
            logs = []
        return info, logs

    def _delete(self, repo_id: str) -> None:
        try:
            call(
                lambda: self.api.delete_repo(repo_id, repo_type="dataset", missing_ok=True), repo_id, "deleting a repo"
            )
        except Exception as error:  # noqa: BLE001 - say which repo is left, and go on
            log.warning("could not delete the private dataset %s (%s); delete it on the Hub", repo_id, error)
            return
        with self._lock:
            self._uploads.discard(repo_id)

    def _user_name(self) -> str:
        with self._lock:
            if self._user is None:
                self._user = call(lambda: self.api.whoami(), self.api.endpoint, "checking the token")["name"]
            return self._user


def _no_jobs(namespace: str, status: int) -> PublishError:
    return PublishError(
        namespace,
        f"Hugging Face Jobs refused to start a job (HTTP {status})",
        fix="Jobs need a PRO account or a Team/Enterprise organization with billing set up"
        " (https://huggingface.co/settings/billing), and a token allowed to start jobs",
    )


def job_secrets(token: str) -> dict[str, str]:
    """The Job's secrets: the Hub token, and the platform and W&B keys this process has (a bot of X handles
    needs the bearer token in the Job too). Secrets only: never the Job's environment or command."""
    others = {name: os.environ[name] for name in PASSED_SECRETS if os.environ.get(name)}
    return {"HF_TOKEN": token, **others}


def job_command(bot: Bot, upload: str | None) -> list[str]:
    """What the Job runs for ``bot`` (after ``uv run --with PACKAGE``); ``upload``: the repo holding its archive."""
    args = bot.run_args()
    if "--publish" not in args:
        args.append("--publish")
    if bot.archive is not None:
        args[args.index("--archive") + 1] = f"{REMOTE}{upload}/{Path(bot.archive).name}"
    return ["hf-tweets", *args]


def attempt_of(key: str, info: JobInfo, logs: list[str], timeout: str) -> Attempt:
    """What the end of a bot's Job means; see the module docstring."""
    stage, see = str(info.status.stage), f"logs: hf jobs logs {info.id}"
    if stage == "COMPLETED":
        urls = [m.group(1) for line in logs if (m := PUBLISHED.search(line))]
        if urls:
            return Attempt(key, "published", urls[-1], url=urls[-1], worker=info.id)
        reason = f"the job ended without publishing (no 'on the Hub' line in its {see})"
        return Attempt(key, "failed", reason, worker=info.id)
    if stage in ("CANCELED", "DELETED"):
        return Attempt(key, "failed", f"the job was {stage.lower()}", worker=info.id, retry=True)
    own = [line.split(ERROR_LINE, 1)[1].strip() for line in logs if ERROR_LINE in line]
    if own:
        return Attempt(key, "failed", own[-1], worker=info.id)
    if _timed_out(info, timeout):
        return Attempt(key, "failed", f"the job timed out after {_duration(timeout)}", worker=info.id, retry=True)
    message = " ".join((info.status.message or "no message").split())[:200]
    return Attempt(key, "failed", f"the job failed ({message}; {see})", worker=info.id, retry=True)


def _timed_out(info: JobInfo, timeout: str) -> bool:
    message = (info.status.message or "").lower()
    if "timeout" in message or "timed out" in message:
        return True
    if info.started_at is None or info.finished_at is None:
        return False
    return (info.finished_at - info.started_at).total_seconds() >= seconds(timeout)


def seconds(timeout: str | int) -> float:
    """A Job's time limit in seconds, read as huggingface_hub reads it (300, "300", "90s", "30m", "2h", "1d")."""
    text = str(timeout).strip()
    try:
        value = float(text[:-1]) * UNITS[text[-1]] if text and text[-1] in UNITS else float(text)
    except ValueError:
        value = -1
    if value <= 0:
        raise HfTweetsError(f"the job timeout '{timeout}' is not a duration", fix="write it as 90s, 30m, 2h or 1d")
    return value


def _duration(timeout: str) -> str:
    text = str(timeout).strip()
    return text if text[-1:] in UNITS else f"{text}s"
