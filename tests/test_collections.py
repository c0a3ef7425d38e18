"""--collection: published repos go into one Hub collection of their namespace, found by title, each item once.

The real huggingface_hub client against the loopback Hub (tests/hub/collections.py); people and posts are made up.
"""

from __future__ import annotations

import copy

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from hf_tweets.cards.recordfile import load_record, save_record
from hf_tweets.errors import PublishError
from hf_tweets.hub.collections import add_to_collection

from conftest import SINGLE, make_record, republish, seed_repos

REPO, OTHER = "huggingtweets/pixel_poet", "huggingtweets/quill_quest"
ITEMS = r"/api/collections/huggingtweets/[^/]+/items$"
AGAIN = "run the command again with the same --collection to add it (nothing is published or added twice)"
TOKEN = "use a token with write access to huggingtweets, or publish elsewhere with --namespace YOUR_NAME"


def publish(run, model, name="pixel_poet", *extra):
    return run("publish", name, "--model-dir", str(model), *extra)


def errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("hf-tweets:")]


def collections(hub):
    """title -> [item ids] of every collection on the loopback Hub."""
    return {c.title: [i["id"] for i in c.items] for c in hub.collections.by_slug.values()}


def only_collection(hub):
    (found,) = hub.collections.by_slug.values()
    return found


@pytest.fixture
def second_card(card):
    """cards/quill_quest.yaml, a second made-up poet beside pixel_poet."""
    data = copy.deepcopy(SINGLE)
    data["users"][0] |= {"handle": "quill_quest", "display_name": "Quill Quest"}
    save_record(make_record(data), card.parent / "quill_quest.yaml")
    return card.parent / "quill_quest.yaml"


# -- publish ----------------------------------------------------------------------------------------------


def test_publish_creates_the_collection_once_and_finds_it_by_title(run, hub, card, second_card, tiny_model):
    code, out, err = publish(run, tiny_model, "pixel_poet", "--collection", "Poets of the loopback")
    assert code == 0, err
    found = only_collection(hub)
    url = f"{hub.url}/collections/{found.slug}"
    assert found.slug.startswith("huggingtweets/poets-of-the-loopback-") and len(found.slug.rsplit("-", 1)[1]) == 24
    assert out.splitlines() == [
        f"published {REPO}: commit {hub.repo(REPO).head.sha[:7]} (6 added, 0 changed, 0 deleted) {hub.url}/{REPO}",
        f"collection 'Poets of the loopback' (new) at {url}: 1 added",
    ]
    code, out, err = publish(run, tiny_model, "quill_quest", "--collection", "Poets of the loopback")
    assert code == 0, err
    assert out.splitlines()[-1] == f"collection 'Poets of the loopback' at {url}: 1 added"
    assert collections(hub) == {"Poets of the loopback": [REPO, OTHER]}
    assert [i.item_id for i in HfApi().get_collection(found.slug).items] == [REPO, OTHER]
    assert hub.count("POST", "/api/collections") == 3  # one create, two items: never a second collection


def test_an_item_is_added_once(run, hub, card, tiny_model):
    assert publish(run, tiny_model, "pixel_poet", "--collection", "Poets")[0] == 0
    code, out, err = publish(run, tiny_model, "pixel_poet", "--collection", "Poets")
    assert code == 0, err
    assert out.splitlines() == [
        f"{REPO} is up to date at {hub.repo(REPO).head.sha[:7]}: nothing to publish ({hub.url}/{REPO})",
        f"collection 'Poets' at {hub.url}/collections/{only_collection(hub).slug}: 0 added, 1 already in it",
    ]
    assert collections(hub) == {"Poets": [REPO]}
    assert hub.count("POST", "/items") == 1


def test_publish_dry_run_creates_nothing(run, hub, card, tiny_model):
    code, out, err = publish(run, tiny_model, "pixel_poet", "--collection", "Poets", "--dry-run")
    assert code == 0, err
    assert out.splitlines()[-2:] == [
        "dry run: nothing was sent",
        "dry run: the collection 'Poets' of huggingtweets would be created: 1 would be added",
    ]
    assert collections(hub) == {} and hub.count("POST") == 0


@pytest.mark.parametrize(
    ("runs", "notes"),
    [
        ([["--collection-note", "Made-up poems, for tests"]], ["Made-up poems, for tests"]),
        ([["--collection-note", "first"], ["--collection-note", "second"]], ["second"]),  # a new note replaces it
        ([["--collection-note", "kept"], []], ["kept"]),  # no note given: the one there stays
        ([[]], [None]),
    ],
)
def test_a_note_on_the_item(run, hub, card, tiny_model, runs, notes):
    for extra in runs:
        code, out, err = publish(run, tiny_model, "pixel_poet", "--collection", "Poets", *extra)
        assert code == 0, err
    collection = HfApi().get_collection(only_collection(hub).slug)
    assert [i.note for i in collection.items] == notes
    if len(runs) == 2 and runs[1]:
        assert out.splitlines()[-1].endswith(": 0 added, 1 already in it, note updated on 1")


