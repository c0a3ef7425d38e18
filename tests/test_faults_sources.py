"""Hostile input where posts come in (an X archive, the X API, a --from file): one line of error, nothing written."""

from __future__ import annotations

import json
import os
import struct
import threading
import tracemalloc
import zipfile
from pathlib import Path

import pytest
import vcr
import yaml
from cassettes.make_cassettes import PAGE3, USER, lookup, timeline

from hf_tweets import text
from hf_tweets.errors import UnsafePathError
from hf_tweets.folders import Folders
from hf_tweets.sources import dates
from hf_tweets.sources.posts import load_posts, load_profile, profile_path, raw_path
from hf_tweets.training.prepare import PrepareConfig, prepare

from archive_factory import (
    grailbird_js,
    grailbird_tweet,
    grailbird_user,
    js,
    made_up_grailbird_tweets,
    made_up_tweets,
    tweet,
    write_archive,
    write_grailbird,
)

MB = 1024 * 1024


def refused(run, tmp_path, *args) -> str:
    """Run fetch; assert it failed with one line and left no data folder; return the line."""
    code, out, err = run("fetch", *args)
    assert code == 1 and out == "", err
    assert err.count("\n") == 1 and err.startswith("hf-tweets: error: "), err
    assert "Traceback" not in err and "DEBUG" not in err, err
    assert not (tmp_path / "data").exists()
    return err


