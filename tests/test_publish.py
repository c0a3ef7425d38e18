"""publish: one commit per publish, idempotent, against the loopback Hub with the real huggingface_hub client."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from huggingface_hub import HfApi, ModelCard

from hf_tweets.cards.recordfile import load_record, save_record
from hf_tweets.cards.render import render

REPO = "huggingtweets/pixel_poet"


def commits(hub, repo_id=REPO) -> int:
    repo = hub.repo(repo_id)
    return 0 if repo is None else len(repo.commits)


def publish(run, model, *extra):
    return run("publish", "pixel_poet", "--model-dir", str(model), *extra)


@pytest.mark.slow
def test_first_publish_is_one_commit_and_the_snippet_works(run, hub, card, tiny_model, tmp_path):
    code, out, err = publish(run, tiny_model)
    assert code == 0, err
    repo = hub.repo(REPO)
    assert len(repo.commits) == 2  # the repo's initial commit, then ours
    assert sorted(repo.head.files) == [
        ".gitattributes",
        "README.md",
        "config.json",
        "generation_config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
    ]
    assert repo.head.files["model.safetensors"].lfs  # went through the LFS batch API
    assert out == f"published {REPO}: commit {repo.head.sha[:7]} (6 added, 0 changed, 0 deleted) {hub.url}/{REPO}\n"
    record = load_record(card)
    assert record.published().commit == repo.head.sha
    assert hub.token not in out + err

    readme = hub.store.read_blob(repo.head.files["README.md"].sha256).decode()
    assert readme == render(record)
    card_data = ModelCard.load(REPO).data
    assert (card_data.pipeline_tag, card_data.library_name, card_data.license) == (
        "text-generation",
        "transformers",
        "mit",
    )
    assert card_data.widget == [{"text": "My dream is"}] and "huggingtweets" in card_data.tags

    # The card's usage snippet, exactly as written, in a fresh process with an empty HF_HOME.
    snippet = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    program = snippet.replace("generator(", "result = generator(") + "print(result[0]['generated_text'])\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env |= {"HF_ENDPOINT": hub.url, "HF_HOME": str(tmp_path / "fresh-home"), "HF_HUB_DISABLE_XET": "1"}
    ran = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert ran.stdout.startswith("My dream is")
    assert len(ran.stdout.strip()) > len("My dream is")


def test_unchanged_publish_makes_no_commit(run, hub, card, tiny_model):
    assert publish(run, tiny_model)[0] == 0
    before, requests = commits(hub), len(hub.requests)
    code, out, _ = publish(run, tiny_model)
    assert code == 0
    assert out == f"{REPO} is up to date at {hub.repo(REPO).head.sha[:7]}: nothing to publish ({hub.url}/{REPO})\n"
    assert commits(hub) == before
    assert len(hub.requests) - requests <= 2


def test_card_only_change_is_one_small_commit(run, hub, card, tiny_model):
    assert publish(run, tiny_model)[0] == 0
    record = load_record(card)
    record.license = "apache-2.0"
    save_record(record, card)
    before, requests = commits(hub), len(hub.requests)
    code, out, _ = publish(run, tiny_model)
    assert code == 0 and "(0 added, 1 changed, 0 deleted)" in out
    assert commits(hub) == before + 1
    new = hub.requests[requests:]
    assert len(new) <= 3, new
    assert not any("/lfs/" in path or "preupload" in path for _, path in new)
    assert ModelCard.load(REPO).data.license == "apache-2.0"


def test_files_the_new_version_lacks_are_deleted_in_the_same_commit(run, hub, card, tiny_model):
    api = HfApi()
    api.create_repo(REPO)
    api.upload_file(path_or_fileobj=b"old weights", path_in_repo="pytorch_model.bin", repo_id=REPO)
    before = commits(hub)
    code, out, _ = publish(run, tiny_model)
    assert code == 0 and "1 deleted" in out
    assert commits(hub) == before + 1
    assert "pytorch_model.bin" not in hub.repo(REPO).head.files


def test_dry_run_prints_the_plan_and_touches_nothing(run, hub, card, tiny_model):
    assert publish(run, tiny_model)[0] == 0
    record = load_record(card)
    record.users[0].display_name = "Pixel Poet II"
    save_record(record, card)
    saved, before = card.read_text(), commits(hub)
    code, out, _ = publish(run, tiny_model, "--dry-run")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"plan for {REPO} (against {hub.repo(REPO).head.sha[:7]}): 0 added, 1 changed, 0 deleted"
    assert re.fullmatch(r"  ~ README\.md \(\d+\.\d kB\)", lines[1])
    assert "-| Data | Pixel Poet |" in lines and "+| Data | Pixel Poet II |" in lines
    assert lines[-1] == "dry run: nothing was sent"
    assert commits(hub) == before and card.read_text() == saved


def test_dry_run_of_a_new_repo(run, hub, card, tiny_model):
    code, out, _ = publish(run, tiny_model, "--dry-run")
    assert code == 0 and out.startswith(f"plan for {REPO} (the repo would be created): 6 added")
    assert hub.repo(REPO) is None


def test_create_pr_leaves_main_alone(run, hub, card, tiny_model):
    assert publish(run, tiny_model)[0] == 0
    record = load_record(card)
    record.license = "other"
    save_record(record, card)
    head = hub.repo(REPO).head.sha
    code, out, _ = publish(run, tiny_model, "--create-pr")
    assert code == 0 and out.startswith(f"opened a pull request on {REPO}")
    assert out.rstrip().endswith(f"{REPO}/discussions/1")
    assert hub.repo(REPO).head.sha == head and len(hub.repo(REPO).prs) == 1
    assert load_record(card).published().commit == head  # the record follows main


def test_private_repo(run, hub, card, tiny_model, monkeypatch):
    assert publish(run, tiny_model, "--private")[0] == 0
    assert hub.repo(REPO).private
    monkeypatch.delenv("HF_TOKEN")
    assert not HfApi(token=False).repo_exists(REPO)  # hidden from anonymous readers


def test_namespace_flag_publishes_elsewhere(run, hub, card, tiny_model):
    code, out, _ = publish(run, tiny_model, "--namespace", "tester")
    assert code == 0 and hub.repo("tester/pixel_poet") is not None
    record = load_record(card)  # the override was for that run: the record still names its own namespace
    assert (
        record.namespace == "huggingtweets"
        and record.published("tester/pixel_poet").commit == hub.repo("tester/pixel_poet").head.sha
    )


# -- failure paths -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda hub, mp: mp.delenv("HF_TOKEN"), "no Hugging Face token found; set HF_TOKEN or run `hf auth login`"),
        (
            lambda hub, mp: mp.setenv("HF_TOKEN", "hf_test_not_a_known_token"),
            "the Hugging Face token was refused (401)",
        ),
        (
            lambda hub, mp: mp.setenv("HF_TOKEN", hub.add_user("outsider")),
            "your token cannot write to the namespace 'huggingtweets' (403)",
        ),
    ],
    ids=["no token", "wrong token", "namespace not writable"],
)
def test_token_problems(run, hub, card, tiny_model, monkeypatch, setup, message):
    setup(hub, monkeypatch)
    code, out, err = publish(run, tiny_model)
    assert code == 1 and out == ""
    assert err.startswith("hf-tweets: error: ") and message in err and err.count("\n") == 1
    assert hub.token not in err and (os.environ.get("HF_TOKEN") or "<none>") not in err
    assert hub.repo(REPO) is None and load_record(card).publish == {}


def test_commit_failing_twice_then_succeeding_publishes_once(run, hub, card, tiny_model):
    hub.fail("POST", r"/commit/", 500, times=2)
    code, out, err = publish(run, tiny_model)
    assert code == 0, err
    assert commits(hub) == 2  # initial + exactly one of ours
    assert hub.count("POST", "/commit/") == 3


def test_rate_limit_waits_for_retry_after(run, hub, card, tiny_model, monkeypatch):
    import hf_tweets.hub.client

    waits = []
    monkeypatch.setattr(hf_tweets.hub.client, "sleep", waits.append)
    hub.fail("POST", r"/commit/", 429, headers={"Retry-After": "7"})
    assert publish(run, tiny_model)[0] == 0
    assert waits == [7.0] and commits(hub) == 2


def test_dropped_connection_is_retried(run, hub, card, tiny_model):
    hub.fail("GET", rf"^/api/models/{REPO}$", 0)
    assert publish(run, tiny_model)[0] == 0
    assert commits(hub) == 2


def test_giving_up_says_nothing_was_committed(run, hub, card, tiny_model, monkeypatch):
    assert publish(run, tiny_model)[0] == 0
    record = load_record(card)
    record.license = "other"
    save_record(record, card)
    head = hub.repo(REPO).head.sha
    hub.fail("POST", r"/commit/", 503, times=10)
    code, _, err = publish(run, tiny_model)
    assert code == 1
    assert f"the commit failed 5 times (last: HTTP 503); nothing was committed (the repo is still at {head[:7]})" in err
    assert hub.repo(REPO).head.sha == head and load_record(card).published().commit == head


@pytest.mark.parametrize("change", ["first publish", "card-only change"])
def test_a_commit_whose_answer_was_lost_is_not_made_twice(run, hub, card, tiny_model, monkeypatch, change):
    """The server commits but the answer never arrives: the retry finds our files already there."""
    import hf_tweets.hub.publish as publish_module

    if change == "card-only change":  # no preupload then: only the check before the retry can tell
        assert publish(run, tiny_model)[0] == 0
        record = load_record(card)
        record.license = "other"
        save_record(record, card)
    before, posts = commits(hub), hub.count("POST", "/commit/")
    real = publish_module.HfApi.create_commit
    answers = []

    def lossy(self, *args, **kwargs):
        info = real(self, *args, **kwargs)
        answers.append(info.oid)
        if len(answers) == 1:
            raise ConnectionResetError("connection reset by peer")
        return info

    monkeypatch.setattr(publish_module.HfApi, "create_commit", lossy)
    code, out, err = publish(run, tiny_model)
    assert code == 0, err
    assert commits(hub) == (2 if change == "first publish" else before + 1)  # one commit of ours, not two
    assert load_record(card).published().commit == hub.repo(REPO).head.sha
    assert hub.count("POST", "/commit/") - posts == 1  # before retrying, the repo was found to hold the commit already


def test_a_repo_changed_by_someone_else_is_not_overwritten(run, hub, card, tiny_model, monkeypatch):
    import hf_tweets.hub.publish as publish_module

    assert publish(run, tiny_model)[0] == 0
    record = load_record(card)
    record.license = "other"
    save_record(record, card)
    real_plan = publish_module.make_plan

    def plan_then_someone_commits(*args, **kwargs):
        plan = real_plan(*args, **kwargs)
        HfApi().upload_file(path_or_fileobj=b"# edited by hand\n", path_in_repo="README.md", repo_id=REPO)
        return plan

    monkeypatch.setattr(publish_module, "make_plan", plan_then_someone_commits)
    code, _, err = publish(run, tiny_model)
    assert code == 1
    assert "the repo changed after the plan was made" in err and "nothing was overwritten" in err
    assert hub.store.read_blob(hub.repo(REPO).head.files["README.md"].sha256) == b"# edited by hand\n"


def test_missing_model_files(run, hub, card, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "config.json").write_text("{}")
    code, _, err = run("publish", "pixel_poet", "--model-dir", str(tmp_path / "empty"))
    assert code == 1
    assert "model folder is missing model.safetensors, tokenizer.json (or vocab.json and merges.txt)" in err
    assert hub.requests == []


def test_invalid_record_is_refused_before_any_request(run, hub, card, tiny_model):
    card.write_text(card.read_text().replace("kept: 2500", "kept: 7"))
    code, _, err = publish(run, tiny_model)
    assert code == 1 and "users[0].counts: kept (7) must equal" in err
    assert hub.requests == []
