"""X archives of every generation: Grailbird (before 2019), a bare tweets file of any name, side files a code
formatter rewrote, and a side file that cannot be read (the posts still come in, with one warning line)."""

from __future__ import annotations

import json
import zipfile

import pytest

from hf_tweets.sources.posts import load_posts, load_profile
from hf_tweets.sources.x_archive import read_archive

from archive_factory import (
    formatted_js,
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

QUILL_AVATAR = "https://si0.twimg.com/profile_images/7/quill_wren_400x400.png"
NEXT = "next: hf-tweets prepare pixel_poet\n"  # fetch's last line: the command that goes on (cli.next_line)


def archive_at(tmp_path, as_zip: bool):
    target = tmp_path / ("g.zip" if as_zip else "unpacked")
    if not as_zip:
        target.mkdir()
    return target


def stored(tmp_path, handle: str) -> dict:
    return {p.id: p for p in load_posts(tmp_path / "data", handle)}


# --- Grailbird ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
def test_grailbird_archive(run, tmp_path, as_zip):
    target = write_grailbird(archive_at(tmp_path, as_zip), made_up_grailbird_tweets(50), as_zip=as_zip)
    code, out, err = run("fetch", "--archive", target.name)
    assert (code, out, err) == (
        0,
        "@quill_wren: 50 new posts, 50 stored in data\n",
        "next: hf-tweets prepare quill_wren\n",
    )
    posts = stored(tmp_path, "quill_wren")
    assert [sum(p.kind == k for p in posts.values()) for k in ("post", "retweet", "reply")] == [36, 7, 7]
    assert posts["290000000"].created_at == "2013-01-31T17:42:33Z"
    assert posts["290000000"].text == "My dream is a lighthouse that serves soup to passing ships. (#0)"
    assert min(p.created_at for p in posts.values()) == "2012-12-21T21:42:33Z"  # two months of parts
    profile = load_profile(tmp_path / "data", "quill_wren")
    assert (profile.handle, profile.display_name, profile.avatar, profile.source) == (
        "quill_wren",
        "Quill Wren",
        QUILL_AVATAR,
        "archive",
    )
    raw = "".join(p.read_text() for p in (tmp_path / "data" / "raw").iterdir())
    assert "MUST NOT" not in raw and "Nowhere" not in raw


def test_grailbird_kinds_and_escaped_text(tmp_path):
    tweets = [
        grailbird_tweet(1, "fish &amp; chips &lt;3"),
        grailbird_tweet(2, "shared this", retweet=True),
        grailbird_tweet(3, "thanks!", reply_to="friend"),
        grailbird_tweet(4, "a quote of a retweet"),
    ]
    tweets[3]["retweeted_status"] = grailbird_tweet(9, "the original")  # a retweet whose text has no "RT @"
    write_grailbird(tmp_path / "g.zip", tweets)
    profile, posts, skipped, unread = read_archive(tmp_path / "g.zip")
    kinds = {p.id: (p.kind, p.text) for p in posts}
    assert kinds == {
        "290000001": ("post", "fish &amp; chips &lt;3"),  # raw as stored; prepare unescapes
        "290000002": ("retweet", "RT @someone_else: shared this"),
        "290000003": ("reply", "@friend thanks!"),
        "290000004": ("retweet", "a quote of a retweet"),
    }
    assert (profile.handle, skipped, unread) == ("quill_wren", 0, [])


def test_grailbird_replies_can_be_left_out(run, tmp_path):
    write_grailbird(tmp_path / "g.zip", made_up_grailbird_tweets(14))
    assert run("fetch", "--archive", "g.zip", "--no-replies")[1] == "@quill_wren: 12 new posts, 12 stored in data\n"
    assert {p.kind for p in stored(tmp_path, "quill_wren").values()} == {"post", "retweet"}


@pytest.mark.parametrize(
    "details, name",
    [({"screen_name": "quill_wren"}, "Quill Wren"), ({"screen_name": "quill_wren", "full_name": ""}, "Quill Wren")],
    ids=["no full_name: the tweets' name", "empty full_name"],
)
def test_grailbird_display_name_falls_back_to_the_tweets(tmp_path, details, name):
    write_grailbird(
        tmp_path / "g.zip",
        made_up_grailbird_tweets(3),
        override={"data/js/user_details.js": grailbird_js("var user_details", details)},
    )
    assert read_archive(tmp_path / "g.zip").profile.display_name == name


def test_grailbird_without_user_details_takes_the_newest_tweets_user(run, tmp_path):
    tweets = [
        grailbird_tweet(1, "newest", user=grailbird_user("quill_wren", "Quill the Newer")),
        grailbird_tweet(900, "older", user=grailbird_user("quill_old", "Quill the Older")),
    ]
    write_grailbird(tmp_path / "g.zip", tweets, details=False)
    code, out, err = run("fetch", "--archive", "g.zip")
    assert (code, out, err) == (
        0,
        "@quill_wren: 2 new posts, 2 stored in data\n",
        "next: hf-tweets prepare quill_wren\n",
    )
    profile = load_profile(tmp_path / "data", "quill_wren")
    assert (profile.display_name, profile.avatar) == ("Quill the Newer", QUILL_AVATAR)


def test_grailbird_handle_option_must_match(run, tmp_path):
    write_grailbird(tmp_path / "g.zip", made_up_grailbird_tweets(3))
    assert run("fetch", "--archive", "g.zip", "--handle", "@Quill_Wren")[1].startswith("@quill_wren: 3 new posts")
    code, _, err = run("fetch", "--archive", "g.zip", "--handle", "someone")
    assert code == 1 and "is @quill_wren's archive, not @someone's; drop --handle or pick the right archive" in err


def test_a_modern_archive_with_a_grailbird_folder_left_in_it_is_read_as_modern(tmp_path, monkeypatch):
    old = write_grailbird(tmp_path / "old", made_up_grailbird_tweets(3), as_zip=False)
    files = {p.relative_to(old).as_posix(): p.read_text() for p in old.rglob("*") if p.is_file()}
    write_archive(tmp_path / "a.zip", made_up_tweets(5), override=files)
    opened = []
    real = zipfile.ZipFile.open
    monkeypatch.setattr(
        zipfile.ZipFile, "open", lambda self, name, *a, **k: opened.append(name.filename) or real(self, name, *a, **k)
    )
    profile, posts, _, _ = read_archive(tmp_path / "a.zip")
    assert (profile.handle, len(posts)) == ("pixel_poet", 5)
    assert sorted(opened) == ["data/account.js", "data/profile.js", "data/tweets.js"]


# --- a bare tweets file of any name -----------------------------------------------------------------------------------

BARE = {
    "modern, renamed": ("my-old-tweets.js", lambda: js("tweets", 0, made_up_tweets(4))),
    "modern part, renamed": ("tweets-part7 (copy).js", lambda: js("tweets", 7, made_up_tweets(4))),
    "modern, as .json": ("tweets.json", lambda: js("tweets", 0, made_up_tweets(4))),
    "a JSON array of {tweet}": ("export.json", lambda: json.dumps(made_up_tweets(4))),
    "a JSON array of tweets": ("export.json", lambda: json.dumps([t["tweet"] for t in made_up_tweets(4)])),
    "no suffix": ("tweets", lambda: js("tweets", 0, made_up_tweets(4))),
    "a .txt with a trailing ;": ("backup.txt", lambda: js("tweets", 0, made_up_tweets(4)) + ";\n"),
    "Grailbird month, renamed": ("jan.js", lambda: grailbird_js("Grailbird.data.tweets_2013_01", GRAIL4)),
}
GRAIL4 = [grailbird_tweet(i, f"made up post {i}", user=grailbird_user("pixel_poet")) for i in range(4)]


@pytest.mark.parametrize("name, content", BARE.values(), ids=BARE.keys())
def test_a_bare_tweets_file_of_any_name_with_handle(run, tmp_path, name, content):
    (tmp_path / name).write_text(content(), encoding="utf-8")
    code, out, err = run("fetch", "--archive", name, "--handle", "pixel_poet")
    assert (code, out, err) == (0, "@pixel_poet: 4 new posts, 4 stored in data\n", NEXT)
    assert len(stored(tmp_path, "pixel_poet")) == 4


@pytest.mark.parametrize(
    "name, content",
    [v for k, v in BARE.items() if not k.startswith("Grailbird")],
    ids=[k for k in BARE if not k.startswith("Grailbird")],
)
def test_a_bare_modern_file_without_handle_asks_for_one(run, tmp_path, name, content):
    (tmp_path / name).write_text(content(), encoding="utf-8")
    code, out, err = run("fetch", "--archive", name)
    assert (code, out) == (1, "")
    assert err == f"hf-tweets: error: {name}: has no data/account.js to say whose posts these are; add --handle NAME\n"
    assert not (tmp_path / "data").exists()


def test_a_bare_grailbird_month_says_whose_it_is(run, tmp_path):
    (tmp_path / "2013_01.js").write_text(grailbird_js("Grailbird.data.tweets_2013_01", GRAIL4), encoding="utf-8")
    assert run("fetch", "--archive", "2013_01.js") == (0, "@pixel_poet: 4 new posts, 4 stored in data\n", NEXT)
    profile = load_profile(tmp_path / "data", "pixel_poet")
    assert profile.avatar == "https://si0.twimg.com/profile_images/7/pixel_poet_400x400.png"


def test_a_zip_of_any_name_is_read_as_a_zip(run, tmp_path):
    write_archive(tmp_path / "a.zip", made_up_tweets(3))
    (tmp_path / "a.zip").rename(tmp_path / "twitter-2021-03-03-download")
    assert run("fetch", "--archive", "twitter-2021-03-03-download")[1] == "@pixel_poet: 3 new posts, 3 stored in data\n"


@pytest.mark.parametrize(
    "content, message",
    [
        ("alert('hi')", "does not start with window.YTD.<name>.partN = [...], Grailbird.data.tweets_YYYY_MM = [...]"),
        ("", "does not start with window.YTD.<name>.partN = [...], Grailbird.data.tweets_YYYY_MM = [...]"),
        ('{"tweet": {}}', "does not start with window.YTD.<name>.partN = [...], Grailbird.data.tweets_YYYY_MM = [...]"),
        ("[1, 2]", "notes.md: is not a list of tweets; is it the right file?"),
        ('[{"tweet": {"id_str": "1", "full_text": "x"}}, {"id_str": "2"}]', 'notes.md: is not a list of {"tweet"'),
    ],
    ids=["javascript", "empty", "an object", "numbers", "mixed shapes"],
)
def test_a_bare_file_that_is_no_tweets_file(run, tmp_path, content, message):
    (tmp_path / "notes.md").write_text(content, encoding="utf-8")
    code, out, err = run("fetch", "--archive", "notes.md", "--handle", "pixel_poet")
    assert (code, out) == (1, "") and message in err and err.count("\n") == 1


# --- side files a code formatter rewrote ------------------------------------------------------------------------------


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
def test_formatted_account_and_profile_are_read_as_data(run, tmp_path, as_zip):
    target = archive_at(tmp_path, as_zip)
    write_archive(target, made_up_tweets(5), display="Pixel 'the' Poet", formatted=True, as_zip=as_zip)
    assert "username: 'pixel_poet'," in (
        zipfile.ZipFile(target).read("data/account.js").decode() if as_zip else (target / "data/account.js").read_text()
    )
    code, out, err = run("fetch", "--archive", target.name)
    assert (code, out, err) == (0, "@pixel_poet: 5 new posts, 5 stored in data\n", NEXT)
    profile = load_profile(tmp_path / "data", "pixel_poet")
    assert (profile.display_name, profile.avatar) == (
        "Pixel 'the' Poet",
        "https://pbs.twimg.com/profile_images/1/pixel_poet_400x400.jpg",
    )


def test_formatted_user_details_is_read_as_data(tmp_path):
    details = "var user_details = {\n  screen_name: 'quill_wren',\n  full_name: 'Quill \\'Q\\' Wren', // me\n};\n"
    write_grailbird(tmp_path / "g.zip", made_up_grailbird_tweets(3), override={"data/js/user_details.js": details})
    archive = read_archive(tmp_path / "g.zip")
    assert (archive.profile.handle, archive.profile.display_name, archive.unread) == (
        "quill_wren",
        "Quill 'Q' Wren",
        [],
    )


# --- a side file that cannot be read: the posts still come in, with one warning -------------------------------------

UNREADABLE = "window.YTD.account.part0 = [{account: {username: 'pixel_poet'"  # cut short


def modern_with(name: str, text: str):
    return lambda target: write_archive(target, made_up_tweets(5), override={name: text})


def grailbird_with(text: str, user: dict | None = None):
    return lambda target: write_grailbird(
        target, made_up_grailbird_tweets(5, user), override={"data/js/user_details.js": text}
    )


SIDE_FILES = [
    (
        modern_with("data/account.js", UNREADABLE),
        ["--handle", "pixel_poet"],
        "pixel_poet",
        "warning: a.zip:data/account.js: is neither JSON nor a JavaScript object literal (line 1: Unexpected end of"
        " input at column 62); used --handle @pixel_poet instead\n",
    ),
    (
        modern_with("data/account.js", "window.YTD.account.part0 = [{account: {username: '../../x'}}]"),
        ["--handle", "pixel_poet"],
        "pixel_poet",
        "warning: a.zip:data/account.js: username '../../x' is not an X handle; used --handle @pixel_poet instead\n",
    ),
    (
        modern_with("data/profile.js", "window.YTD.profile.part0 = {profile: }"),
        [],
        "pixel_poet",
        'warning: a.zip:data/profile.js: is neither JSON nor a JavaScript object literal (line 1: Unexpected "}" at'
        " column 38); the avatar is left out\n",
    ),
    (
        modern_with("data/profile.js", "window.YTD.profile.part0 = [{'profile': 'none'}]"),
        [],
        "pixel_poet",
        'warning: a.zip:data/profile.js: is not a list of {"profile": {...}} objects; the avatar is left out\n',
    ),
    (
        grailbird_with("var user_details = {screen_name: 'quill_wren',,}"),
        [],
        "quill_wren",
        "warning: a.zip:data/js/user_details.js: is neither JSON nor a JavaScript object literal (line 1: Unexpected"
        ' "}" at column 48); used @quill_wren from the tweets instead\n',
    ),
    (
        grailbird_with("var user_details = {screen_name: 'quill_wren',,}", grailbird_user("../../x")),
        ["--handle", "quill_wren"],
        "quill_wren",
        "warning: a.zip:data/js/user_details.js: is neither JSON nor a JavaScript object literal (line 1: Unexpected"
        ' "}" at column 48); used --handle @quill_wren instead\n'
        "warning: a.zip:data/js/tweets/2013_01.js: the tweets' user.screen_name '../../x' is not an X handle;"
        " used --handle @quill_wren instead\n",
    ),
]


@pytest.mark.parametrize(
    "make, args, handle, warning",
    SIDE_FILES,
    ids=[
        "account.js cut short",
        "account.js with a bad username",
        "profile.js broken",
        "profile.js of the wrong shape",
        "user_details.js broken",
        "user_details.js broken, tweets' user bad",
    ],
)
def test_an_unreadable_side_file_does_not_stop_the_posts(run, tmp_path, make, args, handle, warning):
    make(tmp_path / "a.zip")
    code, out, err = run("fetch", "--archive", "a.zip", *args)
    assert (code, out, err) == (
        0,
        f"@{handle}: 5 new posts, 5 stored in data\n",
        f"{warning}next: hf-tweets prepare {handle}\n",
    )
    assert len(stored(tmp_path, handle)) == 5
    profile = load_profile(tmp_path / "data", handle)
    assert profile.avatar is None or "profile.js" not in warning


@pytest.mark.parametrize(
    "make, message",
    [
        (
            modern_with("data/account.js", UNREADABLE),
            "a.zip:data/account.js: is neither JSON nor a JavaScript object literal (line 1: Unexpected end of input"
            " at column 62); add --handle NAME to say whose posts these are",
        ),
        (
            grailbird_with("var user_details = [1]", grailbird_user("../../x")),
            "a.zip:data/js/user_details.js: is not an object {...}; add --handle NAME to say whose posts these are",
        ),
    ],
    ids=["account.js", "user_details.js and the tweets' user"],
)
def test_without_handle_an_unreadable_account_is_one_error_naming_the_file(run, tmp_path, make, message):
    make(tmp_path / "a.zip")
    code, out, err = run("fetch", "--archive", "a.zip")
    assert (code, out, err) == (1, "", f"hf-tweets: error: {message}\n")
    assert not (tmp_path / "data").exists()


def test_a_large_side_file_is_not_read_leniently(run, tmp_path):
    padded = "window.YTD.account.part0 = [{account: {username: 'pixel_poet', bio: '" + "x" * 300_000 + "'}}]"
    write_archive(tmp_path / "a.zip", made_up_tweets(3), override={"data/account.js": padded})
    code, out, err = run("fetch", "--archive", "a.zip", "--handle", "pixel_poet")
    assert (code, out) == (0, "@pixel_poet: 3 new posts, 3 stored in data\n")
    assert err.startswith("warning: a.zip:data/account.js: is not valid JSON (Expecting property name enclosed in")
    assert err.endswith(
        "), and at 300,046 characters too long to read as a JavaScript object literal; used --handle @pixel_poet"
        " instead\n" + NEXT
    )


@pytest.mark.parametrize("word, parts", [("tweets", 3), ("tweet", 3)])
def test_numbered_parts_still_work_with_formatted_side_files(run, tmp_path, word, parts):
    write_archive(tmp_path / "a.zip", made_up_tweets(30), word=word, parts=parts, formatted=True)
    names = zipfile.ZipFile(tmp_path / "a.zip").namelist()
    assert f"data/{word}-part2.js" in names
    assert run("fetch", "--archive", "a.zip")[1] == "@pixel_poet: 30 new posts, 30 stored in data\n"


def test_lone_surrogates_in_a_formatted_side_file(run, tmp_path):
    account = formatted_js("account", 0, [{"account": {"username": "pixel_poet", "accountDisplayName": "Pix NAME"}}])
    write_archive(
        tmp_path / "a.zip",
        [tweet(1, "made up post")],
        override={"data/account.js": account.replace("NAME", "\\udfff")},
    )
    assert run("fetch", "--archive", "a.zip")[0] == 0
    assert load_profile(tmp_path / "data", "pixel_poet").display_name == "Pix \ufffd"


def test_a_formatted_tweet_part_is_refused_naming_it(run, tmp_path):
    """Tweet parts stay strict JSON (JSON5 would read a large one in minutes); the error names the part."""
    write_archive(tmp_path / "a.zip", [], override={"data/tweets.js": formatted_js("tweets", 0, made_up_tweets(3))})
    code, out, err = run("fetch", "--archive", "a.zip")
    assert (code, out) == (1, "")
    assert err == (
        "hf-tweets: error: a.zip:data/tweets.js: the array after '=' is not valid JSON (Expecting property name"
        " enclosed in double quotes at char 10); the file is damaged\n"
    )