def write_zip(path: Path, files: dict, compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


ACCOUNT = js("account", 0, [{"account": {"username": "pixel_poet", "accountDisplayName": "Pixel Poet"}}])


# --- 1. handles become paths ------------------------------------------------------------------------------------------

HOSTILE_USERNAMES = ["/abs/path/x", "../../x", "a/b", "", ".", "..", "x" * 16, 123, "ok\u0000", None, ["x"]]


def contained(username, tmp_path: Path):
    """The absolute path moved under tmp_path: were it ever followed, it must not write to the real /abs."""
    return str(tmp_path / "abs" / "x") if username == "/abs/path/x" else username


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
@pytest.mark.parametrize("username", HOSTILE_USERNAMES, ids=repr)
def test_archive_username_must_be_an_x_handle(run, tmp_path, username, as_zip):
    username = contained(username, tmp_path)
    target = tmp_path / ("a.zip" if as_zip else "unpacked")
    if not as_zip:
        target.mkdir()
    write_archive(target, made_up_tweets(5), handle=username, as_zip=as_zip)
    before = files_under(tmp_path)
    err = refused(run, tmp_path, "--archive", target.name)
    name = "a.zip" if as_zip else "unpacked"
    assert f"{name}:data/account.js: username {text.snippet(username)} is not an X handle; " in err
    assert files_under(tmp_path) == before


def test_archive_without_a_username_is_refused(run, tmp_path):
    write_zip(
        tmp_path / "a.zip",
        {
            "data/tweets.js": js("tweets", 0, made_up_tweets(3)),
            "data/account.js": js("account", 0, [{"account": {"accountId": "1"}}]),
        },
    )
    assert "a.zip:data/account.js: has no username; " in refused(run, tmp_path, "--archive", "a.zip")


@pytest.mark.parametrize("handle", ["../../x", "/abs/x", "a/b", ".", "x" * 16, "ok\u0000"], ids=repr)
@pytest.mark.parametrize("source", ["archive", "bare tweets.js", "from"])
def test_handle_option_must_be_an_account(run, tmp_path, handle, source):
    write_archive(tmp_path / "a.zip", made_up_tweets(3))
    (tmp_path / "tweets.js").write_text(js("tweets", 0, made_up_tweets(3)), encoding="utf-8")
    (tmp_path / "p.jsonl").write_text('{"text": "a made up post"}\n', encoding="utf-8")
    args = {
        "archive": ["--archive", "a.zip"],
        "bare tweets.js": ["--archive", "tweets.js"],
        "from": ["--from", "p.jsonl"],
    }
    err = refused(run, tmp_path, *args[source], "--handle", handle)
    assert f"{handle!r} is not an account hf-tweets can read; give an X handle (alice)" in err


@pytest.mark.parametrize("handle", ["../../x", "/abs/x", "a/b", "", ".", "..", "x" * 16, "ok\u0000", 123], ids=repr)
@pytest.mark.parametrize("path", [raw_path, profile_path], ids=["raw_path", "profile_path"])
def test_store_paths_stay_in_data_raw(tmp_path, path, handle):
    with pytest.raises(UnsafePathError):
        path(tmp_path / "data", handle)


@pytest.mark.parametrize("handle", ["pixel_poet", "_under_", "A1", "x" * 15])
def test_store_paths_for_every_x_handle(tmp_path, handle):
    assert raw_path(tmp_path, handle) == tmp_path / "raw" / f"{handle.lower()}.jsonl"
    assert profile_path(tmp_path, handle) == tmp_path / "raw" / f"{handle.lower()}.user.json"


def test_folder_archive_does_not_follow_links_out_of_it(run, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.js").write_text(js("tweets", 0, made_up_tweets(3)), encoding="utf-8")
    folder = tmp_path / "unpacked"
    folder.mkdir()
    write_archive(folder, made_up_tweets(3), as_zip=False)
    (folder / "data" / "tweets.js").unlink()
    (folder / "data" / "tweets.js").symlink_to(outside / "secret.js")
    err = refused(run, tmp_path, "--archive", "unpacked")
    assert "unpacked:data/tweets.js: is a link to outside the archive folder; " in err


def test_folder_archive_follows_links_inside_it(run, tmp_path):
    folder = tmp_path / "unpacked"
    folder.mkdir()
    write_archive(folder, made_up_tweets(3), as_zip=False)
    (folder / "data" / "tweets.js").rename(folder / "real-tweets.js")
    (folder / "data" / "tweets.js").symlink_to(Path("..") / "real-tweets.js")
    assert run("fetch", "--archive", "unpacked")[1] == "@pixel_poet: 3 new posts, 3 stored in data\n"


def test_folder_archive_reads_only_regular_files(run, tmp_path):
    folder = tmp_path / "unpacked"
    folder.mkdir()
    write_archive(folder, made_up_tweets(3), as_zip=False)
    (folder / "data" / "tweets.js").unlink()
    os.mkfifo(folder / "data" / "tweets.js")  # reading a FIFO would hang
    unblock = threading.Timer(5, lambda: os.close(os.open(folder / "data" / "tweets.js", os.O_WRONLY)))
    unblock.start()  # so a reader that does hang fails the test instead of hanging it
    try:
        err = refused(run, tmp_path, "--archive", "unpacked")
    finally:
        unblock.cancel()
    assert "unpacked:data/tweets.js: is not a regular file; " in err


# --- 2. zip bombs -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """1.5 GB in the real case; 50 MB of zeros here (ratio ~1000) is as telling and quick to build."""
    return write_zip(
        tmp_path_factory.mktemp("bomb") / "bomb.zip", {"data/tweets.js": b"0" * (50 * MB), "data/account.js": ACCOUNT}
    )


def fetch_traced(run, *args) -> tuple[int, str, int]:
    tracemalloc.start()
    try:
        code, _, err = run("fetch", *args)
        return code, err, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_zip_bomb_is_refused_in_bounded_memory(run, tmp_path, bomb):
    code, err, peak = fetch_traced(run, "--archive", str(bomb))
    assert code == 1 and err.count("\n") == 1
    assert "bomb.zip:data/tweets.js: inflates more than 100 times its packed size (a zip bomb?); " in err
    assert "set HF_TWEETS_ARCHIVE_MAX_RATIO" in err
    assert peak < 12 * MB, f"peak {peak / MB:.0f} MB"
    assert not (tmp_path / "data").exists()


def test_the_ratio_limit_can_be_raised(run, tmp_path, monkeypatch):
    write_zip(tmp_path / "a.zip", {"data/tweets.js": b"0" * (5 * MB), "data/account.js": ACCOUNT})
    monkeypatch.setenv("HF_TWEETS_ARCHIVE_MAX_RATIO", "100000")
    assert "a.zip:data/tweets.js: does not start with window.YTD" in refused(run, tmp_path, "--archive", "a.zip")


def test_small_parts_may_compress_well(run, tmp_path):
    padded = "window.YTD.tweets.part0 = [" + " " * 900_000 + json.dumps(tweet(1, "a made up post")) + "]"
    write_zip(tmp_path / "a.zip", {"data/tweets.js": padded, "data/account.js": ACCOUNT})
    assert run("fetch", "--archive", "a.zip")[1] == "@pixel_poet: 1 new posts, 1 stored in data\n"


@pytest.mark.parametrize("parts", [1, 4])
def test_total_inflated_size_is_capped(run, tmp_path, monkeypatch, parts):
    write_archive(tmp_path / "a.zip", made_up_tweets(2000), parts=parts)
    monkeypatch.setenv("HF_TWEETS_ARCHIVE_MAX_BYTES", "300000")
    err = refused(run, tmp_path, "--archive", "a.zip")
    assert "a.zip:data/tweets" in err and "add up to more than 300,000 bytes" in err
    assert "set HF_TWEETS_ARCHIVE_MAX_BYTES to" in err


def test_total_size_cap_applies_to_folders_and_bare_files(run, tmp_path, monkeypatch):
    (tmp_path / "tweets.js").write_text(js("tweets", 0, made_up_tweets(2000)), encoding="utf-8")
    monkeypatch.setenv("HF_TWEETS_ARCHIVE_MAX_BYTES", "300000")
    assert "add up to more than 300,000 bytes" in refused(
        run, tmp_path, "--archive", "tweets.js", "--handle", "pixel_poet"
    )


def patch_central_directory(path: Path, name: str, offset: int, value: int) -> None:
    """Overwrite one 4-byte field of ``name``'s central directory entry (20: packed size, 24: inflated size)."""
    raw = bytearray(path.read_bytes())
    start = raw.find(b"PK\x01\x02")
    while raw[start + 46 : start + 46 + len(name)] != name.encode():
        start = raw.find(b"PK\x01\x02", start + 4)
    raw[start + offset : start + offset + 4] = struct.pack("<I", value)
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    "offset, value, message",
    [
        (24, 1000, "the zip is damaged"),  # says it inflates to 1,000 bytes: zipfile stops there, and the CRC fails
        (
            20,
            0xFFFFFFF0,
            "the zip is damaged (it ends too early)",
        ),  # says it is packed in 4 GB: zipfile reads past the end
        (24, 0xFFFFFFF0, "inflates more than 100 times its packed size"),  # declared sizes are not what is counted
    ],
    ids=["small inflated size", "huge packed size", "huge inflated size"],
)
def test_headers_that_lie_about_sizes(run, tmp_path, bomb, offset, value, message):
    lying = tmp_path / "lying.zip"
    lying.write_bytes(bomb.read_bytes())
    patch_central_directory(lying, "data/tweets.js", offset, value)
    code, err, peak = fetch_traced(run, "--archive", "lying.zip")
    assert code == 1 and err.count("\n") == 1 and message in err
    assert peak < 12 * MB, f"peak {peak / MB:.0f} MB"
    assert not (tmp_path / "data").exists()


def test_a_header_saying_larger_than_it_is_does_not_refuse_a_good_archive(run, tmp_path):
    write_archive(tmp_path / "a.zip", made_up_tweets(5))
    patch_central_directory(tmp_path / "a.zip", "data/tweets.js", 24, 3 * 1024**3)  # was refused as "larger than 2 GB"
    assert run("fetch", "--archive", "a.zip")[1] == "@pixel_poet: 5 new posts, 5 stored in data\n"


# --- 3. dates ---------------------------------------------------------------------------------------------------------

DATES = [
    ("Wed Mar 03 16:17:23 +0000 2021", "2021-03-03T16:17:23Z"),  # what X writes
    ("Wed Mar 3 16:17:23 +0000 2021", "2021-03-03T16:17:23Z"),
    ("Wed Mar  3 16:17:23 +0000 2021", "2021-03-03T16:17:23Z"),
    ("Wed Mar 03 16:17:23 +0100 2021", "2021-03-03T15:17:23Z"),
    ("Wed Mar 03 23:17:23 -0500 2021", "2021-03-04T04:17:23Z"),
    ("Fri Dec 31 23:30:00 -0100 2021", "2022-01-01T00:30:00Z"),
    ("Sat Feb 29 12:00:00 +0000 2020", "2020-02-29T12:00:00Z"),
    ("2021-03-04", "2021-03-04T00:00:00Z"),
    ("2021-03-04T16:17:23Z", "2021-03-04T16:17:23Z"),  # the store's own format
    ("2021-03-04T16:17:23.000Z", "2021-03-04T16:17:23Z"),  # what the X API v2 sends
    ("2021-03-04T16:17:23.123456789+02:00", "2021-03-04T14:17:23Z"),
    ("2021-03-04T16:17:23+0530", "2021-03-04T10:47:23Z"),
    ("2021-03-04T16:17:23", "2021-03-04T16:17:23Z"),  # no zone: UTC
    ("2021-03-04T16:17", "2021-03-04T16:17:00Z"),
    ("2021-03-04 16:17:23", "2021-03-04T16:17:23Z"),
    ("2013-01-31 17:42:33 +0000", "2013-01-31T17:42:33Z"),  # Grailbird-era archives
    ("2013-01-31 17:42:33 -0800", "2013-02-01T01:42:33Z"),
    ("2021/03/04", "2021-03-04T00:00:00Z"),
    ("2021/03/04 16:17:23", "2021-03-04T16:17:23Z"),
    ("2021/3/4", "2021-03-04T00:00:00Z"),
    ("  2021-03-04T16:17:23Z ", "2021-03-04T16:17:23Z"),
    ("", ""),
    ("   ", ""),
    (None, ""),
]


@pytest.mark.parametrize("value, stored", DATES, ids=[repr(d[0]) for d in DATES])
def test_dates_are_parsed_into_the_store_format(value, stored):
    assert dates.parse_date(value) == stored
    assert dates.parse_date(stored) == stored


NOT_DATES = [
    "yesterday",
    "2021-02-30",
    "2021-13-01",
    "2021-03-04T24:00:00Z",
    "Wed Feb 30 16:17:23 +0000 2021",
    "Wed Mar 03 25:17:23 +0000 2021",
    "Wed Foo 03 16:17:23 +0000 2021",
    "Wed Mar 03 16:17:23 +0000 21",
    "Wed Mar 03 16:17:23 UTC 2021",
    "2021-03-04T16:17:23+25:00",
    "03/04/2021",
    "1614788243",
    1614788243,
    "Sun Feb 29 12:00:00 +0000 2021",
    "Wed Mar 03 16:17:23 +0000 \uff12\uff10\uff12\uff11",
    "\uff12\uff10\uff12\uff11-03-04",
    "Wed Mar 03 16:17:233 +0000 202",
    "Wed Mar 03 16:17:23 +0000 0000",
    "2021-03-04T16:17:23Z later",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    ["2021-03-04"],
    "2021-03-04" * 1000,
]


@pytest.mark.parametrize("value", NOT_DATES, ids=lambda v: repr(v)[:40])
def test_what_is_not_a_date_is_refused(value):
    with pytest.raises(ValueError):
        dates.parse_date(value)


def test_archive_dates_in_other_formats_are_stored_in_the_store_format_and_prepare_works(run, tmp_path):
    tweets = [tweet(i, f"made up post number {i} about clouds and spoons") for i in range(4)]
    dates = ["Wed Mar 3 16:17:23 +0000 2021", "2013-01-31 17:42:33 +0000", "2020-05-06T07:08:09.123Z", ""]
    for item, created in zip(tweets, dates, strict=True):
        item["tweet"]["created_at"] = created
    write_archive(tmp_path / "a.zip", tweets)
    assert run("fetch", "--archive", "a.zip")[0] == 0
    stored = {p.id: p.created_at for p in load_posts(tmp_path / "data", "pixel_poet")}
    assert stored == {
        "1000000": "2021-03-03T16:17:23Z",
        "1000001": "2013-01-31T17:42:33Z",
        "1000002": "2020-05-06T07:08:09Z",
        "1000003": "",
    }
    prepare(
        "pixel_poet",
        Folders.resolve(data=tmp_path / "data", cards=tmp_path / "cards"),
        config=PrepareConfig(min_chars=0),
    )
    record = (tmp_path / "cards" / "pixel_poet.yaml").read_text()
    assert "oldest_tweet: 2013-01-31" in record and "newest_tweet: 2021-03-03" in record


def test_file_dates_are_stored_in_the_store_format(run, tmp_path):
    rows = [
        {"id": "1", "text": "made up post one about soup", "created_at": "2021/03/04"},
        {"id": "2", "text": "made up post two about soup", "created_at": "2021-03-05 10:00:00 +0100"},
    ]
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "p.csv").write_text(
        "id,text,created_at\n3,made up post three,Wed Mar 3 16:17:23 +0000 2021\n", encoding="utf-8"
    )
    assert run("fetch", "--from", "p.jsonl", "--handle", "writer")[0] == 0
    assert run("fetch", "--from", "p.csv", "--handle", "writer")[0] == 0
    stored = {p.id: p.created_at for p in load_posts(tmp_path / "data", "writer")}
    assert stored == {"1": "2021-03-04T00:00:00Z", "2": "2021-03-05T09:00:00Z", "3": "2021-03-03T16:17:23Z"}


