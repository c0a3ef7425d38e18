"""X archives: every shape X ships, read without running JavaScript, and never a byte of the private parts."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from hf_tweets.sources.posts import load_posts, load_profile
from hf_tweets.sources.x_archive import read_archive

from archive_factory import js, made_up_grailbird_tweets, made_up_tweets, tweet, write_archive, write_grailbird


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
@pytest.mark.parametrize("word, parts", [("tweets", 1), ("tweet", 1), ("tweets", 3)])
def test_archive_shapes(tmp_path, as_zip, word, parts):
    target = tmp_path / ("a.zip" if as_zip else "unpacked")
    if not as_zip:
        target.mkdir()
    write_archive(target, made_up_tweets(50), word=word, parts=parts, as_zip=as_zip)
    profile, posts, skipped, unread = read_archive(target)
    assert (profile.handle, profile.display_name, unread) == ("pixel_poet", "Pixel Poet", [])
    assert profile.avatar == "https://pbs.twimg.com/profile_images/1/pixel_poet_400x400.jpg"
    assert len(posts) == 50 and skipped == 0
    assert {p.kind for p in posts} == {"post", "retweet", "reply"}
    assert max(p.created_at for p in posts) == "2021-03-03T16:17:23Z"


def test_kinds_entities_media_emoji_and_rtl(tmp_path):
    tweets = [
        tweet(1, "fish &amp; chips"),
        tweet(2, "shared this", retweet=True),
        tweet(3, "thanks!", reply_to="friend"),
        tweet(4, "look at this", media=True),
        tweet(5, "🌙 שלום עולם مرحبا"),
    ]
    write_archive(tmp_path / "a.zip", tweets)
    posts = read_archive(tmp_path / "a.zip").posts
    by_id = {p.id: p for p in posts}
    assert by_id["1000001"].text == "fish &amp; chips"  # raw as stored; prepare unescapes
    assert by_id["1000002"].kind == "retweet" and by_id["1000003"].kind == "reply"
    assert by_id["1000004"].text.endswith("https://t.co/AbCdEf123")
    assert by_id["1000005"].text == "🌙 שלום עולם مرحبا"


def test_replies_can_be_left_out(tmp_path):
    write_archive(tmp_path / "a.zip", [tweet(1, "a post"), tweet(2, "a reply", reply_to="x")])
    _, posts, skipped, _ = read_archive(tmp_path / "a.zip", include_replies=False)
    assert [p.kind for p in posts] == ["post"] and skipped == 1


NEEDED = {
    "modern": (
        lambda target, as_zip: write_archive(target, made_up_tweets(5), as_zip=as_zip),
        ["data/account.js", "data/profile.js", "data/tweets.js"],
    ),
    "grailbird": (
        lambda target, as_zip: write_grailbird(target, made_up_grailbird_tweets(50), as_zip=as_zip),
        ["data/js/tweets/2012_12.js", "data/js/tweets/2013_01.js", "data/js/user_details.js"],
    ),
}


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
@pytest.mark.parametrize("make, needed", NEEDED.values(), ids=NEEDED.keys())
def test_only_the_needed_parts_are_read(tmp_path, monkeypatch, make, needed, as_zip):
    target = tmp_path / ("a.zip" if as_zip else "unpacked")
    if not as_zip:
        target.mkdir()
    make(target, as_zip)
    opened = []
    real_zip_open, real_os_open = zipfile.ZipFile.open, os.open

    def zip_open(self, member, *args, **kwargs):  # the reader streams each member (ZipFile.read opens it too)
        opened.append(getattr(member, "filename", member))
        return real_zip_open(self, member, *args, **kwargs)

    def os_open(path, *args, **kwargs):  # a folder's files are opened with os.open (the zip itself is opened too)
        if Path(path) != target.resolve():
            opened.append(Path(path).relative_to(target.resolve()).as_posix())
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", zip_open)
    monkeypatch.setattr(os, "open", os_open)
    read_archive(target)
    assert sorted(opened) == needed


def test_fetch_archive_stores_posts_and_a_second_fetch_adds_only_new(run, tmp_path):
    write_archive(tmp_path / "a.zip", made_up_tweets(30))
    code, out, _ = run("fetch", "--archive", "a.zip")
    assert (code, out) == (0, "@pixel_poet: 30 new posts, 30 stored in data\n")
    write_archive(tmp_path / "b.zip", made_up_tweets(40))
    code, out, _ = run("fetch", "--archive", "b.zip")
    assert out == "@pixel_poet: 10 new posts, 40 stored in data\n"
    assert len(load_posts(tmp_path / "data", "pixel_poet")) == 40
    assert load_profile(tmp_path / "data", "pixel_poet").display_name == "Pixel Poet"
    stored = "".join(p.read_text() for p in (tmp_path / "data" / "raw").iterdir())
    assert "secret@example.com" not in stored and "MUST NOT" not in stored


def test_bare_tweets_js_needs_a_handle(run, tmp_path):
    (tmp_path / "tweets.js").write_text(js("tweets", 0, made_up_tweets(3)), encoding="utf-8")
    code, _, err = run("fetch", "--archive", "tweets.js")
    assert code == 1 and "add --handle NAME" in err
    code, out, _ = run("fetch", "--archive", "tweets.js", "--handle", "pixel_poet")
    assert code == 0 and "3 new posts" in out


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_text("just text"), "is not a zip archive (or the zip is damaged)"),
        (lambda p: p.write_bytes(zip_bytes(p)[:200]), "is not a zip archive (or the zip is damaged)"),
        (lambda p: write_zip(p, {"data/notes.txt": "x"}), "no data/tweets.js"),
        (lambda p: write_zip(p, {"data/tweets.js": "alert('hi')"}), "does not start with window.YTD"),
        (lambda p: write_zip(p, {"data/tweets.js": 'window.YTD.tweets.part0 = [{"tweet": '}), "is not valid JSON"),
        (lambda p: write_zip(p, {"data/tweets.js": 'window.YTD.tweets.part0 = {"a": 1}'}), 'is not a list of {"tweet"'),
        (
            lambda p: write_zip(p, {"data/tweets.js": 'window.YTD.tweets.part0 = [{"tweet": {"x": 1}}]'}),
            "has no id_str or full_text",
        ),
    ],
    ids=[
        "not a zip",
        "truncated zip",
        "no tweets part",
        "javascript",
        "broken json",
        "wrong shape",
        "tweet without text",
    ],
)
def test_bad_archives_are_clear_errors_and_write_nothing(run, tmp_path, make, message):
    make(tmp_path / "a.zip")
    code, out, err = run("fetch", "--archive", "a.zip")
    assert code == 1 and out == "" and message in err and err.count("\n") == 1
    assert not (tmp_path / "data").exists()


def test_empty_timeline(run, tmp_path):
    write_archive(tmp_path / "a.zip", [])
    code, _, err = run("fetch", "--archive", "a.zip")
    assert code == 1 and "has no posts (an empty timeline)" in err


def write_zip(path, files: dict):
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)


def zip_bytes(path):
    write_archive(path, made_up_tweets(20))
    return path.read_bytes()


def test_text_files(run, tmp_path):
    (tmp_path / "p.jsonl").write_text("\n".join(json.dumps({"text": f"line {i} of made up text"}) for i in range(4)))
    (tmp_path / "p.csv").write_text('text,kind\nhello there friend,post\n"RT @a: b c d",retweet\n')
    assert run("fetch", "--from", "p.jsonl", "--handle", "writer")[1] == "@writer: 4 new posts, 4 stored in data\n"
    assert run("fetch", "--from", "p.csv", "--handle", "writer")[1] == "@writer: 2 new posts, 6 stored in data\n"
    (tmp_path / "bad.csv").write_text("words\nhello\n")
    code, _, err = run("fetch", "--from", "bad.csv", "--handle", "writer")
    assert code == 1 and 'needs a header row with a "text" column' in err
