"""What a new user hits first: hints that name a command that works, refusals before any work, honest wording."""

from __future__ import annotations

import json
import shutil

import pytest

from hf_tweets.cards.recordfile import save_record

from conftest import EXAMPLE_CARDS, REPO_ROOT, SAMPLE_ARCHIVE, make_record

EXAMPLE = SAMPLE_ARCHIVE
MARKED = ["bot", "machine_generated", "prompt", "text"]  # the keys of a generate --json item


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
    then = "next: hf-tweets generate pixel_poet (then: hf-tweets publish pixel_poet --model-dir out/pixel_poet)"
    assert out.splitlines()[-1] == "  model and card: out/pixel_poet/" and hints(err) == [then]
    code, out, err = run("run", "--archive", str(EXAMPLE), *fast, "--publish")
    assert code == 0 and out.splitlines()[-1] == f"  on the Hub: {hub.url}/huggingtweets/pixel_poet"
    assert hints(err) == []  # published: the URL is the last word
    code, out, err = run("run", "--archive", str(EXAMPLE), *fast)
    head = hub.repo("huggingtweets/pixel_poet").head.sha
    assert code == 0 and out.splitlines()[-1] == f"  published earlier (commit {head[:7]})" and hints(err) == [then]


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


@pytest.mark.parametrize(
    "kind, missing",
    [
        ("full", "model.safetensors or pytorch_model.bin"),
        ("adapter", "adapter_model.safetensors or adapter_model.bin"),  # peft looked for them on the Hub
    ],
)
def test_a_model_folder_without_its_weights_says_which_files_and_never_asks_the_hub(
    run, hub, local_model, kind, missing
):
    (local_model / "model.safetensors").unlink()
    if kind == "adapter":
        (local_model / "adapter_config.json").write_text(
            json.dumps({"peft_type": "LORA", "base_model_name_or_path": "x"})
        )
    code, _, err = run("generate", "pixel_poet")
    assert code == 1 and err.count("\n") == 1, err
    assert f"the model's weights are missing (no {missing}); train again, or download the bot's repo whole" in err
    assert hub.requests == []


@pytest.mark.parametrize("count", ["0", "-1"])
def test_generate_needs_at_least_one_text(run, local_model, count):
    code, _, err = run("generate", "pixel_poet", "-n", count)
    assert code == 2 and "'-n'" in err and f"{count} is not in the range" in err and "1000" in err, err