def test_a_bad_archive_date_names_the_part_and_the_tweet(run, tmp_path):
    tweets = [tweet(1, "fine"), tweet(2, "not fine")]
    tweets[1]["tweet"]["created_at"] = "the day after tomorrow"
    write_archive(tmp_path / "a.zip", tweets)
    err = refused(run, tmp_path, "--archive", "a.zip")
    assert "a.zip:data/tweets.js: tweet 1000002: created_at 'the day after tomorrow' is not a date; " in err


# --- 4. URLs ----------------------------------------------------------------------------------------------------------

URLS = [
    ("https://pbs.twimg.com/profile_images/1/a_400x400.jpg", "https://pbs.twimg.com/profile_images/1/a_400x400.jpg"),
    ("http://example.com/x.png", "http://example.com/x.png"),
    ("https://example.com:8080/x.png?s=1#top", "https://example.com:8080/x.png?s=1#top"),
    ("https://pbs.twimg.com/it's_normal.jpg", "https://pbs.twimg.com/it%27s_normal.jpg"),
    ("https://example.com/a b(1).jpg", "https://example.com/a%20b%281%29.jpg"),
    ("https://example.com/[x]\\y", "https://example.com/%5Bx%5D%5Cy"),
    ("https://example.com/caf\u00e9.jpg", "https://example.com/caf%C3%A9.jpg"),
    ("https://example.com/100%.jpg", "https://example.com/100%25.jpg"),
    ("https://example.com/%41ok", "https://example.com/%41ok"),
    ('https://example.com/"><script>', "https://example.com/%22%3E%3Cscript%3E"),
    ("https://example.com/a\nb", "https://example.com/a%0Ab"),
    ("https://example.com/\ud800", "https://example.com/%EF%BF%BD"),
    ("  https://example.com/x  ", "https://example.com/x"),
    ("javascript:alert(1)", None),
    ("data:image/png;base64,AAAA", None),
    ("ftp://example.com/a.png", None),
    ("//example.com/a.png", None),
    ("/relative/a.png", None),
    ("https://", None),
    ("https://exa mple.com/a.png", None),
    ("https://user:pw@example.com/a.png", None),
    ("https://example.com/" + "a" * 3000, None),
    ("", None),
    (None, None),
    (123, None),
]


