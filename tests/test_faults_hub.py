"""Fault suite: the Hub loses answers, drops connections, rate-limits and fails, on every write publish and
republish make. Whatever happens, a commit is made once (or not at all, and the error says so), and the record
says what is true."""

from __future__ import annotations

import pytest
from huggingface_hub import HfApi

from hf_tweets.cards.recordfile import load_record, save_record

from conftest import republish
from hub import LoopbackHub
from tiny_model import build_tiny_model

REPO = "huggingtweets/pixel_poet"
LOSE, DROP = LoopbackHub.LOSE, 0


@pytest.fixture
def model(tiny_model):
    return tiny_model


@pytest.fixture(autouse=True)
def quick_client_retries(monkeypatch):
    """huggingface_hub's own back-off (preupload, LFS) sleeps 1-8 s between tries: not in tests."""
    import huggingface_hub.utils._http as http

    monkeypatch.setattr(http.time, "sleep", lambda seconds: None)


def ours(hub, repo_id=REPO):
    """Commits on main after the repo's initial one."""
    repo = hub.repo(repo_id)
    return 0 if repo is None else len(repo.commits) - 1


def publish(run, model, *extra):
    return run("publish", "pixel_poet", "--model-dir", str(model), *extra)


# Every request a first publish makes that writes something, and what losing it or failing it means.
WRITES = [
    ("POST", r"^/api/repos/create$", "create_repo"),
    ("POST", r"^/api/validate-yaml$", "validate-yaml"),
    ("POST", r"/preupload/", "preupload"),
    ("POST", r"\.git/info/lfs/objects/batch$", "LFS batch"),
    ("PUT", r"^/_lfs/", "LFS upload"),
    ("POST", r"^/_lfs/.*/verify$", "LFS verify"),
    ("POST", r"/commit/", "commit"),
]


@pytest.mark.parametrize("status", [LOSE, DROP, 500, 503], ids=["answer lost", "connection dropped", "500", "503"])
@pytest.mark.parametrize("method, path, what", WRITES, ids=[w[2] for w in WRITES])
def test_first_publish_survives_one_fault_on_every_write(run, hub, card, model, method, path, what, status):
    hub.fail(method, path, status)
    code, out, err = publish(run, model)
    assert code == 0, err
    repo = hub.repo(REPO)
    assert ours(hub) == 1 and len(repo.prs) == 0  # one commit of ours: a lost answer is never committed again
    assert {"model.safetensors", "README.md", "config.json"} <= set(repo.head.files)
    assert f"commit: {repo.head.sha}" in card.read_text()  # and the record knows it


@pytest.mark.parametrize("status", [LOSE, 503], ids=["answer lost", "503"])
def test_a_card_change_survives_a_fault_on_its_commit(run, hub, card, model, status):
    assert publish(run, model)[0] == 0
    record = load_record(card)
    record.license = "other"
    save_record(record, card)
    hub.fail("POST", r"/commit/", status)
    code, out, err = publish(run, model)
    assert code == 0 and "(0 added, 1 changed, 0 deleted)" in out, err
    assert ours(hub) == 2 and f"commit: {hub.repo(REPO).head.sha}" in card.read_text()


@pytest.mark.parametrize("status", [LOSE, 503], ids=["answer lost", "503"])
def test_a_pull_request_whose_answer_was_lost_is_not_opened_twice(run, hub, card, model, status):
    assert publish(run, model)[0] == 0
    record = load_record(card)
    record.license = "other"
    save_record(record, card)
    hub.fail("POST", r"/commit/", status)
    code, out, err = publish(run, model, "--create-pr")
    assert code == 0, err
    assert len(hub.repo(REPO).prs) == 1 and out.rstrip().endswith(f"{REPO}/discussions/1")
    code, out, _ = publish(run, model, "--create-pr")  # the same again: the open pull request is the answer
    assert code == 0 and len(hub.repo(REPO).prs) == 1 and out.rstrip().endswith(f"{REPO}/discussions/1")


def test_republish_pull_requests_are_not_opened_twice(run, hub, tmp_path, changed_template):
    hub.fail("POST", r"/huggingtweets/bot0/commit/", LOSE)
    code, out, _ = republish(run, "--create-pr", "--only", "bot0")
    assert code == 0 and "1 changed" in out
    assert len(hub.repo("huggingtweets/bot0").prs) == 1


@pytest.mark.parametrize("status", [LOSE, DROP], ids=["answer lost", "connection dropped"])
def test_republish_reports_a_landed_commit_as_changed(run, hub, tmp_path, changed_template, status):
    """The answer is lost, the retry is refused (412: the repo moved, by our own commit): it landed, say so."""
    hub.fail("POST", r"/huggingtweets/bot1/commit/", status)
    code, out, _ = republish(run, "--jobs", "1")
    assert code == 0 and "6 changed" in out and "failed" not in out
    head = hub.repo("huggingtweets/bot1").head
    assert len(hub.repo("huggingtweets/bot1").commits) == 3  # created, seeded, republished once
    assert f"commit: {head.sha}" in (tmp_path / "cards" / "bot1.yaml").read_text()
    code, out, _ = republish(run)
    assert "6 unchanged" in out


