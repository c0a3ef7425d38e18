"""Platforms: one module each knows its handles, profiles, words and names; records, cards and the store follow."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hf_tweets import platforms
from hf_tweets.cards.importer import import_card
from hf_tweets.cards.render import render
from hf_tweets.errors import HfTweetsError
from hf_tweets.platforms import Account
from hf_tweets.sources.posts import raw_path

from conftest import SAMPLE_ARCHIVE, make_record

ACCOUNTS = [
    # as written on a command line -> (platform, canonical handle, as a card shows it, profile URL, repo name)
    ("alice", "x", "alice", "@alice", "https://x.com/alice", "alice"),
    ("x:Alice_1", "x", "Alice_1", "@Alice_1", "https://x.com/Alice_1", "alice_1"),
    ("@alice", "x", "alice", "@alice", "https://x.com/alice", "alice"),
    ("alice.bsky.social", "bluesky", "alice.bsky.social", "@alice.bsky.social",
     "https://bsky.app/profile/alice.bsky.social", "alice-bsky-social"),
    ("bsky:Alice.Example.COM", "bluesky", "alice.example.com", "@alice.example.com",
     "https://bsky.app/profile/alice.example.com", "alice-example-com"),
    ("bluesky:@alice.bsky.social", "bluesky", "alice.bsky.social", "@alice.bsky.social",
     "https://bsky.app/profile/alice.bsky.social", "alice-bsky-social"),
    ("did:plc:abcdefghijklmnopqrstuvwx", "bluesky", "did:plc:abcdefghijklmnopqrstuvwx",
     "@did:plc:abcdefghijklmnopqrstuvwx", "https://bsky.app/profile/did:plc:abcdefghijklmnopqrstuvwx",
     "did-plc-abcdefghijklmnopqrstuvwx"),
    ("@alice@mastodon.social", "mastodon", "alice@mastodon.social", "@alice@mastodon.social",
     "https://mastodon.social/@alice", "alice-at-mastodon-social"),
    ("mastodon:Alice@Example.Social", "mastodon", "Alice@example.social", "@Alice@example.social",
     "https://example.social/@Alice", "alice-at-example-social"),
    ("alice@mastodon.social", "mastodon", "alice@mastodon.social", "@alice@mastodon.social",
     "https://mastodon.social/@alice", "alice-at-mastodon-social"),
]  # fmt: skip


@pytest.mark.parametrize("spec, platform, handle, shown, url, name", ACCOUNTS, ids=[a[0] for a in ACCOUNTS])
def test_accounts_on_the_command_line(spec, platform, handle, shown, url, name):
    account = platforms.parse_account(spec)
    assert (account.platform, account.handle, str(account)) == (platform, handle, shown)
    kind = platforms.get(platform)
    assert kind.profile_url(handle) == url and platforms.repo_name([account]) == name


NOT_ACCOUNTS = ["", "a b", "../x", "x" * 16, "bsky:alice", "mastodon:alice", "@a@b", "did:plc:short", "x:a.b", "a/b"]


@pytest.mark.parametrize("spec", NOT_ACCOUNTS, ids=repr)
def test_what_is_no_account_is_one_line_naming_the_forms(spec):
    with pytest.raises(HfTweetsError) as caught:
        platforms.parse_account(spec)
    assert "\n" not in caught.value.line() and caught.value.fix


def test_a_mixed_bot_is_named_after_every_account_sorted():
    accounts = [platforms.parse_account(s) for s in ("zed", "@bob@mastodon.social", "alice.bsky.social")]
    assert platforms.repo_name(accounts) == "alice-bsky-social-bob-at-mastodon-social-zed"
    assert platforms.repo_name([Account("x", h) for h in ("Zeta_Z", "alpha")]) == "alpha-zeta_z"  # huggingtweets'
    long = [Account("bluesky", "a" * 60 + ".example.com"), Account("bluesky", "b" * 60 + ".example.com")]
    assert len(platforms.repo_name(long)) == 96  # cut, with a hash of the whole: still distinct


handles = {
    "x": st.from_regex(r"[A-Za-z0-9_]{1,15}", fullmatch=True),
    "bluesky": st.one_of(
        st.from_regex(r"([a-z0-9]([a-z0-9-]{0,5}[a-z0-9])?\.){1,3}[a-z]{2,4}", fullmatch=True),
        st.from_regex(r"did:plc:[a-z2-7]{24}", fullmatch=True),
        st.from_regex(r"did:web:[a-z]{1,6}\.[a-z]{2,3}", fullmatch=True),
    ),
    "mastodon": st.from_regex(r"[a-z0-9_]{1,8}@([a-z0-9]([a-z0-9-]{0,4}[a-z0-9])?\.){1,2}[a-z]{2,4}", fullmatch=True),
}
accounts = st.sampled_from(sorted(handles)).flatmap(lambda p: handles[p].map(lambda h: platforms.account(p, h)))


@given(accounts, accounts)
@pytest.mark.slow
def test_no_two_accounts_share_a_file(one, other):
    if one.key != other.key:
        assert raw_path(platforms_dir(), one) != raw_path(platforms_dir(), other)


def platforms_dir():
    from pathlib import Path

    return Path("data")


def user(platform, handle, name, kept, **more):
    counts = {"downloaded": kept + 3, "retweets": 1, "short": 2, "kept": kept}
    return {"platform": platform, "handle": handle, "display_name": name, "counts": counts} | more


def test_an_x_card_keeps_the_legacy_words_and_others_say_posts():
    x_card = render(make_record({"users": [user("x", "alice", "Alice", 10)]}))
    assert "| Tweets downloaded | 13 |" in x_card and "| Retweets | 1 |" in x_card
    assert "trained on [@alice's tweets]" in x_card
    bsky = render(make_record({"users": [user("bluesky", "alice.bsky.social", "Alice", 10)]}))
    assert "| Posts downloaded | 13 |" in bsky and "| Reposts | 1 |" in bsky
    assert "tweet" not in bsky.replace("huggingtweets", "").replace("hf-tweets", "")
    assert "[@alice.bsky.social](https://bsky.app/profile/alice.bsky.social)" in bsky


ALICE, CAROL = user("bluesky", "alice.bsky.social", "Alice", 10), user("x", "Carol", "Carol", 30)
CW_COUNTS = {"downloaded": 30, "retweets": 3, "short": 2, "cw": 5, "kept": 20}
BOB_CW = user("mastodon", "bob@mastodon.social", "Bob", 20, counts=CW_COUNTS)


@pytest.mark.parametrize(
    "users",
    [
        [ALICE],
        [BOB_CW],
        [ALICE, user("mastodon", "bob@mastodon.social", "Bob", 20), CAROL],
        [user("bluesky", "did:plc:abcdefghijklmnopqrstuvwx", "A DID", 10)],
    ],
    ids=["bluesky", "mastodon with content warnings", "three platforms", "a DID"],
)
def test_cards_of_every_platform_round_trip_and_pass_check(users):
    from hf_tweets.cards.check import check_readme_text

    record = make_record({"users": users})
    text = render(record)
    assert import_card(text) == record and render(import_card(text)) == text
    assert check_readme_text(text, "README.md") == []


def test_content_warnings_are_a_row_of_their_own_that_adds_up():
    counts = {"downloaded": 30, "retweets": 3, "short": 2, "cw": 5, "kept": 20}
    text = render(make_record({"users": [user("mastodon", "bob@mastodon.social", "Bob", 20, counts=counts)]}))
    assert "| Posts behind a content warning | 5 |" in text
    from hf_tweets.cards.check import check_readme_text

    broken = text.replace("| Posts kept | 20 |", "| Posts kept | 25 |")
    assert any("Posts kept is 25" in str(p) for p in check_readme_text(broken, "README.md"))


# -- a name two sets of accounts could share is never taken over -------------------------------------------------


def test_run_never_takes_over_a_record_of_other_accounts(run, tmp_path):
    from hf_tweets.cards.recordfile import save_record

    other = make_record({"users": [user("bluesky", "pixel.poet.example", "Someone Else", 10)]}, name="pixel_poet")
    save_record(other, tmp_path / "cards" / "pixel_poet.yaml")
    code, _, err = run("run", "--archive", str(SAMPLE_ARCHIVE), "--wandb", "off")
    assert code == 1 and "cards/pixel_poet.yaml: is the model of @pixel.poet.example, not of @pixel_poet" in err
    assert "--name" in err and not (tmp_path / "data" / "pixel_poet").exists()


def test_publish_never_overwrites_a_repo_holding_another_model(run, hub, card, tiny_model):
    from huggingface_hub import HfApi

    other = render(make_record({"users": [user("x", "someone", "Someone", 10)]}, name="pixel_poet"))
    HfApi().create_repo("huggingtweets/pixel_poet")
    HfApi().upload_file(path_or_fileobj=other.encode(), path_in_repo="README.md", repo_id="huggingtweets/pixel_poet")
    before = len(hub.repo("huggingtweets/pixel_poet").commits)
    code, _, err = run("publish", "pixel_poet", "--model-dir", str(tiny_model))
    assert code == 1 and "the repo holds the model of @someone, not of @pixel_poet; nothing was sent" in err
    assert len(hub.repo("huggingtweets/pixel_poet").commits) == before


def test_publish_goes_on_over_a_repo_of_the_same_accounts(run, hub, card, tiny_model):
    from huggingface_hub import HfApi

    mine = render(make_record())  # as a card imported from the Hub would be: same account, no publish state
    HfApi().create_repo("huggingtweets/pixel_poet")
    HfApi().upload_file(path_or_fileobj=mine.encode(), path_in_repo="README.md", repo_id="huggingtweets/pixel_poet")
    code, out, err = run("publish", "pixel_poet", "--model-dir", str(tiny_model))
    assert code == 0 and out.startswith("published huggingtweets/pixel_poet"), err


@pytest.mark.parametrize(
    "spec, line",
    [
        (
            "x:a.b",
            "'a.b' is not an X account; an X handle is 1-15 letters, digits or underscores: write it as alice or"
            " x:alice",
        ),
        (
            "bsky:alice",
            "'alice' is not a Bluesky account; a Bluesky handle is a domain such as alice.bsky.social, or a DID such"
            " as did:plc:...: write it as alice.bsky.social or bsky:alice.bsky.social",
        ),
        (
            "mastodon:alice",
            "'alice' is not a Mastodon account; a Mastodon account is user@instance, such as @alice@mastodon.social:"
            " write it as @alice@mastodon.social or mastodon:@alice@mastodon.social",
        ),
    ],
)
def test_a_handle_that_is_not_its_platforms_says_the_forms_it_takes(spec, line):
    with pytest.raises(HfTweetsError) as caught:
        platforms.parse_account(spec)
    assert caught.value.line() == line