@pytest.mark.parametrize("url, cleaned", URLS, ids=[repr(u[0])[:50] for u in URLS])
def test_clean_url(url, cleaned):
    assert text.clean_url(url) == cleaned


@pytest.mark.parametrize(
    "avatar, stored",
    [
        (
            "https://pbs.twimg.com/profile_images/1/it's_normal.jpg",
            "https://pbs.twimg.com/profile_images/1/it%27s_400x400.jpg",
        ),
        ("http://pbs.twimg.com/profile_images/1/a_normal.jpg", "http://pbs.twimg.com/profile_images/1/a_400x400.jpg"),
        ("javascript:alert(1)", None),
        ("https://example.com/" + "a" * 3000, None),
        (None, None),
        (["https://example.com/a.jpg"], None),
    ],
    ids=["quote", "http", "javascript", "too long", "none", "a list"],
)
def test_archive_avatars_are_clean_urls_or_none(run, tmp_path, avatar, stored):
    write_archive(tmp_path / "a.zip", made_up_tweets(3), avatar=avatar)
    assert run("fetch", "--archive", "a.zip")[0] == 0
    assert load_profile(tmp_path / "data", "pixel_poet").avatar == stored


# --- 5. lone surrogates, deep nesting, duplicates, long names ---------------------------------------------------------


def test_lone_surrogates_become_replacement_characters_and_pairs_stay_emoji(run, tmp_path):
    tweets = [tweet(1, "lone SURROGATE here"), tweet(2, "pair PAIR here")]
    text = js("tweets", 0, tweets).replace("SURROGATE", "\\ud800").replace("PAIR", "\\ud83c\\udf19")
    account = js("account", 0, [{"account": {"username": "pixel_poet", "accountDisplayName": "Pixel NAME"}}])
    write_zip(tmp_path / "a.zip", {"data/tweets.js": text, "data/account.js": account.replace("NAME", "\\udfff")})
    code, _, err = run("fetch", "--archive", "a.zip")
    assert code == 0, err
    texts = {p.id: p.text for p in load_posts(tmp_path / "data", "pixel_poet")}
    assert texts == {"1000001": "lone \ufffd here", "1000002": "pair 🌙 here"}
    assert load_profile(tmp_path / "data", "pixel_poet").display_name == "Pixel \ufffd"


def test_lone_surrogates_in_a_file(run, tmp_path):
    (tmp_path / "p.jsonl").write_text('{"id": "1", "text": "a \\udc00 b \\ud83c\\udf19"}\n', encoding="utf-8")
    assert run("fetch", "--from", "p.jsonl", "--handle", "writer")[0] == 0
    assert load_posts(tmp_path / "data", "writer")[0].text == "a \ufffd b 🌙"


