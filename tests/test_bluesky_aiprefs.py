"""A Bluesky fetch reads the account's AI preferences from its own PDS (found through the PLC directory) before it
stores anything: the loopback PLC and PDS (tests/atproto_loopback.py) in the real services' shapes, the AppView
replayed (tests/cassettes/bluesky, made up)."""

from __future__ import annotations

import socket

import pytest
from test_bluesky_prefs import community, declaration

from hf_tweets.platforms import parse_account
from hf_tweets.sources.bluesky_prefs import COMMUNITY, DEMO_DECLARATION
from hf_tweets.sources.posts import raw_path

from bluesky_factory import ALICE
from test_bluesky import SHORT, nothing_stored, replay, stored

NO_DEMO = (
    f"{SHORT} says no to synthetic content generation ({DEMO_DECLARATION}/self: syntheticContentGeneration.allow is"
    " false); hf-tweets does not make a bot of an account that says no, nothing was stored"
)
NO_TRAINING = (
    f"{SHORT} says no to AI training ({COMMUNITY}/self: preferences.training.allow is false); hf-tweets does not"
    " make a bot of an account that says no, nothing was stored"
)
BROKEN = (
    f"{SHORT}'s AI-preference record {COMMUNITY}/self cannot be read: preferences.training.allow is 'no', not true or"
    " false; nothing was stored; hf-tweets does not guess what a preference it cannot read says"
)


def fetch_alice(run, *args: str) -> tuple[int, str, str]:
    """``hf-tweets fetch alice.bsky.social``, the AppView replaying her profile and pages."""
    with replay.use_cassette("pages.yaml"):
        return run("fetch", "alice.bsky.social", *args)