@pytest.mark.parametrize(
    "options, message",
    [
        (["--collection", "Poets", "--collection-note", "x" * 501], "at most 500 characters (this one has 501)"),
        (["--collection", "x" * 61], "--collection': a collection's title is at most 60 characters (this one has 61)"),
        (["--collection", "x" * 5000], "at most 60 characters (this one has 5,000)"),
        (["--collection", "   "], "--collection': give the collection a title"),
    ],
    ids=["note of 501", "title of 61", "title of 5,000", "blank title"],
)
def test_what_the_hub_would_refuse_is_refused_before_publishing(run, hub, card, tiny_model, options, message):
    code, _, err = publish(run, tiny_model, "pixel_poet", *options)
    assert code == 2
    assert message in err and "Traceback" not in err, err
    assert hub.repo(REPO) is None and collections(hub) == {}


def test_a_title_of_the_hubs_longest_is_made(run, hub, card, tiny_model):
    code, _, err = publish(run, tiny_model, "pixel_poet", "--collection", "x" * 60)
    assert code == 0, err
    assert list(collections(hub)) == ["x" * 60]


# -- failures -----------------------------------------------------------------------------------------------


def test_a_token_that_cannot_write_the_namespace_gets_one_line(run, hub, card, tiny_model, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", hub.add_user("outsider_ola"))
    code, out, err = publish(run, tiny_model, "pixel_poet", "--collection", "Poets")
    assert (code, out) == (1, "")
    assert err == (
        f"hf-tweets: error: {REPO}: your token cannot write to the namespace 'huggingtweets' (403); use a token with"
        " write access to huggingtweets, or publish elsewhere with --namespace YOUR_NAME\n"
    )
    assert collections(hub) == {}


def test_adding_with_a_token_of_a_non_member_is_one_error(hub):
    HfApi().create_collection("Poets", namespace="huggingtweets")
    outsider = HfApi(token=hub.add_user("outsider_ola"))
    with pytest.raises(PublishError) as raised:
        add_to_collection(outsider, "huggingtweets", "Poets", [REPO])
    assert raised.value.line() == (
        "huggingtweets: adding huggingtweets/pixel_poet to the collection 'Poets' failed (your token cannot write to"
        f" the namespace 'huggingtweets' (403)); the publish itself is kept; {TOKEN}"
    )
    assert collections(hub) == {"Poets": []}


@pytest.mark.parametrize(
    ("method", "path", "status", "cause", "fix"),
    [
        ("POST", ITEMS, 500, "adding the item failed 5 times (last: HTTP 500)", AGAIN),
        ("POST", r"/api/collections$", 503, "creating the collection failed 5 times (last: HTTP 503)", AGAIN),
        ("POST", r"/api/collections$", 403, "your token cannot write to the namespace 'huggingtweets' (403)", TOKEN),
        ("POST", ITEMS, 0, "adding the item failed 5 times (last: network error (RemoteProtocolError))", AGAIN),
    ],
)
def test_a_hub_failure_while_adding_is_one_line_and_the_publish_is_kept(
    run, hub, card, tiny_model, method, path, status, cause, fix
):
    hub.fail(method, path, status, times=5 if "5 times" in cause else 1)  # every try of this run, none of the next
    code, out, err = publish(run, tiny_model, "pixel_poet", "--collection", "Poets")
    assert code == 1
    head = hub.repo(REPO).head.sha
    assert out.startswith(f"published {REPO}: commit {head[:7]} ")  # the publish happened, and was said
    assert load_record(card).published().commit == head  # and was recorded
    assert errors(err) == [  # (above it, the client's upload progress)
        f"hf-tweets: error: huggingtweets: adding {REPO} to the collection 'Poets' failed ({cause}); the publish"
        f" itself is kept; {fix}"
    ]
    code, out, err = publish(run, tiny_model, "pixel_poet", "--collection", "Poets")  # the fault has passed
    assert code == 0, err
    assert out.splitlines()[-1].endswith(": 1 added") and collections(hub) == {"Poets": [REPO]}


@pytest.mark.parametrize("path", [r"/api/collections$", ITEMS])
def test_a_lost_answer_makes_no_second_collection_nor_item(run, hub, card, tiny_model, path):
    hub.fail("POST", path, hub.LOSE)
    code, out, err = publish(run, tiny_model, "pixel_poet", "--collection", "Poets")
    assert code == 0, err
    assert out.splitlines()[-1].endswith(": 1 added") and collections(hub) == {"Poets": [REPO]}


# -- republish ----------------------------------------------------------------------------------------------


def test_republish_adds_every_published_repo(run, hub, cards, changed_template):
    not_yet = copy.deepcopy(SINGLE)
    not_yet["users"][0] |= {"handle": "not_yet", "display_name": "Not Yet"}
    save_record(make_record(not_yet), cards / "not_yet.yaml")
    assert republish(run, "--only", "bot0")[0] == 0  # bot0 is then unchanged, the other five change
    code, out, err = republish(run, "--collection", "Bots", "--collection-note", "A made-up bot")
    assert code == 0, err
    assert "5 changed" in out and "1 unchanged" in out and "1 not published" in out
    url = f"{hub.url}/collections/{only_collection(hub).slug}"
    assert out.splitlines()[-1] == f"collection 'Bots' (new) at {url}: 6 added"
    assert collections(hub) == {"Bots": sorted(changed_template)}
    assert {i.note for i in HfApi().get_collection(only_collection(hub).slug).items} == {"A made-up bot"}
    code, out, err = republish(run, "--collection", "Bots")
    assert code == 0 and out.splitlines()[-1] == f"collection 'Bots' at {url}: 0 added, 6 already in it"


def test_republish_dry_run_creates_nothing(run, hub, cards, changed_template):
    before = len(hub.requests)
    code, out, err = republish(run, "--dry-run", "--collection", "Bots")
    assert code == 0, err
    assert out.splitlines()[-1] == "dry run: the collection 'Bots' of huggingtweets would be created: 6 would be added"
    assert collections(hub) == {}
    assert [m for m, _ in hub.requests[before:] if m != "GET"] == []


def test_republish_with_json_keeps_stdout_json(run, hub, cards):
    seed_repos(hub, cards, 2)
    code, out, err = republish(run, "--json", "--collection", "Bots")
    assert code == 0
    assert all(line.startswith("{") for line in out.splitlines())
    assert err.splitlines()[-1].startswith("collection 'Bots' (new) at ") and err.endswith(": 2 added\n")


def test_republish_collection_failure_is_one_line_after_the_table(run, hub, cards, changed_template):
    hub.fail("POST", r"/api/collections$", 403, body={"error": "no rights"})
    code, out, err = republish(run, "--collection", "Bots")
    assert code == 1 and "6 changed" in out
    assert errors(err) == [
        "hf-tweets: error: huggingtweets: adding 6 repos to the collection 'Bots' failed (your token cannot write to"
        f" the namespace 'huggingtweets' (403)); the publish itself is kept; {TOKEN}"
    ]


# -- the loopback Hub's collections, as the client sees them -----------------------------------------------------


def test_the_loopback_answers_as_the_client_expects(hub):
    api = HfApi()
    HfApi().create_repo(REPO)
    made = api.create_collection("Poets", namespace="huggingtweets", description="made-up poets")
    assert (made.title, made.description, made.items, made.private) == ("Poets", "made-up poets", [], False)
    with pytest.raises(HfHubHTTPError) as conflict:
        api.create_collection("Poets", namespace="huggingtweets")
    assert conflict.value.response.status_code == 409
    assert api.create_collection("Poets", namespace="huggingtweets", exists_ok=True).slug == made.slug
    added = api.add_collection_item(made.slug, REPO, "model", note="a note")
    assert [(i.item_id, i.item_type, i.position, i.note) for i in added.items] == [(REPO, "model", 0, "a note")]
    with pytest.raises(HfHubHTTPError) as conflict:
        api.add_collection_item(made.slug, REPO, "model")
    assert conflict.value.response.status_code == 409
    assert len(api.add_collection_item(made.slug, REPO, "model", exists_ok=True).items) == 1
    api.create_collection("Hidden", namespace="huggingtweets", private=True)
    assert [c.title for c in api.list_collections(owner="huggingtweets")] == ["Hidden", "Poets"]
    assert [c.title for c in api.list_collections(item=f"models/{REPO}")] == ["Poets"]
    outsider = HfApi(token=hub.add_user("outsider_ola"))
    assert [c.title for c in outsider.list_collections(owner="huggingtweets")] == ["Poets"]
    with pytest.raises(HfHubHTTPError) as refused:
        outsider.create_collection("Mine", namespace="huggingtweets")
    assert refused.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError) as missing:
        api.add_collection_item(made.slug, "huggingtweets/nobody_here", "model")
    assert missing.value.response.status_code == 404