@pytest.mark.parametrize(
    "files, message",
    [
        (
            {"data/tweets.js": "window.YTD.tweets.part0 = " + "[" * 100_000},
            "a.zip:data/tweets.js: is nested too deeply; is it",
        ),
        (
            {
                "data/tweets.js": 'window.YTD.tweets.part0 = [{"tweet": {"id_str": "1", "full_text": "x", "entities": '
                + "[" * 100_000
                + "]" * 100_000
                + "}}]"
            },
            "a.zip:data/tweets.js: is nested too deeply",
        ),
        (
            {
                "data/tweets.js": js("tweets", 0, [tweet(1, "x")]),
                "data/account.js": "window.YTD.account.part0 = " + '{"a":' * 100_000,
            },
            "a.zip:data/account.js: is nested too deeply",
        ),
        (
            {"data/tweets.js": "window.YTD.tweets.part0 = [" + "1" * 5000 + "]"},
            "a.zip:data/tweets.js: the array after '=' is not valid JSON",
        ),
        (
            {"data/tweets.js": 'window.YTD.tweets.part0 = [{"tweet": {"id_str": [1], "full_text": "x"}}]'},
            "a.zip:data/tweets.js: a tweet's id_str [1] is not an id",
        ),
        (
            {
                "data/tweets.js": "window.YTD.tweets.part0 = "
                '[{"tweet": {"id_str": "1", "full_text": "x", "created_at": 5}}]'
            },
            "a.zip:data/tweets.js: tweet 1: created_at 5 is not a date",
        ),
        ({"data/tweets.js": b"window.YTD.tweets.part0 = [\xff]"}, "a.zip:data/tweets.js: is not UTF-8 text"),
    ],
    ids=[
        "nested array",
        "nested inside a tweet",
        "nested account",
        "huge number",
        "id is a list",
        "date is a number",
        "not utf-8",
    ],
)
def test_malformed_archive_parts(run, tmp_path, files, message):
    write_zip(tmp_path / "a.zip", files)
    assert message in refused(run, tmp_path, "--archive", "a.zip")


def test_damaged_compressed_data(run, tmp_path):
    write_archive(tmp_path / "a.zip", made_up_tweets(200))
    raw = bytearray((tmp_path / "a.zip").read_bytes())
    start = 30 + len("data/tweets.js") + 200  # inside the first member's deflate stream
    raw[start : start + 20] = bytes(20)
    (tmp_path / "a.zip").write_bytes(bytes(raw))
    assert "a.zip: the zip is damaged" in refused(run, tmp_path, "--archive", "a.zip")


def test_unsupported_compression(run, tmp_path):
    write_zip(tmp_path / "a.zip", {"data/tweets.js": js("tweets", 0, made_up_tweets(3)), "data/account.js": ACCOUNT})
    raw = bytearray((tmp_path / "a.zip").read_bytes())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # compression method 99 (AES) everywhere
        at = raw.find(signature)
        while at >= 0:
            raw[at + offset : at + offset + 2] = struct.pack("<H", 99)
            at = raw.find(signature, at + 4)
    (tmp_path / "a.zip").write_bytes(bytes(raw))
    assert "a.zip:data/tweets.js: is packed in a way hf-tweets cannot read" in refused(
        run, tmp_path, "--archive", "a.zip"
    )


@pytest.mark.parametrize("parts", [1, 2])
def test_duplicate_tweets_in_an_archive_count_once(run, tmp_path, parts):
    tweets = made_up_tweets(40)
    write_archive(tmp_path / "a.zip", tweets + tweets, parts=parts)
    assert run("fetch", "--archive", "a.zip")[1] == "@pixel_poet: 40 new posts, 40 stored in data\n"
    write_archive(tmp_path / "b.zip", tweets + made_up_tweets(45)[40:] * 3)
    assert run("fetch", "--archive", "b.zip")[1] == "@pixel_poet: 5 new posts, 45 stored in data\n"


def test_duplicate_ids_in_a_file_count_once_and_the_first_stays(run, tmp_path):
    rows = [
        {"id": "1", "text": "first made up text"},
        {"id": "1", "text": "second made up text"},
        {"text": "no id here"},
        {"text": "no id here"},
    ]
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert run("fetch", "--from", "p.jsonl", "--handle", "writer")[1] == "@writer: 2 new posts, 2 stored in data\n"
    assert {p.text for p in load_posts(tmp_path / "data", "writer")} == {"first made up text", "no id here"}


@pytest.mark.parametrize(
    "display, stored",
    [
        ("Pixel Poet", "Pixel Poet"),
        ("  Pixel\n\tPoet\u202e ", "Pixel Poet"),
        ("x" * 20 * MB, "x" * 200),
        ("é" * 300, "é" * 200),
        ("\n\n", "pixel_poet"),
        (None, "pixel_poet"),
        (123, "pixel_poet"),
    ],
    ids=["plain", "lines and controls", "20 MB", "300 letters", "blank", "none", "a number"],
)
def test_display_names_are_one_clipped_line(run, tmp_path, display, stored):
    (tmp_path / "unpacked").mkdir()  # a folder: zipped, 20 MB of one letter is refused as a zip bomb
    write_archive(tmp_path / "unpacked", made_up_tweets(3), display=display, as_zip=False)
    assert run("fetch", "--archive", "unpacked")[0] == 0
    assert load_profile(tmp_path / "data", "pixel_poet").display_name == stored


# --- 6. --from files --------------------------------------------------------------------------------------------------