def closed_port() -> str:
    """The URL of a port nothing listens on (a service that cannot be reached)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize(
    "records, error",
    [
        ({}, None),
        ({DEMO_DECLARATION: declaration(syntheticContentGeneration=True)}, None),
        ({COMMUNITY: community(training=True, syntheticContent=True, inference=False)}, None),
        ({DEMO_DECLARATION: declaration(syntheticContentGeneration=False)}, NO_DEMO),
        ({COMMUNITY: community(training=False)}, NO_TRAINING),
        (
            {
                COMMUNITY: community()
                | {"preferences": {"training": {"allow": "no", "updatedAt": "2025-01-01T00:00:00Z"}}}
            },
            BROKEN,
        ),
    ],
    ids=["nothing", "yes", "community-yes", "no", "community-no", "broken"],
)
def test_the_account_s_own_records_decide_before_anything_is_stored(run, tmp_path, atproto, records, error):
    for collection, value in records.items():
        atproto.record(ALICE.did, collection, value)
    code, out, err = fetch_alice(run)
    asked = [path for path in atproto.requests if path.startswith("/xrpc/")]
    assert atproto.requests[0] == f"/{ALICE.did}" and asked == ["/xrpc/com.atproto.repo.getRecord"] * 3
    if error is None:
        assert (code, out) == (0, f"{SHORT}: 9 new posts, 9 stored in data\n") and len(stored(tmp_path)) == 9
    else:
        assert (code, err) == (1, f"hf-tweets: error: {error}\n") and nothing_stored(tmp_path)
        assert not (tmp_path / "data").exists()


def test_a_refusal_is_a_consent_error(tmp_path, atproto):
    from hf_tweets.errors import ConsentError
    from hf_tweets.folders import Folders
    from hf_tweets.sources import fetch

    atproto.record(ALICE.did, DEMO_DECLARATION, declaration(syntheticContentGeneration=False))
    with replay.use_cassette("pages.yaml"), pytest.raises(ConsentError) as caught:
        fetch.fetch_account("bsky:alice.bsky.social", Folders.resolve(data=tmp_path / "data"))
    assert caught.value.line() == NO_DEMO


@pytest.mark.parametrize("which", ["plc", "pds"])
def test_an_unreachable_plc_or_pds_stops_the_fetch(run, tmp_path, monkeypatch, atproto, which):
    down = closed_port()
    if which == "plc":
        monkeypatch.setenv("HF_TWEETS_PLC_URL", down)
        service = f"the PLC directory at {down} (ConnectError)"
    else:
        atproto.pds_at(ALICE.did, down)
        service = f"the PDS at {down} (ConnectError)"
    code, _, err = fetch_alice(run)
    assert (code, err) == (
        1,
        f"hf-tweets: error: could not reach {service} to read {SHORT}'s AI preferences; nothing was stored; check"
        " the network (or HF_TWEETS_PLC_URL) and run fetch again, or add --wait to retry\n",
    )
    assert nothing_stored(tmp_path)


def test_a_failing_plc_with_wait_is_asked_again(run, tmp_path, monkeypatch, atproto):
    slept = []
    monkeypatch.setattr("time.sleep", slept.append)
    atproto.fail(2)  # the directory's first two answers are 503s
    code, out, err = fetch_alice(run, "--wait")
    assert (code, out) == (0, f"{SHORT}: 9 new posts, 9 stored in data\n")
    assert slept == [1] * 15 and "waiting    5 s" in err and "waiting   10 s" in err  # 5 s, then 10 s, counted down


def test_a_failing_plc_without_wait_says_so(run, tmp_path, atproto):
    atproto.fail(1)
    code, _, err = fetch_alice(run)
    assert (code, err) == (
        1,
        f"hf-tweets: error: could not reach the PLC directory at {atproto.url} (503) to read {SHORT}'s AI"
        " preferences; nothing was stored; check the network (or HF_TWEETS_PLC_URL) and run fetch again, or add"
        " --wait to retry\n",
    )


def test_a_did_the_directory_does_not_know(run, tmp_path, atproto):
    atproto.forget(ALICE.did)
    code, _, err = fetch_alice(run)
    assert (code, err) == (
        1,
        f"hf-tweets: error: the PLC directory at {atproto.url} does not know {ALICE.did}; nothing was stored;"
        " hf-tweets reads an account's AI preferences before its posts; check HF_TWEETS_PLC_URL\n",
    )
    assert nothing_stored(tmp_path)


def test_the_plc_directory_defaults_to_the_public_one(monkeypatch):
    from hf_tweets import settings

    monkeypatch.delenv("HF_TWEETS_PLC_URL")
    assert settings.plc_url() == "https://plc.directory"
    monkeypatch.setenv("HF_TWEETS_PLC_URL", "http://127.0.0.1:9/")
    assert settings.plc_url() == "http://127.0.0.1:9"


# -- an export (.car): the account holder's own -------------------------------------------------------------------


def export_with(tmp_path, records: dict) -> str:
    """ALICE's repo export holding ``records`` too (collection -> the value of its ``self`` record)."""
    from bluesky_factory import repo_records, write_car

    extra = {f"{collection}/self": value for collection, value in records.items()}
    return str(write_car(tmp_path / "repo.car", ALICE, records=repo_records(ALICE) | extra))


@pytest.mark.parametrize(
    "records, warning",
    [
        ({}, None),
        ({DEMO_DECLARATION: declaration(syntheticContentGeneration=True)}, None),
        (
            {DEMO_DECLARATION: declaration(syntheticContentGeneration=False)},
            f"{ALICE.did} says no to synthetic content generation ({DEMO_DECLARATION}/self:"
            " syntheticContentGeneration.allow is false)",
        ),
        (
            {COMMUNITY: community(syntheticContent=False)},
            f"{ALICE.did} says no to synthetic content ({COMMUNITY}/self: preferences.syntheticContent.allow is false)",
        ),
    ],
    ids=["nothing", "yes", "no", "community-no"],
)
def test_an_export_that_says_no_warns_and_goes_on(run, tmp_path, records, warning):
    export = export_with(tmp_path, records)
    code, out, err = run("fetch", "--archive", export, "--handle", "alice.bsky.social")
    assert (code, out) == (0, f"{SHORT}: 9 new posts, 9 stored in data\n") and len(stored(tmp_path)) == 9
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    expected = [f"warning: {export}: {warning}; read anyway, as it is the account holder's own export"]
    assert warnings == (expected if warning else [])


