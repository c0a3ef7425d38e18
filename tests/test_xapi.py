"""The X API through the real tweepy client, replaying recorded responses with vcrpy."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import tweepy
import vcr
from vcr.serializers import yamlserializer

from hf_tweets.sources.posts import load_posts, load_profile
from hf_tweets.sources.x_api import _post

CASSETTES = Path(__file__).parent / "cassettes" / "x-api"
BEARER = "AAAA-test-bearer-token-made-up"


class GunzipYaml:
    """vcrpy's YAML cassettes, with gzip bodies unpacked on load: the real recordings are gzip, and
    vcrpy replays them to requests/urllib3 2 without decoding them."""

    @staticmethod
    def deserialize(text: str) -> dict:
        data = yamlserializer.deserialize(text)
        for item in data["interactions"]:
            response = item["response"]
            encoding = {k.lower(): v for k, v in response["headers"].items()}.get("content-encoding")
            if encoding == ["gzip"] and isinstance(response["body"]["string"], bytes):
                response["body"]["string"] = gzip.decompress(response["body"]["string"])
                response["headers"] = {
                    k: v
                    for k, v in response["headers"].items()
                    if k.lower() not in ("content-encoding", "content-length")
                }
        return data

    serialize = staticmethod(yamlserializer.serialize)


replay = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    serializer="yaml-gunzip",
    match_on=["method", "scheme", "host", "path", "query"],
    filter_headers=["authorization"],
)
replay.register_serializer("yaml-gunzip", GunzipYaml)


@pytest.fixture
def bearer(monkeypatch):
    monkeypatch.setenv("X_BEARER_TOKEN", BEARER)


def test_real_recordings_replay_through_tweepy():
    client = tweepy.Client(bearer_token=BEARER)
    with replay.use_cassette("test_client_get_user.yaml"):
        assert client.get_user(username="Twitter").data.username == "Twitter"
    with replay.use_cassette("test_client_get_users.yaml"):
        assert [u.username for u in client.get_users(usernames=["Twitter", "TwitterDev"]).data] == [
            "Twitter",
            "TwitterDev",
        ]
    with replay.use_cassette("test_client_get_users_tweets.yaml"):
        response = client.get_users_tweets(783214)
    posts = [_post(t) for t in response.data]
    assert [p.kind for p in posts] == ["post", "post"] and posts[0].text.startswith("whoa, it works")
    assert response.meta["next_token"] == "7140dibdnow9c7btw4232poeq0wapgnwgwqwvuwn3peex"


def test_pages_retweets_and_replies(run, bearer, tmp_path):
    with replay.use_cassette("timeline_pages.yaml") as cassette:
        code, out, err = run("fetch", "pixel_poet")
    assert code == 0, err
    assert out == "@pixel_poet: 8 new posts, 8 stored in data\n"
    assert cassette.play_count == 4 and cassette.all_played
    posts = load_posts(tmp_path / "data", "pixel_poet")
    assert [p.kind for p in posts].count("retweet") == 2 and [p.kind for p in posts].count("reply") == 1
    assert posts[0].created_at == "2022-10-20T12:00:00Z"
    profile = load_profile(tmp_path / "data", "pixel_poet")
    assert (profile.display_name, profile.avatar) == (
        "Pixel Poet 🌙",
        "https://pbs.twimg.com/profile_images/1111/pixel_400x400.jpg",
    )
    assert BEARER not in out + err


def test_second_fetch_asks_only_for_newer_posts(run, bearer, tmp_path):
    with replay.use_cassette("timeline_pages.yaml"):
        run("fetch", "pixel_poet")
    with replay.use_cassette("timeline_newer.yaml") as cassette:
        code, out, _ = run("fetch", "pixel_poet")
    assert (code, out) == (0, "@pixel_poet: 1 new posts, 9 stored in data\n") and cassette.all_played


def test_replies_left_out_at_the_source(run, bearer):
    with replay.use_cassette("timeline_no_replies.yaml") as cassette:
        assert run("fetch", "pixel_poet", "--no-replies")[0] == 0
    assert cassette.all_played


def test_limit(run, bearer, tmp_path):
    with replay.use_cassette("timeline_pages.yaml", allow_playback_repeats=False):
        assert run("fetch", "pixel_poet", "--limit", "2")[1] == "@pixel_poet: 2 new posts, 2 stored in data\n"


@pytest.mark.parametrize(
    "cassette, args, message",
    [
        (
            "protected_user.yaml",
            ["pixel_poet"],
            "@pixel_poet is a protected account; hf-tweets never trains on protected posts",
        ),
        ("unknown_user.yaml", ["nobody_here"], "@nobody_here does not exist on X; check the spelling"),
        ("suspended_user.yaml", ["gone_away"], "@gone_away is suspended"),
        ("unauthorized.yaml", ["pixel_poet"], "the X API refused the token (401); set X_BEARER_TOKEN"),
        ("forbidden.yaml", ["pixel_poet"], "the X API token may not read @pixel_poet's posts (403)"),
        ("timeline_empty.yaml", ["pixel_poet"], "@pixel_poet has no posts to fetch (an empty timeline)"),
        (None, ["not-a-handle"], "'not-a-handle' is not an account hf-tweets can read"),
    ],
    ids=["protected", "unknown", "suspended", "401", "403", "empty", "invalid handle"],
)
def test_refusals_are_one_line_and_store_nothing(run, bearer, tmp_path, cassette, args, message):
    if cassette:
        with replay.use_cassette(cassette):
            code, out, err = run("fetch", *args)
    else:
        code, out, err = run("fetch", *args)
    assert code == 1 and out == ""
    assert message in err and err.count("\n") == 1 and BEARER not in err
    assert not (tmp_path / "data").exists()  # nothing stored, not even the profile


def test_missing_token(run):
    code, _, err = run("fetch", "pixel_poet")
    assert code == 1 and "no X API token; set X_BEARER_TOKEN" in err


def test_rate_limit_stops_with_the_reset_time_and_keeps_what_was_fetched(run, bearer, tmp_path):
    with replay.use_cassette("rate_limited_midway.yaml"):
        code, _, err = run("fetch", "pixel_poet")
    assert code == 1
    assert (
        "rate limit reached after 3 new posts of @pixel_poet (kept); it resets at 00:00:00 UTC" in err
        and "--wait" in err
    )
    assert len(load_posts(tmp_path / "data", "pixel_poet")) == 3


@pytest.mark.parametrize(
    "cassette, early", [("rate_limited_then_ok", 3), ("lookup_rate_limited_then_ok", 2)], ids=["a page", "the lookup"]
)
def test_rate_limit_with_wait_counts_down_and_goes_on(run, bearer, monkeypatch, cassette, early):
    slept = []
    monkeypatch.setattr("time.sleep", slept.append)
    monkeypatch.setattr("hf_tweets.sources.x_api.time.time", lambda: 1893456000 - early)
    with replay.use_cassette(f"{cassette}.yaml") as played:
        code, out, err = run("fetch", "pixel_poet", "--wait")
    assert code == 0 and played.all_played, err
    assert slept == [1] * early and f"waiting    {early} s" in err and "waiting    1 s" in err
    assert out == "@pixel_poet: 8 new posts, 8 stored in data\n"


def test_a_rate_limit_at_the_lookup_stops_saying_so_and_stores_nothing(run, bearer, tmp_path):
    with replay.use_cassette("lookup_rate_limited.yaml") as cassette:
        code, out, err = run("fetch", "pixel_poet")
    assert code == 1 and out == "" and cassette.all_played
    assert err == (
        "hf-tweets: error: X API rate limit reached looking up @pixel_poet; it resets at 00:00:00 UTC,"
        " run fetch again then, or add --wait\n"
    )
    assert not (tmp_path / "data").exists()


def test_server_error_midway_keeps_posts_and_the_next_run_resumes(run, bearer, tmp_path):
    with replay.use_cassette("server_error_midway.yaml"):
        code, _, err = run("fetch", "pixel_poet")
    assert code == 1 and "the X API failed (503) after 3 new posts (kept; run fetch again to resume)" in err
    assert len(load_posts(tmp_path / "data", "pixel_poet")) == 3
    with replay.use_cassette("resume_after_error.yaml") as cassette:
        code, out, _ = run("fetch", "pixel_poet")
    assert code == 0 and cassette.all_played
    assert out == "@pixel_poet: 5 new posts, 8 stored in data\n"


def test_network_failure_midway_keeps_posts_and_resumes(run, bearer, tmp_path, monkeypatch):
    import requests

    real = tweepy.Client.get_users_tweets
    calls = []

    def flaky(self, *args, **kwargs):
        calls.append(kwargs.get("pagination_token"))
        if len(calls) == 2:
            raise requests.ConnectionError("Connection reset by peer")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(tweepy.Client, "get_users_tweets", flaky)
    with replay.use_cassette("timeline_pages.yaml"):
        code, _, err = run("fetch", "pixel_poet")
    assert (
        code == 1
        and "could not reach the X API (ConnectionError) after 3 new posts (kept; run fetch again to resume)" in err
    )
    with replay.use_cassette("resume_after_error.yaml") as cassette:
        assert run("fetch", "pixel_poet")[1] == "@pixel_poet: 5 new posts, 8 stored in data\n"
    assert cassette.all_played and calls[-2:] == ["p2", "p3"]
