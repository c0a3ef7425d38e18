"""The take-down inbox: the card links a discussion with a fixed title, ``requests`` lists the open ones across a
namespace, ``unpublish --reply`` answers and closes them; the loopback Hub serves the discussions endpoints as the
real huggingface_hub client calls them."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.errors import BadRequestError, HfHubHTTPError

from hf_tweets.cards import labels
from hf_tweets.cards.check import check_readme_text
from hf_tweets.cards.importer import import_card
from hf_tweets.cards.render import render

from conftest import make_record

# -- the loopback Hub's discussions, through the real client ----------------------------------------------------


@pytest.fixture
def threads(hub):
    """huggingtweets/a with a pull request (1), a discussion of the tester's (2) and one of a stranger's (3)."""
    api = HfApi(token=hub.token)
    api.create_repo("huggingtweets/a")
    api.create_commit("huggingtweets/a", [CommitOperationAdd("x.txt", b"x")], commit_message="A change", create_pr=True)
    api.create_discussion("huggingtweets/a", "  Mine  ", description="first words")
    stranger = hub.add_user("stranger")
    HfApi(token=stranger).create_discussion("huggingtweets/a", "Theirs")
    return api, HfApi(token=stranger)


LISTED = [
    ({}, [3, 2, 1]),
    ({"discussion_type": "discussion"}, [3, 2]),
    ({"discussion_type": "pull_request"}, [1]),
    ({"discussion_type": "all", "discussion_status": "open", "author": "stranger"}, [3]),
    ({"discussion_status": "closed"}, []),
]


@pytest.mark.parametrize("filters, nums", LISTED, ids=[str(f) for f, _ in LISTED])
def test_discussions_and_pull_requests_are_listed_newest_first_in_one_numbering(threads, hub, filters, nums):
    api, _ = threads
    hub.page_size = 2  # the client pages (p=0, 1) while start + len(page) < count
    try:
        found = list(api.get_repo_discussions("huggingtweets/a", **filters))
    finally:
        hub.page_size = 50
    assert [d.num for d in found] == nums
    shown = {d.num: (d.title, d.author, d.status, d.is_pull_request, d.repo_id) for d in found}
    expected = {
        1: ("A change", "tester", "open", True, "huggingtweets/a"),
        2: ("Mine", "tester", "open", False, "huggingtweets/a"),
        3: ("Theirs", "stranger", "open", False, "huggingtweets/a"),
    }
    assert shown == {n: expected[n] for n in nums}


def test_a_discussion_is_commented_closed_and_read_back_with_its_events(threads):
    api, _ = threads
    details = api.get_discussion_details("huggingtweets/a", 2)
    assert [(e.type, e.author, e.content) for e in details.events] == [("comment", "tester", "first words")]
    assert api.comment_discussion("huggingtweets/a", 2, "on it").content == "on it"
    assert api.change_discussion_status("huggingtweets/a", 2, "closed", comment="done").new_status == "closed"
    details = api.get_discussion_details("huggingtweets/a", 2)
    assert details.status == "closed" and not details.is_pull_request
    assert [(e.type, getattr(e, "content", getattr(e, "new_status", None))) for e in details.events] == [
        ("comment", "first words"),
        ("comment", "on it"),
        ("comment", "done"),
        ("status-change", "closed"),
    ]
    assert [d.num for d in api.get_repo_discussions("huggingtweets/a", discussion_status="closed")] == [2]


def test_a_pull_request_keeps_its_branch_and_details(threads):
    api, _ = threads
    details = api.get_discussion_details("huggingtweets/a", 1)
    assert (details.is_pull_request, details.target_branch, details.git_reference) == (
        True,
        "refs/heads/main",
        "refs/pr/1",
    )
    assert api.list_repo_files("huggingtweets/a", revision="refs/pr/1") == [".gitattributes", "x.txt"]


REFUSED = [
    ("a title too short", lambda api, other: api.create_discussion("huggingtweets/a", "no"), BadRequestError, 400),
    ("an empty comment", lambda api, other: api.comment_discussion("huggingtweets/a", 2, " "), BadRequestError, 400),
    (
        "a stranger closing",
        lambda api, other: other.change_discussion_status("huggingtweets/a", 2, "closed"),
        HfHubHTTPError,
        403,
    ),
    ("no such discussion", lambda api, other: api.get_discussion_details("huggingtweets/a", 9), HfHubHTTPError, 404),
    (
        "no token",
        lambda api, other: HfApi(token=False).create_discussion("huggingtweets/a", "Hello"),
        HfHubHTTPError,
        401,
    ),
]


@pytest.mark.parametrize("call, error, status", [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_the_hub_refuses_what_the_real_one_refuses(threads, call, error, status):
    api, other = threads
    with pytest.raises(error) as raised:
        call(api, other)
    assert raised.value.response.status_code == status


# -- the card's link ---------------------------------------------------------------------------------------------

BEFORE = (  # the sentence cards carried before the link: they still import
    "If you are Pixel Poet and want this model taken down, open a discussion on this repository or write to its"
    " owner: `hf-tweets unpublish` takes it down in one command and keeps your account out of future models."
)


def takedown_line(text: str) -> str:
    return next(line for line in text.splitlines() if "taken down" in line)


def test_the_card_links_a_new_discussion_with_the_fixed_title(hub):
    record = make_record(consent="public")
    text = render(record, endpoint=hub.url)
    link = re.search(r"\[ask for it in a discussion\]\((?P<url>[^)]+)\)", takedown_line(text))["url"]
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{hub.url}/huggingtweets/pixel_poet/discussions/new"
    assert parse_qs(parts.query) == {"title": [labels.TAKEDOWN_TITLE]} and " " not in link
    assert import_card(text) == record and check_readme_text(text, "README.md") == []


def test_cards_rendered_before_the_link_still_import():
    record = make_record(consent="public")
    text = render(record)
    earlier = text.replace(takedown_line(text), BEFORE)
    assert earlier != text and import_card(earlier) == record and check_readme_text(earlier, "README.md") == []


# -- requests and unpublish --reply ---------------------------------------------------------------------------------


def _ask(hub, repo_id: str, who: str, title: str, text: str, date: str | None = None) -> int:
    """A discussion opened by ``who`` (a new user of the loopback Hub), dated ``date``; its number."""
    made = HfApi(token=hub.add_user(who)).create_discussion(repo_id, title, description=text)
    if date:
        hub.repo(repo_id).threads[made.num - 1].date = date
    return made.num


@pytest.fixture
def inbox(hub):
    """Three bots of huggingtweets: two open take-down requests (alpha's older, beta's newer) beside a closed one,
    another discussion and a pull request titled as a request; and a request on another namespace's repo."""
    api = HfApi(token=hub.token)
    for name in ("alpha", "beta", "gamma"):
        api.create_repo(f"huggingtweets/{name}")
    hub.store.create("someone/delta", private=False)  # a namespace the tester may not write to
    title = labels.TAKEDOWN_TITLE
    closed = _ask(hub, "huggingtweets/alpha", "carol", title, "Answered already.", "2026-05-01T00:00:00.000Z")
    api.change_discussion_status("huggingtweets/alpha", closed, "closed")
    _ask(hub, "huggingtweets/alpha", "alice", title, "Please take this down, I am @alice.", "2026-01-02T10:00:00.000Z")
    _ask(hub, "huggingtweets/beta", "dan", "Great bot", "It writes like me.", "2026-06-01T00:00:00.000Z")
    _ask(hub, "huggingtweets/beta", "bob", title, "I never agreed.\nRemove it\x1b[31m", "2026-03-04T09:00:00.000Z")
    api.create_commit("huggingtweets/gamma", [CommitOperationAdd("x.txt", b"x")], commit_message=title, create_pr=True)
    _ask(hub, "someone/delta", "erin", title, "Not yours to list.", "2026-07-01T00:00:00.000Z")
    return hub


