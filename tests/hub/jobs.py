"""The jobs endpoints of the loopback Hub: Hugging Face Jobs, run as processes on this machine.

The subset huggingface_hub 2.4's jobs API uses, shaped as its client sends and parses it:

* ``POST /api/jobs/{namespace}`` (``run_job``, ``run_uv_job``): the job spec as ``_create_job_spec`` builds
  it (``command``, ``arguments``, ``environment``, ``secrets``, ``flavor``, ``timeoutSeconds``, ``labels``,
  ``dockerImage`` or ``spaceId``); answers the job's info. 401 without a token, 403 for a namespace the token
  cannot write to, 400 for a spec the Hub would refuse (no command, an unknown flavor, labels that are not
  ``[A-Za-z0-9_-]{1,100}``, an environment or secrets that are not strings).
* ``GET /api/jobs/{namespace}/{id}`` (``inspect_job``, ``wait_for_job``): the info ``JobInfo`` parses: ``id``,
  ``createdAt``, ``startedAt``, ``finishedAt``, ``dockerImage``, ``command``, ``arguments``, ``environment``,
  ``secrets`` (the names only: a secret's value is never sent back), ``flavor``, ``labels``, ``status``
  (``stage``, ``message``), ``durations``, ``owner``.
* ``GET /api/jobs/{namespace}`` (``list_jobs``): every job of the namespace, filtered by ``stage`` and
  ``label`` (``key=value``) like the Hub.
* ``GET /api/jobs/{namespace}/{id}/logs`` (``fetch_job_logs``): server-sent events, one ``data: {"data": LINE,
  "timestamp": ISO}`` per line of output, the first being ``===== Job started at ... =====`` (which the client
  drops); ``tail=N`` keeps the last N. The stream ends with what is logged so far (the real Hub keeps it open
  while the job runs; the client asks again when it follows).
* ``POST /api/jobs/{namespace}/{id}/cancel`` (``cancel_job``): kills a running job; its stage becomes CANCELED.

A job really runs: a process on this machine, in a scratch folder of its own (its HOME and HF_HOME too), whose
environment is the job's ``environment`` and ``secrets`` as variables, plus what reaches this Hub (HF_ENDPOINT,
HF_HUB_DISABLE_XET=1), PATH, and PYTHONPATH naming the hf_tweets the tests import; nothing else of the test
process's environment (its HF_TOKEN included) is passed on. There are no images and no network: ``uv run [--with
DEP]... [--python V] PROGRAM ARGS`` (the command ``run_uv_job`` builds) runs PROGRAM with the test environment's
Python and packages instead (``python``, a ``.py`` script, or a program installed next to that Python, such as
``hf-tweets``); the dependencies are not installed, and a command that is not ``uv run`` runs as it is. Its output
(stdout and stderr) is the job's log. Stages: RUNNING from the start (no SCHEDULING), then COMPLETED (exit code 0),
ERROR (``Job failed with exit code: N``), CANCELED, or ERROR with ``Job timeout after N seconds`` when
``timeoutSeconds`` passed first and the process was killed. These messages are the loopback's own; the real Hub's
wording is not known here, so clients should not depend on it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

TERMINAL = ("COMPLETED", "CANCELED", "ERROR", "DELETED")
LABEL = re.compile(r"[A-Za-z0-9_-]{1,100}")
NS = r"(?P<namespace>[A-Za-z0-9][A-Za-z0-9._-]*)"
JOB = rf"{NS}/(?P<job_id>[0-9a-f]{{24}})"


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Job:
    """One job: its spec as the Hub received it, its process, stage and log."""

    id: str
    owner: str
    spec: dict
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    stage: str = "RUNNING"
    message: str | None = None
    logs: list[tuple[str, str]] = field(default_factory=list)  # (timestamp, line)
    process: subprocess.Popen | None = None
    ending: str | None = None  # why the loopback killed it: "canceled" or "timeout"
    done: threading.Event = field(default_factory=threading.Event)

    def log(self, line: str) -> None:
        self.logs.append((_iso(time.time()), line))

    def kill(self, why: str) -> None:
        if self.ending or self.stage in TERMINAL:
            return
        self.ending = why
        if self.process is None:  # not started yet: _run kills it as soon as it is
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # the job's whole process group, as a container is stopped
        except ProcessLookupError:
            pass

    def info(self, owner: str) -> dict:
        data = {
            "id": self.id,
            "createdAt": _iso(self.created),
            "dockerImage": self.spec.get("dockerImage"),
            "spaceId": self.spec.get("spaceId"),
            "command": self.spec.get("command"),
            "arguments": self.spec.get("arguments", []),
            "environment": self.spec.get("environment", {}),
            "secrets": {name: None for name in self.spec.get("secrets", {})},  # names only, never the values
            "flavor": self.spec.get("flavor"),
            "labels": self.spec.get("labels"),
            "status": {"stage": self.stage, "message": self.message},
            "owner": {"id": f"id-{owner}", "name": owner, "type": "user"},
        }
        end = self.finished or time.time()
        running = None if self.started is None else int(end - self.started)
        data["durations"] = {"schedulingSecs": 0, "runningSecs": running, "totalSecs": int(end - self.created)}
        if self.started is not None:
            data["startedAt"] = _iso(self.started)
        if self.finished is not None:
            data["finishedAt"] = _iso(self.finished)
        return data


class State:
    """Every job started since the last reset, by id; tests read ``jobs[id].spec`` (what the Hub received)."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}

    def reset(self) -> None:
        for job in list(self.jobs.values()):
            job.kill("canceled")
        for job in list(self.jobs.values()):
            job.done.wait(30)
        self.jobs.clear()

    def start(self, job: Job, hub_url: str) -> None:
        self.jobs[job.id] = job
        threading.Thread(target=_run, args=(job, hub_url), name=f"loopback-job-{job.id}", daemon=True).start()


