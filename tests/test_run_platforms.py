"""The whole pipeline on every platform, offline: run an account of Bluesky or Mastodon (replayed), run an export
(.car, .tar.gz), and a cyborg of three platforms, to a card that checks and a repo on the loopback Hub."""

from __future__ import annotations

import pytest

from hf_tweets import platforms
from hf_tweets.cards.check import check_readme_text
from hf_tweets.cards.recordfile import load_record

from bluesky_factory import ALICE, person, write_car
from conftest import SAMPLE_ARCHIVE
from mastodon_factory import made_up_activities, write_archive
from test_bluesky import replay as bluesky_replay
from test_mastodon import played as mastodon_played

pytestmark = pytest.mark.slow  # each trains a model


def card_of(tmp_path, name: str) -> str:
    text = (tmp_path / "out" / name / "README.md").read_text(encoding="utf-8")
    assert check_readme_text(text, "README.md") == []
    return text


def test_run_a_bluesky_account(run, tmp_path, fast):
    with bluesky_replay.use_cassette("pages.yaml"):
        code, out, err = run("run", "alice.bsky.social", *fast, "--min-chars", "0")
    assert code == 0, err
    assert "alice-bsky-social: done" in out and "@alice.bsky.social: 9 downloaded, 1 reposts" in out
    card = card_of(tmp_path, "alice-bsky-social")
    assert "| Posts downloaded | 9 |" in card and "(https://bsky.app/profile/alice.bsky.social)" in card
    assert "These are public posts, read through the public API of Bluesky" in card
    assert "`hf-tweets unpublish` takes it down" in card


def test_run_a_mastodon_account(run, tmp_path, fast):
    with mastodon_played("timeline_pages"):
        code, out, err = run("run", "@alice@example.social", *fast, "--min-chars", "0")
    assert code == 0, err
    card = card_of(tmp_path, "alice-at-example-social")
    assert "(https://example.social/@alice)" in card and "| Posts behind a content warning | 1 |" in card
    assert load_record(tmp_path / "cards" / "alice-at-example-social.yaml").consent == "public"


@pytest.mark.parametrize("kind", ["car", "tar.gz", "zip"])
def test_run_an_export(run, tmp_path, fast, kind):
    if kind == "car":
        path, name, handle = (
            write_car(tmp_path / "export.car", person(120)),
            platforms.repo_name([platforms.parse_account(ALICE.did)]),
            ALICE.did,
        )
    else:
        path = write_archive(tmp_path / f"archive.{kind}", made_up_activities(200), kind=kind.split(".")[0])
        name, handle = "alice-at-example-social", "alice@example.social"
    code, out, err = run("run", "--archive", str(path), *fast, "--min-chars", "0")
    assert code == 0, err
    record = load_record(tmp_path / "cards" / f"{name}.yaml")
    assert record.users[0].handle == handle and record.consent == "self"
    assert "These posts were shared by the account holder" in card_of(tmp_path, name)


def test_a_cyborg_of_three_platforms(run, tmp_path, fast, hub):
    assert run("fetch", "--archive", str(SAMPLE_ARCHIVE))[0] == 0
    assert run("fetch", "--archive", str(write_car(tmp_path / "b.car", person(120))))[0] == 0
    archive = write_archive(tmp_path / "m.tar.gz", made_up_activities(200), kind="tar")
    assert run("fetch", "--archive", str(archive))[0] == 0
    accounts = ["pixel_poet", ALICE.did, "@alice@example.social"]
    name = platforms.repo_name([platforms.parse_account(a) for a in accounts])
    code, out, err = run("prepare", name, "--users", ",".join(accounts), "--min-chars", "0")
    assert code == 0, err
    assert run("train", name, *fast)[0] == 0
    record = load_record(tmp_path / "cards" / f"{name}.yaml")
    assert [u.platform for u in record.users] == ["x", "bluesky", "mastodon"] and record.consent == "self"
    code, out, err = run("publish", name, "--model-dir", str(tmp_path / "out" / name))
    assert code == 0, err
    readme = hub.store.read_blob(hub.repo(f"huggingtweets/{name}").head.files["README.md"].sha256).decode()
    assert check_readme_text(readme, "README.md") == []
    assert "AI CYBORG" in readme and "| Posts downloaded |" in readme  # several platforms: the generic words
    for url in ("https://x.com/pixel_poet", f"https://bsky.app/profile/{ALICE.did}", "https://example.social/@alice"):
        assert url in readme