NEXT = (
    "next: hf-tweets unpublish beta --reply"
    " 'Done: this model is taken down, and your account is kept out of future models.'"
)


def test_requests_lists_the_open_take_down_discussions_newest_first(run, inbox):
    code, out, err = run("requests")
    assert code == 0, err
    assert out.splitlines() == [
        "2026-03-04T09:00:00Z  huggingtweets/beta  bob  #2: I never agreed. Remove it [31m",
        "2026-01-02T10:00:00Z  huggingtweets/alpha  alice  #2: Please take this down, I am @alice.",
    ]
    assert err.splitlines() == ["2 open take-down requests on huggingtweets's bots", NEXT]


def test_requests_json_is_one_object_a_line(run, inbox):
    code, out, err = run("requests", "huggingtweets", "--json")
    assert code == 0, err
    assert [json.loads(line) for line in out.splitlines()] == [
        {
            "repo_id": "huggingtweets/beta",
            "num": 2,
            "author": "bob",
            "date": "2026-03-04T09:00:00Z",
            "text": "I never agreed.\nRemove it\x1b[31m",
        },
        {
            "repo_id": "huggingtweets/alpha",
            "num": 2,
            "author": "alice",
            "date": "2026-01-02T10:00:00Z",
            "text": "Please take this down, I am @alice.",
        },
    ]
    assert err.splitlines()[-1] == NEXT


