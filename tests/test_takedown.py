"""The take-down inbox: the card links a discussion with a fixed title, ``requests`` lists the open ones across a
namespace, ``unpublish --reply`` answers and closes them; the loopback Hub serves the discussions endpoints as the
real huggingface_hub client calls them."""

from __future__ import annotations

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
