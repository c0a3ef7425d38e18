"""Bluesky: the AppView through the real atproto client (replayed with vcrpy), and repo exports (.car).

The real recordings (tests/cassettes/bluesky/real_*.yaml, converted by tests/cassettes/convert_bluesky.py)
hold real people's public posts: they are asserted on by counts and shapes only. Everything else is made
up (tests/bluesky_factory.py).
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

import libipld
import pytest
import vcr
import yaml

from hf_tweets.cards.record import MAX_NAME
from hf_tweets.errors import ConsentError, SourceError
from hf_tweets.folders import Folders
from hf_tweets.platforms import Account
from hf_tweets.sources.posts import load_posts, load_profile, raw_path

from bluesky_factory import (
    ALICE,
    C1,
    CASSETTES,
    DID_ONLY,
    NEWER,
    OTHER,
    PAGE1,
    RESET,
    Blocks,
    Item,
    Person,
    car,
    car_bytes,
    cid_of,
    error,
    feed_item,
    feed_page,
    get_feed,
    get_profile,
    label,
    profile_view,
    repo_records,
    write_car,
    write_cassettes,
)

sys.path.insert(0, str(Path(__file__).parent / "cassettes"))
import convert_bluesky  # noqa: E402

REAL = "chriskenny.bsky.social"  # the account of the real recordings
REAL_DID = "did:plc:wpe35pganb6d4pg4ekmfy6u5"
EXPORTS = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "bluesky" / "repo-export"
SHORT = "@alice.bsky.social"


def query_subset(r1, r2) -> None:
    """The request has every parameter the recording has, with its value; it may have more (the atproto
    client sends lexicon defaults, filter and includePins, that the real recordings lack)."""
    got, recorded = dict(r1.query), dict(r2.query)
    assert all(got.get(key) == value for key, value in recorded.items()), (got, recorded)


EXACT = ["method", "scheme", "host", "port", "path", "query"]
# ignore_localhost: the loopback PLC directory and PDS (tests/atproto_loopback.py) answer for themselves
replay = vcr.VCR(cassette_library_dir=str(CASSETTES), record_mode="none", match_on=EXACT, ignore_localhost=True)
replay_real = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    match_on=["method", "scheme", "host", "path", "query_subset"],
    ignore_localhost=True,  # the loopback PLC directory and PDS (tests/atproto_loopback.py)
)
replay_real.register_matcher("query_subset", query_subset)


def stored(tmp_path, handle: str = "alice.bsky.social"):
    return load_posts(tmp_path / "data", Account("bluesky", handle))


def kinds(posts) -> dict[str, int]:
    return {kind: [p.kind for p in posts].count(kind) for kind in ("post", "reply", "retweet")}


def nothing_stored(tmp_path, handle: str = "alice.bsky.social") -> bool:
    raw = tmp_path / "data" / "raw"
    return not raw.exists() or not any(p.name.startswith(handle.replace(":", "_")) for p in raw.iterdir())


# -- the real recordings ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_real_recordings_replay_through_atproto():
    from atproto import Client

    with replay_real.use_cassette("real_getProfiles.yaml") as cassette:
        profiles = Client(base_url="https://bsky.social").app.bsky.actor.get_profiles({"actors": [REAL]}).profiles
    assert cassette.all_played and [(p.did, p.handle) for p in profiles] == [(REAL_DID, REAL)]


def test_real_feed_through_fetch(run, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TWEETS_BLUESKY_APPVIEW", "https://bsky.social")  # where the recordings were made
    with replay_real.use_cassette("real_fetch.yaml") as cassette:
        code, out, err = run("fetch", REAL, "--limit", "50")
    assert (code, err) == (0, f"next: hf-tweets prepare {REAL.replace('.', '-')}\n") and cassette.all_played
    assert out == f"@{REAL}: 50 new posts, 50 stored in data\n"
    posts = stored(tmp_path, REAL)
    assert kinds(posts) == {"post": 19, "reply": 24, "retweet": 7}
    assert all(p.text == "" for p in posts if p.kind == "retweet") and all(p.text for p in posts if p.kind == "post")
    assert all(len(p.id) == 13 for p in posts if p.kind != "retweet")
    # every link facet's visible text (a shortened URL) is cut out; mentions and tags stay
    feed = json.loads(
        yaml.safe_load((CASSETTES / "real_fetch.yaml").read_text())["interactions"][1]["response"]["body"]["string"]
    )
    by_id = {p.id: p.text for p in posts}
    links = tags = 0
    for item in feed["feed"]:
        record, rkey = item["post"]["record"], item["post"]["uri"].rsplit("/", 1)[1]
        if "reason" in item:
            continue
        for facet in record.get("facets", []):
            shown = record["text"].encode()[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode()
            kind = facet["features"][0]["$type"].rsplit("#", 1)[1]
            if kind == "link":
                links += 1
                assert shown not in by_id[rkey]
            else:
                tags += 1
                assert shown in by_id[rkey]
    assert (links, tags) == (19, 24)  # in the account's own posts and replies
    profile = load_profile(tmp_path / "data", Account("bluesky", REAL))
    assert (profile.handle, profile.platform, profile.source, profile.consent) == (
        REAL,
        "bluesky",
        "bluesky-api",
        "public",
    )
    assert profile.avatar.startswith(f"https://cdn.bsky.app/img/avatar/plain/{REAL_DID}/")


def test_the_converted_recordings_are_what_the_script_writes(tmp_path):
    if not convert_bluesky.RECORDINGS.exists():
        pytest.skip("the shared recordings are not here")
    for path in convert_bluesky.convert(out=tmp_path):
        assert path.read_text() == (CASSETTES / path.name).read_text(), path.name


def test_the_made_up_cassettes_are_what_the_factory_writes(tmp_path):
    for path in write_cassettes(tmp_path):
        assert path.read_text() == (CASSETTES / path.name).read_text(), path.name


# -- the API, made-up answers ----------------------------------------------------------------------------------


def test_pages_posts_reposts_replies_and_labels(run, tmp_path):
    with replay.use_cassette("pages.yaml") as cassette:
        code, out, err = run("fetch", "alice.bsky.social")
    assert (code, err) == (0, "next: hf-tweets prepare alice-bsky-social\n") and cassette.all_played
    assert cassette.play_count == 4
    assert out == f"{SHORT}: 9 new posts, 9 stored in data\n"
    posts = stored(tmp_path)
    assert kinds(posts) == {"post": 6, "reply": 2, "retweet": 1}
    by_id = {p.id: p for p in posts}
    assert [p.id for p in posts] == [i.rkey for i in ALICE.items[:3]] + [posts[3].id] + [
        i.rkey for i in ALICE.items[4:]
    ]
    assert (posts[3].kind, posts[3].text, posts[3].id.startswith("repost-")) == ("retweet", "", True)
    assert [p.id for p in posts if p.cw] == [ALICE.items[4].rkey]  # the self-labelled one
    linked = by_id[ALICE.items[1].rkey]
    assert linked.text == ALICE.items[1].text + " " and "example.com" not in linked.text
    assert by_id[ALICE.items[0].rkey].text.startswith("@friend.bsky.social The kettle")
    assert posts[0].created_at == "2024-06-01T12:00:00Z"
    profile = load_profile(tmp_path / "data", Account("bluesky", "alice.bsky.social"))
    assert (profile.handle, profile.display_name, profile.platform, profile.consent) == (
        "alice.bsky.social",
        "Alice Example 🌿",
        "bluesky",
        "public",
    )
    assert profile.avatar == ALICE.avatar_url()
    assert not (tmp_path / "data" / "raw" / "alice.bsky.social.state.json").exists()


def test_a_later_fetch_stops_at_the_posts_it_has(run, tmp_path):
    with replay.use_cassette("pages.yaml"):
        run("fetch", "alice.bsky.social")
    with replay.use_cassette("newer.yaml") as cassette:
        code, out, _ = run("fetch", "alice.bsky.social")
    assert (code, out) == (0, f"{SHORT}: 1 new posts, 10 stored in data\n") and cassette.all_played
    assert stored(tmp_path)[0].id == NEWER.rkey


def test_replies_are_left_out_at_the_source(run, tmp_path):
    with replay.use_cassette("no_replies.yaml") as cassette:
        assert run("fetch", "alice.bsky.social", "--no-replies")[1] == f"{SHORT}: 7 new posts, 7 stored in data\n"
    assert cassette.all_played and kinds(stored(tmp_path))["reply"] == 0


def test_limit_asks_for_no_more(run, tmp_path):
    with replay.use_cassette("limited.yaml") as cassette:
        assert run("fetch", "alice.bsky.social", "--limit", "3")[1] == f"{SHORT}: 3 new posts, 3 stored in data\n"
    assert cassette.all_played


def test_a_did_stays_the_account(run, tmp_path):
    with replay.use_cassette("did.yaml") as cassette:
        code, out, _ = run("fetch", ALICE.did)
    assert (code, out) == (0, f"@{ALICE.did}: 5 new posts, 5 stored in data\n") and cassette.all_played
    assert raw_path(tmp_path / "data", Account("bluesky", ALICE.did)).name == "did_plc_alicealicealicealiceabcd.jsonl"
    profile = load_profile(tmp_path / "data", Account("bluesky", ALICE.did))
    assert (profile.handle, profile.display_name) == (ALICE.did, "Alice Example 🌿")


@pytest.mark.parametrize(
    "cassette, handle, message",
    [
        (
            "no_unauthenticated.yaml",
            "alice.bsky.social",
            f"{SHORT} asks logged-out viewers not to see its posts (!no-unauthenticated); hf-tweets reads only"
            " public posts, nothing was stored",
        ),
        (
            "unknown_actor.yaml",
            "nobody.bsky.social",
            "@nobody.bsky.social does not exist on Bluesky; check the spelling (a handle such as alice.bsky.social,"
            " or a DID)",
        ),
        ("empty.yaml", "alice.bsky.social", f"{SHORT} has no posts to fetch (an empty feed)"),
    ],
    ids=["!no-unauthenticated", "unknown", "empty"],
)
def test_refusals_are_one_line_and_store_nothing(run, tmp_path, cassette, handle, message):
    with replay.use_cassette(cassette) as played:
        code, out, err = run("fetch", handle)
    assert (code, out) == (1, "") and played.all_played
    assert err == f"hf-tweets: error: {message}\n"
    assert nothing_stored(tmp_path, handle)


@pytest.mark.parametrize(
    "listed, cassette, given",
    [(ALICE.did, "pages.yaml", "alice.bsky.social"), ("alice.bsky.social", "did.yaml", ALICE.did)],
    ids=["listed by DID, fetched by handle", "listed by handle, fetched by DID"],
)
def test_the_opt_out_list_is_checked_by_did_and_by_handle(run, tmp_path, listed, cassette, given):
    from hf_tweets import consent

    consent.add(Account("bluesky", listed), "asked by e-mail", Folders.resolve(cards=tmp_path / "cards").optout)
    with replay.use_cassette(cassette) as played:
        code, out, err = run("fetch", given)
    assert (code, out, played.play_count) == (1, "", 1)  # the profile only
    assert f"optout.yaml: @{listed} is on the opt-out list since " in err and err.count("\n") == 1
    assert nothing_stored(tmp_path, given)


def test_the_consent_refusal_is_a_consent_error(tmp_path):
    from hf_tweets.sources import bluesky

    with replay.use_cassette("no_unauthenticated.yaml"), pytest.raises(ConsentError):
        bluesky.fetch("alice.bsky.social", Folders.resolve(data=tmp_path / "data", cards=tmp_path / "cards"))
    assert nothing_stored(tmp_path)


def test_rate_limit_stops_with_the_reset_time_and_keeps_what_was_fetched(run, tmp_path):
    with replay.use_cassette("rate_limited_midway.yaml") as cassette:
        code, _, err = run("fetch", "alice.bsky.social")
    assert code == 1 and cassette.all_played
    assert err == (
        f"hf-tweets: error: Bluesky rate limit reached after 5 new posts of {SHORT} (kept); it resets at"
        " 00:00:00 UTC, run fetch again then, or add --wait\n"
    )
    assert len(stored(tmp_path)) == 5
    state = json.loads((tmp_path / "data" / "raw" / "alice.bsky.social.state.json").read_text())
    assert state == {"cursor": C1, "filter": "posts_with_replies"}


def test_rate_limit_with_wait_counts_down_and_goes_on(run, tmp_path, monkeypatch):
    slept = []
    monkeypatch.setattr("time.sleep", slept.append)
    monkeypatch.setattr("hf_tweets.sources.bluesky.time.time", lambda: int(RESET) - 3)
    with replay.use_cassette("rate_limited_then_ok.yaml") as cassette:
        code, out, err = run("fetch", "alice.bsky.social", "--wait")
    assert code == 0 and cassette.all_played
    assert slept == [1, 1, 1] and "waiting    3 s" in err and "waiting    1 s" in err
    assert out == f"{SHORT}: 9 new posts, 9 stored in data\n"


def test_server_error_midway_keeps_posts_and_the_next_run_resumes(run, tmp_path):
    with replay.use_cassette("server_error_midway.yaml"):
        code, _, err = run("fetch", "alice.bsky.social")
    assert code == 1 and err == (
        "hf-tweets: error: the Bluesky AppView failed (503) after 5 new posts (kept; run fetch again to resume);"
        " try again later\n"
    )
    assert len(stored(tmp_path)) == 5
    with replay.use_cassette("resume.yaml") as cassette:
        code, out, _ = run("fetch", "alice.bsky.social")
    assert (code, out) == (0, f"{SHORT}: 4 new posts, 9 stored in data\n") and cassette.all_played
    assert not (tmp_path / "data" / "raw" / "alice.bsky.social.state.json").exists()


def test_an_unreachable_appview_is_one_line(run, tmp_path, monkeypatch):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HF_TWEETS_BLUESKY_APPVIEW", f"http://127.0.0.1:{port}")
    code, out, err = run("fetch", "alice.bsky.social")
    assert (code, out) == (1, "") and err == (
        f"hf-tweets: error: could not reach the Bluesky AppView at http://127.0.0.1:{port} (ConnectError);"
        " check the network (or HF_TWEETS_BLUESKY_APPVIEW) and run fetch again\n"
    )


@pytest.mark.parametrize("value", ["ftp://example.com", "not a url", "https://"])
def test_a_bad_endpoint_variable_is_named(run, monkeypatch, value):
    monkeypatch.setenv("HF_TWEETS_BLUESKY_APPVIEW", value)
    code, _, err = run("fetch", "alice.bsky.social")
    assert code == 1 and f"HF_TWEETS_BLUESKY_APPVIEW is {value.rstrip('/')!r}, not an http(s) URL" in err


def test_the_endpoint_variable_defaults_to_the_public_appview(monkeypatch):
    from hf_tweets import settings

    assert settings.bluesky_appview() == "https://public.api.bsky.app"
    monkeypatch.setenv(settings.BLUESKY_APPVIEW_ENV, "http://127.0.0.1:8080/")
    assert settings.bluesky_appview() == "http://127.0.0.1:8080"


# -- hostile AppView answers: each a cassette made here -------------------------------------------------------


def _items(**changes) -> dict:
    """Page one with its first post's view changed: keys of the post view, or record.<key> of its record."""
    page = feed_page(ALICE, PAGE1, None)
    view = page["feed"][0]["post"]
    for key, value in changes.items():
        target, key = (view["record"], key[7:]) if key.startswith("record_") else (view, key)
        target[key] = value
    return page