FILES = [
    ("p.jsonl", "[" * 100_000 + "\n", "p.jsonl: line 1 is nested too deeply"),
    ("p.jsonl", '{"text": "ok"}\n\n' + '{"text": ' + "[" * 100_000 + "\n", "p.jsonl: line 3 is nested too deeply"),
    (
        "p.jsonl",
        '{"text": "ok"}\n{"text": "' + "x" * 2_000_000 + '"}\n',
        "p.jsonl: line 2 is 2,000,012 characters long",
    ),
    ("p.jsonl", "[1, 2]\n", "p.jsonl: line 1 is not a JSON object"),
    ("p.jsonl", '{"text": "ok"}\n"just a string"\n', "p.jsonl: line 2 is not a JSON object"),
    ("p.jsonl", '{"text": "ok"}\n\n{"texts": "ok"}\n', 'p.jsonl: line 3 has no "text"'),
    ("p.jsonl", '{"text": 5}\n', 'p.jsonl: line 1 has no "text"'),
    (
        "p.jsonl",
        '{"text": "ok", "kind": ["post"]}\n',
        "p.jsonl: line 1: kind ['post'] must be one of post, retweet, reply",
    ),
    ("p.jsonl", '{"text": "ok", "id": ["1"]}\n', "p.jsonl: line 1: id ['1'] is not an id"),
    ("p.jsonl", '{"text": "ok", "id": NaN}\n', "p.jsonl: line 1: id nan is not an id"),
    ("p.jsonl", '{"text": "ok", "id": true}\n', "p.jsonl: line 1: id True is not an id"),
    ("p.jsonl", '{"text": "ok", "id": "' + "1" * 200 + '"}\n', "p.jsonl: line 1: id '1111111111"),
    ("p.jsonl", '{"text": "ok", "created_at": "last week"}\n', "p.jsonl: line 1: created_at 'last week' is not a date"),
    ("p.jsonl", '{"text": "ok", "created_at": 1614788243}\n', "p.jsonl: line 1: created_at 1614788243 is not a date"),
    ("p.jsonl", '{"text": "ok"}\n{"text": "a\x00b"}\n', "p.jsonl: line 2 has a NUL byte"),
    ("p.jsonl", '{"text": "ok", "n": ' + "1" * 5000 + "}\n", "p.jsonl: line 1 is not JSON"),
    ("p.csv", "text\nfine\nhel\x00lo\n", "p.csv: line 3 has a NUL byte"),
    ("p.csv", "text\n" + "x" * 200_000 + "\n", "p.csv: line 2 is not valid CSV (field larger than field limit"),
    ("p.csv", "text,created_at\nfine,someday\n", "p.csv: line 2: created_at 'someday' is not a date"),
    ("p.csv", "text,kind\nfine,quote\n", "p.csv: line 2: kind 'quote' must be one of post, retweet, reply"),
    ("p.csv", "id,text\n1\n", 'p.csv: line 2 has no "text"'),
]


@pytest.mark.parametrize("name, content, message", FILES, ids=[f"{f[0]}: {f[2][9:50]}" for f in FILES])
def test_bad_files_are_one_line_errors_with_the_line(run, tmp_path, name, content, message):
    (tmp_path / name).write_text(content, encoding="utf-8")
    assert message in refused(run, tmp_path, "--from", name, "--handle", "writer")


def test_line_separators_inside_json_strings_are_not_line_ends(run, tmp_path):
    rows = [{"id": "1", "text": "one\u2028two\u0085three\x0cfour"}, {"id": "2", "text": "next"}]
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert run("fetch", "--from", "p.jsonl", "--handle", "writer")[1] == "@writer: 2 new posts, 2 stored in data\n"
    assert {p.id: p.text for p in load_posts(tmp_path / "data", "writer")}["1"] == "one\u2028two\u0085three\x0cfour"


# --- the X API's answer -----------------------------------------------------------------------------------------------

BEARER = "AAAA-test-bearer-token-made-up"
AVATAR = USER["profile_image_url"].replace("_normal.", "_400x400.")


def replay_user(tmp_path: Path, monkeypatch, user: dict, page: dict | None = None):
    """A cassette where @pixel_poet's lookup answers ``user`` (then one page of posts), written as JSON escapes."""
    monkeypatch.setenv("X_BEARER_TOKEN", BEARER)
    answer = lookup()
    answer["response"]["body"]["string"] = json.dumps({"data": user})  # ASCII: lone surrogates stay escapes
    items = [answer] + ([timeline(page)] if page else [])
    for item in items[1:]:
        item["response"]["body"]["string"] = json.dumps(page)
    folder = tmp_path / "cassettes"
    folder.mkdir(exist_ok=True)
    (folder / "c.yaml").write_text(
        yaml.safe_dump({"interactions": items, "version": 1}, sort_keys=False), encoding="utf-8"
    )
    return vcr.VCR(
        cassette_library_dir=str(folder), record_mode="none", match_on=["method", "scheme", "host", "path", "query"]
    ).use_cassette("c.yaml")


@pytest.mark.parametrize("username", HOSTILE_USERNAMES, ids=repr)
def test_api_answer_username_must_be_an_x_handle(run, tmp_path, monkeypatch, username):
    username = contained(username, tmp_path)
    cassette = replay_user(tmp_path, monkeypatch, {**USER, "username": username}, PAGE3)
    before = files_under(tmp_path)
    with cassette:
        err = refused(run, tmp_path, "pixel_poet")
    assert f"the X API answered @pixel_poet with username {text.snippet(username)}, which is not an X handle; " in err
    assert BEARER not in err and files_under(tmp_path) == before


@pytest.mark.parametrize(
    "fields, display, avatar",
    [
        ({}, "Pixel Poet 🌙", "https://pbs.twimg.com/profile_images/1111/pixel_400x400.jpg"),
        (
            {"profile_image_url": "https://pbs.twimg.com/profile_images/1111/it's_normal.jpg"},
            "Pixel Poet 🌙",
            "https://pbs.twimg.com/profile_images/1111/it%27s_400x400.jpg",
        ),
        ({"profile_image_url": "javascript:alert(1)"}, "Pixel Poet 🌙", None),
        ({"name": "Pixel\n\ud800 " + "p" * 500}, "Pixel \ufffd " + "p" * 192, AVATAR),
        ({"name": ""}, "pixel_poet", AVATAR),
    ],
    ids=["plain", "quote in avatar", "javascript avatar", "long name with a surrogate", "empty name"],
)
def test_api_profile_is_cleaned(run, tmp_path, monkeypatch, fields, display, avatar):
    page = json.loads(json.dumps(PAGE3))
    page["data"][0]["text"] = "lone \ud800 surrogate"
    with replay_user(tmp_path, monkeypatch, {**USER, **fields}, page):
        code, out, err = run("fetch", "pixel_poet")
    assert code == 0, err
    profile = load_profile(tmp_path / "data", "pixel_poet")
    assert (profile.display_name, profile.avatar) == (display, avatar)
    assert "lone \ufffd surrogate" in {p.text for p in load_posts(tmp_path / "data", "pixel_poet")}


