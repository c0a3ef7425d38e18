"""Cleaning rules, counts, splits, balancing and the files prepare writes."""

from __future__ import annotations

import json
import random

import pytest

from hf_tweets import platforms
from hf_tweets.cards.recordfile import load_record
from hf_tweets.errors import PrepareError
from hf_tweets.folders import Folders
from hf_tweets.sources.posts import Post, Profile, save_posts, save_profile
from hf_tweets.training.prepare import EOS, PrepareConfig, balance, clean, is_short, prepare, sort_posts, split

from archive_factory import made_up_tweets, tweet, write_archive

CLEAN = [
    # (raw text, keep newlines, cleaned)
    ("fish &amp; chips &lt;3 &gt;:(", False, "fish & chips <3 >:("),
    ("read this https://t.co/abc now", False, "read this now"),
    ("https://t.co/abc at the start", False, "at the start"),
    ("at the end http://example.com/x?y=1", False, "at the end"),
    ("two  spaces   and\ttab", False, "two spaces and tab"),
    ("line one\nline two\n\nline three", False, "line one line two line three"),
    ("line one\nline two\n\nline three", True, "line one\nline two\nline three"),
    ("mike insane ðŸ¤– AI", False, "mike insane 🤖 AI"),  # mojibake repaired
    ("Cafe\u0301 time", False, "Caf\u00e9 time"),  # NFC
    ("emoji stay 👩‍💻🏳️‍🌈", False, "emoji stay 👩‍💻🏳️‍🌈"),
    ("שלום עולם טוב", False, "שלום עולם טוב"),
    ("  padded  ", False, "padded"),
]


@pytest.mark.parametrize("raw, keep, cleaned", CLEAN, ids=[c[2][:20] for c in CLEAN])
def test_cleaning(raw, keep, cleaned):
    assert clean(raw, keep) == cleaned


SHORT = [
    ("lol", True),
    ("ok then", True),
    ("@friend @other yes", True),  # mentions do not count as words
    ("#tag #tag2 nice", True),
    ("three real words", False),
    ("@friend three real words", False),
    ("", True),
]


@pytest.mark.parametrize("text, short", SHORT)
def test_short_posts(text, short):
    assert is_short(text) is short


def test_counts_follow_the_recipe():
    posts = [
        Post("1", "2021-01-02T00:00:00Z", "a perfectly normal post here"),
        Post("2", "2021-01-03T00:00:00Z", "RT @x: somebody else's words here", "retweet"),
        Post("3", "2021-01-04T00:00:00Z", "lol"),
        Post("4", "2021-01-05T00:00:00Z", "a perfectly normal post here"),  # an exact repeat
        Post("5", "2020-12-31T00:00:00Z", "@friend thanks for the soup, truly", "reply"),
        Post("6", "2021-01-06T00:00:00Z", "https://t.co/only-a-link"),
    ]
    data = sort_posts("pixel_poet", posts, False)
    assert data.counts() == {"downloaded": 6, "retweets": 1, "short": 3, "kept": 2}
    assert data.duplicates == 1
    assert data.kept == ["a perfectly normal post here", "@friend thanks for the soup, truly"]
    assert (data.oldest, data.newest) == ("2020-12-31", "2021-01-06")


def test_split_is_reproducible_and_holds_out_a_tenth():
    texts = [f"post number {i}" for i in range(100)]
    train, held = split(texts, 0.1, random.Random(7))
    assert len(held) == 10 and sorted(train + held) == sorted(texts)
    assert split(texts, 0.1, random.Random(7)) == (train, held)
    assert split(["only one"], 0.1, random.Random(1)) == (["only one"], [])


def test_balance_gives_users_about_the_same_characters():
    big, small = [f"a long post of user one, number {i}" for i in range(90)], ["tiny post two"] * 3
    mixed = balance([big, small], random.Random(0))
    chars_big = sum(len(p) for p in mixed if p in big)
    chars_small = sum(len(p) for p in mixed if p == "tiny post two")
    assert abs(chars_big - chars_small) / chars_big < 0.05


def stored(data_dir, handle, n, display="Pixel Poet"):
    posts = [
        Post(str(i), f"2021-01-{1 + i % 28:02d}T00:00:00Z", f"made up post {i} about clouds and spoons")
        for i in range(n)
    ]
    save_posts(data_dir, handle, posts)
    save_profile(data_dir, Profile(handle, display, f"https://pbs.twimg.com/{handle}_400x400.jpg", "test"))


def test_prepare_writes_text_stats_and_record(tmp_path):
    data, cards = tmp_path / "data", tmp_path / "cards"
    stored(data, "pixel_poet", 300)
    result = prepare("pixel_poet", Folders.resolve(data=data, cards=cards), config=PrepareConfig(min_chars=1000))
    train = (data / "pixel_poet" / "train.txt").read_text().split(EOS)
    held = (data / "pixel_poet" / "eval.txt").read_text().split(EOS)
    assert (len(train), len(held)) == (270, 30)
    stats = json.loads((data / "pixel_poet" / "stats.json").read_text())
    assert stats["seed"] == 42 and stats["users"][0]["kept"] == 300
    assert stats["language"] == "en" and stats["language_detection"]["sure"] is True
    record = load_record(cards / "pixel_poet.yaml")
    assert record.language == "en"
    assert record.users[0].display_name == "Pixel Poet"
    counts = record.users[0].counts.model_dump(exclude_none=True)
    assert counts == {"downloaded": 300, "retweets": 0, "short": 0, "kept": 300}
    assert str(record.training.oldest_tweet) == "2021-01-01" and str(record.training.newest_tweet) == "2021-01-28"
    assert result.warning and "under 40,000" in result.warning