@pytest.mark.parametrize(
    "weights, fetched",
    [
        (["model.safetensors"], "model.safetensors"),
        (["pytorch_model.bin"], "pytorch_model.bin"),  # a legacy huggingtweets repo
        (["model.safetensors", "pytorch_model.bin"], "model.safetensors"),  # what transformers loads: not both
    ],
)
def test_generate_still_goes_to_the_hub_for_a_repo_id(run, hub, tiny_model, tmp_path, weights, fetched):
    import torch
    from huggingface_hub import HfApi, try_to_load_from_cache
    from safetensors.torch import load_file

    repo = tmp_path / "repo"
    shutil.copytree(tiny_model, repo)
    if "pytorch_model.bin" in weights:
        torch.save(load_file(repo / "model.safetensors"), repo / "pytorch_model.bin")
    if "model.safetensors" not in weights:
        (repo / "model.safetensors").unlink()
    HfApi().create_repo("tester/bot")
    HfApi().upload_folder(folder_path=str(repo), repo_id="tester/bot")
    code, out, err = run("generate", "tester/bot", "-n", "2", "--seed", "1")
    assert code == 0 and len(out.splitlines()) == 2, err
    assert err.splitlines()[-1] == "Machine-generated by tester/bot, not written by a person."  # the repo id given
    head = HfApi().model_info("tester/bot").sha
    cached = [name for name in weights if isinstance(try_to_load_from_cache("tester/bot", name, revision=head), str)]
    assert cached == [fetched]


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
    from hf_tweets.folders import Folders

    record = make_record(thumbnail="predictions.png")
    save_record(record, tmp_path / "cards" / "pixel_poet.yaml")
    write_thumbnail(record, ["My dream is soup."], tmp_path / "out" / "pixel_poet" / "predictions.png", avatars=[None])
    ready = threading.Event()
    urls = []
    threading.Thread(
        target=serve,
        args=([], Folders.resolve(cards=tmp_path / "cards", out=tmp_path / "out")),
        kwargs={"ready": lambda url: (urls.append(url), ready.set())},
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


# -- an account means the person: every command takes a bot's accounts as fetch does, and says what is next --

# For each platform: how its posts are fetched (an export), the bot's name (its repo name), how a card shows the
# account, and the spellings of the account that must all reach that bot (fetch's forms, in any case).
BOTS = {
    "x": (
        lambda tmp_path: ["--archive", str(EXAMPLE)],
        "pixel_poet",
        "@pixel_poet",
        ["pixel_poet", "@pixel_poet", "x:pixel_poet", "X:Pixel_Poet", "@Pixel_Poet", "twitter:pixel_poet"],
    ),
    "bluesky": (
        lambda tmp_path: ["--archive", str(_bluesky_export(tmp_path)), "--handle", "alice.bsky.social"],
        "alice-bsky-social",
        "@alice.bsky.social",
        ["alice-bsky-social", "alice.bsky.social", "@alice.bsky.social", "bsky:alice.bsky.social", "Alice.Bsky.Social"],
    ),
    "bluesky DID": (
        lambda tmp_path: ["--archive", str(_bluesky_export(tmp_path))],
        "did-plc-alicealicealicealiceabcd",
        "@did:plc:alicealicealicealiceabcd",
        [
            "did-plc-alicealicealicealiceabcd",
            "did:plc:alicealicealicealiceabcd",
            "@did:plc:alicealicealicealiceabcd",
            "bluesky:did:plc:alicealicealicealiceabcd",
        ],
    ),
    "mastodon": (
        lambda tmp_path: ["--archive", str(_mastodon_export(tmp_path))],
        "alice-at-example-social",
        "@alice@example.social",
        [
            "alice-at-example-social",
            "@alice@example.social",
            "alice@example.social",
            "mastodon:alice@example.social",
            "@Alice@Example.Social",
        ],
    ),
}
SPELLINGS = [(platform, form) for platform, (*_, forms) in BOTS.items() for form in forms]


def hints(err: str) -> list[str]:
    """The lines of hf-tweets' hints (cli.next_line), without the libraries' progress bars."""
    return [line for line in err.splitlines() if line.startswith(("next: ", "hint: "))]


def _bluesky_export(tmp_path):
    from bluesky_factory import person, write_car

    return write_car(tmp_path / "repo.car", person(120))


def _mastodon_export(tmp_path):
    from mastodon_factory import made_up_activities, write_archive

    return write_archive(tmp_path / "archive.zip", made_up_activities(200))


def _fetched(run, tmp_path, platform: str) -> tuple[str, str]:
    """Fetch the platform's export; (the bot's name, the account as a card shows it)."""
    fetch, name, shown, _ = BOTS[platform]
    code, out, err = run("fetch", *fetch(tmp_path))
    assert code == 0, err
    assert out.startswith(f"{shown}: ") and err.splitlines()[-1] == f"next: hf-tweets prepare {name}"
    return name, shown


@pytest.mark.parametrize("platform, form", SPELLINGS, ids=[f"{p}: {f}" for p, f in SPELLINGS])
def test_every_spelling_of_the_account_reaches_the_same_bot(run, hub, tmp_path, tiny_model, platform, form,
                                                            monkeypatch):  # fmt: skip
    from hf_tweets.cards.recordfile import load_record
    from hf_tweets.cards.render import render

    name, shown = _fetched(run, tmp_path, platform)
    code, out, err = run("train", form)  # before prepare: names the bot, and the command that makes it
    assert (code, out) == (1, "") and err == (
        f"hf-tweets: error: data/{name} has no prepared text (train.txt, eval.txt, stats.json);"
        f" run hf-tweets prepare {name} first\n"
    )
    code, out, err = run("prepare", form, "--min-chars", "0")
    assert code == 0, err
    assert out.startswith(f"{shown}: ") and err.splitlines()[-1] == f"next: hf-tweets train {name}"
    assert [p.name for p in (tmp_path / "cards").iterdir()] == [f"{name}.yaml"]
    record = load_record(tmp_path / "cards" / f"{name}.yaml")
    assert [str(a) for a in record.accounts] == [shown]
    shutil.copytree(tiny_model, tmp_path / "out" / name)  # a model where train leaves it (train: the slow test below)
    code, out, err = run("generate", form, "-n", "1", "--seed", "1", "--json")
    assert code == 0 and [sorted(json.loads(line)) for line in out.splitlines()] == [MARKED], err
    assert err.splitlines()[-1] == f"next: hf-tweets publish {name} --model-dir out/{name}"  # after the loading bar
    code, out, err = run("card", "render", form)
    assert (code, out, err) == (0, render(record), "")
    code, out, err = run("publish", form, "--model-dir", f"out/{name}")
    assert code == 0, err
    head = hub.repo(f"huggingtweets/{name}").head.sha
    assert out.splitlines()[-1].startswith(f"published huggingtweets/{name}: commit {head[:7]} (")
    assert out.splitlines()[-1].endswith(f" {hub.url}/huggingtweets/{name}") and hints(err) == []  # the URL is last
    code, out, err = run("publish", form, "--model-dir", f"out/{name}")
    assert (
        out
        == f"huggingtweets/{name} is up to date at {head[:7]}: nothing to publish ({hub.url}/huggingtweets/{name})\n"
    )
    monkeypatch.setenv("HF_TWEETS_BLUESKY_APPVIEW", "http://127.0.0.1:9")  # offline: no test asks the real AppView
    code, out, err = run("unpublish", form)
    assert code == 0 and out.splitlines()[0] == f"huggingtweets/{name}: made private", err
    assert [p.name for p in (tmp_path / "cards").glob("*.yaml")] == [f"{name}.yaml"]  # no second record, ever


@pytest.mark.parametrize(
    "arg, records, expected",
    [
        ("pixel_poet", [], "pixel_poet"),
        ("@Pixel_Poet", [], "pixel_poet"),
        ("X:pixel_poet", [], "pixel_poet"),
        ("Pixel_Poet", ["Pixel_Poet"], "Pixel_Poet"),  # a record's own name is never read as an account
        ("alice.bsky.social", [], "alice-bsky-social"),
        ("alice.bsky.social", ["alice.bsky.social"], "alice.bsky.social"),
        ("@alice@Mastodon.Social", [], "alice-at-mastodon-social"),
        ("alice-at-mastodon-social", [], "alice-at-mastodon-social"),
        ("pixel_poet,@alice@mastodon.social", [], "alice-at-mastodon-social-pixel_poet"),
        ("@alice@mastodon.social, pixel_poet", [], "alice-at-mastodon-social-pixel_poet"),
        ("my card", [], "my card"),  # one argument: accounts are separated by commas
        ("alice.yaml", [], "alice.yaml"),  # a record file's name, as card render takes it
        ("cards/alice.yaml", [], "cards/alice.yaml"),
        ("tester/bot", [], "tester/bot"),  # a Hub repo id (generate)
        ("out/pixel_poet", [], "out/pixel_poet"),
    ],
)
def test_a_bots_argument_is_its_name_or_its_accounts(tmp_path, arg, records, expected):
    from hf_tweets.sources import bots

    for record in records:
        save_record(make_record(), tmp_path / "cards" / f"{record}.yaml")
    assert bots.name(arg, tmp_path / "cards") == expected


def test_prepare_takes_several_accounts_in_any_spelling(run, tmp_path):
    _fetched(run, tmp_path, "x")
    _fetched(run, tmp_path, "mastodon")
    name = "alice-at-example-social-pixel_poet"
    for args in (["X:Pixel_Poet", "@Alice@Example.Social"], ["pixel_poet,alice@example.social"], [name]):
        code, out, err = run("prepare", *args, "--min-chars", "0")
        assert code == 0, err
        assert out.splitlines()[:2] == [
            "@alice@example.social: 174 downloaded, 25 reposts, 0 short, 16 behind a content warning, 133 kept",
            "@pixel_poet: 600 downloaded, 67 retweets, 27 short, 506 kept",
        ]
        assert err.splitlines()[-1] == f"next: hf-tweets train {name}"
    code, out, err = run("prepare", "two_of_them", "--users", "@Alice@Example.Social, x:Pixel_Poet", "--min-chars", "0")
    assert code == 0 and err.splitlines()[-1] == "next: hf-tweets train two_of_them", err  # --users: NAME as given
    assert sorted(p.name for p in (tmp_path / "cards").iterdir()) == [f"{name}.yaml", "two_of_them.yaml"]


@pytest.mark.parametrize(
    "name, message",
    [
        (
            "alice-at-example-social",
            "alice-at-example-social: no record of this name, and no fetched accounts whose repo name it is;"
            " fetch them first (hf-tweets fetch ACCOUNT...), then name them: hf-tweets prepare ACCOUNT...",
        ),
        (
            "pixel_poett-zeta",
            "pixel_poett-zeta: no record of this name, and no fetched accounts whose repo name it is;"
            " did you mean pixel_poet?",
        ),
        (
            "@nobody@example.social",
            "no posts stored for @nobody@example.social in data/raw; run hf-tweets fetch @nobody@example.social first",
        ),
    ],
)
def test_prepare_of_a_name_no_fetched_accounts_make_says_what_to_fetch(run, tmp_path, name, message):
    if "pixel" in name:
        _fetched(run, tmp_path, "x")
    code, out, err = run("prepare", name)
    assert (code, out, err) == (1, "", f"hf-tweets: error: {message}\n")
    assert not (tmp_path / "cards").exists()


def test_a_bluesky_export_named_by_its_did_says_how_to_name_it_by_its_handle(run, tmp_path):
    export = _bluesky_export(tmp_path)
    code, out, err = run("fetch", "--archive", str(export), "--no-replies")
    assert code == 0 and out == "@did:plc:alicealicealicealiceabcd: 99 new posts, 99 stored in data\n"
    assert err == (
        "hint: a Bluesky export names its account by its DID; name it by its handle (such as alice.bsky.social):"
        f" hf-tweets fetch --archive {export} --no-replies --handle HANDLE\n"
        "next: hf-tweets prepare did-plc-alicealicealicealiceabcd\n"
    )
    code, out, err = run("fetch", "--archive", str(export), "--handle", "alice.bsky.social")
    assert code == 0 and err == "next: hf-tweets prepare alice-bsky-social\n"


def test_a_hint_quotes_what_the_shell_would_split(run, tmp_path):
    folder = tmp_path / "my data"
    code, out, err = run("fetch", "--archive", str(EXAMPLE), "--data-dir", str(folder))
    assert code == 0 and err == f"next: hf-tweets prepare pixel_poet --data-dir '{folder}'\n"
    code, out, err = run("prepare", "@pixel_poet", "--data-dir", str(folder))
    assert code == 0 and err.splitlines()[-1] == f"next: hf-tweets train pixel_poet --data-dir '{folder}'"


@pytest.mark.slow
def test_the_steps_of_a_new_user_each_name_the_next(run, hub, tmp_path, fast):
    """The README's steps by hand, for the account of the issue's user: each command's last line is the next."""
    name, _ = _fetched(run, tmp_path, "mastodon")
    code, out, err = run("prepare", "@alice@example.social", "--min-chars", "0")
    assert code == 0 and err.splitlines()[-1] == f"next: hf-tweets train {name}", err
    code, out, err = run("train", "alice@example.social", *fast)
    assert code == 0 and out.startswith(f"trained {name}: eval loss "), err
    assert err.splitlines()[-1] == (
        f"next: hf-tweets generate {name} (then: hf-tweets publish {name} --model-dir out/{name})"
    )
    code, out, err = run("generate", "mastodon:alice@example.social", "-n", "2", "--json")
    assert code == 0 and [sorted(json.loads(line)) for line in out.splitlines()] == [MARKED] * 2
    assert err.splitlines()[-1] == f"next: hf-tweets publish {name} --model-dir out/{name}"
    code, out, err = run("publish", "@alice@example.social", "--model-dir", f"out/{name}", "--dry-run")
    assert code == 0 and out.splitlines()[-1] == "dry run: nothing was sent"
    assert err == f"next: hf-tweets publish @alice@example.social --model-dir out/{name}\n"
    code, out, err = run("publish", "@alice@example.social", "--model-dir", f"out/{name}")
    assert code == 0 and out.endswith(f" {hub.url}/huggingtweets/{name}\n") and hints(err) == []


@pytest.mark.slow
def test_run_of_a_bluesky_export_says_how_to_name_it_by_its_handle(run, hub, tmp_path, fast):
    export = _bluesky_export(tmp_path)
    code, out, err = run("run", "--archive", str(export), *fast, "--min-chars", "0")
    name = "did-plc-alicealicealicealiceabcd"
    assert code == 0 and out.splitlines()[0] == f"{name}: done", err
    assert out.splitlines()[-1] == f"  model and card: out/{name}/"
    assert err.splitlines()[-2:] == [
        "hint: a Bluesky export names its account by its DID; name it by its handle (such as alice.bsky.social):"
        f" hf-tweets run --archive {export} {' '.join(fast)} --min-chars 0 --handle HANDLE",
        f"next: hf-tweets generate {name} (then: hf-tweets publish {name} --model-dir out/{name})",
    ]
    code, out, err = run("run", "--archive", str(export), "--handle", "alice.bsky.social", *fast, "--min-chars", "0")
    assert code == 0 and out.splitlines()[0] == "alice-bsky-social: done", err
    assert err.splitlines()[-1] == (
        "next: hf-tweets generate alice-bsky-social (then: hf-tweets publish alice-bsky-social"
        " --model-dir out/alice-bsky-social)"
    )
    code, out, err = run("run", "--archive", str(export), "--handle", "alice.bsky.social", *fast, "--publish")
    assert code == 0 and out.splitlines()[-1] == f"  on the Hub: {hub.url}/huggingtweets/alice-bsky-social"
    assert hints(err) == []  # the URL is the last word


def test_preview_and_republish_take_the_account_too(run, hub, tmp_path, monkeypatch):
    import hf_tweets.cards.preview as preview

    save_record(make_record(), tmp_path / "cards" / "pixel_poet.yaml")
    served = []
    monkeypatch.setattr(preview, "serve", lambda names, *args, **kwargs: served.append(names))
    assert run("preview", "@Pixel_Poet", "x:pixel_poet")[0] == 0 and served == [["pixel_poet", "pixel_poet"]]
    code, out, err = run("republish", "--dry-run", "--only", "X:Pixel_Poet", "--max-commits-per-hour", "0")
    assert code == 0 and out.startswith("dry run: 1 repo in "), err
    assert hints(err) == ["next: hf-tweets republish --only X:Pixel_Poet --max-commits-per-hour 0"]


def test_card_import_names_the_render_and_the_republish(run, tmp_path):
    from hf_tweets.cards.render import render

    (tmp_path / "README.md").write_text(render(make_record()), encoding="utf-8")
    code, out, err = run("card", "import", "README.md")
    assert (code, out) == (0, "README.md -> cards/pixel_poet.yaml (written)\n")
    assert err == "next: hf-tweets card render pixel_poet (then: hf-tweets republish --dry-run --only pixel_poet)\n"
    code, out, err = run("card", "import", "README.md", "--cards-dir", "my cards")
    assert err == (
        "next: hf-tweets card render pixel_poet --cards-dir 'my cards'"
        " (then: hf-tweets republish --dry-run --only pixel_poet --cards-dir 'my cards')\n"
    )


def test_a_dry_run_names_the_command_that_does_it(run, hub, tmp_path, tiny_model):
    save_record(make_record(), tmp_path / "cards" / "pixel_poet.yaml")
    code, out, err = run("publish", "@Pixel_Poet", "--model-dir", str(tiny_model), "--dry-run")
    assert code == 0 and out.splitlines()[-1] == "dry run: nothing was sent"
    assert err == f"next: hf-tweets publish @Pixel_Poet --model-dir {tiny_model}\n"


def test_an_account_whose_repo_name_is_another_bots_record_is_refused(run, tmp_path):
    """A record named with run --name is never taken over by the accounts its name happens to spell."""
    _fetched(run, tmp_path, "x")
    save_record(make_record(name="alice-at-example-social"), tmp_path / "cards" / "alice-at-example-social.yaml")
    _fetched(run, tmp_path, "mastodon")
    code, out, err = run("prepare", "@alice@example.social")
    assert (code, out) == (1, "") and err == (
        "hf-tweets: error: cards/alice-at-example-social.yaml: is the model of @pixel_poet, not of"
        " @alice@example.social; give this one another name: hf-tweets prepare NAME --users @alice@example.social\n"
    )


def test_a_bot_that_is_not_made_yet_says_how_to_make_it(run, tmp_path):
    code, out, err = run("card", "render", "@bob@example.social")
    assert (code, out) == (1, "") and err == (
        "hf-tweets: error: @bob@example.social: no record of @bob@example.social (looked for"
        " cards/bob-at-example-social.yaml); make it: hf-tweets fetch @bob@example.social, then hf-tweets prepare"
        " bob-at-example-social\n"
    )
