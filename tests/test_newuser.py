"""What a new user hits first: hints that name a command that works, refusals before any work, honest wording."""

from __future__ import annotations

import json
import shutil

import pytest

from hf_tweets.cards.recordfile import save_record

from conftest import EXAMPLE_CARDS, REPO_ROOT, SAMPLE_ARCHIVE, make_record

EXAMPLE = SAMPLE_ARCHIVE


def stages(err: str) -> list[str]:
    return [line for line in err.splitlines() if line[:1].isdigit()]


# -- run: picks up where it stopped, and says so --------------------------------------------------


@pytest.mark.slow
def test_ctrl_c_in_run_names_a_command_that_works_and_run_goes_on(run, tmp_path, interrupt_training, fast):
    undo = interrupt_training(5)
    code, _, err = run("run", "--archive", str(EXAMPLE), *fast)
    assert code == 1 and "interrupted at step 5" in err and "run the same command again: it goes on from there" in err
    assert "--resume" not in err  # run has no --resume: it needs none
    undo()
    code, out, err = run("run", "--archive", str(EXAMPLE), *fast)
    assert code == 0, err
    marker = json.loads(
        next((tmp_path / "data" / "pixel_poet" / "checkpoints").glob("checkpoint-*/hf_tweets.json")).read_text()
    )
    assert marker["global_step"] == marker["max_steps"]
    assert (tmp_path / "out" / "pixel_poet" / "README.md").is_file() and (
        tmp_path / "out" / "pixel_poet" / "predictions.png"
    ).is_file()


@pytest.mark.slow
def test_a_training_resumed_by_hand_is_not_redone_by_run(run, prepared, tmp_path, interrupt_training, fast):
    undo = interrupt_training(5)
    assert run("train", "pixel_poet", *fast)[0] == 1
    undo()
    code, _, err = run("train", "pixel_poet", *fast, "--resume")
    assert code == 0, err
    code, out, err = run("run", "--archive", str(EXAMPLE), *fast)
    assert code == 0 and "prepare, train skipped: inputs unchanged" in out, out + err
    assert (tmp_path / "out" / "pixel_poet" / "README.md").is_file() and (
        tmp_path / "out" / "pixel_poet" / "predictions.png"
    ).is_file()


@pytest.mark.slow
def test_the_stage_counter_counts_the_stages_that_run_and_the_summary_tells_the_truth(run, hub, tmp_path, fast):
    code, out, err = run("run", "--archive", str(EXAMPLE), *fast)
    assert code == 0 and stages(err) == ["1/4 fetch", "2/4 prepare", "3/4 train", "4/4 card"]
    assert "publish it with --publish" in out
    assert run("run", "--archive", str(EXAMPLE), *fast, "--publish")[0] == 0
    code, out, err = run("run", "--archive", str(EXAMPLE), *fast)
    assert code == 0 and "publish it with --publish" not in out
    head = hub.repo("huggingtweets/pixel_poet").head.sha
    assert f"published earlier (commit {head[:7]}); add --publish to update it" in out


# -- run --publish: the token and the namespace are checked before any work -------------------------


@pytest.mark.parametrize(
    "token, message",
    [
        (
            None,
            "no Hugging Face token found; set HF_TOKEN or run `hf auth login`"
            " (a token with write access: {url}/settings/tokens)",
        ),
        ("reader", "the Hugging Face token is read-only"),
        ("outsider", "the token of 'outsider' cannot write to 'huggingtweets'"),
        ("bogus", "the Hugging Face token was refused (401)"),
    ],
    ids=["no token", "read-only token", "namespace not writable", "refused token"],
)
def test_run_publish_refuses_before_any_work(run, hub, tmp_path, monkeypatch, token, message, fast):
    if token is None:
        monkeypatch.delenv("HF_TOKEN")
    elif token == "reader":
        monkeypatch.setenv("HF_TOKEN", hub.add_user("reader", orgs={"huggingtweets"}, role="read"))
    elif token == "outsider":
        monkeypatch.setenv("HF_TOKEN", hub.add_user("outsider"))
    else:
        monkeypatch.setenv("HF_TOKEN", "hf_not_a_token_000000000000")
    code, _, err = run("run", "--archive", str(EXAMPLE), *fast, "--publish")
    assert code == 1 and message.format(url=hub.url) in err, err
    assert not (tmp_path / "data").exists() and not (tmp_path / "out").exists()  # not even the fetch ran
    assert "huggingface.co" not in err  # the Hub in use (HF_ENDPOINT) is the one named
    if token == "outsider":
        assert "--namespace outsider" in err


def test_whoami_is_asked_once_per_process(hub):
    from hf_tweets.hub import client as hub_client

    api = hub_client.client()
    before = hub.count("GET", "/api/whoami-v2")
    for _ in range(3):
        hub_client.check_write_access(api, "huggingtweets")
    assert hub.count("GET", "/api/whoami-v2") - before <= 1


# -- generate: a local typo fails at once ----------------------------------------------------------


@pytest.fixture
def local_model(tmp_path, tiny_model):
    shutil.copytree(tiny_model, tmp_path / "out" / "pixel_poet")
    return tmp_path / "out" / "pixel_poet"


