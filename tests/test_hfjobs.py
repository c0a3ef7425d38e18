"""--executor hf-jobs: each bot one Hugging Face Job, run for real by the loopback Hub (tests/hub/jobs.py)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from huggingface_hub import HfApi, JobInfo

from hf_tweets import __version__
from hf_tweets.fleet.batch import run_batch
from hf_tweets.fleet.hfjobs import HfJobsExecutor, attempt_of, job_command
from hf_tweets.fleet.spec import Bot
from hf_tweets.journal import Journal

from archive_factory import made_up_tweets, write_archive
from hub.store import DATASETS

POLL = 0.1  # seconds between two inspect_job calls


@pytest.fixture
def uploads(hub, monkeypatch) -> list[tuple[str, bool]]:
    """(store key, private) of every repo the loopback Hub creates."""
    made, create = [], hub.store.create

    def spy(repo_id, private, *more, **named):
        made.append((repo_id, private))
        return create(repo_id, private, *more, **named)

    monkeypatch.setattr(hub.store, "create", spy)
    return made


def archive_bot(tmp_path, key: str, tweets: int = 200, **settings) -> Bot:
    archive = write_archive(tmp_path / f"{key}.zip", made_up_tweets(tweets), handle="quill_wren")
    return Bot(key=key, archive=archive, name=key, base_model=settings.pop("base_model", "tiny"), epochs=1, **settings)


def batch(bots: list[Bot], tmp_path, say=lambda line: None, **options):
    executor = HfJobsExecutor(HfApi(), poll=POLL, **options)
    return run_batch(bots, executor, Journal(tmp_path / "journal.jsonl"), tmp_path / "optout.yaml", say=say)


def datasets(hub) -> list[str]:
    return [key for key in hub.store.repos if key.startswith(DATASETS)]


def assert_token_kept_secret(hub, jobs) -> None:
    """The token reached each job as a secret, and nowhere else the Hub was told or shows."""
    for job in jobs:
        assert job.spec["secrets"] == {"HF_TOKEN": hub.token}
        assert hub.token not in json.dumps({k: v for k, v in job.spec.items() if k != "secrets"})
        assert not any(hub.token in line for _, line in job.logs)


@pytest.mark.slow
def test_an_archive_bot_runs_as_a_job_publishes_and_its_upload_is_deleted(hub, uploads, tmp_path, tiny_model):
    bot = archive_bot(tmp_path, "wren-bot", base_model=str(tiny_model))
    said = []  # each line the batch says, with the dataset repos there are when it says it
    report = batch([bot], tmp_path, say=lambda line: said.append((line, datasets(hub))))
    [job] = hub.jobs.jobs.values()
    [outcome] = report.outcomes
    url = f"{hub.url}/huggingtweets/wren-bot"
    assert (outcome.status, outcome.reason, outcome.url, outcome.worker) == ("published", url, url, job.id)
    assert {"config.json", "README.md"} <= set(hub.repo("huggingtweets/wren-bot").head.files)
    [(upload, private)] = [(key, private) for key, private in uploads if key.startswith(DATASETS)]
    assert private and upload.startswith("datasets/tester/hf-tweets-batch-") and datasets(hub) == []
    assert said == [("wren-bot: published", [])]  # deleted when the job ended, before the batch closed
    archive_url = f"hf://{upload}/wren-bot.zip"
    assert job.spec["command"] == [
        "uv", "run", "--with", f"hf-tweets=={__version__}", "hf-tweets", "run", "--archive", archive_url,
        "--name", "wren-bot", "--base-model", str(tiny_model), "--epochs", "1", "--no-onnx", "--publish",
    ]  # fmt: skip
    assert (job.spec["flavor"], job.spec["timeoutSeconds"], job.stage) == ("t4-small", 7200, "COMPLETED")
    labels = job.spec["labels"]
    assert labels == {"hf-tweets": "batch", "bot": "wren-bot", "name": "hf-tweets-wren-bot", "try": labels["try"]}
    assert re.fullmatch("[0-9a-f]{16}", labels["try"])  # how a start whose answer was lost is found
    assert_token_kept_secret(hub, [job])


def test_a_bot_that_fails_on_its_own_is_reported_with_its_error_and_not_retried(hub, tmp_path):
    bot = archive_bot(tmp_path, "empty-bot", tweets=0, flavor="cpu-basic")
    report = batch([bot], tmp_path)
    [job] = hub.jobs.jobs.values()
    [outcome] = report.outcomes
    [line] = [line for _, line in job.logs if line.startswith("hf-tweets: error: ")]
    assert "has no posts (an empty timeline)" in line
    assert (outcome.status, outcome.reason, outcome.retry, outcome.worker) == (
        "failed",
        line.removeprefix("hf-tweets: error: "),
        False,
        job.id,
    )
    assert (job.stage, job.spec["flavor"], datasets(hub)) == ("ERROR", "cpu-basic", [])
    assert_token_kept_secret(hub, [job])


def test_a_batch_of_jobs_shows_no_experimental_warning_of_huggingface_hub(hub, tmp_path):
    import warnings

    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        [outcome] = batch([archive_bot(tmp_path, "empty-bot", tweets=0)], tmp_path).outcomes
    assert outcome.status == "failed" and [str(w.message) for w in shown if "experimental" in str(w.message)] == []


@pytest.mark.parametrize("token", [None, True], ids=["no token given", "token=True (the saved one)"])
def test_the_job_gets_the_token_as_a_string_secret(hub, tmp_path, token):
    executor = HfJobsExecutor(HfApi(token=token), poll=POLL)
    bot = archive_bot(tmp_path, "empty-bot", tweets=0)
    report = run_batch([bot], executor, Journal(tmp_path / "journal.jsonl"), tmp_path / "cards")
    [outcome], [job] = report.outcomes, hub.jobs.jobs.values()  # the bot fails in its job (no posts), not before
    assert (outcome.status, outcome.worker, job.spec["secrets"]) == ("failed", job.id, {"HF_TOKEN": hub.token})


@pytest.mark.slow
def test_a_job_that_times_out_is_tried_once_more_then_reported_with_its_reason(hub, tmp_path):
    bot = archive_bot(tmp_path, "slow-bot", timeout="1s")
    report = batch([bot], tmp_path)
    jobs = list(hub.jobs.jobs.values())
    [outcome] = report.outcomes
    seen = (outcome, [(j.message, j.logs[-3:]) for j in jobs])  # what a failure shows
    assert [(j.stage, j.spec["timeoutSeconds"]) for j in jobs] == [("ERROR", 1), ("ERROR", 1)], seen
    assert (outcome.status, outcome.retry, outcome.worker) == ("failed", True, jobs[1].id)
    assert outcome.reason == "the job timed out after 1s (second try; the first failed: the job timed out after 1s)"
    assert datasets(hub) == []
    assert_token_kept_secret(hub, jobs)


def test_close_cancels_a_running_job_and_deletes_its_upload(hub, tmp_path):
    executor = HfJobsExecutor(HfApi(), poll=POLL)
    future = executor.submit(archive_bot(tmp_path, "long-bot"))
    deadline = time.monotonic() + 60
    while not (hub.jobs.jobs and datasets(hub)) and time.monotonic() < deadline:
        time.sleep(0.05)
    [job] = hub.jobs.jobs.values()
    executor.close()
    assert job.done.wait(30) and job.stage == "CANCELED"
    assert datasets(hub) == []
    outcome = future.result(timeout=30)
    assert (outcome.status, outcome.reason, outcome.retry) == ("failed", "the job was canceled", True)


# -- what a job runs, and what its end means --------------------------------------------------------------


@pytest.mark.parametrize(
    "bot, upload, expected",
    [
        (
            Bot(key="a", handles=("alice.bsky.social",)),
            None,
            ["hf-tweets", "run", "alice.bsky.social", "--no-onnx", "--publish"],
        ),
        (
            Bot(key="al", handles=("alice.bsky.social",), name="al", publish=True, lora=True),
            None,
            ["hf-tweets", "run", "alice.bsky.social", "--name", "al", "--lora", "--publish", "--no-onnx"],
        ),
        (
            Bot(key="a", archive=Path("/somewhere/a b.zip"), base_model="tiny"),
            "tester/hf-tweets-batch-0a1b",
            ["hf-tweets", "run", "--archive",
             "hf://datasets/tester/hf-tweets-batch-0a1b/a b.zip", "--base-model", "tiny", "--no-onnx", "--publish"],
        ),
        (Bot(key="a", handles=("alice",), onnx=True), None, ["hf-tweets", "run", "alice", "--onnx", "--publish"]),
    ],
    ids=["handles", "publish given already", "archive", "onnx given"],
)  # fmt: skip
def test_the_job_command(bot, upload, expected):
    """A bot without its own onnx setting gets the default where the batch starts (the suite's HF_TWEETS_ONNX=0)."""
    assert job_command(bot, upload) == expected


def info(stage: str, message: str | None = None, started="2025-07-16T20:00:00.000Z", finished=None) -> JobInfo:
    return JobInfo(
        id="68780d00bbe36d38803f645f",
        status={"stage": stage, "message": message},
        owner={"id": "1", "name": "tester", "type": "user"},
        startedAt=started,
        finishedAt=finished,
    )


URL = "https://huggingface.co/huggingtweets/wren-bot"
RUN_LOG = ["wren-bot: done", f"  on the Hub: {URL}"]
ERROR_LOG = ["training...", "hf-tweets: error: data/raw/x.jsonl: has no posts; fetch some first"]


@pytest.mark.parametrize(
    "job, logs, expected",
    [
        (info("COMPLETED"), RUN_LOG, ("published", URL, URL, False)),
        (info("COMPLETED"), ["wren-bot: done"], ("failed", "the job ended without publishing (no 'on the Hub' line in"
                                                 " its logs: hf jobs logs 68780d00bbe36d38803f645f)", None, False)),
        (info("ERROR", "Job failed with exit code: 1"), ERROR_LOG,
         ("failed", "data/raw/x.jsonl: has no posts; fetch some first", None, False)),
        (info("ERROR", "Job failed with exit code: 137"), ["training..."],
         ("failed", "the job failed (Job failed with exit code: 137; logs: hf jobs logs 68780d00bbe36d38803f645f)",
          None, True)),
        (info("ERROR", None, finished="2025-07-16T22:00:00.000Z"), ["training..."],
         ("failed", "the job timed out after 2h", None, True)),
        (info("ERROR", "Job timeout after 7200 seconds"), [], ("failed", "the job timed out after 2h", None, True)),
        (info("CANCELED"), RUN_LOG[:1], ("failed", "the job was canceled", None, True)),
        (info("DELETED"), [], ("failed", "the job was deleted", None, True)),
    ],
    ids=["published", "completed without url", "own error", "killed", "timed out", "timeout message", "canceled",
         "deleted"],
)  # fmt: skip
def test_what_the_end_of_a_job_means(job, logs, expected):
    attempt = attempt_of("wren-bot", job, logs, "2h")
    assert (attempt.status, attempt.reason, attempt.url, attempt.retry) == expected
    assert (attempt.key, attempt.worker) == ("wren-bot", job.id)


@pytest.mark.parametrize(
    "archive, message",
    [
        (
            "hf://datasets/tester/no-such-repo/a.zip",
            "tester/no-such-repo: the repo does not exist or your token cannot see it; check the name and the token",
        ),
        (
            "hf://datasets/tester/uploads/missing.zip",
            "tester/uploads: downloading missing.zip: no such file in the repo; check the archive's path",
        ),
    ],
    ids=["no repo", "no file"],
)
def test_an_archive_missing_from_its_dataset_repo_is_one_line(run, hub, archive, message):
    HfApi().create_repo("tester/uploads", repo_type="dataset", private=True)
    code, out, err = run("run", "--archive", archive, "--base-model", "tiny", "--wandb", "off")
    assert code == 1 and err.splitlines()[-1] == f"hf-tweets: error: {message}", err  # after "1/4 fetch"


def test_the_platform_and_wandb_keys_go_to_a_job_as_secrets_only(monkeypatch):
    from hf_tweets.fleet.hfjobs import job_secrets

    monkeypatch.setenv("X_BEARER_TOKEN", "x-bearer-made-up-123")
    monkeypatch.setenv("WANDB_API_KEY", "wandb-made-up-4567")
    monkeypatch.delenv("MASTODON_ACCESS_TOKEN", raising=False)
    assert job_secrets("hf_made_up_token") == {
        "HF_TOKEN": "hf_made_up_token",
        "X_BEARER_TOKEN": "x-bearer-made-up-123",
        "WANDB_API_KEY": "wandb-made-up-4567",
    }
