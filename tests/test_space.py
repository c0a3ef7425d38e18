"""``hf-tweets space``: the try-it Space on the loopback Hub with the real client, and unpublish taking a bot out."""

from __future__ import annotations

import copy
import importlib
import json

import pytest
import yaml
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.utils import disable_progress_bars

from hf_tweets import consent, platforms
from hf_tweets.browser import space
from hf_tweets.cards.record import PublishState
from hf_tweets.cards.recordfile import save_record
from hf_tweets.folders import Folders

from conftest import SINGLE, make_record

NS = "huggingtweets"
SPACE = f"{NS}/try-the-bots"
PAGE = {"index.html": "<!doctype html><title>Try the bots</title>\n", "app.js": "// the page\n", "style.css": "p{}\n"}


@pytest.fixture(autouse=True)
def page(tmp_path, monkeypatch):
    """A page folder of three files (the real one is the page helper's): the Space must hold every one."""
    folder = tmp_path / "page"
    folder.mkdir()
    for name, text in PAGE.items():
        (folder / name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(space, "PAGE", folder)
    return folder


def add_bot(hub, cards, handle: str, *, published=True, private=False, onnx=True, consent_="self"):
    """A record in the cards folder, and (published) its repo on the Hub with or without the browser copy."""
    data = copy.deepcopy(SINGLE)
    data["users"][0] |= {"handle": handle, "display_name": handle.title()}
    record = make_record(data, consent=consent_)
    if published:
        api = HfApi()
        api.create_repo(record.repo_id, private=private)
        if onnx:
            with disable_progress_bars():  # its "Upload 0 LFS files" bar would land in the command's output
                api.upload_file(path_or_fileobj=b"onnx", path_in_repo=space.ONNX, repo_id=record.repo_id)
        record.publish = {record.repo_id: PublishState(commit=api.model_info(record.repo_id).sha)}
    save_record(record, cards / f"{handle}.yaml")
    return record


def space_file(name: str) -> str:
    return open(hf_hub_download(SPACE, name, repo_type="space")).read()


def bots_listed() -> list[str]:
    return [bot["id"] for bot in json.loads(space_file("bots.json"))["bots"]]


def commits(hub) -> int:
    return hub.count("POST", f"/api/spaces/{SPACE}/commit/")


def test_first_run_makes_the_space_in_one_commit_and_a_second_run_commits_nothing(hub, cards, run, monkeypatch, capsys):
    # huggingface_hub's bars on, as another library may leave them (the test's order must not matter)
    monkeypatch.setattr(importlib.import_module("huggingface_hub.utils.tqdm"), "progress_bar_states", {"_global": True})
    add_bot(hub, cards, "alice")
    capsys.readouterr()  # what setting up the bot's repo printed is not the command's
    code, out, err = run("space", NS)
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == f"open {hub.url}/spaces/{SPACE}"
    assert commits(hub) == 1
    files = HfApi().list_repo_files(SPACE, repo_type="space")
    assert sorted(files) == sorted([".gitattributes", "README.md", "bots.json", *PAGE])
    assert {name: space_file(name) for name in PAGE} == PAGE
    front = yaml.safe_load(space_file("README.md").split("---\n")[1])
    assert front == {
        "title": "Try the bots",
        "sdk": "static",
        "app_file": "index.html",
        "emoji": "🤖",
        "colorFrom": "blue",
        "colorTo": "purple",
        "short_description": space.DESCRIPTION,
        "pinned": False,
    }
    assert HfApi().space_info(SPACE).sdk == "static"
    code, out, _ = run("space", NS)
    assert code == 0 and commits(hub) == 1
    assert out.splitlines() == [f"{SPACE}: 1 bot, unchanged (nothing committed)", f"open {hub.url}/spaces/{SPACE}"]


def test_a_bot_is_listed_as_its_card_shows_it(hub, cards, run):
    add_bot(hub, cards, "alice", consent_="permission")
    add_bot(hub, cards, "bob", onnx=False, consent_=None)
    assert run("space", NS)[0] == 0
    manifest = json.loads(space_file("bots.json"))
    assert manifest["hub"] == hub.url
    assert manifest["bots"] == [
        {
            "id": f"{NS}/alice",
            "title": "Alice",
            "accounts": ["@alice"],
            "card": f"{hub.url}/{NS}/alice",
            "consent": "These tweets are used with the permission of the person who wrote them.",
            "onnx": True,
        },
        {
            "id": f"{NS}/bob",
            "title": "Bob",
            "accounts": ["@bob"],
            "card": f"{hub.url}/{NS}/bob",
            "consent": "",
            "onnx": False,
        },
    ]


@pytest.mark.parametrize(
    "setup, listed",
    [
        ({}, True),
        ({"private": True}, False),
        ({"published": False}, False),
        ({"opted_out": True}, False),
        ({"deleted": True}, False),
    ],
    ids=["public", "private", "unpublished", "opted-out", "repo-gone"],
)
def test_only_public_published_bots_of_people_not_opted_out_are_offered(hub, cards, run, setup, listed):
    add_bot(hub, cards, "alice")
    record = add_bot(hub, cards, "bob", private=setup.get("private", False), published=setup.get("published", True))
    if setup.get("opted_out"):
        consent.add(platforms.account("x", "bob"), "asked by e-mail", Folders.resolve(cards=cards).optout)
    if setup.get("deleted"):
        HfApi().delete_repo(record.repo_id)
    assert run("space", NS)[0] == 0
    assert bots_listed() == [f"{NS}/alice"] + [f"{NS}/bob"] * listed


def test_collection_offers_only_its_bots(hub, cards, run):
    for handle in ("alice", "bob", "carol"):
        add_bot(hub, cards, handle)
    api = HfApi()
    slug = api.create_collection("Poets", namespace=NS).slug
    for repo_id in (f"{NS}/carol", f"{NS}/alice"):
        api.add_collection_item(slug, repo_id, "model")
    assert run("space", NS, "--collection", "Poets")[0] == 0
    assert bots_listed() == [f"{NS}/alice", f"{NS}/carol"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--collection", "Nope"], "it has no collection titled 'Nope'"),
        (["--name", "bad name!"], "Invalid value for '--name'"),
        (["not a namespace"], "Invalid value for 'NAMESPACE'"),
    ],
)
def test_bad_input_is_one_line(hub, cards, run, args, message):
    add_bot(hub, cards, "alice")
    code, out, err = run("space", *([NS] if args[0].startswith("--") else []), *args)
    assert code in (1, 2) and message in err and commits(hub) == 0