def test_prepare_three_users_names_the_repo_and_balances(tmp_path):
    data, cards = tmp_path / "data", tmp_path / "cards"
    stored(data, "Zeta_Z", 400, "Zeta")
    stored(data, "alpha", 40, "Alpha")
    stored(data, "mid_1", 100, "Mid")
    prepare("alpha-mid_1-zeta_z", Folders.resolve(data=data, cards=cards), config=PrepareConfig(min_chars=1000))
    record = load_record(cards / "alpha-mid_1-zeta_z.yaml")
    assert [u.handle for u in record.users] == ["alpha", "mid_1", "Zeta_Z"]
    train = (data / "alpha-mid_1-zeta_z" / "train.txt").read_text().split(EOS)
    assert len(train) > 3 * 360  # the smaller users were repeated up to the largest


# A repo name read back into the fetched accounts it names (sources/bots.py): the store's accounts, by their slugs.
LONG = ["someone_rather_long@fediverse.example.org", "another_long_user@fediverse.example.org", "zed@x.example.org"]
NAMED = [
    # (accounts in the store as platform:handle, the name prepare is given, the accounts it reads, or the error)
    (["x:pixel_poet"], "pixel_poet", ["x:pixel_poet"]),
    (["x:Pixel_Poet"], "PIXEL_POET", ["x:Pixel_Poet"]),
    (["x:alpha", "x:mid_1", "x:Zeta_Z"], "alpha-mid_1-zeta_z", ["x:alpha", "x:mid_1", "x:Zeta_Z"]),
    (["mastodon:alice@mastodon.social"], "alice-at-mastodon-social", ["mastodon:alice@mastodon.social"]),
    (["bluesky:alice.bsky.social", "x:alice"], "alice-bsky-social", ["bluesky:alice.bsky.social"]),
    (["bluesky:alice.bsky.social", "x:alice"], "alice-alice-bsky-social", ["x:alice", "bluesky:alice.bsky.social"]),
    (["bluesky:did:plc:" + "a" * 24], "did-plc-" + "a" * 24, ["bluesky:did:plc:" + "a" * 24]),
    (
        [f"mastodon:{h}" for h in LONG],
        platforms.repo_name(map(platforms.parse_account, LONG)),
        [f"mastodon:{h}" for h in sorted(LONG)],
    ),
    (
        ["bluesky:alice-at-mastodon.social", "mastodon:alice@mastodon.social"],
        "alice-at-mastodon-social",
        "alice-at-mastodon-social: is the repo name of @alice-at-mastodon.social and of @alice@mastodon.social;"
        " name the accounts instead: hf-tweets prepare ACCOUNT,...",
    ),
    (
        ["x:pixel_poet"],
        "pixel_poet-bob",
        "pixel_poet-bob: no record of this name, and no fetched accounts whose repo name it is;"
        " did you mean pixel_poet?",
    ),
]


@pytest.mark.parametrize("stored_accounts, name, expected", NAMED, ids=[n for _, n, _ in NAMED])
def test_a_repo_name_is_read_back_into_the_fetched_accounts(tmp_path, stored_accounts, name, expected):
    from hf_tweets.errors import SourceError
    from hf_tweets.sources.bots import accounts_named

    for spec in stored_accounts:
        account = platforms.account(*spec.split(":", 1))
        save_posts(tmp_path, account, [Post("1", "", "a made up post")])
        save_profile(tmp_path, Profile(account.handle, account.handle, platform=account.platform))
    if isinstance(expected, str):
        with pytest.raises(SourceError) as error:
            accounts_named(tmp_path, name)
        assert error.value.line() == expected
    else:
        assert [f"{a.platform}:{a.handle}" for a in accounts_named(tmp_path, name)] == expected


def test_too_little_text_is_refused_with_numbers(tmp_path):
    stored(tmp_path / "data", "pixel_poet", 20)
    with pytest.raises(
        PrepareError, match=r"only \d,?\d+ characters of kept posts \(20 posts\); at least 6,000 .* --min-chars"
    ):
        prepare("pixel_poet", Folders.resolve(data=tmp_path / "data", cards=tmp_path / "cards"))
    assert not (tmp_path / "cards").exists() and not (tmp_path / "data" / "pixel_poet").exists()


def test_prepare_from_an_archive_end_to_end(run, tmp_path):
    tweets = made_up_tweets(300) + [tweet(900, "fish &amp; chips &lt;3 with friends tonight")]
    write_archive(tmp_path / "archive.zip", tweets, parts=3)
    assert run("fetch", "--archive", "archive.zip")[0] == 0
    code, out, err = run("prepare", "pixel_poet", "--min-chars", "1000")
    assert code == 0, err
    assert "@pixel_poet: 301 downloaded, 43 retweets, 0 short, 258 kept" in out
    train = (tmp_path / "data" / "pixel_poet" / "train.txt").read_text() + (
        tmp_path / "data" / "pixel_poet" / "eval.txt"
    ).read_text()
    assert "fish & chips <3 with friends tonight" in train
    assert "https://t.co" not in train and "RT @" not in train