@pytest.mark.parametrize("state", ["not json", "[1, 2]", '{"next_token": ["x"]}', "\x00\xff"], ids=repr)
def test_a_damaged_resume_state_starts_over(run, tmp_path, monkeypatch, state):
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "pixel_poet.state.json").write_text(state, encoding="utf-8", errors="surrogateescape")
    with replay_user(tmp_path, monkeypatch, USER, PAGE3):
        code, out, err = run("fetch", "pixel_poet")
    assert (code, out) == (0, "@pixel_poet: 2 new posts, 2 stored in data\n"), err
    assert not (tmp_path / "data" / "raw" / "pixel_poet.state.json").exists()


# --- 7. Grailbird archives, bare files, side files a formatter rewrote ------------------------------------------------


def grailbird_at(tmp_path: Path, as_zip: bool) -> Path:
    target = tmp_path / ("g.zip" if as_zip else "unpacked")
    if not as_zip:
        target.mkdir()
    return target


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
@pytest.mark.parametrize("username", HOSTILE_USERNAMES, ids=repr)
def test_grailbird_screen_name_must_be_an_x_handle(run, tmp_path, username, as_zip):
    username = contained(username, tmp_path)
    target = grailbird_at(tmp_path, as_zip)
    write_grailbird(target, made_up_grailbird_tweets(3, grailbird_user(username)), handle=username, as_zip=as_zip)
    before = files_under(tmp_path)
    err = refused(run, tmp_path, "--archive", target.name)
    assert err == (
        f"hf-tweets: error: {target.name}:data/js/user_details.js: screen_name {text.snippet(username)} is not an X"
        " handle; add --handle NAME to say whose posts these are\n"
    )
    assert files_under(tmp_path) == before


@pytest.mark.parametrize("username", ["../../x", "/abs/path/x", "", None], ids=repr)
def test_a_bad_grailbird_screen_name_gives_way_to_the_handle_option(run, tmp_path, username):
    username = contained(username, tmp_path)
    write_grailbird(tmp_path / "g.zip", made_up_grailbird_tweets(3, grailbird_user(username)), handle=username)
    code, out, err = run("fetch", "--archive", "g.zip", "--handle", "quill_wren")
    assert (code, out) == (0, "@quill_wren: 3 new posts, 3 stored in data\n")
    assert err == (
        f"warning: g.zip:data/js/user_details.js: screen_name {text.snippet(username)} is not an X handle;"
        " used --handle @quill_wren instead\n"
        f"warning: g.zip:data/js/tweets/2013_01.js: the tweets' user.screen_name {text.snippet(username)} is not"
        " an X handle; used --handle @quill_wren instead\n"
        "next: hf-tweets prepare quill_wren\n"
    )
    assert files_under(tmp_path / "data") == {"raw", "raw/quill_wren.jsonl", "raw/quill_wren.user.json"}


@pytest.mark.parametrize(
    "details, problem",
    [
        ("var user_details = [1]", "is not an object {...}"),
        ("var user_details = 'quill_wren'", "is not an object {...}"),
        ("var user_details = null", "is not an object {...}"),
        ("var user_details = {}", "has no screen_name"),
        ("var user_details = {screen_name: '../../x'}", "screen_name '../../x' is not an X handle"),
        ("var user_details = {screen_name: 'quill_wren'", "is neither JSON nor a JavaScript object literal"),
        ("var user_details = " + "{a: " * 5_000, "is nested too deeply"),  # JSON5 reads it (within LENIENT_MAX)
        ("var user_details = {id: " + "1" * 5000 + "}", "is neither JSON nor a JavaScript object literal (Exceeds"),
        ("user_details = {}", "does not start with var user_details = {...}"),
        (b"var user_details = {screen_name: '\xff'}", "is not UTF-8 text"),
    ],
    ids=[
        "a list",
        "a string",
        "null",
        "no screen_name",
        "a path",
        "cut short",
        "nested",
        "huge number",
        "no var",
        "not utf-8",
    ],
)
def test_a_hostile_user_details_gives_way_to_the_tweets(run, tmp_path, details, problem):
    write_grailbird(tmp_path / "g.zip", made_up_grailbird_tweets(3), override={"data/js/user_details.js": details})
    code, out, err = run("fetch", "--archive", "g.zip")
    assert (code, out) == (0, "@quill_wren: 3 new posts, 3 stored in data\n")
    warning, hint = err.splitlines()
    assert warning.startswith(f"warning: g.zip:data/js/user_details.js: {problem}")
    assert (
        warning.endswith("; used @quill_wren from the tweets instead") and hint == "next: hf-tweets prepare quill_wren"
    )


PART = "data/js/tweets/2013_01.js"


@pytest.mark.parametrize(
    "content, message",
    [
        ('Grailbird.data.tweets_2013_01 = {"a": 1}', f"g.zip:{PART}: is not a list of tweets; is it the right file?"),
        ('Grailbird.data.tweets_2013_01 = ["a", 1]', f"g.zip:{PART}: is not a list of tweets; is it the right file?"),
        ("Grailbird.data.tweets_2013_01 = [{}]", f"g.zip:{PART}: a tweet has no id_str or full_text"),
        ("Grailbird.data.tweets_2013_01 = " + "[" * 100_000, f"g.zip:{PART}: is nested too deeply"),
        ("Grailbird.data.tweets_2013_01 = [{'id_str': '1'}]", f"g.zip:{PART}: the array after '=' is not valid JSON"),
        ("Grailbird.data.tweets_2013_01 = [" + "1" * 5000 + "]", f"g.zip:{PART}: the array after '=' is not valid"),
        ("Grailbird.data.tweets = []", f"g.zip:{PART}: does not start with window.YTD.<name>.partN = [...], Grail"),
        ("Grailbird.data.tweets_2013_01 = [", f"g.zip:{PART}: the array after '=' is not valid JSON"),
        (b"Grailbird.data.tweets_2013_01 = [\xff]", f"g.zip:{PART}: is not UTF-8 text"),
        (
            'Grailbird.data.tweets_2013_01 = [{"id_str": "1", "text": "x", "created_at": "2013-13-31 00:00:00 +0000"}]',
            f"g.zip:{PART}: tweet 1: created_at '2013-13-31 00:00:00 +0000' is not a date; X writes dates like",
        ),
        (
            'Grailbird.data.tweets_2013_01 = [{"id_str": "../1\\n", "text": "x"}]',
            f"g.zip:{PART}: a tweet's id_str '../1\\n' is not an id",
        ),
    ],
    ids=[
        "an object",
        "not objects",
        "no text",
        "nested",
        "javascript",
        "huge number",
        "no month",
        "cut short",
        "not utf-8",
        "bad date",
        "bad id",
    ],
)
def test_malformed_grailbird_parts(run, tmp_path, content, message):
    write_grailbird(tmp_path / "g.zip", [], override={PART: content})
    assert message in refused(run, tmp_path, "--archive", "g.zip")