def test_a_broken_record_in_an_export_is_an_error_naming_the_file_and_the_record(run, tmp_path):
    export = export_with(tmp_path, {DEMO_DECLARATION: declaration() | {"syntheticContentGeneration": "no"}})
    code, _, err = run("fetch", "--archive", export)
    assert (code, err) == (
        1,
        f"hf-tweets: error: {export}: {ALICE.did}'s AI-preference record {DEMO_DECLARATION}/self cannot be read:"
        " syntheticContentGeneration is 'no', not a map; nothing was stored; hf-tweets does not guess what a"
        " preference it cannot read says\n",
    )
    assert not (tmp_path / "data").exists()


# -- an export is named by the handle its DID document gives ------------------------------------------------------


def test_an_export_is_named_by_the_handle_the_plc_directory_gives(run, tmp_path, atproto):
    from bluesky_factory import write_car

    atproto.person(ALICE.did, "alice.bsky.social")
    export = str(write_car(tmp_path / "repo.car", ALICE))
    code, out, err = run("fetch", "--archive", export)
    assert (code, out, err) == (
        0,
        f"{SHORT}: 9 new posts, 9 stored in data\n",
        "next: hf-tweets prepare alice-bsky-social\n",
    )
    assert atproto.requests == [f"/{ALICE.did}"] and len(stored(tmp_path)) == 9


@pytest.mark.parametrize("plc", ["down", "no handle", "unknown DID"])
def test_without_a_handle_from_the_directory_the_export_keeps_its_did_and_the_hint(
    run, tmp_path, monkeypatch, atproto, plc
):
    from bluesky_factory import write_car

    if plc == "down":
        monkeypatch.setenv("HF_TWEETS_PLC_URL", closed_port())
    elif plc == "unknown DID":
        atproto.forget(ALICE.did)
    export = str(write_car(tmp_path / "repo.car", ALICE))
    code, out, err = run("fetch", "--archive", export)
    assert (code, out) == (0, f"@{ALICE.did}: 9 new posts, 9 stored in data\n")
    assert err.startswith("hint: a Bluesky export names its account by its DID; name it by its handle")


def test_the_handle_the_directory_gives_is_checked_against_the_opt_out_list(run, tmp_path, atproto):
    from bluesky_factory import write_car

    (tmp_path / "optout.yaml").write_text(
        "- account: bluesky:alice.bsky.social\n  date: '2026-11-24'\n  reason: asked\n"
    )
    atproto.person(ALICE.did, "alice.bsky.social")
    code, _, err = run("fetch", "--archive", str(write_car(tmp_path / "repo.car", ALICE)))
    assert code == 1 and err.startswith(
        f"hf-tweets: error: {tmp_path / 'optout.yaml'}: {SHORT} is on the opt-out list since 2026-11-24: asked;"
    )
    assert not (tmp_path / "data").exists()


def test_an_export_fetched_before_under_its_did_keeps_that_name_once_the_directory_answers(run, tmp_path, monkeypatch,
                                                                                          atproto):  # fmt: skip
    """A bot made from an export while the PLC directory did not answer is named by its DID; fetching the same
    export again once it answers goes on with that bot (its posts, its record), not a second bot under the
    handle. ``--handle`` still names it by the handle."""
    from bluesky_factory import write_car

    export = str(write_car(tmp_path / "repo.car", ALICE))
    monkeypatch.setenv("HF_TWEETS_PLC_URL", closed_port())
    assert run("fetch", "--archive", export)[0] == 0
    monkeypatch.setenv("HF_TWEETS_PLC_URL", atproto.url)
    atproto.person(ALICE.did, "alice.bsky.social")
    code, out, err = run("fetch", "--archive", export)
    assert (code, out) == (0, f"@{ALICE.did}: 0 new posts, 9 stored in data\n")
    assert err.startswith("hint: a Bluesky export names its account by its DID; name it by its handle")
    by_did = raw_path(tmp_path / "data", parse_account(ALICE.did))
    assert list((tmp_path / "data" / "raw").glob("*.jsonl")) == [by_did]
    code, out, _ = run("fetch", "--archive", export, "--handle", "alice.bsky.social")
    assert (code, out) == (0, f"{SHORT}: 9 new posts, 9 stored in data\n")