def _feed(page: dict) -> list[dict]:
    return [get_profile(ALICE), get_feed(ALICE, page)]


HOSTILE = {
    "did not a DID": (
        [get_profile(ALICE, profile_view(ALICE) | {"did": "../../etc/passwd"})],
        f"the Bluesky AppView answered {SHORT} with DID '../../etc/passwd', which is not a DID; nothing was stored,"
        " try again later",
    ),
    "another DID than asked": (
        [get_profile(DID_ONLY, profile_view(OTHER))],
        f"the Bluesky AppView answered @{ALICE.did} with DID '{OTHER.did}', which is not a DID of that account;"
        " nothing was stored, try again later",
    ),
    "profile not JSON": (
        [get_profile(ALICE, {"not": "a profile"})],
        f"the Bluesky AppView's answer for {SHORT} is malformed (2 validation errors for ProfileViewDetailed: did:"
        " Field required)",
    ),
    "a post uri of another collection": (
        _feed(_items(uri=f"at://{ALICE.did}/app.bsky.feed.like/3kaaaaaaaaaaa")),
        f"the Bluesky AppView's answer for {SHORT} is malformed (post at://{ALICE.did}/app.bsky.feed.like/"
        "3kaaaaaaaaaaa is not a post's URI)",
    ),
    "a text that is a number": (
        _feed(_items(record_text=5)),
        f"the Bluesky AppView's answer for {SHORT} is malformed (post {PAGE1[0].rkey}: text is not a string)",
    ),
    "no date at all": (
        _feed(_items(record_createdAt="yesterday", indexedAt="the day before")),
        f"the Bluesky AppView's answer for {SHORT} is malformed (post {PAGE1[0].rkey}: createdAt 'yesterday'"
        " is not a date)",
    ),
    "hidden by moderation": (
        [get_profile(ALICE, profile_view(ALICE, ("!takedown",)))],
        f"{SHORT} is hidden by moderation (!takedown); hf-tweets reads only public posts, nothing was stored",
    ),
    "taken down": (
        [get_profile(ALICE, error("AccountTakedown", "Account has been suspended"), 400)],
        f"{SHORT} has been taken down; Bluesky does not serve its posts",
    ),
    "deactivated": (
        [get_profile(ALICE, error("AccountDeactivated", "Account is deactivated"), 400)],
        f"{SHORT} is deactivated; Bluesky does not serve its posts",
    ),
    "rate limited at once": (
        [get_profile(ALICE, error("RateLimitExceeded", "Rate Limit Exceeded"), 429)],
        f"Bluesky rate limit reached looking up {SHORT}; it resets at 00:00:00 UTC, run fetch again then, or add"
        " --wait",
    ),
    "a login asked": (
        [get_profile(ALICE, error("AuthMissing", "Authentication Required"), 401)],
        "the Bluesky AppView at https://public.api.bsky.app refused to answer without a login (401: AuthMissing);"
        " hf-tweets reads only what logged-out viewers see, check HF_TWEETS_BLUESKY_APPVIEW",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_answers_are_one_line_errors(run, tmp_path, case):
    interactions, message = HOSTILE[case]
    (tmp_path / "case.yaml").write_text(yaml.safe_dump({"interactions": interactions, "version": 1}))
    with vcr.VCR(record_mode="none", match_on=EXACT, ignore_localhost=True).use_cassette(str(tmp_path / "case.yaml")):
        code, out, err = run("fetch", interactions[0]["request"]["uri"].rsplit("actor=", 1)[1].replace("%3A", ":"))
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert message in err, err
    assert nothing_stored(tmp_path) and nothing_stored(tmp_path, ALICE.did)


def _fetch_page(tmp_path, page: dict, profile: dict | None = None, lone: str = ""):
    """Fetch one page of made-up answers; ``lone`` in the answers becomes a lone surrogate's JSON escape."""
    interactions = [get_profile(ALICE, profile), get_feed(ALICE, page)]
    for item in interactions if lone else ():
        item["response"]["body"]["string"] = item["response"]["body"]["string"].replace(lone, "\\ud800")
    (tmp_path / "case.yaml").write_text(yaml.safe_dump({"interactions": interactions, "version": 1}))
    with vcr.VCR(record_mode="none", match_on=EXACT, ignore_localhost=True).use_cassette(str(tmp_path / "case.yaml")):
        from hf_tweets.sources import bluesky

        profile, new, total = bluesky.fetch(
            "alice.bsky.social", Folders.resolve(data=tmp_path / "data", cards=tmp_path / "cards")
        )
    return profile, stored(tmp_path)


def test_what_a_stranger_sends_is_cleaned(tmp_path):
    page = _items(record_text="A lone LONE surrogate.", record_createdAt="2024-06-01T14:00:00+02:00")
    view = profile_view(ALICE) | {"displayName": "Al\u202eice\nLONE" + "x" * 500, "avatar": "javascript:alert(1)"}
    profile, posts = _fetch_page(tmp_path, page, view, lone="LONE")
    assert posts[0].text == "A lone \ufffd surrogate." and posts[0].created_at == "2024-06-01T12:00:00Z"
    assert profile.display_name == "Alice \ufffd" + "x" * (MAX_NAME - 7)  # one clean line, clipped
    assert profile.avatar is None


def test_items_not_by_the_account_are_left_out_and_labels_hide_or_warn(tmp_path):
    page = feed_page(ALICE, PAGE1, None)
    stranger = feed_item(OTHER, Item("3kstranger222", PAGE1[0].created, "Not Alice's words.", subject=""))
    hidden = Item("3khidden22222", PAGE1[0].created, "Only for logged-in viewers.", labels=("!no-unauthenticated",))
    hidden = feed_item(ALICE, hidden)
    moderated = feed_item(ALICE, Item("3kmoderated22", PAGE1[0].created, "Labelled by a moderation service."))
    moderator = Person("did:plc:" + "z" * 24, "mod.example.com", "A moderation service")
    moderated["post"]["labels"] = [label(moderator, "gore") | {"uri": moderated["post"]["uri"]}]
    negated = feed_item(ALICE, Item("3knegated2222", PAGE1[0].created, "A label taken back."))
    negated["post"]["labels"] = [label(moderator, "!hide") | {"uri": negated["post"]["uri"], "neg": True}]
    page["feed"] += [stranger, hidden, moderated, negated]
    _, posts = _fetch_page(tmp_path, page)
    ids = {p.id: p for p in posts}
    assert "3kstranger222" not in ids and "3khidden22222" not in ids
    assert ids["3kmoderated22"].cw and not ids["3knegated2222"].cw
    assert len(posts) == 7


@pytest.mark.parametrize(
    "value",
    [
        "2024-06-01T12:00:00.000Z",
        "2024-02-29T23:59:59.999Z",
        "2023-02-29T12:00:00.000Z",  # no such day
        "2024-06-01T24:00:00.000Z",
        "2024-13-01T12:00:00.000Z",
        "2024-06-01 12:00:00.000Z",
        "2024-06-01T12:00:00.0a0Z",
        "２０２４-06-01T12:00:00.000Z",
        "2024-06-01T12:00:00.000+",
        "0001-01-01T00:00:00.000Z",
        "2024-06-01T12:00:00+02:00",
    ],
)
def test_the_usual_date_reads_as_parse_date_does(value):
    from hf_tweets.sources.bluesky import _date
    from hf_tweets.sources.dates import _parse_other_date, parse_date

    try:
        expected = _parse_other_date(value)  # parse_date's general way, without its fast paths
    except ValueError:
        with pytest.raises(ValueError):
            parse_date(value)
        with pytest.raises(ValueError):
            _date(value, None)
    else:
        assert parse_date(value) == expected == _date(value, None)


# -- text: facets are byte ranges ------------------------------------------------------------------------------


def _link(start: object, end: object, kind: str = "link") -> dict:
    feature = {"$type": f"app.bsky.richtext.facet#{kind}", "uri": "https://example.com/"}
    return {"index": {"byteStart": start, "byteEnd": end}, "features": [feature]}


@pytest.mark.parametrize(
    "text, facets, expected",
    [
        ("see example.com/a... now", [_link(4, 20)], "see  now"),
        ("🌿 ex.com/x", [_link(5, 13)], "🌿 "),  # an emoji is 4 bytes: offsets are bytes, not characters
        ("a.com b.com c", [_link(6, 11), _link(0, 5)], "  c"),  # in any order
        ("overlap.example", [_link(0, 7), _link(3, 15)], ""),
        ("🌿 cut mid-character", [_link(2, 6)], "🌿 cut mid-character"),  # not on a character boundary: kept
        ("short", [_link(2, 99)], "short"),  # out of range: kept
        ("short", [_link(3, 1)], "short"),
        ("bools", [_link(True, 3)], "bools"),
        ("tag #x", [_link(4, 6, "tag")], "tag #x"),
        ("junk", "not a list", "junk"),
        ("junk", [None, 3, {"index": "x"}, {"index": {}, "features": "x"}], "junk"),
    ],
)
def test_link_facets_are_cut_by_bytes(text, facets, expected):
    from hf_tweets.sources.bluesky import plain_text

    assert plain_text(text, facets) == expected


# -- repo exports ----------------------------------------------------------------------------------------------


def read(path: Path, include_replies: bool = True):
    from hf_tweets.sources import bluesky_car

    return bluesky_car.read_export(path, include_replies)


@pytest.fixture
def exports():
    if not EXPORTS.exists():
        pytest.skip("the shared repo exports are not here")
    return EXPORTS


def test_a_real_repo_export(exports):
    archive = read(exports / "bnewbold.robocracy.org.car")
    assert kinds(archive.posts) == {"post": 21, "reply": 2, "retweet": 1}  # 23 post records and 1 repost
    assert (archive.profile.handle, archive.profile.platform, archive.profile.source) == (
        "did:plc:nhxcyu4ewwhl5pqil4dotqjo",
        "bluesky",
        "bluesky-repo",
    )
    assert archive.profile.display_name not in ("", archive.profile.handle)  # from app.bsky.actor.profile/self
    assert archive.profile.avatar.startswith("https://cdn.bsky.app/img/avatar/plain/did:plc:nhxcyu4ewwhl5pqil4dotqjo/")
    assert (archive.skipped, archive.unread) == (0, [])
    assert all(len(p.id) == 13 for p in archive.posts if p.kind != "retweet")
    assert read(exports / "bnewbold.robocracy.org.car", include_replies=False).skipped == 2


def test_a_real_repo_export_without_posts(run, tmp_path, exports):
    code, out, err = run("fetch", "--archive", str(exports / "greenground.repo.car"))
    assert (code, out) == (1, "")
    empty = exports / "greenground.repo.car"
    assert err == f"hf-tweets: error: {empty} has no posts (an empty timeline); nothing to train on\n"


def test_an_export_has_the_ids_the_api_gives(run, tmp_path):
    with replay.use_cassette("pages.yaml"):
        run("fetch", "alice.bsky.social")
    archive = read(write_car(tmp_path / "alice.car", ALICE))
    api = stored(tmp_path)
    assert sorted((p.id, p.kind, p.cw, p.created_at) for p in archive.posts) == sorted(
        (p.id, p.kind, p.cw, p.created_at) for p in api
    )
    assert {p.id: p.text for p in archive.posts if p.kind != "retweet"} == {
        p.id: p.text for p in api if p.kind != "retweet"
    }
    assert (archive.profile.display_name, archive.profile.avatar) == (ALICE.name, ALICE.avatar_url())


def test_an_export_leaves_out_replies_and_what_logged_out_viewers_may_not_see(tmp_path):
    hidden = Item("3khidden22222", "2024-06-02T00:00:00.000Z", "Only logged in.", labels=("!no-unauthenticated",))
    who = Person(ALICE.did, ALICE.handle, ALICE.name, (*ALICE.items, hidden))
    archive = read(write_car(tmp_path / "alice.car", who), include_replies=False)
    assert archive.skipped == 2 and kinds(archive.posts) == {"post": 6, "reply": 0, "retweet": 1}
    assert "3khidden22222" not in {p.id for p in archive.posts}


def test_an_export_without_a_profile_record_is_named_by_its_did(tmp_path):
    records = {k: v for k, v in repo_records(ALICE).items() if not k.startswith("app.bsky.actor.profile")}
    archive = read(write_car(tmp_path / "alice.car", ALICE, records=records))
    assert (archive.profile.handle, archive.profile.display_name, archive.profile.avatar) == (
        ALICE.did,
        ALICE.did,
        None,
    )


def test_fetch_archive_then_prepare_and_the_card(run, tmp_path):
    path = write_car(tmp_path / "export.car", ALICE)
    code, out, err = run("fetch", "--archive", str(path))
    assert code == 0 and out == f"@{ALICE.did}: 9 new posts, 9 stored in data\n"
    assert err.splitlines() == [  # named by its DID: how to name it by its handle, then what is next
        "hint: a Bluesky export names its account by its DID; name it by its handle (such as alice.bsky.social):"
        f" hf-tweets fetch --archive {path} --handle HANDLE",
        "next: hf-tweets prepare did-plc-alicealicealicealiceabcd",
    ]
    profile = load_profile(tmp_path / "data", Account("bluesky", ALICE.did))
    assert (profile.consent, profile.platform, profile.display_name) == ("self", "bluesky", ALICE.name)
    code, out, err = run("prepare", "alice", "--users", ALICE.did, "--min-chars", "0")
    assert code == 0, err
    code, card, err = run("card", "render", "alice")
    assert code == 0, err
    assert f"[@{ALICE.did}](https://bsky.app/profile/{ALICE.did})" in card
    assert "| Reposts | 1 |" in card and "| Posts behind a content warning | 1 |" in card


def test_fetch_by_handle_then_prepare_and_the_card(run, tmp_path):
    with replay.use_cassette("pages.yaml"):
        assert run("fetch", "alice.bsky.social")[0] == 0
    code, out, err = run("prepare", "alice", "--users", "alice.bsky.social", "--min-chars", "0")
    assert code == 0, err
    assert out.startswith(f"{SHORT}: ")
    code, card, _ = run("card", "render", "alice")
    assert "[@alice.bsky.social](https://bsky.app/profile/alice.bsky.social)" in card
    assert "| Posts downloaded | 9 |" in card and "| Reposts | 1 |" in card


@pytest.mark.parametrize(
    "given, expected",
    [
        ("alice.bsky.social", "alice.bsky.social"),  # a Bluesky handle names the account (the holder's word)
        ("bsky:Alice.Example.COM", "alice.example.com"),
        (ALICE.did, ALICE.did),
        ("did:plc:" + "b" * 24, None),  # another DID: not this export
        ("alice", None),  # an X handle
        ("@alice@mastodon.social", None),
    ],
)
def test_a_handle_given_for_an_export(tmp_path, given, expected):
    from hf_tweets.sources import bluesky_car
    from hf_tweets.sources.fetch import parse_account

    profile = read(write_car(tmp_path / "alice.car", ALICE)).profile
    named = bluesky_car.named(profile, parse_account(given))
    assert (named.handle if named else None) == expected
    if named:
        assert (named.display_name, named.platform) == (ALICE.name, "bluesky")


@pytest.mark.parametrize(
    "content, recognised",
    [
        (lambda: car_bytes(ALICE), True),
        (lambda: (EXPORTS / "greenground.repo.car").read_bytes() if EXPORTS.exists() else car_bytes(ALICE), True),
        (lambda: car_bytes(ALICE)[:40], True),  # a truncated CAR is still one: read_export says what is wrong
        (lambda: b"PK\x03\x04 a zip", False),
        (lambda: b"window.YTD.tweets.part0 = []", False),
        (lambda: b"", False),
        (lambda: b"\xff" * 64, False),
    ],
    ids=["made up", "real", "truncated", "zip", "tweets.js", "empty", "junk"],
)
def test_an_export_is_recognised_by_its_content(tmp_path, content, recognised):
    from hf_tweets.sources import bluesky_car

    path = tmp_path / "whatever.zip"  # never by its name
    path.write_bytes(content())
    assert bluesky_car.recognises(path) is recognised
    assert bluesky_car.recognises(tmp_path) is False


def _cycle(length: int = 1) -> bytes:
    """A tree node that links to itself (through ``length`` nodes): not possible with real hashes, but nothing checks
    them."""
    fakes = [cid_of(b"a node %d" % i) for i in range(length)]
    nodes = [libipld.encode_dag_cbor({"l": fakes[(i + 1) % length], "e": []}) for i in range(length)]
    commit = libipld.encode_dag_cbor({"did": ALICE.did, "version": 3, "data": fakes[0], "rev": "x", "prev": None})
    return car([cid_of(commit)], [(cid_of(commit), commit), *zip(fakes, nodes, strict=True)])


def _shared_subtree() -> bytes:
    """Two nodes that link to one subtree (no cycle: a DAG); its post is read once."""
    blocks = Blocks()
    record = blocks.put(_post(text="Shared made-up words."))
    shared = blocks.put({"l": None, "e": [{"p": 0, "k": POST.encode(), "v": record, "t": None}]})
    left = blocks.put({"l": shared, "e": []})
    root = blocks.put({"l": left, "e": [{"p": 0, "k": b"app.bsky.graph.follow/3kzzz", "v": record, "t": shared}]})
    commit = blocks.put({"did": ALICE.did, "version": 3, "data": root, "rev": "x", "prev": None})
    return car([commit], blocks)


def _one_record_many_times() -> bytes:
    """A node of 200 entries that all link to one 10 kB record: 2 MB to decode from a 20 kB file."""
    blocks = Blocks()
    record = blocks.put(_post(text="x" * 10_000))
    entries = [{"p": 0, "k": f"{POST}{i:03d}".encode(), "v": record, "t": None} for i in range(200)]
    node = blocks.put({"l": None, "e": entries})
    commit = blocks.put({"did": ALICE.did, "version": 3, "data": node, "rev": "x", "prev": None})
    return car([commit], blocks)


def _with_record(key: str, value: object) -> bytes:
    return car_bytes(ALICE, records={key: value})


def _blocks(*values: object, root: int = 0) -> bytes:
    blocks = Blocks()
    cids = [blocks.put(v) for v in values]
    return car([cids[root]], blocks)


def _raw_block() -> bytes:
    """A commit whose tree's root is a raw block (not DAG-CBOR)."""
    raw = cid_of(b"raw", 0x55)
    commit = libipld.encode_dag_cbor({"did": ALICE.did, "version": 3, "data": raw, "rev": "x", "prev": None})
    return car([cid_of(commit)], [(cid_of(commit), commit), (raw, b"raw")])


POST = "app.bsky.feed.post/3kaaaaaaaaaaa"
NOT_CAR = "is not a Bluesky repo export (a CAR file): it does not start with a CAR header"
DATED = {"createdAt": "2024-01-01T00:00:00Z"}


def _post(**fields) -> dict:
    return {"$type": "app.bsky.feed.post", "text": "x"} | DATED | fields


def _bad_node() -> bytes:
    node = {"e": "x"}
    return _blocks({"did": ALICE.did, "version": 3, "data": cid_of(libipld.encode_dag_cbor(node))}, node)


HOSTILE_CARS = {
    "not a CAR": (lambda: b"hello, I am a text file", NOT_CAR),
    "empty": (lambda: b"", NOT_CAR),
    "5 bytes of one": (lambda: car_bytes(ALICE)[:5], "is cut short: it ends inside the CAR header"),
    "a header that is not DAG-CBOR": (lambda: b"\x03\xa1\xff\xff", "its header is not DAG-CBOR"),
    "truncated": (lambda: car_bytes(ALICE)[:-20], "is cut short: it ends inside block 15;"),
    "cut inside a CID": (lambda: car_bytes(ALICE)[:80], "is cut short, or damaged: block 1 does not read"),
    "a block not DAG-CBOR": (_raw_block, "a block the record tree reaches is not DAG-CBOR"),
    "nested too deeply": (
        lambda: car([cid_of(b"d")], [(cid_of(b"d"), b"\x81" * 100_000 + b"\x00")]),
        "a block is nested too deeply",
    ),
    "a block of bad CBOR": (lambda: car([cid_of(b"d")], [(cid_of(b"d"), b"\xff\xff")]), "a block is not DAG-CBOR ("),
    "no root": (lambda: car([], []), "names no root block (the repo's commit)"),
    "links to one record many times": (lambda: _one_record_many_times(), "its blocks are reached more than once each"),
    "root missing": (
        lambda: car([cid_of(b"gone")], []),
        "names no root block (the repo's commit); is it a repo export?",
    ),
    "root not a commit": (
        lambda: _blocks(["a list"]),
        "its root block is not a repo commit (with did and data); is it a repo export?",
    ),
    "commit without a DID": (
        lambda: car_bytes(ALICE, commit={"did": "alice"}),
        "its commit names 'alice', which is not a DID",
    ),
    "a cycle": (_cycle, "the record tree links back to a node above it (a cycle); the file is damaged"),
    "a longer cycle": (lambda: _cycle(3), "the record tree links back to a node above it (a cycle)"),
    "a node missing": (
        lambda: car_bytes(ALICE, commit={"data": cid_of(b"gone")}),
        "the record tree links to a block the file does not hold; is the export complete?",
    ),
    "a node of the wrong shape": (
        _bad_node,
        "a node of the record tree is not one (it needs l and e); the file is damaged",
    ),
    "a key not UTF-8": (lambda: _bad_key(), "a key of the record tree is not a collection/record key"),
    "a record missing": (lambda: _missing_record(), f"{POST}: the record is not in the file; is the export complete?"),
    "a record not a map": (lambda: _with_record(POST, ["a", "list"]), f"{POST}: is not a record (a map with $type)"),
    "a record of another type": (
        lambda: _with_record(POST, _post(**{"$type": "app.bsky.feed.like"})),
        f"{POST}: is an app.bsky.feed.like record, not a post",
    ),
    "a text that is bytes": (lambda: _with_record(POST, _post(text=b"x")), f"{POST}: text is not a string"),
    "a date that is not one": (
        lambda: _with_record(POST, _post(createdAt="soon")),
        f"{POST}: createdAt 'soon' is not a date",
    ),
    "a repost without a subject": (
        lambda: _with_record("app.bsky.feed.repost/3kaaaaaaaaaaa", {"$type": "app.bsky.feed.repost"} | DATED),
        "app.bsky.feed.repost/3kaaaaaaaaaaa: its subject is not a post's at:// URI",
    ),
    "a bad record key": (
        lambda: _with_record("app.bsky.feed.post/../../x", _post()),
        "a key of the record tree is not a collection/record key ('app.bsky.feed.post/../../x')",
    ),
}


def _bad_key() -> bytes:
    blocks = Blocks()
    record = blocks.put({"$type": "app.bsky.feed.post", "text": "x", "createdAt": "2024-01-01T00:00:00Z"})
    node = blocks.put({"l": None, "e": [{"p": 0, "k": b"app.bsky.feed.post/\xff\xfe", "v": record, "t": None}]})
    commit = blocks.put({"did": ALICE.did, "version": 3, "data": node, "rev": "x", "prev": None})
    return car([commit], blocks)


def _missing_record() -> bytes:
    blocks = Blocks()
    node = blocks.put({"l": None, "e": [{"p": 0, "k": POST.encode(), "v": cid_of(b"gone"), "t": None}]})
    commit = blocks.put({"did": ALICE.did, "version": 3, "data": node, "rev": "x", "prev": None})
    return car([commit], blocks)


@pytest.mark.parametrize("case", list(HOSTILE_CARS))
def test_hostile_exports_are_one_line_errors_naming_the_file(tmp_path, case):
    content, message = HOSTILE_CARS[case]
    path = tmp_path / "export.car"
    path.write_bytes(content())
    with pytest.raises(SourceError) as raised:
        read(path)
    assert raised.value.where == str(path) and message in raised.value.line(), raised.value.line()
    assert "\n" not in raised.value.line()


def test_an_export_past_the_size_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TWEETS_ARCHIVE_MAX_BYTES", "1000")
    path = write_car(tmp_path / "export.car", ALICE)
    with pytest.raises(SourceError) as raised:
        read(path)
    assert raised.value.line() == (
        f"{path}: is {path.stat().st_size:,} bytes, more than 1,000; if it really is a Bluesky repo export, set"
        " HF_TWEETS_ARCHIVE_MAX_BYTES to a larger number of bytes"
    )


@pytest.mark.parametrize(
    "budget, value, message",
    [
        ("MAX_BLOCKS", 5, "holds more than 5 blocks, more than a repo export has; is it one?"),
        ("MAX_BLOCK_BYTES", 100, "holds a block of 188 bytes, more than the 100 of a repo's largest; is it one?"),
    ],
)
def test_an_export_past_a_budget(tmp_path, monkeypatch, budget, value, message):
    from hf_tweets.sources import car_file

    monkeypatch.setattr(car_file, budget, value)
    path = write_car(tmp_path / "export.car", ALICE)
    with pytest.raises(SourceError) as raised:
        read(path)
    assert raised.value.line() == f"{path}: {message}"


def test_a_shared_subtree_is_read_once_and_is_not_a_cycle(tmp_path):
    path = tmp_path / "export.car"
    path.write_bytes(_shared_subtree())
    assert [(p.id, p.text) for p in read(path).posts] == [("3kaaaaaaaaaaa", "Shared made-up words.")]


def test_blocks_the_tree_does_not_reach_are_never_decoded(tmp_path):
    """Padding (unreferenced blocks: raw ones, bad CBOR, a CIDv0) is skipped, not decoded: the posts are read."""
    padding = [(cid_of(b"raw", 0x55), b"raw"), (cid_of(b"bad"), b"\xff\xff"), (b"\x12\x20" + bytes(32), b"pb")]
    path = tmp_path / "export.car"
    path.write_bytes(car_bytes(ALICE) + car([], padding)[len(car([], [])) :])
    assert kinds(read(path).posts) == {"post": 6, "reply": 2, "retweet": 1}


def test_five_bytes_of_an_export_are_called_cut_short(run, tmp_path):
    path = tmp_path / "alice.car"
    path.write_bytes(car_bytes(ALICE)[:5])
    assert run("fetch", "--archive", str(path)) == (
        1,
        "",
        f"hf-tweets: error: {path}: is cut short: it ends inside the CAR header; download it again (Bluesky:"
        " Settings, Export my data)\n",
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_not_read(tmp_path):
    from hf_tweets.sources import bluesky_car

    os.mkfifo(tmp_path / "export.car")
    assert bluesky_car.recognises(tmp_path / "export.car") is False  # and does not wait for a writer
    with pytest.raises(SourceError, match="is not a regular file"):
        read(tmp_path / "export.car")


def test_hostile_export_through_the_cli_stores_nothing(run, tmp_path):
    path = tmp_path / "export.car"
    path.write_bytes(_cycle())
    code, out, err = run("fetch", "--archive", str(path))
    assert (code, out) == (1, "") and err.startswith(f"hf-tweets: error: {path}: the record tree links back")
    assert not (tmp_path / "data" / "raw").exists() or not list((tmp_path / "data" / "raw").iterdir())