def local_command(command: list[str]) -> list[str]:
    """The command to run here for a job's command (see the module docstring)."""
    if command[:2] != ["uv", "run"]:
        return command
    rest = command[2:]
    while len(rest) > 1 and rest[0] in ("--with", "--python"):
        rest = rest[2:]  # the dependencies and Python of the test environment are used instead
    if not rest:
        return command
    program, args = rest[0], rest[1:]
    if program in ("python", "python3"):
        return [sys.executable, *args]
    if program.endswith(".py"):
        return [sys.executable, program, *args]
    installed = shutil.which(program, path=str(Path(sys.executable).parent))
    return [installed or program, *args]


def _code_under_test() -> str:
    """The folder the test process imports hf_tweets from: a job runs that code too, not whatever checkout the
    environment's editable install points at (a test run in a git worktree would otherwise test main's code)."""
    import hf_tweets

    return str(Path(hf_tweets.__file__).resolve().parent.parent)


def _environment(job: Job, hub_url: str, scratch: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": _code_under_test(),
        "HOME": str(scratch),
        "HF_HOME": str(scratch / "hf-home"),
        "HF_ENDPOINT": hub_url,
        "HF_HUB_DISABLE_XET": "1",
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
        "PYTHONUNBUFFERED": "1",
        **{k: str(v) for k, v in job.spec.get("environment", {}).items()},
        **{k: str(v) for k, v in job.spec.get("secrets", {}).items()},
    }


def _run(job: Job, hub_url: str) -> None:
    scratch = Path(tempfile.mkdtemp(prefix=f"loopback-job-{job.id}-"))
    job.started = time.time()
    job.log(f"===== Job started at {_iso(job.started)} =====")
    timer = None
    try:
        job.process = subprocess.Popen(
            local_command(job.spec["command"]) + list(job.spec.get("arguments") or []),
            cwd=scratch,
            env=_environment(job, hub_url, scratch),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,  # its own process group: a timeout or cancel kills its children too
        )
        if job.ending:  # canceled while starting
            job.ending = None
            job.kill("canceled")
        if job.spec.get("timeoutSeconds"):
            timer = threading.Timer(job.spec["timeoutSeconds"], job.kill, args=("timeout",))
            timer.daemon = True
            timer.start()
        for line in job.process.stdout:
            job.log(line.rstrip("\n"))
        code = job.process.wait()
    except OSError as error:
        job.log(f"could not start the command: {error}")
        code = 127
    finally:
        if timer is not None:
            timer.cancel()
        shutil.rmtree(scratch, ignore_errors=True)
    job.finished = time.time()
    if job.ending == "canceled":
        job.stage = "CANCELED"
    elif job.ending == "timeout":
        job.stage, job.message = "ERROR", f"Job timeout after {job.spec['timeoutSeconds']} seconds"
    else:
        job.stage = "COMPLETED" if code == 0 else "ERROR"
        job.message = None if code == 0 else f"Job failed with exit code: {code}"
    job.done.set()


