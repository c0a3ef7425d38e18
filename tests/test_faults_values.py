"""Bad values inside good exports (issue 21): dates a platform's post cannot have, control characters in texts.

Every source ends in posts.save_posts, which refuses a post dated outside its platform's lifetime
(``Platform.since`` to tomorrow) and removes control characters that are not white space; posts.load_posts
does the same to a store written before, so prepare never writes them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hf_tweets.platforms import Account
from hf_tweets.sources.posts import load_posts

from bluesky_factory import ALICE, car_bytes
from mastodon_factory import create, write_archive

POST = "app.bsky.feed.post/3kaaaaaaaaaaa"
DID = ALICE.did


def bluesky(created: str | None, text: str = "Made-up words.") -> callable:
    record = {"$type": "app.bsky.feed.post", "text": text} | ({"createdAt": created} if created else {})
    return lambda folder: _write(folder / "alice.car", car_bytes(ALICE, records={POST: record}))


def mastodon(published: str, content: str = "<p>Made-up words.</p>") -> callable:
    activity = create(0, content)
    activity["published"] = activity["object"]["published"] = published
    return lambda folder: write_archive(folder / "archive.zip", [activity])


def texts(created: str) -> callable:
    return lambda folder: _write(
        folder / "p.jsonl", json.dumps({"id": "1", "text": "hi", "created_at": created}).encode()
    )


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


FUTURE = "is dated 9999-12-31T00:00:00Z, in the future; is the export altered or damaged? download it again"
REFUSED = {
    "a Bluesky post without createdAt": (bluesky(None), f"{POST}: has no createdAt (the date every record has)"),
    "a Bluesky post of 9999": (bluesky("9999-12-31T00:00:00.000Z"), f"@{DID}'s post '3kaaaaaaaaaaa' {FUTURE}"),
    "a Bluesky post of 2010": (
        bluesky("2010-01-01T00:00:00.000Z"),
        f"@{DID}'s post '3kaaaaaaaaaaa' is dated 2010-01-01T00:00:00Z, before Bluesky began (2022-11-01)",
    ),
    "a Mastodon post of 9999": (mastodon("9999-12-31T00:00:00Z"), f"'s post '110000000000100000' {FUTURE}"),
    "a Mastodon post of 2015": (
        mastodon("2015-06-01T00:00:00Z"),
        "post '110000000000100000' is dated 2015-06-01T00:00:00Z, before Mastodon began (2016-03-01)",
    ),
    "an X post of 2005": (texts("2005-01-01"), "@writer's post '1' is dated 2005-01-01T00:00:00Z, before X began"),
}


@pytest.mark.parametrize("make, message", REFUSED.values(), ids=REFUSED.keys())
def test_impossible_dates_are_refused_and_nothing_is_stored(run, tmp_path, make, message):
    path = make(tmp_path)
    args = ["--from", str(path), "--handle", "writer"] if path.suffix == ".jsonl" else ["--archive", str(path)]
    code, out, err = run("fetch", *args)
    assert (code, out, err.count("\n")) == (1, "", 1) and message in err, err
    assert not (tmp_path / "data" / "raw").exists() or not any((tmp_path / "data" / "raw").glob("*.jsonl"))


CONTROLS = "a\x00b\x1b[31mc\x7fd\x9be"  # NUL, ESC (an ANSI colour), DEL, C1's CSI
CLEAN = "ab[31mcde"


@pytest.mark.parametrize(
    "make, account",
    [
        (bluesky("2024-01-01T00:00:00.000Z", CONTROLS), Account("bluesky", DID)),
        (mastodon("2023-03-03T16:17:23Z", f"<p>{CONTROLS}</p>"), Account("mastodon", "alice@example.social")),
    ],
    ids=["bluesky", "mastodon"],
)
def test_control_characters_are_removed_at_the_source(run, tmp_path, make, account):
    code, _, err = run("fetch", "--archive", str(make(tmp_path)))
    assert code == 0, err
    stored = (tmp_path / "data" / "raw").glob("*.jsonl")
    assert [json.loads(line)["text"] for path in stored for line in path.read_text().split("\n") if line] == [CLEAN]


def test_prepare_never_writes_what_an_older_store_holds(run, tmp_path):
    """A store written before the checks: a date of 9999 and control characters; prepare leaves out both."""
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    lines = [
        {"id": "1", "created_at": "9999-12-31T00:00:00Z", "text": f"Tea at noon {CONTROLS} with a long made-up text"},
        {"id": "2", "created_at": "2021-01-02T00:00:00Z", "text": "Bread at dawn, and a long made-up text too"},
    ]
    (raw / "writer.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    (raw / "writer.user.json").write_text(json.dumps({"handle": "writer", "display_name": "Writer"}))
    assert [p.created_at for p in load_posts(tmp_path / "data", "writer")] == ["", "2021-01-02T00:00:00Z"]
    code, _, err = run("prepare", "writer", "--min-chars", "0", "--eval-fraction", "0.5")
    assert code == 0, err
    written = "".join(p.read_text() for p in (tmp_path / "data" / "writer").glob("*.txt"))
    assert "Tea at noon ab[31mcde" in written and not any(c in written for c in "\x00\x1b\x7f\x9b")
    card = (tmp_path / "cards" / "writer.yaml").read_text()
    assert "9999-12-31" not in card and "newest_tweet: 2021-01-02" in card