def test_requests_of_another_namespace(run, inbox):
    code, out, err = run("requests", "someone")
    assert (code, out) == (0, "2026-07-01T00:00:00Z  someone/delta  erin  #1: Not yours to list.\n")
    assert err.splitlines()[-1].startswith("next: hf-tweets unpublish delta --namespace someone --reply ")
    code, out, err = run("requests", "nobody")
    assert (code, out, err) == (0, "", "0 open take-down requests on nobody's bots\n")


@pytest.fixture
def asked(hub, card):
    """pixel_poet's repo with a take-down request (1) and another discussion (2)."""
    HfApi(token=hub.token).create_repo("huggingtweets/pixel_poet")
    _ask(hub, "huggingtweets/pixel_poet", "pixel", labels.TAKEDOWN_TITLE, "This is me; please remove it.")
    _ask(hub, "huggingtweets/pixel_poet", "fan", "Love it", "More please.")
    return hub


def _thread(hub, num):
    thread = hub.repo("huggingtweets/pixel_poet").threads[num - 1]
    return thread.status, [(e["type"], e["author"]["name"]) for e in thread.events]


@pytest.mark.parametrize("delete", [False, True], ids=["private", "delete"])
def test_unpublish_reply_answers_and_closes_the_request(run, asked, delete):
    hub = asked
    flags = ["--delete"] if delete else []
    hub.requests.clear()
    code, out, err = run("unpublish", "pixel_poet", *flags, "--reply", "Done, and sorry.")
    assert code == 0, err
    url = f"{hub.url}/huggingtweets/pixel_poet/discussions/1"
    assert out.splitlines()[:2] == [
        f"huggingtweets/pixel_poet: {'deleted' if delete else 'made private'}",
        f"huggingtweets/pixel_poet: answered and closed take-down request #1 ({url})",
    ]
    writes = [(m, p) for m, p in hub.requests if m in ("POST", "PUT", "DELETE") and "/api/" in p]
    closing = ("POST", "/api/models/huggingtweets/pixel_poet/discussions/1/status")
    taking_down = (
        ("DELETE", "/api/repos/delete") if delete else ("PUT", "/api/models/huggingtweets/pixel_poet/settings")
    )
    assert writes == ([closing, taking_down] if delete else [taking_down, closing])
    if delete:  # its discussions went with it
        assert hub.repo("huggingtweets/pixel_poet") is None
        return
    assert _thread(hub, 1) == ("closed", [("comment", "pixel"), ("comment", "tester"), ("status-change", "tester")])
    assert hub.repo("huggingtweets/pixel_poet").threads[0].events[1]["data"]["latest"]["raw"] == "Done, and sorry."
    assert _thread(hub, 2) == ("open", [("comment", "fan")])
    assert run("requests")[1] == ""


def test_unpublish_without_reply_leaves_the_requests_open(run, asked):
    assert run("unpublish", "pixel_poet")[0] == 0
    assert _thread(asked, 1) == ("open", [("comment", "pixel")])


BAD = [
    ("an empty reply", ["unpublish", "pixel_poet", "--reply", "  "], "huggingtweets/pixel_poet: the reply is empty;"),
    ("no token", ["requests"], "no Hugging Face token found; set HF_TOKEN"),
]


@pytest.mark.parametrize("args, message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_gets_one_line_and_changes_nothing(run, asked, tmp_path, monkeypatch, args, message):
    if args[0] == "requests":
        monkeypatch.delenv("HF_TOKEN")
    code, out, err = run(*args)
    assert (code, out, err.count("\n")) == (1, "", 1) and message in err
    assert not asked.repo("huggingtweets/pixel_poet").private and not (tmp_path / "optout.yaml").exists()
    assert _thread(asked, 1) == ("open", [("comment", "pixel")])


def test_a_lost_answer_to_the_close_does_not_post_the_reply_twice(run, asked):
    asked.fail("POST", r"/discussions/1/status$", asked.LOSE)  # closed and answered, but the answer never arrives
    asked.fail("GET", r"/discussions$", 503)  # and the listing needs a second try
    code, out, err = run("unpublish", "pixel_poet", "--reply", "Done.")
    assert code == 0, err
    assert out.splitlines()[1].endswith(
        "answered and closed take-down request #1 (" + asked.url + "/huggingtweets/pixel_poet/discussions/1)"
    )
    assert _thread(asked, 1) == ("closed", [("comment", "pixel"), ("comment", "tester"), ("status-change", "tester")])
    assert asked.count("POST", "/discussions/1/status") == 1