@pytest.mark.parametrize(
    "name", ["data/js/tweets/2013_01.js", "data/js/user_details.js"], ids=["monthly part", "user_details.js"]
)
def test_grailbird_zip_bombs_are_refused_not_warned_about(run, tmp_path, name):
    write_grailbird(tmp_path / "g.zip", made_up_grailbird_tweets(3), override={name: b"0" * (5 * MB)})
    err = refused(run, tmp_path, "--archive", "g.zip", "--handle", "quill_wren")
    assert f"g.zip:{name}: inflates more than 100 times its packed size (a zip bomb?); " in err


def test_an_account_js_zip_bomb_is_refused_not_warned_about(run, tmp_path):
    write_archive(tmp_path / "a.zip", made_up_tweets(3), override={"data/account.js": b"0" * (5 * MB)})
    err = refused(run, tmp_path, "--archive", "a.zip", "--handle", "pixel_poet")
    assert "a.zip:data/account.js: inflates more than 100 times its packed size (a zip bomb?); " in err


def test_grailbird_total_size_is_capped(run, tmp_path, monkeypatch):
    write_grailbird(tmp_path / "g.zip", made_up_grailbird_tweets(400))
    monkeypatch.setenv("HF_TWEETS_ARCHIVE_MAX_BYTES", "300000")
    err = refused(run, tmp_path, "--archive", "g.zip")
    assert "g.zip:data/js/tweets/20" in err and "add up to more than 300,000 bytes" in err


@pytest.mark.parametrize("name", ["data/js/tweets/2013_01.js", "data/js/user_details.js"])
def test_grailbird_folder_does_not_follow_links_out_of_it(run, tmp_path, name):
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = write_grailbird(grailbird_at(tmp_path, False), made_up_grailbird_tweets(3), as_zip=False)
    (outside / "x.js").write_bytes((folder / name).read_bytes())
    (folder / name).unlink()
    (folder / name).symlink_to(outside / "x.js")
    err = refused(run, tmp_path, "--archive", "unpacked")
    assert f"unpacked:{name}: is a link to outside the archive folder; " in err


def test_a_bare_file_of_any_name_must_be_a_regular_file(run, tmp_path):
    os.mkfifo(tmp_path / "tweets.json")
    unblock = threading.Timer(5, lambda: os.close(os.open(tmp_path / "tweets.json", os.O_WRONLY)))
    unblock.start()
    try:
        err = refused(run, tmp_path, "--archive", "tweets.json", "--handle", "pixel_poet")
    finally:
        unblock.cancel()
    assert "tweets.json: is not a regular file; " in err


def test_lone_surrogates_in_a_grailbird_archive(run, tmp_path):
    tweets = [grailbird_tweet(1, "lone SURROGATE"), grailbird_tweet(2, "pair PAIR")]
    part = grailbird_js("Grailbird.data.tweets_2013_01", tweets)
    part = part.replace("SURROGATE", "\\ud800").replace("PAIR", "\\ud83c\\udf19")
    details = "var user_details = {screen_name: 'quill_wren', full_name: 'Quill \\udfff'}"
    write_grailbird(tmp_path / "g.zip", [], override={PART: part, "data/js/user_details.js": details})
    assert run("fetch", "--archive", "g.zip")[0] == 0
    texts = {p.id: p.text for p in load_posts(tmp_path / "data", "quill_wren")}
    assert texts == {"290000001": "lone \ufffd", "290000002": "pair 🌙"}
    assert load_profile(tmp_path / "data", "quill_wren").display_name == "Quill \ufffd"


@pytest.mark.parametrize(
    "account, warning",
    [
        ("window.YTD.account.part0 = " + "[{a: " * 5_000, "is nested too deeply"),
        ("window.YTD.account.part0 = [{account: {username: 1" + "1" * 5000 + "}}]", "is neither JSON nor a JavaS"),
        ("window.YTD.account.part0 = [{account: {username: 'pixel_poet'}}];;", "is neither JSON nor a JavaScript"),
        ("window.YTD.account.part0 = []", "has no account"),
        ("window.YTD.account.part0 = [{account: []}]", 'is not a list of {"account": {...}} objects'),
    ],
    ids=["nested", "huge number", "two semicolons", "empty list", "not an object"],
)
def test_a_hostile_account_js_gives_way_to_the_handle_option(run, tmp_path, account, warning):
    write_archive(tmp_path / "a.zip", made_up_tweets(3), override={"data/account.js": account})
    code, out, err = run("fetch", "--archive", "a.zip", "--handle", "pixel_poet")
    assert (code, out) == (0, "@pixel_poet: 3 new posts, 3 stored in data\n")
    line, hint = err.splitlines()
    assert line.startswith(f"warning: a.zip:data/account.js: {warning}") and line.endswith(
        "; used --handle @pixel_poet instead"
    )
    assert hint == "next: hf-tweets prepare pixel_poet"