@pytest.mark.parametrize(
    "model, message",
    [
        ("out/pixel_poett", "did you mean out/pixel_poet?"),
        ("pixel_poett", "did you mean pixel_poet?"),
        ("./elsewhere", "no such model folder"),
        ("/no/such/folder", "no such model folder"),
        ("~/no-such-model", "no such model folder"),
        ("out/pixel_poet/extra", "no such model folder"),
    ],
)
def test_generate_fails_at_once_for_what_looks_local(run, hub, local_model, model, message):
    code, _, err = run("generate", model)
    assert code == 1 and message in err and err.count("\n") == 1
    assert hub.requests == []  # never asked the Hub


@pytest.mark.parametrize("count", ["0", "-1"])
def test_generate_needs_at_least_one_text(run, local_model, count):
    code, _, err = run("generate", "pixel_poet", "-n", count)
    assert code == 2 and "-n" in err and ">=1" in err


def test_generate_still_goes_to_the_hub_for_a_repo_id(run, hub, tiny_model):
    from huggingface_hub import HfApi

    HfApi().create_repo("tester/bot")
    HfApi().upload_folder(folder_path=str(tiny_model), repo_id="tester/bot")
    code, out, err = run("generate", "tester/bot", "-n", "2", "--seed", "1")
    assert code == 0 and len(out.splitlines()) == 2, err


# -- records, republish and preview ---------------------------------------------------------------


def test_a_misspelled_record_name_suggests_the_close_one(run, tmp_path):
    save_record(make_record(), tmp_path / "cards" / "pixel_poet.yaml")
    code, _, err = run("card", "render", "pixel_poett")
    assert code == 1 and "did you mean pixel_poet?" in err


def test_a_users_records_never_land_among_the_bundled_examples(run, tmp_path, monkeypatch):
    """The quickstart's steps in a checkout: the record goes to ./cards, the shipped examples stay as they are."""
    checkout = tmp_path / "checkout"
    shutil.copytree(REPO_ROOT / "examples", checkout / "examples")
    shipped = {p.name: p.read_bytes() for p in (checkout / "examples" / "cards").iterdir()}
    monkeypatch.chdir(checkout)
    assert run("fetch", "--archive", "examples/sample-archive.zip")[0] == 0
    assert run("prepare", "pixel_poet")[0] == 0
    assert [p.name for p in (checkout / "cards").iterdir()] == ["pixel_poet.yaml"]
    assert {p.name: p.read_bytes() for p in (checkout / "examples" / "cards").iterdir()} == shipped
    assert sorted(shipped) == sorted(p.name for p in EXAMPLE_CARDS.iterdir())  # what the tests read as shipped


def test_republish_of_records_never_published_is_no_failure(run, hub, tmp_path):
    shutil.copytree(EXAMPLE_CARDS, tmp_path / "cards")
    code, out, _ = run("republish", "--dry-run")
    assert code == 0, out
    assert "dry run: 3 repos in " in out and "3 not published" in out
    assert "not published yet (run hf-tweets publish first)" in out


def test_republish_of_an_empty_folder_says_how_to_get_records(run, hub, tmp_path):
    (tmp_path / "cards").mkdir()
    code, _, err = run("republish")
    assert code == 1 and "cards: no card records to republish; get some with hf-tweets card import" in err


def test_republish_says_1_repo(run, hub, tmp_path):
    shutil.copytree(EXAMPLE_CARDS, tmp_path / "cards")
    code, out, _ = run("republish", "--dry-run", "--only", "mike_massive")
    assert out.startswith("dry run: 1 repo in ")


def test_the_preview_index_shows_the_thumbnail_run_drew(tmp_path):
    import http.client
    import threading

    from hf_tweets.cards.preview import serve
    from hf_tweets.cards.thumbnail import write_thumbnail

    record = make_record(thumbnail="predictions.png")
    save_record(record, tmp_path / "cards" / "pixel_poet.yaml")
    write_thumbnail(record, ["My dream is soup."], tmp_path / "out" / "pixel_poet" / "predictions.png", avatars=[None])
    ready = threading.Event()
    urls = []
    threading.Thread(
        target=serve,
        args=([], tmp_path / "cards"),
        kwargs={"out_root": tmp_path / "out", "ready": lambda url: (urls.append(url), ready.set())},
        daemon=True,
    ).start()
    assert ready.wait(10)
    host = urls[0].removeprefix("http://").rstrip("/")

    def get(path):
        connection = http.client.HTTPConnection(host, timeout=30)
        connection.request("GET", path)
        answer = connection.getresponse()
        return answer.status, answer.getheader("Content-Type"), answer.read()

    status, _, index = get("/")
    assert status == 200 and b'<img src="/thumb/pixel_poet"' in index
    status, kind, picture = get("/thumb/pixel_poet")
    assert (status, kind) == (200, "image/png") and picture.startswith(b"\x89PNG")
    assert get("/thumb/..%2Fcards")[0] == 400 and get("/thumb/nobody")[0] == 404


def test_a_published_thumbnail_resolves_on_the_hub_in_use():
    from hf_tweets.cards.record import thumbnail_url
    from hf_tweets.cards.render import render

    record = make_record(thumbnail="https://huggingface.co/huggingtweets/pixel_poet/resolve/main/predictions.png")
    assert record.thumbnail == "predictions.png"  # stored relative, whatever endpoint wrote it
    assert (
        thumbnail_url(record, "https://hub.example")
        == "https://hub.example/huggingtweets/pixel_poet/resolve/main/predictions.png"
    )
    assert "thumbnail: https://hub.example/huggingtweets/pixel_poet/resolve/main/predictions.png" in render(
        record, endpoint="https://hub.example"
    )