def test_unpublish_takes_the_bot_out_of_the_space_in_one_commit(hub, cards, run):
    add_bot(hub, cards, "alice")
    add_bot(hub, cards, "bob")
    assert run("space", NS)[0] == 0
    code, out, err = run("unpublish", "alice")
    assert code == 0, err
    assert f"{SPACE}: removed {NS}/alice from its bots.json" in out.splitlines()
    assert bots_listed() == [f"{NS}/bob"] and commits(hub) == 2
    assert run("space", NS)[0] == 0 and commits(hub) == 2  # opted out now: the Space agrees, nothing to commit


def test_unpublish_without_a_space_touches_no_space(hub, cards, run):
    add_bot(hub, cards, "alice")
    code, out, err = run("unpublish", "alice")
    assert code == 0, err
    assert "bots.json" not in out and not HfApi().repo_exists(SPACE, repo_type="space")


# -- the cards: a link to the Space with the bot selected, and the widget's example output ----------------------


@pytest.mark.parametrize(
    "samples, endpoint, widget",
    [
        ([], "https://huggingface.co", [{"text": "My dream is"}]),
        (
            ["My dream is soup.", "My dream is bread."],
            "https://hub.example.org",
            [{"text": "My dream is", "output": {"text": "My dream is soup."}}],
        ),
    ],
)
def test_a_card_links_its_space_and_shows_a_sample_as_the_widget_output(samples, endpoint, widget):
    from huggingface_hub import ModelCard

    from hf_tweets.cards.importer import import_card
    from hf_tweets.cards.render import render

    record = make_record(samples=samples)
    text = render(record, endpoint=endpoint)
    link = f"[Try it in your browser]({endpoint}/spaces/{NS}/try-the-bots?bot={NS}/pixel_poet)"
    assert text.count(link) == 1
    assert ModelCard(text).data.widget == widget
    assert import_card(text).samples == samples  # the output is the first sample, read back from the table


def test_republish_brings_the_link_and_the_widget_output_to_a_legacy_card(hub, run, tmp_path):
    from conftest import SEED_CARDS

    seed = sorted(SEED_CARDS.iterdir())[0]
    repo = f"{NS}/" + seed.name.removesuffix(".README.md")
    api = HfApi()
    api.create_repo(repo)
    api.upload_file(path_or_fileobj=seed.read_bytes(), path_in_repo="README.md", repo_id=repo)
    assert "try-the-bots" not in seed.read_text(encoding="utf-8")
    code, _, err = run("republish", "--max-commits-per-hour", "0", "--from-hub", NS)
    assert code == 0, err
    card = open(hf_hub_download(repo, "README.md")).read()
    assert f"[Try it in your browser]({hub.url}/spaces/{NS}/try-the-bots?bot={repo})" in card
    from huggingface_hub import ModelCard

    from hf_tweets.cards.importer import import_card

    samples = import_card(card).samples  # legacy cards have none: the widget then has no output
    expected = {"text": "My dream is"} | ({"output": {"text": samples[0]}} if samples else {})
    assert ModelCard(card).data.widget == [expected]


def test_a_library_folder_of_this_machine_is_refused_for_a_space(hub, cards, run, monkeypatch, tmp_path):
    add_bot(hub, cards, "alice")
    monkeypatch.setenv("HF_TWEETS_TRANSFORMERS_JS", str(tmp_path))
    code, out, err = run("space", NS)
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert "HF_TWEETS_TRANSFORMERS_JS is a folder of this machine" in err and "or unset it for the pinned CDN" in err
    assert commits(hub) == 0
