"""Mastodon: the API through the real Mastodon.py client replaying recordings (vcrpy), and the archive reader.

The recordings in ../shared/fixtures/mastodon/api-cassettes are real (Mastodon.py's own test suite,
against a real server at http://localhost:3000): they are replayed as they are, for counts and
shapes. Ours in cassettes/mastodon (make_cassettes.py) add what they lack, about made-up people.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import zipfile
from pathlib import Path

import pytest
import vcr
import yaml
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from hf_tweets.errors import SourceError
from hf_tweets.platforms import Account
from hf_tweets.sources import registry
from hf_tweets.sources.mastodon_html import _own, _parsed, _tidy, to_text
from hf_tweets.sources.posts import load_posts, load_profile, raw_path

from mastodon_factory import (
    PUBLIC,
    actor,
    add_member,
    announce,
    create,
    expected,
    made_up_activities,
    members,
    outbox,
    write_archive,
)

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "mastodon"
REAL_CASSETTES, REAL_ARCHIVE = SHARED / "api-cassettes", SHARED / "archive"
OURS = Path(__file__).parent / "cassettes" / "mastodon"
TOKEN = "made-up-mastodon-token-0123456789"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="the shared fixtures are not beside the repo")

replay = vcr.VCR(record_mode="none", match_on=["method", "scheme", "host", "port", "path", "query"])


# --- HTML to text -------------------------------------------------------------------------------------------------

MENTION = (
    '<span class="h-card" translate="no"><a href="https://other.example/@bob" class="u-url mention">'
    "@<span>bob</span></a></span>"
)
REMOTE = (
    '<span class="h-card" translate="no"><a href="https://far.example/@carol" class="u-url mention">'
    "@<span>carol@far.example</span></a></span>"
)
TAG = '<a href="https://example.social/tags/soup" class="mention hashtag" rel="tag">#<span>soup</span></a>'
LINK = (
    '<a href="https://blog.example/posts/2023/lighthouse" target="_blank" rel="nofollow noopener noreferrer"'
    ' translate="no"><span class="invisible">https://</span><span class="ellipsis">blog.example/posts/2023</span>'
    '<span class="invisible">/lighthouse</span></a>'
)
SHORT_LINK = (
    '<a href="https://blog.example" target="_blank" rel="nofollow noopener noreferrer" translate="no">'
    '<span class="invisible">https://</span><span class="">blog.example</span><span class="invisible"></span></a>'
)


@pytest.mark.parametrize(
    "html, emojis, text",
    [
        ("<p>Soup number 9!</p>", (), "Soup number 9!"),
        (f"<p>{MENTION} the lighthouse serves soup</p>", (), "@bob the lighthouse serves soup"),
        (f"<p>{MENTION} {REMOTE} hello</p>", (), "@bob @carol@far.example hello"),
        (f"<p>Soup again {TAG}</p>", (), "Soup again #soup"),
        (f"<p>Read this {LINK} today</p>", (), "Read this today"),
        (f"<p>Bakes bread; blog at {SHORT_LINK}; hello</p>", (), "Bakes bread; blog at ; hello"),
        ('<p>see <a href="https://blog.example/soup">my soup notes</a></p>', (), "see my soup notes"),
        ('<p><a href="https://blog.example/soup">blog.example/soup</a> ok</p>', (), "ok"),
        ("<p>one<br />two<br>three</p>", (), "one\ntwo\nthree"),
        ("<p>one</p><p>two</p>", (), "one\n\ntwo"),
        ("<p>I&#39;m &amp; &quot;x&quot; &lt;3 &gt;</p>", (), 'I\'m & "x" <3 >'),
        ("<p>soup :blobcat: time :other:</p>", ("blobcat",), "soup time :other:"),
        ("<p>ratio 3:2:1 at 10:30</p>", ("blobcat",), "ratio 3:2:1 at 10:30"),
        ("<p>a<script>alert(1)</script>b<style>p{}</style></p>", (), "ab"),
        ('<p>x <span class="invisible">hidden</span>y</p>', (), "x y"),
        ("<p><span>unclosed <b>bold", (), "unclosed bold"),
        ("<p>stray</b></span> end</p>", (), "stray end"),
        ("a</p>b", (), "a\n\nb"),  # a stray </p> is an empty paragraph, as browsers show it
        ("<p>line\nwrapped   in  source</p>", (), "line wrapped in source"),
        ("<p>fish &amp chips &amp", (), "fish & chips &"),  # text ending in what might be an entity
        ('<p>cut <a href="https://x.example/a>never closed', (), "cut"),  # a tag cut off by the end: dropped
        ('<a href="' * 20_000, (), ""),  # read in linear time: html.parser's close() would take minutes
        ("<p>a < b</p>", (), "a < b"),
        ("<!-- a comment -->text<!-- cut off", (), "text"),
        ("<p>\ud800 lone</p>", (), "\ufffd lone"),
        ("<p>&#xD800; entity</p>", (), "\ufffd entity"),
        ("<ul><li>one</li><li>two</li></ul><p>after</p>", (), "one\ntwo\n\nafter"),
        ("plain text, no tags", (), "plain text, no tags"),
        ("", (), ""),
        (None, (), ""),
        (12, (), ""),
    ],
)
def test_html_to_text(html, emojis, text):
    assert to_text(html, emojis) == text


def parsed(content: str) -> str:
    """The text html.parser gives (to_text's path for any HTML but Mastodon's own markup)."""
    return _tidy(_parsed(content))


WORDS = st.lists(
    st.sampled_from(["a", "b", " ", "é", "\n", "\t", ":", ";", "#", "@", "🍲", "&amp;", "&#39;", "&lt;", "&quot;"]),
    min_size=1,
).map("".join)
OWN_MARKUP = st.lists(
    st.one_of(
        WORDS,
        st.sampled_from(["<p>", "</p>", "<br />", "<br>", "<br/>"]),
        WORDS.map(lambda user: MENTION.replace("<span>bob</span>", f"<span>{user}</span>")),
        WORDS.map(lambda tag: TAG.replace("<span>soup</span>", f"<span>{tag}</span>")),
        WORDS.map(lambda shown: LINK.replace("blog.example/posts/2023<", f"{shown}<")),
        st.just(SHORT_LINK),
    )
).map("".join)


@given(OWN_MARKUP)
@hypothesis_settings(max_examples=300, deadline=None)
def test_mastodons_own_markup_takes_the_fast_path_to_the_same_text(content):
    assert _own(content) is not None
    assert to_text(content) == parsed(content)


@given(st.lists(st.one_of(OWN_MARKUP, st.sampled_from(["&", "<", "&am", "p;", "<b>", "</span>", "<p class=x>"]))))
@hypothesis_settings(max_examples=300, deadline=None)
@pytest.mark.slow
def test_any_html_gives_what_html_parser_gives(pieces):
    content = "".join(pieces)
    assert to_text(content) == parsed(content)


@needs_shared
def test_html_of_the_real_archive_has_no_tags_or_entities_left():
    with zipfile.ZipFile(REAL_ARCHIVE / "mastodon-export.zip") as archive:
        items = json.loads(archive.read("outbox.json"))["orderedItems"]
    texts = [to_text(item["object"]["content"]) for item in items]
    assert len(texts) == 18 and all(texts)
    assert not any("<" in t and ">" in t or "&#39;" in t or "&amp;" in t or "https://" in t for t in texts)
    mentions = [t for t in texts if t.startswith("@")]
    assert len(mentions) == 14 and sum("#" in t for t in texts) == 1


# --- the archive --------------------------------------------------------------------------------------------------

KINDS = ["zip", "tar.gz", "folder"]


def make_archive(tmp_path: Path, activities: list[dict], kind: str = "zip", **options) -> Path:
    target = tmp_path / {"zip": "archive.zip", "tar.gz": "archive.tar.gz", "folder": "archive"}[kind]
    if kind == "folder":
        target.mkdir()
    return write_archive(target, activities, kind=kind, **options)


@pytest.mark.parametrize("kind", ["tar.bz2", "tar.xz", "tar"])
def test_a_tar_in_any_compression_tarfile_reads_is_read_as_the_tar_gz_is(run, tmp_path, kind):
    """Mastodon writes .tar.gz; a person who repacked it (bzip2, xz, none) gets the same posts, not "damaged"."""
    activities = made_up_activities(30)
    make_archive(tmp_path, activities, "tar.gz")
    assert run("fetch", "--archive", str(tmp_path / "archive.tar.gz"), "--data-dir", "gz")[0] == 0
    target = write_archive(tmp_path / f"repacked.{kind}", activities, kind=kind)
    code, out, err = run("fetch", "--archive", str(target), "--data-dir", "data")
    assert code == 0, err
    assert stored(tmp_path) == load_posts(tmp_path / "gz", Account("mastodon", "alice@example.social"))
    assert len(stored(tmp_path)) > 0


def stored(tmp_path: Path, handle: str = "alice@example.social"):
    return load_posts(tmp_path / "data", Account("mastodon", handle))


@needs_shared
def test_the_real_export_through_the_cli(run, tmp_path):
    code, out, err = run("fetch", "--archive", str(REAL_ARCHIVE / "mastodon-export.zip"))
    assert (code, err) == (0, "next: hf-tweets prepare lmorchard-at-toot-lmorchard-com\n")
    assert out == "@lmorchard@toot.lmorchard.com: 18 new posts, 18 stored in data\n"
    posts = stored(tmp_path, "lmorchard@toot.lmorchard.com")
    assert [p.kind for p in posts].count("reply") == 4 and not any(p.cw for p in posts)
    assert posts[-1].id == "109318097085292765" and posts[-1].created_at == "2022-11-10T06:29:44Z"
    assert posts[0].created_at == "2023-07-07T23:25:48Z"
    profile = json.loads((tmp_path / "data" / "raw" / "lmorchard_at_toot.lmorchard.com.user.json").read_text())
    assert profile == {
        "handle": "lmorchard@toot.lmorchard.com",
        "display_name": "Les Orchard",
        "avatar": None,  # avatar.png inside the archive: not a URL a card can show
        "source": "archive",
        "platform": "mastodon",
        "consent": "self",
    }
    export = str(REAL_ARCHIVE / "mastodon-export.zip")
    code, out, _ = run("fetch", "--archive", export, "--no-replies", "--data-dir", "b")
    assert out == "@lmorchard@toot.lmorchard.com: 14 new posts, 14 stored in b\n"


@needs_shared
@pytest.mark.parametrize("kind", ["tar.gz", "folder"])
def test_the_real_standalone_files_whose_total_items_lies(tmp_path, kind):
    from hf_tweets.sources.mastodon_archive import read_archive

    files = {name: (REAL_ARCHIVE / name).read_bytes() for name in ("outbox.json", "actor.json")}
    assert json.loads(files["outbox.json"])["totalItems"] == 1
    target = tmp_path / ("a.tar.gz" if kind == "tar.gz" else "a")
    if kind == "folder":
        target.mkdir()
        for name, data in files.items():
            (target / name).write_bytes(data)
    else:
        with tarfile.open(target, "w:gz") as archive:
            for name, data in files.items():
                add_member(archive, name, data)
    archive = read_archive(target)
    assert archive.profile.handle == "lmorchard@mastodon.social" and archive.profile.platform == "mastodon"
    assert archive.profile.display_name == "Les Orchard 🕹️🔧🐱🐰"
    assert [p.created_at for p in archive.posts] == ["2016-11-01T19:18:43Z", "2016-11-27T23:56:46Z"]
    assert [p.id for p in archive.posts] == ["55864", "237393"] and archive.posts[0].text == "Hello world!"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("replies", [True, False], ids=["with replies", "without replies"])
def test_synthetic_archives_keep_only_public_posts(tmp_path, kind, replies):
    from hf_tweets.sources.mastodon_archive import read_archive

    activities = made_up_activities(300)
    archive = read_archive(make_archive(tmp_path, activities, kind), include_replies=replies)
    want = expected(300, replies)
    kinds = [p.kind for p in archive.posts]
    three = ("post", "retweet", "reply")
    assert {k: kinds.count(k) for k in three} == {k: want[k] for k in three}
    assert sum(p.cw for p in archive.posts) == want["cw"] > 0 and archive.skipped == want["skipped"]
    private = {str(110_000_000_000_100_000 - i) for i in range(300) if i % 13 == 6 or i % 17 == 8}
    assert len(private) > 30 and not private & {p.id for p in archive.posts}
    assert archive.profile.handle == "alice@example.social" and archive.profile.display_name == "Alice Example"
    assert archive.profile.avatar is None and archive.unread == []


def test_what_a_synthetic_post_becomes(tmp_path):
    from hf_tweets.sources.mastodon_archive import read_archive

    activities = [
        create(0, "<p>Soup &amp; bread<br />at noon :blobcat: " + TAG + "</p>", emojis=("blobcat",)),
        create(1, f"<p>{MENTION} yes {LINK}</p>", visibility="unlisted", reply_to="https://other.example/s/1"),
        create(2, "<p>The ending of the soup film</p>", cw="film spoilers"),
        announce(3),
        create(4, "<p>only my followers</p>", visibility="private"),
        create(5, "<p>only bob</p>", visibility="direct"),
        announce(6, visibility="private"),
    ]
    posts = read_archive(make_archive(tmp_path, activities)).posts
    assert [(p.id, p.created_at, p.text, p.kind, p.cw) for p in posts] == [
        ("110000000000100000", "2023-03-03T16:17:23Z", "Soup & bread\nat noon #soup", "post", False),
        ("110000000000099999", "2023-03-03T15:17:23Z", "@bob yes", "reply", False),
        ("110000000000099998", "2023-03-03T14:17:23Z", "The ending of the soup film", "post", True),
        (
            "110000000000099997",
            "2023-03-03T13:17:23Z",
            "https://other.example/users/bob/statuses/900003",
            "retweet",
            False,
        ),
    ]


@pytest.mark.parametrize(
    "to, cc, public",
    [
        ([PUBLIC], [], True),
        ([], [PUBLIC], True),  # unlisted: anyone who opens the profile sees it
        (["as:Public"], [], True),
        (PUBLIC, "https://example.social/users/alice/followers", True),  # a bare string, as JSON-LD allows
        (["https://example.social/users/alice/followers"], [], False),
        (["https://other.example/users/bob"], [], False),
        ([], [], False),
        (None, None, False),
        ([{"id": PUBLIC}], [], False),
        ("https://www.w3.org/ns/activitystreams#Publicity", [], False),
    ],
)
def test_visibility_comes_from_to_and_cc(tmp_path, to, cc, public):
    from hf_tweets.sources.mastodon_archive import read_archive

    item = create(0, "<p>soup</p>")
    item["to"] = item["object"]["to"] = to
    item["cc"] = item["object"]["cc"] = cc
    posts = read_archive(make_archive(tmp_path, [item, create(1, "<p>public</p>")])).posts
    assert [p.text for p in posts] == ["soup", "public"][1 - public :]


def test_the_note_and_its_activity_must_both_be_public(tmp_path):
    from hf_tweets.sources.mastodon_archive import read_archive

    item = create(0, "<p>soup</p>")
    item["object"]["to"], item["object"]["cc"] = ["https://example.social/users/alice/followers"], []
    with pytest.raises(SourceError, match="has no public posts"):
        read_archive(make_archive(tmp_path, [item]))


def test_other_activities_are_left_out_and_total_items_is_not_believed(tmp_path):
    from hf_tweets.sources.mastodon_archive import read_archive

    others = [{"type": "Like", "object": "https://x.example/1"}, {"type": 5}, {"id": "x", "type": "Delete"}, {}]
    outbox = {"type": "OrderedCollection", "totalItems": 10**18, "orderedItems": [*others, create(0, "<p>hi</p>")]}
    archive = read_archive(make_archive(tmp_path, [], outbox_json=json.dumps(outbox).encode()))
    assert [p.text for p in archive.posts] == ["hi"]


@pytest.mark.parametrize("kind", KINDS)
def test_only_outbox_and_actor_are_opened(tmp_path, monkeypatch, kind):
    from hf_tweets.sources.mastodon_archive import read_archive

    target = make_archive(tmp_path, made_up_activities(20), kind)
    opened = []
    real_zip_open, real_extract, real_os_open = zipfile.ZipFile.open, tarfile.TarFile.extractfile, os.open

    def zip_open(self, member, *args, **kwargs):
        opened.append(getattr(member, "filename", member))
        return real_zip_open(self, member, *args, **kwargs)

    def extractfile(self, member):
        opened.append(getattr(member, "name", member))
        return real_extract(self, member)

    def os_open(path, *args, **kwargs):  # a folder's files (the archive file itself is opened too)
        if Path(path).resolve() != target.resolve():
            opened.append(Path(path).resolve().relative_to(target.resolve()).as_posix())
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", zip_open)
    monkeypatch.setattr(tarfile.TarFile, "extractfile", extractfile)
    monkeypatch.setattr(os, "open", os_open)
    read_archive(target)
    assert sorted(opened) == ["actor.json", "outbox.json"]


@pytest.mark.parametrize(
    "make, recognised",
    [
        (lambda p: make_archive(p, made_up_activities(3), "zip"), True),
        (lambda p: make_archive(p, made_up_activities(3), "tar.gz"), True),
        (lambda p: make_archive(p, made_up_activities(3), "folder"), True),
        (lambda p: write_zip(p / "x.zip", {"data/tweets.js": "window.YTD.tweets.part0 = []"}), False),
        (lambda p: write_zip(p / "x.zip", {"outbox.json": "{}"}), False),
        (lambda p: write_zip(p / "x.zip", {"a/outbox.json": "{}", "a/actor.json": "{}"}), True),
        (lambda p: write_zip(p / "x.zip", {"a/outbox.json": "{}", "b/actor.json": "{}"}), False),
        (lambda p: write_file(p / "x.zip", b"PK\x03\x04 but not a zip"), False),
        (lambda p: write_file(p / "notes.txt", b"just text"), False),
        (lambda p: write_file(p / "outbox.json", b"{}"), False),
    ],
    ids=["zip", "tar.gz", "folder", "x archive", "no actor", "one folder down", "apart", "broken zip", "text", "json"],
)
def test_recognised_by_content(tmp_path, make, recognised):
    from hf_tweets.sources import mastodon_archive

    path = make(tmp_path)
    assert mastodon_archive.recognises(path) is recognised
    if recognised:
        assert registry.export_reader(path) is mastodon_archive


def write_zip(path: Path, files: dict) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def write_file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def write_tar(path: Path, entries: list[tuple], files: dict | None = None) -> Path:
    """A .tar.gz of the good outbox.json and actor.json (or ``files``), then ``entries`` (add_member's arguments)."""
    with tarfile.open(path, "w:gz") as archive:
        for name, data in (files or members(made_up_activities(5), extras=False)).items():
            add_member(archive, name, data)
        for entry in entries:
            add_member(archive, *entry)
    return path


def linked_out(folder: Path) -> Path:
    (folder.parent / "elsewhere.json").write_bytes((folder / "outbox.json").read_bytes())
    (folder / "outbox.json").unlink()
    (folder / "outbox.json").symlink_to(folder.parent / "elsewhere.json")
    return folder


def outbox_of(text: str | bytes) -> dict:
    return {"outbox_json": text.encode() if isinstance(text, str) else text}


GOOD = json.dumps({"type": "OrderedCollection", "orderedItems": [create(0, "<p>hi</p>")]})


def bomb() -> bytes:
    return b'{"type": "OrderedCollection", "orderedItems": [' + b" " * 30_000_000 + b"]}"


def bobs(shape: str) -> list[dict]:
    """Bob's activities (his posts, in alice's archive), naming him in ``shape``."""
    activities = made_up_activities(3, user="bob")
    for activity in activities:
        bob = activity["actor"]
        if shape == "object":
            activity["actor"] = {"id": bob, "type": "Person"}
        elif shape == "list":
            activity["actor"] = [{"id": bob}]
        elif shape == "absent":  # only the Note's attributedTo (a boost has nothing else: named by a Create only)
            del activity["actor"]
            if not isinstance(activity["object"], dict):
                activity["actor"] = bob
    return activities


def alices_with_actor(value: object) -> bytes:
    return json.dumps(outbox(made_up_activities(3)) | {"actor": value}).encode()


def zip_entries(path: Path, entries: list[tuple[str, bytes]]) -> Path:
    """A zip of ``entries`` in order, a name given twice if it is (zipfile warns, and writes both)."""
    import warnings

    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as archive:
        warnings.simplefilter("ignore")
        for name, data in entries:
            archive.writestr(name, data)
    return path


ALICES = members(made_up_activities(3), extras=False)
BOB_ID = "https://example.social/users/bob"
NOT_ALICES = f"outbox.json holds the posts of '{BOB_ID}', not of actor.json's account"

HOSTILE = {
    "bob's posts, his actor an object": (lambda p: make_archive(p, bobs("object")), NOT_ALICES),
    "bob's posts, his actor a list": (lambda p: make_archive(p, bobs("list")), NOT_ALICES),
    "bob's posts, no actor but attributedTo": (lambda p: make_archive(p, bobs("absent")), NOT_ALICES),
    "an outbox that names bob at its top": (
        lambda p: make_archive(p, [], outbox_json=alices_with_actor(BOB_ID)),
        NOT_ALICES,
    ),
    "an activity without an actor": (
        lambda p: make_archive(
            p, [], **outbox_of(json.dumps(outbox([{"type": "Announce", "object": "x", "to": [PUBLIC]}])))
        ),
        "orderedItems[0] names no actor (whose post it is)",
    ),
    "an actor object without an id": (
        lambda p: make_archive(p, [dict(create(0, "<p>hi</p>"), actor={"type": "Person"})]),
        "outbox.json holds the posts of \"an actor without an id ({'type': 'Person'})\", not of actor.json's",
    ),
    "outbox and actor in two folders of a tar": (
        lambda p: write_tar(
            p / "a.tar.gz", [], {"a/outbox.json": ALICES["outbox.json"], "b/actor.json": ALICES["actor.json"]}
        ),
        "a.tar.gz:b/actor.json: is not beside the archive's other file (in a/, this one in b/)",
    ),
    "two outbox.json in a zip": (
        lambda p: zip_entries(p / "a.zip", [*ALICES.items(), ("outbox.json", ALICES["outbox.json"])]),
        "a.zip: holds outbox.json twice; give one person's archive as Mastodon made it",
    ),
    "two archives in a zip": (
        lambda p: zip_entries(p / "a.zip", [(f"{d}/{n}", data) for d in ("a", "b") for n, data in ALICES.items()]),
        "a.zip: holds two archives (a/ and b/)",
    ),
    "NaN in the outbox": (
        lambda p: make_archive(
            p, [], **outbox_of(GOOD.replace('"type": "OrderedCollection"', '"n": NaN, "type": "OrderedCollection"'))
        ),
        "outbox.json: is not valid JSON (NaN is not a JSON number)",
    ),
    "Infinity in an activity": (
        lambda p: make_archive(
            p, [], **outbox_of(GOOD.replace('"type": "Create"', '"n": -Infinity, "type": "Create"'))
        ),
        "outbox.json: is not valid JSON (-Infinity is not a JSON number)",
    ),
    "orderedItems twice": (
        lambda p: make_archive(p, [], **outbox_of(GOOD[:-1] + ', "orderedItems": []}')),
        "outbox.json: has 'orderedItems' twice (which one is the outbox?)",
    ),
    "a username twice in actor.json": (
        lambda p: make_archive(
            p, made_up_activities(3), actor_json=json.dumps(actor())[:-1].encode() + b', "preferredUsername": "bob"}'
        ),
        "actor.json: has the key 'preferredUsername' twice in one object",
    ),
    "not a tar.gz": (lambda p: write_file(p / "a.tar.gz", b"\x1f\x8b\x08\x00 damaged"), "a.tar.gz: is damaged"),
    "zip bomb": (lambda p: make_archive(p, [], **outbox_of(bomb())), "inflates more than 100 times its packed size"),
    "tar.gz bomb": (lambda p: make_archive(p, [], "tar.gz", **outbox_of(bomb())), "inflates more than 100 times"),
    "../ in a tar": (lambda p: write_tar(p / "a.tar.gz", [("../evil.json", b"{}")]), "leaves the archive"),
    "absolute path": (lambda p: write_tar(p / "a.tar.gz", [("/etc/evil.json", b"{}")]), "leaves the archive"),
    "symlink": (
        lambda p: write_tar(p / "a.tar.gz", [("outbox.json", b"", tarfile.SYMTYPE, "/etc/passwd")], {}),
        "a.tar.gz:outbox.json: is a link",
    ),
    "hard link": (lambda p: write_tar(p / "a.tar.gz", [("x", b"", tarfile.LNKTYPE, "actor.json")]), "x: is a link"),
    "device": (lambda p: write_tar(p / "a.tar.gz", [("dev", b"", tarfile.CHRTYPE)]), "dev: is a device or FIFO"),
    "fifo": (lambda p: write_tar(p / "a.tar.gz", [("fifo", b"", tarfile.FIFOTYPE)]), "fifo: is a device or FIFO"),
    "../ in a zip": (
        lambda p: write_zip(p / "a.zip", {**members([]), "../actor.json": b"{}"}),
        "leaves the archive",
    ),
    "a link out of a folder": (lambda p: linked_out(make_archive(p, [], "folder")), "is a link to outside the archive"),
    "no actor in a tar": (lambda p: write_tar(p / "a.tar.gz", [], {"outbox.json": GOOD.encode()}), "no actor.json"),
    "not an OrderedCollection": (
        lambda p: make_archive(p, [], **outbox_of('{"type": "Collection", "orderedItems": []}')),
        "is not an OrderedCollection",
    ),
    "no orderedItems": (lambda p: make_archive(p, [], **outbox_of('{"type": "OrderedCollection"}')), "no orderedItems"),
    "orderedItems not a list": (
        lambda p: make_archive(p, [], **outbox_of('{"type": "OrderedCollection", "orderedItems": {}}')),
        "orderedItems is not a list",
    ),
    "outbox a list": (lambda p: make_archive(p, [], **outbox_of("[]")), "is not a JSON object"),
    "item not an object": (
        lambda p: make_archive(p, [], **outbox_of('{"type": "OrderedCollection", "orderedItems": [1]}')),
        "orderedItems[0] is not an object",
    ),
    "broken json": (
        lambda p: make_archive(p, [], **outbox_of('{"type": "OrderedCollection", "orderedItems": [{"a": }]}')),
        "is not valid JSON (Expecting value",
    ),
    "cut short": (lambda p: make_archive(p, [], **outbox_of(GOOD[:-30])), "is not valid JSON (it ends too early"),
    "trailing data": (lambda p: make_archive(p, [], **outbox_of(GOOD + " {}")), "is not valid JSON (extra data"),
    "not utf-8": (lambda p: make_archive(p, [], **outbox_of(b'{"type": "\xff\xfe"}')), "is not UTF-8"),
    "nested too deeply": (
        lambda p: make_archive(p, [], **outbox_of('{"orderedItems": [' + "[" * 100_000 + "]" * 100_000 + "]}")),
        "is nested too deeply",
    ),
    "a Create without a note": (
        lambda p: make_archive(p, [], **outbox_of(GOOD.replace('"Note"', '"Image"'))),
        "orderedItems[0]: a Create without an object (a Note)",
    ),
    "bad date": (
        lambda p: make_archive(p, [], **outbox_of(GOOD.replace("2023-03-03T16:17:23Z", "yesterday"))),
        "orderedItems[0]: published 'yesterday' is not a date",
    ),
    "actor without a username": (
        lambda p: make_archive(p, made_up_activities(3), actor_json=b'{"id": "https://example.social/users/a"}'),
        "actor.json: has no preferredUsername",
    ),
    "actor with a bad username": (
        lambda p: make_archive(
            p,
            made_up_activities(3),
            actor_json=json.dumps({"id": "https://example.social/users/a", "preferredUsername": "../../etc"}).encode(),
        ),
        "is not a Mastodon account",
    ),
    "another person's outbox": (
        lambda p: make_archive(
            p,
            made_up_activities(3),
            user="alice",
            actor_json=json.dumps(
                {"id": "https://example.social/users/mallory", "preferredUsername": "mallory"}
            ).encode(),
        ),
        "outbox.json holds the posts of 'https://example.social/users/alice', not of actor.json's account",
    ),
    "empty": (lambda p: make_archive(p, []), "archive.zip has no posts (an empty timeline)"),
    "no public posts": (
        lambda p: make_archive(p, [create(0, "<p>mine</p>", visibility="private"), announce(1, visibility="direct")]),
        "archive.zip: has no public posts (2 followers-only or direct ones left out: hf-tweets never stores those)",
    ),
}


@pytest.mark.parametrize("make, message", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_archives_are_one_line_errors_and_store_nothing(run, tmp_path, make, message):
    path = make(tmp_path)
    code, out, err = run("fetch", "--archive", str(path))
    assert code == 1 and out == "" and err.count("\n") == 1, err
    assert message in err
    assert not raw_path(tmp_path / "data", alice_account()).exists()


def test_an_id_that_is_no_status_id_is_named_by_its_hash(run, tmp_path):
    url = "https://example.social/s/" + "9" * 99
    make_archive(tmp_path, [], **outbox_of(GOOD.replace(create(0, "")["object"]["id"], url)))
    assert run("fetch", "--archive", "archive.zip")[0] == 0
    assert [p.id for p in stored(tmp_path)] == ["url-" + hashlib.sha1(url.encode()).hexdigest()[:16]]


def alice_account():
    return Account("mastodon", "alice@example.social")


def test_limits_can_be_raised(run, tmp_path, monkeypatch):
    path = make_archive(tmp_path, made_up_activities(50), "tar.gz")
    monkeypatch.setenv("HF_TWEETS_ARCHIVE_MAX_BYTES", "1000")
    code, _, err = run("fetch", "--archive", str(path))
    assert code == 1 and "add up to more than 1,000 bytes" in err and "HF_TWEETS_ARCHIVE_MAX_BYTES" in err
    monkeypatch.delenv("HF_TWEETS_ARCHIVE_MAX_BYTES")
    assert run("fetch", "--archive", str(path))[0] == 0


def test_an_archive_is_its_holders_consent_even_with_nobot(run, tmp_path):
    path = make_archive(tmp_path, made_up_activities(30), "tar.gz")  # its bio says #nobot, a field #noai
    code, out, _ = run("fetch", "--archive", str(path))
    assert code == 0 and out.startswith("@alice@example.social: ")
    assert load_profile(tmp_path / "data", alice_account()).consent == "self"


# --- the API: the real recordings ---------------------------------------------------------------------------------


def real_cassette(tmp_path: Path, *sources: tuple[str, str]) -> str:
    """A cassette of the real recordings' GETs whose path holds each source's part, (file, part), in their order."""
    interactions = []
    for name, part in sources:
        recorded = yaml.safe_load((REAL_CASSETTES / name).read_text(encoding="utf-8"))["interactions"]
        interactions += [i for i in recorded if i["request"]["method"] == "GET" and part in i["request"]["uri"]]
    path = tmp_path / "real.yaml"
    path.write_text(yaml.safe_dump({"interactions": interactions, "version": 1}), encoding="utf-8")
    return str(path)


@pytest.fixture
def recorded_server(monkeypatch):
    """Ask the server the real recordings were made against, 5 statuses a page as they were asked."""
    monkeypatch.setenv("HF_TWEETS_MASTODON_BASE_URL", "http://localhost:3000")
    monkeypatch.setattr("hf_tweets.sources.mastodon.PAGE", 5)


@needs_shared
@pytest.mark.parametrize(
    "pages, limit, new", [("test_fetch_next_previous.yaml", 10, 10), ("test_get_pagination_info.yaml", 5, 5)]
)
def test_real_lookup_and_pages_by_link_headers(run, tmp_path, recorded_server, pages, limit, new):
    cassette = real_cassette(tmp_path, ("test_account_lookup.yaml", "acct=mastodonpy_test"), (pages, "/statuses"))
    with replay.use_cassette(cassette, allow_playback_repeats=False) as played:
        code, out, err = run("fetch", "@mastodonpy_test@mastodon.example", "--limit", str(limit))
    assert (code, err) == (0, "next: hf-tweets prepare mastodonpy_test-at-mastodon-example\n")
    assert out == f"@mastodonpy_test@mastodon.example: {new} new posts, {new} stored in data\n"
    assert played.play_count == 1 + limit // 5  # the lookup, then a page of 5 for each 5 posts
    posts = stored(tmp_path, "mastodonpy_test@mastodon.example")
    assert {p.kind for p in posts} == {"post"} and not any(p.cw for p in posts)  # unlisted posts are public
    assert all(p.text.startswith("Toot number ") and p.created_at.startswith("2026-08-01T13:52:") for p in posts)
    assert [p.id for p in posts] == sorted((p.id for p in posts), reverse=True)
    profile = load_profile(tmp_path / "data", Account("mastodon", "mastodonpy_test@mastodon.example"))
    assert (profile.display_name, profile.platform, profile.consent) == ("John Lennon", "mastodon", "public")
    assert profile.avatar.startswith("http://localhost:3000/system/accounts/avatars/")


@needs_shared
@pytest.mark.parametrize(
    "cassette, handle, message",
    [
        (
            ("test_account_lookup.yaml", "acct=kljadkl"),
            "kljadklajsdkljlkjlkjlkjasdasd",
            "@kljadklajsdkljlkjlkjlkjasdasd@mastodon.example does not exist on mastodon.example; check the spelling",
        ),
        (
            ("test_accounts.yaml", "acct=mastodonpy_test&"),
            "mastodonpy_test",
            "@mastodonpy_test@mastodon.example asks not to be used (indexable: false, it opts out of search)",
        ),
    ],
    ids=["404", "indexable false"],
)
def test_real_refusals(run, tmp_path, recorded_server, cassette, handle, message):
    file, part = cassette
    recorded = real_cassette(tmp_path, (file, part.rstrip("&")))
    with replay.use_cassette(recorded):
        code, out, err = run("fetch", f"@{handle}@mastodon.example")
    assert code == 1 and out == "" and message in err and err.count("\n") == 1
    assert not (tmp_path / "data").exists()


def _posting(visibility: str, **options):
    return lambda api: api.status_post("Toot!", visibility=visibility, **options)


@needs_shared
@pytest.mark.parametrize(
    "cassette, call, kept",
    [
        ("test_status_post_cw_public.yaml", _posting("public", spoiler_text="Content warning"), ("post", True)),
        ("test_status_post_unlisted.yaml", _posting("unlisted"), ("post", False)),
        ("test_status_post_private.yaml", _posting("private"), None),
        ("test_status_post_direct.yaml", _posting("direct"), None),
        ("test_status_reblog_unreblog.yaml", lambda a: a.status_reblog(a.status_post("Toot!")), ("retweet", False)),
    ],
    ids=["public with a content warning", "unlisted", "followers-only", "direct", "reblog"],
)
def test_real_statuses_of_every_visibility(cassette, call, kept):
    from mastodon import Mastodon

    from hf_tweets.sources.mastodon import _post

    api = Mastodon(api_base_url="http://localhost:3000", access_token=TOKEN)
    with replay.use_cassette(str(REAL_CASSETTES / cassette)):
        status = call(api)
    post = _post(status, "117020565966271181")
    assert (post.kind, post.cw) == kept if kept else post is None
    if post:
        assert post.text == "Toot!" and post.created_at.startswith("2026-08-01T13:5") and post.id.isdigit()


@needs_shared
def test_a_real_401_is_explained_without_the_token(monkeypatch):
    from mastodon import Mastodon, MastodonError

    from hf_tweets.sources.mastodon import _explain

    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", TOKEN)
    api = Mastodon(api_base_url="http://localhost:3000")
    with replay.use_cassette(str(REAL_CASSETTES / "test_unauthed_home_tl_throws.yaml")):
        with pytest.raises(MastodonError) as raised:
            api.timeline_home()
    error = _explain(raised.value, alice_account(), "")
    assert error.line() == (
        "example.social refused the access token (401); set MASTODON_ACCESS_TOKEN to an access token of an app on"
        " example.social, or unset it: public posts need none"
    )


# --- the API: our recordings of made-up people --------------------------------------------------------------------

ALICE = "@alice@example.social"


def played(name: str):
    return replay.use_cassette(str(OURS / f"{name}.yaml"), allow_playback_repeats=False)


def test_pages_every_kind_and_only_public_posts(run, tmp_path):
    with played("timeline_pages") as cassette:
        code, out, err = run("fetch", ALICE)
    assert (code, err) == (0, "next: hf-tweets prepare alice-at-example-social\n")
    assert out == f"{ALICE}: 9 new posts, 9 stored in data\n"
    assert cassette.all_played and cassette.play_count == 4  # the lookup and three pages; no pinned=true request
    texts = {p.text: (p.kind, p.cw) for p in stored(tmp_path)}
    assert texts["Soup & bread #soup"] == ("post", False)
    assert texts["Bob says the soup is ready."] == ("retweet", False)
    assert texts["@bob yes, ready at noon"] == ("reply", False)
    assert texts["The soup was the hero all along."] == ("post", True)
    assert texts["Line one\nline two\n\nA new paragraph."] == ("post", False)  # pinned, listed twice, stored once
    assert texts["An unlisted thought about toast."] == ("post", False)
    ids = [p.id for p in stored(tmp_path)]
    assert len(ids) == len(set(ids)) == 9
    assert "110000000000000995" not in ids and "110000000000000994" not in ids  # followers-only, direct
    profile = json.loads((tmp_path / "data" / "raw" / "alice_at_example.social.user.json").read_text())
    assert profile == {
        "handle": "alice@example.social",
        "display_name": "Alice Example",
        "avatar": "https://example.social/system/accounts/avatars/110/000/000/000/000/001/original/a1b2c3.png",
        "source": "mastodon-api",
        "platform": "mastodon",
    }
    assert not (tmp_path / "data" / "raw" / "alice_at_example.social.state.json").exists()


def test_replies_left_out_and_limit(run, tmp_path):
    with played("timeline_pages"):
        assert run("fetch", ALICE, "--no-replies")[1] == f"{ALICE}: 8 new posts, 8 stored in data\n"
    assert "reply" not in {p.kind for p in stored(tmp_path)}
    with played("timeline_pages") as cassette:
        out = run("fetch", ALICE, "--limit", "5", "--data-dir", "other")[1]
    assert out == f"{ALICE}: 5 new posts, 5 stored in other\n"
    assert cassette.play_count == 3  # the third page is never asked for


def test_a_second_fetch_stops_at_stored_posts(run, tmp_path):
    with played("timeline_pages"):
        run("fetch", ALICE)
    with played("timeline_newer") as cassette:
        code, out, _ = run("fetch", ALICE)
    assert (code, out) == (0, f"{ALICE}: 1 new posts, 10 stored in data\n") and cassette.all_played
    assert cassette.requests[1].query == [("limit", "40"), ("since_id", "110000000000001000")]


DATE_EPOCH = 1785585600  # the cassettes' Date header, Sat, 01 Aug 2026 12:00:00 GMT


def test_rate_limit_stops_with_the_reset_time_and_keeps_what_was_fetched(run, tmp_path, monkeypatch):
    monkeypatch.setattr("time.time", lambda: DATE_EPOCH)  # the server's clock and ours agree
    with played("rate_limited"):
        code, out, err = run("fetch", ALICE)
    assert code == 1 and out == ""
    assert err == (
        f"hf-tweets: error: Mastodon rate limit reached after 4 new posts of {ALICE} (kept); it resets at"
        " 12:00:03 UTC, run fetch again then, or add --wait\n"
    )
    assert len(stored(tmp_path)) == 4


def test_rate_limit_with_wait_counts_down_and_goes_on(run, tmp_path, monkeypatch):
    slept = []
    monkeypatch.setattr("time.time", lambda: DATE_EPOCH)
    monkeypatch.setattr("time.sleep", slept.append)
    with played("rate_limited") as cassette:
        code, out, err = run("fetch", ALICE, "--wait")
    assert (code, out) == (0, f"{ALICE}: 9 new posts, 9 stored in data\n") and cassette.all_played
    assert slept == [1, 1, 1] and "waiting    3 s" in err and "waiting    1 s" in err


def test_server_error_midway_keeps_posts_and_the_next_run_resumes(run, tmp_path):
    with played("server_error_midway"):
        code, _, err = run("fetch", ALICE)
    assert code == 1
    assert err == (
        "hf-tweets: error: example.social failed (503) after 4 new posts (kept; run fetch again to resume);"
        " try again later\n"
    )
    assert len(stored(tmp_path)) == 4
    assert json.loads((tmp_path / "data" / "raw" / "alice_at_example.social.state.json").read_text()) == {
        "max_id": "110000000000000998"
    }
    with played("resume_after_error") as cassette:
        code, out, _ = run("fetch", ALICE)
    assert (code, out) == (0, f"{ALICE}: 5 new posts, 9 stored in data\n") and cassette.all_played


def test_network_failure_midway_keeps_posts_and_resumes(run, tmp_path, monkeypatch):
    from mastodon import Mastodon, MastodonNetworkError

    def unreachable(self, page):
        raise MastodonNetworkError("Could not complete request: Connection reset by peer")

    real = Mastodon.fetch_next
    monkeypatch.setattr(Mastodon, "fetch_next", unreachable)
    with played("timeline_pages"):
        code, _, err = run("fetch", ALICE)
    assert code == 1 and err == (
        "hf-tweets: error: could not reach example.social after 4 new posts (kept; run fetch again to resume);"
        " check the network and run fetch again\n"
    )
    monkeypatch.setattr(Mastodon, "fetch_next", real)
    with played("resume_after_error") as cassette:
        assert run("fetch", ALICE)[1] == f"{ALICE}: 5 new posts, 9 stored in data\n"
    assert cassette.all_played


@pytest.mark.parametrize(
    "cassette, message",
    [
        ("nobot_bio", f"{ALICE} asks not to be used (#nobot in its bio)"),
        ("nobridge_bio", f"{ALICE} asks not to be used (#nobridge in its bio)"),
        ("noai_field", f"{ALICE} asks not to be used (#noai in a profile field)"),
        ("noindex", f"{ALICE} asks not to be used (noindex: it asks search engines not to index it)"),
        ("not_indexable", f"{ALICE} asks not to be used (indexable: false, it opts out of search)"),
    ],
)
def test_opt_out_signals_refuse_before_anything_is_stored(run, tmp_path, cassette, message):
    with played(cassette):
        code, out, err = run("fetch", ALICE)
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err == (
        f"hf-tweets: error: {message}; hf-tweets does not fetch its posts (the person can give their own archive"
        " with fetch --archive)\n"
    )
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    "cassette, token, message",
    [
        ("other_account", None, f"example.social answered {ALICE} with 'mallory@elsewhere.example', another account"),
        ("suspended", None, f"{ALICE} is suspended on example.social"),
        ("gone", None, f"{ALICE} is gone from example.social (410)"),
        ("unknown", None, f"{ALICE} does not exist on example.social; check the spelling"),
        ("unauthorized", TOKEN, "example.social refused the access token (401); set MASTODON_ACCESS_TOKEN"),
        ("unauthorized", None, "example.social asks for an access token (401); set MASTODON_ACCESS_TOKEN"),
        ("timeline_empty", None, f"{ALICE} has no posts to fetch (an empty timeline)"),
        ("only_private", None, f"{ALICE} has no public posts (2 followers-only or direct ones left out"),
        ("bad_status_id", None, "example.social answered with a status whose id 'xxxxxxxxx"),
        ("bad_reset", None, "example.social sent a rate limit reset time (X-RateLimit-Reset) that cannot be read"),
    ],
    ids=[
        "another account",
        "suspended",
        "gone",
        "unknown",
        "bad token",
        "no token",
        "empty",
        "private",
        "bad id",
        "bad reset",
    ],
)
def test_errors_are_one_line_and_store_nothing(run, tmp_path, monkeypatch, cassette, token, message):
    if token:
        monkeypatch.setenv("MASTODON_ACCESS_TOKEN", token)
    with played(cassette):
        code, out, err = run("fetch", ALICE, "--wait")  # --wait: an unreadable reset time is not waited for
    assert code == 1 and out == "" and err.count("\n") == 1 and message in err, err
    assert TOKEN not in err
    assert not raw_path(tmp_path / "data", alice_account()).exists()


def test_the_token_is_sent_and_kept_secret(run, monkeypatch):
    import requests

    from hf_tweets import settings

    sent, real = [], requests.Session.request

    def request(self, method, url, **kwargs):
        sent.append(kwargs["headers"].get("Authorization"))
        return real(self, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", request)
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", TOKEN)
    with played("timeline_pages"):
        assert run("fetch", ALICE)[0] == 0
    assert sent == [f"Bearer {TOKEN}"] * 4
    assert TOKEN in settings.secret_values() and "MASTODON_ACCESS_TOKEN" in settings.SECRET_ENVS
    monkeypatch.delenv("MASTODON_ACCESS_TOKEN")
    with played("timeline_pages"):
        assert run("fetch", ALICE, "--data-dir", "other")[0] == 0
    assert sent[4:] == [None] * 4  # public posts need no token


def test_hostile_values_are_cleaned(run, tmp_path):
    with played("hostile_values"):
        assert run("fetch", ALICE)[0] == 0
    profile = load_profile(tmp_path / "data", alice_account())
    assert (profile.display_name, profile.avatar) == ("Al\ufffdice <b>", None)
    [post] = stored(tmp_path)  # not the numbers, strings, nulls and lists, nor mallory's status, on that page
    assert (post.text, post.created_at) == ("lone \ufffd surrogate", "2026-07-31T12:00:00Z")


@pytest.mark.parametrize(
    "value, url", [(None, "https://example.social"), ("http://localhost:3000/", "http://localhost:3000")]
)
def test_base_url(monkeypatch, value, url):
    from hf_tweets import settings

    if value:
        monkeypatch.setenv("HF_TWEETS_MASTODON_BASE_URL", value)
    assert settings.mastodon_base_url("example.social") == url


def test_fetch_then_prepare_then_the_card(run, tmp_path):
    with played("timeline_pages"):
        assert run("fetch", ALICE)[0] == 0
    code, out, err = run("prepare", "alice-soup", "--users", ALICE, "--min-chars", "10")
    assert code == 0, err
    assert out.startswith(f"{ALICE}: 9 downloaded, 1 reposts, 0 short, 1 behind a content warning, 7 kept\n")
    record = yaml.safe_load((tmp_path / "cards" / "alice-soup.yaml").read_text())
    [user] = record["users"]
    assert (user["platform"], user["handle"]) == ("mastodon", "alice@example.social")
    assert user["counts"] == {
        "downloaded": 9,
        "retweets": 1,
        "short": user["counts"]["short"],
        "cw": 1,
        "kept": 7 - user["counts"]["short"],
    }
    code, card, err = run("card", "render", "alice-soup")
    assert code == 0, err
    assert "| Posts downloaded | 9 |" in card and "| Reposts | 1 |" in card
    assert "| Posts behind a content warning | 1 |" in card
    assert "(https://example.social/@alice)" in card and "tweet" not in card.replace("huggingtweets", "").replace(
        "hf-tweets", ""
    )


def test_pages_read_as_json_store_what_typed_pages_do(run, tmp_path, monkeypatch):
    with played("timeline_pages"):
        assert run("fetch", ALICE)[0] == 0
    monkeypatch.setattr("hf_tweets.sources.mastodon._untyped", lambda following: following)  # Mastodon.py's types
    with played("timeline_pages"):
        assert run("fetch", ALICE, "--data-dir", "typed")[0] == 0
    name = "raw/alice_at_example.social.jsonl"
    assert (tmp_path / "typed" / name).read_text() == (tmp_path / "data" / name).read_text()


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 4096])
def test_the_outbox_is_read_the_same_in_pieces_of_any_size(tmp_path, monkeypatch, chunk):
    from hf_tweets.sources import json_stream
    from hf_tweets.sources.mastodon_archive import read_archive

    activities = made_up_activities(40) + [create(50, "<p>é 🍲 ü 12345 &amp; ok</p>")]
    outbox = {"type": "OrderedCollection", "totalItems": 1234567890123, "orderedItems": activities, "n": -1.5e-7}
    path = make_archive(tmp_path, [], outbox_json=json.dumps(outbox, ensure_ascii=False, indent=1).encode())
    whole = read_archive(path)
    monkeypatch.setattr(json_stream, "CHUNK", chunk)
    assert read_archive(path) == whole and whole.posts[-1].text == "é 🍲 ü 12345 & ok"


def test_a_document_cut_at_a_piece_boundary(monkeypatch):
    import io

    from hf_tweets.sources import json_stream

    monkeypatch.setattr(json_stream, "CHUNK", 3)
    assert json_stream.JsonStream(io.BytesIO(b" 1234567 "), "x").document() == 1234567
    assert json_stream.JsonStream(io.BytesIO('["é🍲", true, null]'.encode()), "x").document() == ["é🍲", True, None]
    with pytest.raises(SourceError, match=r"x: is not valid JSON \(it ends too early, at character 1\)"):
        json_stream.JsonStream(io.BytesIO(b'["abc'), "x").document()