def test_bursts_of_429_and_5xx_are_waited_out(run, hub, card, model, monkeypatch):
    import hf_tweets.hub.client

    waits = []
    monkeypatch.setattr(hf_tweets.hub.client, "sleep", waits.append)
    hub.fail("POST", r"/commit/", 429, times=2, headers={"Retry-After": "3"})
    hub.fail("POST", r"/commit/", 502, times=2)
    code, out, err = publish(run, model)
    assert code == 0 and ours(hub) == 1, err
    assert waits[:2] == [3.0, 3.0] and len(waits) == 4
    assert err.count("the Hub asked to wait 3 s (HTTP 429); waiting before trying the commit again") == 2


@pytest.mark.parametrize("parent, was", [(None, "empty"), ("head", "at {head}")], ids=["no parent", "a parent"])
def test_a_refused_commit_says_where_its_plan_was(hub, parent, was):
    from hf_tweets.errors import ConcurrentUpdateError
    from hf_tweets.hub import client

    HfApi().create_repo(REPO)
    head = hub.repo(REPO).head.sha
    request = client.Commit(REPO, head if parent else None, {"a.txt": client.LocalFile.of("a.txt", b"a\n")})
    hub.fail("POST", r"/commit/", 412)
    with pytest.raises(ConcurrentUpdateError) as raised:
        client.commit(HfApi(), request)
    assert raised.value.line() == (
        f"{REPO}: the repo changed after the plan was made (it is no longer {was.format(head=head[:7])}); nothing was"
        " overwritten; run the command again to plan against the new version (add --dry-run to see it first)"
    )
    assert ours(hub) == 0


def test_a_retry_after_beyond_the_cap_ends_with_what_to_do(run, hub, card, model, monkeypatch):
    import hf_tweets.hub.client

    monkeypatch.setattr(hf_tweets.hub.client, "sleep", lambda s: pytest.fail(f"slept {s} s"))
    monkeypatch.setenv("HF_TWEETS_MAX_RETRY_WAIT", "60")
    hub.fail("POST", r"/commit/", 429, headers={"Retry-After": "86400"})
    code, _, err = publish(run, model)
    assert code == 1 and ours(hub) == 0
    assert "the Hub asked to wait 86400 s (HTTP 429), longer than HF_TWEETS_MAX_RETRY_WAIT (60 s)" in err
    assert "nothing was committed" in err and "HF_TWEETS_MAX_RETRY_WAIT=86400" in err


def test_persistent_lfs_failures_say_nothing_was_committed(run, hub, card, tmp_path):
    model = build_tiny_model(tmp_path / "fresh", seed=20261122)  # weights the Hub has never stored: they must go up
    hub.fail("PUT", r"^/_lfs/", 500, times=100)
    code, _, err = publish(run, model)
    assert code == 1 and hub.repo(REPO) is not None and ours(hub) == 0
    assert "nothing was committed (the repo is still at " in err and "run the command again" in err
    assert err.count("hf-tweets: error:") == 1 and "commit:" not in card.read_text()


def test_namespace_override_is_for_that_run_only(run, hub, card, model):
    assert publish(run, model, "--namespace", "tester")[0] == 0
    assert publish(run, model)[0] == 0  # a plain publish goes where the record says
    record = load_record(card)
    assert record.namespace == "huggingtweets"
    assert record.published("tester/pixel_poet").commit == hub.repo("tester/pixel_poet").head.sha
    assert record.published(REPO).commit == hub.repo(REPO).head.sha  # both repos' states are kept
    assert "127.0.0.1" not in card.read_text()  # nothing of the endpoint in use is stored


def test_the_thumbnail_follows_the_hub_it_is_published_to(run, hub, card, model, tmp_path):
    import shutil

    folder = tmp_path / "with-thumbnail"
    shutil.copytree(model, folder)
    (folder / "predictions.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    assert publish(run, folder)[0] == 0
    assert load_record(card).thumbnail == "predictions.png"
    readme = hub.store.read_blob(hub.repo(REPO).head.files["README.md"].sha256).decode()
    assert f"thumbnail: {hub.url}/{REPO}/resolve/main/predictions.png" in readme


def test_a_repo_created_by_a_lost_answer_is_used(run, hub, card, model):
    """create_repo's answer is lost: the repo exists; the retry's 409 is fine and nothing is created twice."""
    hub.fail("POST", r"^/api/repos/create$", LOSE)
    assert publish(run, model)[0] == 0
    assert HfApi().repo_exists(REPO) and ours(hub) == 1