class Routes:
    """Handler methods for ROUTES (a mixin of the server's request handler)."""

    def run_job(self, namespace: str) -> None:
        from .server import HubError

        if self.who is None:
            raise HubError(401, "You must be authenticated to run a job")
        if not self.hub.can_write(self.who, namespace):
            raise HubError(403, f"You don't have the rights to run jobs under the namespace {namespace}")
        spec = self._body_json()
        _check_spec(spec)
        job = Job(secrets.token_hex(12), namespace, spec)
        self.hub.jobs.start(job, self.hub.url)
        self._json(job.info(namespace))

    def inspect_job(self, namespace: str, job_id: str) -> None:
        job = self._job(namespace, job_id)
        self._json(job.info(namespace))

    def list_jobs(self, namespace: str) -> None:
        self._job(namespace, None)
        stages = [v for k, v in _query_pairs(self.path) if k == "stage"]
        labels = [v.split("=", 1) for k, v in _query_pairs(self.path) if k == "label" and "=" in v]
        found = [
            job.info(namespace)
            for job in self.hub.jobs.jobs.values()
            if job.owner == namespace
            and (not stages or job.stage in stages)
            and all((job.spec.get("labels") or {}).get(key) == value for key, value in labels)
        ]
        self._json(found)

    def job_logs(self, namespace: str, job_id: str) -> None:
        job = self._job(namespace, job_id)
        lines = list(job.logs)
        tail = self.query.get("tail")
        if tail and tail.isdigit():
            lines = lines[-int(tail) :] if int(tail) else []
        events = "".join(f"data: {json.dumps({'data': line, 'timestamp': ts})}\n\n" for ts, line in lines)
        self._send(200, events.encode(), content_type="text/event-stream")

    def cancel_job(self, namespace: str, job_id: str) -> None:
        job = self._job(namespace, job_id)
        job.kill("canceled")
        self._json(job.info(namespace))

    def _job(self, namespace: str, job_id: str | None) -> Job | None:
        from .server import HubError

        if self.who is None:
            raise HubError(401, "You must be authenticated to see jobs")
        if not self.hub.can_write(self.who, namespace):
            raise HubError(403, f"You don't have the rights to see the jobs of {namespace}")
        if job_id is None:
            return None
        job = self.hub.jobs.jobs.get(job_id)
        if job is None or job.owner != namespace:
            raise HubError(404, f"Job {job_id} not found", "JobNotFound")
        return job


def _check_spec(spec: dict) -> None:
    # imported here: conftest imports this module before it sets HF_ENDPOINT, which huggingface_hub reads once
    from huggingface_hub import JobHardware

    from .server import HubError

    command = spec.get("command")
    if not isinstance(command, list) or not command or not all(isinstance(c, str) for c in command):
        raise HubError(400, "command must be a non-empty list of strings")
    if not (spec.get("dockerImage") or spec.get("spaceId")):
        raise HubError(400, "a job needs a dockerImage or a spaceId")
    if spec.get("flavor") not in {h.value for h in JobHardware}:
        raise HubError(400, f"unknown flavor {spec.get('flavor')!r}")
    for what in ("environment", "secrets"):
        values = spec.get(what, {})
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            raise HubError(400, f"{what} must map names to strings")
    for key, value in (spec.get("labels") or {}).items():
        if not (LABEL.fullmatch(key) and isinstance(value, str) and LABEL.fullmatch(value)):
            raise HubError(400, f"label {key}={value}: keys and values are 1-100 letters, digits, '-' and '_'")
    timeout = spec.get("timeoutSeconds")
    if timeout is not None and (not isinstance(timeout, int) or timeout <= 0):
        raise HubError(400, "timeoutSeconds must be a positive integer")


def _query_pairs(path: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl, urlsplit

    return parse_qsl(urlsplit(path).query)


ROUTES: list[tuple[str, str, str]] = [
    ("POST", rf"/api/jobs/{NS}", "run_job"),
    ("GET", rf"/api/jobs/{NS}", "list_jobs"),
    ("GET", rf"/api/jobs/{JOB}", "inspect_job"),
    ("GET", rf"/api/jobs/{JOB}/logs", "job_logs"),
    ("POST", rf"/api/jobs/{JOB}/cancel", "cancel_job"),
]
