"""Fault suite: hostile and broken records and cards. Each gives one line naming the file, the field and the fix,
exit 1, nothing half-written; a batch goes on past the bad one; what is saved always loads back."""

from __future__ import annotations

import os
import stat

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from hf_tweets.cards.recordfile import dump_record, load_record, save_record
from hf_tweets.errors import RecordError, WriteError

from conftest import SEED_CARDS, SINGLE, make_record
from test_properties import SETTINGS

GOOD = dump_record(make_record())


def _with(line: str, after: str = "language: en\n") -> str:
    """The good record's YAML with ``line`` inserted after ``after``."""
    return GOOD.replace(after, after + line, 1)


HOSTILE = [
    # (what, the record's text, words the one-line error must hold)
    (
        "duplicate key",
        _with("license: apache-2.0\n"),
        "line 5: 'license' is set twice (lines 4 and 5); keep one of them",
    ),
    (
        "duplicate nested key",
        GOOD.replace("    downloaded: 3200\n", "    downloaded: 3200\n    downloaded: 3300\n"),
        "'downloaded' is set twice",
    ),
    (
        "lone surrogate",
        GOOD.replace("widget_prompt: My dream is", 'widget_prompt: "\\ud800 hi"'),
        "line 6: holds a broken character escape (such as \\ud800, half of a character); remove it",
    ),
    (
        "surrogate in a hyper-parameter",
        GOOD + 'training:\n  hyperparameters:\n    note: "\\udfff"\n',
        "line 19: holds a broken character escape",
    ),
    (
        "impossible date",
        GOOD + "training:\n  oldest_tweet: 2021-02-30\n",
        "training.oldest_tweet: must be a date, YYYY-MM-DD (got '2021-02-30')",
    ),
    (
        "5,000-digit count",
        GOOD.replace("downloaded: 3200", "downloaded: " + "9" * 5000),
        "users[0].counts.downloaded: must be a whole number (got a 5,000-digit number)",
    ),
    (
        "count beyond belief",
        GOOD.replace("downloaded: 3200", "downloaded: 99999999999999").replace("kept: 2500", "kept: 99999999999299"),
        "users[0].counts.downloaded: is too large to be right",
    ),
    (
        "20 MB display name",
        GOOD.replace("display_name: Pixel Poet", "display_name: " + "x" * 20_000_000),
        "users[0].display_name: is 20,000,000 characters long; keep it under 200",
    ),
    (
        "list as a hyper-parameter",
        GOOD + "training:\n  hyperparameters:\n    lr: [1, 2]\n",
        "training.hyperparameters.lr: must be a number, true/false or a line of text (got [1, 2])",
    ),
    (
        "infinite hyper-parameter",
        GOOD + "training:\n  hyperparameters:\n    lr: .inf\n",
        "training.hyperparameters.lr: is inf; give a finite number",
    ),
    (
        "nested 50,000 deep",
        _with("samples: " + "[" * 50_000 + "]" * 50_000 + "\n"),
        "is nested more than 100 levels deep",
    ),
    ("compact nesting", _with("samples:\n" + "- " * 50_000 + "x\n"), "is nested more than 100 levels deep"),
    # PyYAML 6.0.4's scanner stops at 1,000 levels with words of its own: ours come first.
    ("nested 1,000 deep", _with("samples: " + "[" * 1_000 + "]" * 1_000 + "\n"), "line 4: is nested more than 100"),
    (
        "nested by indentation",
        GOOD + "".join(f"{' ' * level}k{level}:\n" for level in range(150)) + " " * 150 + "x: 1\n",
        "is nested more than 100 levels deep",
    ),
    (
        "indentless sequences",
        GOOD + "k:\n" + "".join(f"{'  ' * level}- k:\n" for level in range(60)) + "  " * 60 + "- x\n",
        "is nested more than 100 levels deep",
    ),
    ("nested across lines", _with("samples: [\n" + "[\n" * 200 + "]\n" * 201), "is nested more than 100 levels"),
    (
        "nested between U+2028 line breaks",
        GOOD + "".join(f"{' ' * level}k:\u2028" for level in range(150)),
        "is nested more than 100 levels deep",
    ),
    (
        "not a mapping",
        "- a list\n- of lines\n",
        "is not a card record (a YAML mapping with users:); see examples/cards/ for examples",
    ),
    ("bad explicit tag", _with("samples: !!timestamp 2021-02-30\n"), "has a value YAML cannot read"),
    (
        "binary",
        GOOD.replace("widget_prompt: My dream is", "widget_prompt: !!binary aGVsbG8="),
        "line 6: holds binary data (!!binary); a record holds text",
    ),
    ("not UTF-8", None, "is not UTF-8 text; save it as UTF-8"),
]


@pytest.mark.parametrize("what, text, message", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_records_get_one_line_naming_file_field_and_fix(run, tmp_path, what, text, message):
    path = tmp_path / "cards" / "pixel_poet.yaml"
    path.parent.mkdir()
    path.write_bytes(b"\xff\xfe" + GOOD.encode() if text is None else text.encode("utf-8", "surrogatepass"))
    code, out, err = run("card", "render", "pixel_poet")
    assert (code, out) == (1, "") and err.startswith("hf-tweets: error: cards/pixel_poet.yaml: ") and message in err
    assert len(err.splitlines()) == 1
    code, out, err = run("card", "check", str(path))  # one line per problem, each naming the file
    assert code == 1 and message in out and all(line.startswith(f"{path}: ") for line in out.splitlines())
    assert not (tmp_path / "README.md").exists()


DEEP = [text for what, text, message in HOSTILE if "nested more than" in message]


@pytest.mark.parametrize("text", DEEP, ids=[h[0] for h in HOSTILE if "nested more than" in h[2]])
def test_deep_nesting_is_refused_before_any_yaml_library_reads_it(run, tmp_path, monkeypatch, text):
    """The message is hf-tweets' own, whatever a YAML library does with deep text (6.0.4 has its own limit)."""
    from hf_tweets.cards import yamlio

    def a_library_that_gives_up(*args, **kwargs):
        raise yaml.YAMLError("exceeded maximum nesting depth, in words of its own")

    monkeypatch.setattr(yamlio.yaml, "load", a_library_that_gives_up)
    monkeypatch.setattr(yamlio.yaml, "parse", a_library_that_gives_up)
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "pixel_poet.yaml").write_text(text, encoding="utf-8")
    code, _, err = run("card", "render", "pixel_poet")
    assert code == 1 and "is nested more than 100 levels deep; a card record is not" in err
    assert "its own" not in err


SHALLOW = [
    # (what, YAML text a person could write): measured exactly as the YAML library parses it
    ("a record", GOOD),
    ("flow in block", "a: {b: [1, {c: d}], e: []}\n"),
    ("indentless", "a:\n- b: 1\n  c:\n  - d\ne: f\n"),
    ("compact", "- - - x\n  - y\n- z\n"),
    ("explicit keys", "? [a, b]\n: - c\n  - [d]\n"),
    ("comments", "a: x # [ { not here\nb: # [\n  - c\n"),
    ("quotes", "a: 'it''s [ {'\nb: \"[ \\\" {\"\nc: it's [not] {open}\n"),
    ("quote across lines", 'a: "one [\n  two"\nb: [x]\n'),
    ("block scalars", "a: |\n  - [ {\n    b: c\nd: >-\n  [x\ne: 1\n"),
    ("anchors and tags", "a: &x [1, [2]]\nb: !!seq\n- *x\nc: !!map {d: [e]}\n"),
    ("flow over lines", "a: [b,\n  [c,\n   {d: e}],\n  f]\ng: 1\n"),
    ("documents", "--- [a, [b]]\n"),
    ("colons and hashes in keys", 'a#b: 1\nhttp://x: [y]\n"k: v": {z: 1}\n'),
]


@pytest.mark.parametrize("what, text", SHALLOW, ids=[s[0] for s in SHALLOW])
def test_nesting_is_measured_as_yaml_parses_it(what, text):
    from hf_tweets.cards.yamlio import nesting

    assert nesting(text) == (_parsed_depth(text), None)


def _parsed_depth(text: str) -> int:
    """How deep the YAML library's parser nests (an alias is one node, as the text has it)."""
    depth = deepest = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        depth += isinstance(event, yaml.CollectionStartEvent) - isinstance(event, yaml.CollectionEndEvent)
        deepest = max(deepest, depth)
    return deepest


yaml_texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=8) | st.sampled_from(
    ["a: b", "- x", "[", "{", "#", "'", '"', "|", ">", "&a", "? q", "---", "x\ny"]
)
yaml_data = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | yaml_texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(yaml_texts, inner, max_size=4),
    max_leaves=30,
)


@SETTINGS
@given(
    yaml_data,
    st.sampled_from([None, False, True]),  # block, flow, or the emitter's mix
    st.sampled_from([None, '"', "'", "|", ">"]),  # how scalars are written
    st.sampled_from([2, 4]),
    st.sampled_from([20, 4096]),
    st.sampled_from([yaml.SafeDumper, yaml.CSafeDumper]),
)
@pytest.mark.slow
def test_nesting_is_measured_as_the_yaml_library_parses_it(data, flow, style, indent, width, dumper):
    from hf_tweets.cards.yamlio import nesting

    text = yaml.dump(data, Dumper=dumper, default_flow_style=flow, default_style=style, indent=indent, width=width)
    assert nesting(text, limit=10**6)[0] == _parsed_depth(text)


def test_one_bad_record_never_stops_a_batch(run, tmp_path, hub):
    cards = tmp_path / "cards"
    for name in ("aaa", "zzz"):
        save_record(make_record(users=[SINGLE["users"][0] | {"handle": name}]), cards / f"{name}.yaml")
    (cards / "mmm.yaml").write_text(GOOD + "training:\n  oldest_tweet: 2021-02-30\n")
    (cards / "nnn.yaml").write_text(GOOD.replace("downloaded: 3200", "downloaded: " + "1" * 5000))
    code, out, err = run("card", "check", str(cards))
    assert code == 1 and "mmm.yaml: training.oldest_tweet" in out and "nnn.yaml: users[0].counts.downloaded" in out
    assert "4 files checked" not in err  # problems were found ...
    assert len(out.splitlines()) == 2  # ... in the two bad files only: the good ones were checked too

    code, out, _ = run("republish", "--dry-run")  # one listing for the good ones; the bad ones are reported
    assert "mmm" in out and "nnn" in out and "unreadable" in out


def test_import_refuses_unencodable_text_and_keeps_the_good_record(run, tmp_path):
    good = (SEED_CARDS / "mike_massive.README.md").read_text(encoding="utf-8")
    assert run("card", "import", str(SEED_CARDS / "mike_massive.README.md"))[0] == 0
    record = tmp_path / "cards" / "mike_massive.yaml"
    before = record.read_bytes()
    hostile = tmp_path / "hostile.md"
    hostile.write_text(good.replace('- text: "My dream is"', '- text: "\\ud800 My dream is"'), encoding="utf-8")
    other = tmp_path / "other.md"
    other.write_text((SEED_CARDS / "the___missile.README.md").read_text(encoding="utf-8"), encoding="utf-8")
    code, out, err = run("card", "import", str(hostile), str(other))
    assert code == 1 and "widget_prompt: holds an unpaired surrogate" in err
    assert record.read_bytes() == before  # the good record it would have replaced is intact
    assert (tmp_path / "cards" / "the___missile.yaml").exists()  # the next card still went in
    assert run("card", "render", "mike_massive")[0] == 0


def test_an_html_widget_prompt_is_inert_text_and_passes_check(run, tmp_path):
    """The prompt is front matter (shown by the Hub's widget as text) and Python in the snippet: never HTML."""
    save_record(make_record(widget_prompt="<script>alert(1)</script> hi"), tmp_path / "cards" / "pixel_poet.yaml")
    assert run("card", "render", "pixel_poet", "-o", "README.md")[0] == 0
    code, out, _ = run("card", "check", "README.md", "cards/pixel_poet.yaml")
    assert (code, out) == (0, "")


def test_what_is_saved_must_load_back_or_nothing_is_replaced(tmp_path, monkeypatch):
    from hf_tweets.cards import yamlio

    path = tmp_path / "r.yaml"
    save_record(make_record(), path)
    before = path.read_bytes()
    record = make_record(license="apache-2.0")
    monkeypatch.setattr(yamlio, "dump", lambda data: "users: [broken\n")  # a writer bug, simulated
    with pytest.raises(RecordError, match="would not load back"):
        save_record(record, path)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["r.yaml"]


def test_a_failed_write_names_the_file_and_the_next_cards_still_go_in(run, tmp_path, monkeypatch):
    import hf_tweets.fsutil as fsutil

    real = fsutil.os.write

    def full_for_mike(fd, data):
        if b"mike_massive" in bytes(data[:4096]):
            raise OSError(28, "No space left on device")
        return real(fd, data)

    monkeypatch.setattr(fsutil.os, "write", full_for_mike)
    code, out, err = run("card", "import", *[str(p) for p in sorted(SEED_CARDS.iterdir())])
    assert code == 1
    assert "cards/mike_massive.yaml: could not be written (No space left on device)" in err and "free some space" in err
    assert sorted(p.name for p in (tmp_path / "cards").iterdir()) == [
        "dril-gnomeszs-s4m31p4n.yaml",
        "the___missile.yaml",
    ]


def test_files_get_the_umask_mode_and_keep_their_own(run, tmp_path):
    old = os.umask(0o022)
    try:
        assert run("card", "import", str(SEED_CARDS / "mike_massive.README.md"))[0] == 0
        record = tmp_path / "cards" / "mike_massive.yaml"
        assert stat.S_IMODE(record.stat().st_mode) == 0o644  # not mkstemp's 0600
        record.chmod(0o640)
        record.write_text(record.read_text().replace("language: en", "language: de"))
        assert run("card", "import", str(SEED_CARDS / "mike_massive.README.md"))[0] == 0
        assert stat.S_IMODE(record.stat().st_mode) == 0o640 and "language: en" in record.read_text()
    finally:
        os.umask(old)


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_a_staged_model_folder_gets_the_umask_mode(tmp_path, umask):
    """safetensors writes its file 0600 whatever the umask; the model folder's files get the umask's mode, as the
    other files hf-tweets writes do."""
    import torch
    from safetensors.torch import save_file

    from hf_tweets.fsutil import staged_folder

    old = os.umask(umask)
    try:
        with staged_folder(tmp_path / "model") as staging:
            save_file({"w": torch.zeros(2)}, str(staging / "model.safetensors"))
            (staging / "config.json").write_text("{}\n")
            (staging / "base").mkdir(mode=0o700)
            save_file({"w": torch.zeros(2)}, str(staging / "base" / "model.safetensors"))
    finally:
        os.umask(old)
    modes = {str(p.relative_to(tmp_path)): stat.S_IMODE(p.stat().st_mode) for p in sorted(tmp_path.rglob("*"))}
    files, folders = 0o666 & ~umask, 0o777 & ~umask
    assert modes == {
        "model": folders,
        "model/base": folders,
        "model/base/model.safetensors": files,
        "model/config.json": files,
        "model/model.safetensors": files,
    }


def test_a_model_folder_that_cannot_be_made_is_named_not_its_staging_folder(tmp_path):
    from hf_tweets.fsutil import staged_folder

    (tmp_path / "file").write_text("")
    with pytest.raises(WriteError) as raised, staged_folder(tmp_path / "file" / "model"):
        pass
    assert raised.value.line() == (
        f"{tmp_path}/file/model: could not be written (Not a directory); the previous version, if any, is unchanged;"
        " check the folder and run the command again"
    )


def test_the_atomic_writer_never_leaves_a_temp_file(tmp_path, monkeypatch):
    import hf_tweets.fsutil as fsutil

    path = tmp_path / "r.yaml"
    save_record(make_record(), path)
    monkeypatch.setattr(fsutil.os, "replace", lambda *a: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    with pytest.raises(WriteError, match="r.yaml: could not be written"):
        save_record(make_record(license="other"), path)
    assert [p.name for p in tmp_path.iterdir()] == ["r.yaml"] and load_record(path) == make_record()


def test_orphaned_temp_files_of_dead_writers_are_swept(tmp_path):
    from hf_tweets.fsutil import sweep_orphans

    dead = tmp_path / f".train.txt.{2**22 + 7}.0123abcd.tmp"  # no such pid on Linux (pid_max is at most 2**22)
    live = tmp_path / f".train.txt.{os.getpid()}.0123abcd.tmp"
    for path in (dead, live):
        path.write_text("half")
    assert sweep_orphans(tmp_path) == [dead]
    assert not dead.exists() and live.exists()


def test_a_model_folder_is_swapped_in_whole(tmp_path):
    from hf_tweets.fsutil import staged_folder

    target = tmp_path / "out" / "bot"
    target.mkdir(parents=True)
    (target / "model.safetensors").write_text("old")
    with pytest.raises(RuntimeError), staged_folder(target) as staging:
        (staging / "model.safetensors").write_text("half")
        raise RuntimeError("the save failed half-way")
    assert (target / "model.safetensors").read_text() == "old" and sorted(p.name for p in target.parent.iterdir()) == [
        "bot"
    ]
    with staged_folder(target) as staging:
        (staging / "model.safetensors").write_text("new")
    assert (
        sorted(p.name for p in target.iterdir()) == ["model.safetensors"]
        and (target / "model.safetensors").read_text() == "new"
    )


@pytest.mark.parametrize("complete", [True, False], ids=["killed between the renames", "killed while saving"])
def test_sweeping_after_a_kill_in_a_folder_swap(tmp_path, complete):
    from hf_tweets.fsutil import sweep_orphans

    dead = 2**22 + 13
    new, old = tmp_path / f".bot.{dead}.new", tmp_path / f".bot.{dead}.old"
    for folder, text in ((new, "new"), (old, "old")):
        folder.mkdir()
        (folder / "model.safetensors").write_text(text)
    if complete:
        (new / ".complete").touch()
    else:
        old.rename(tmp_path / "bot")  # killed before any rename: the old folder is still in place
    sweep_orphans(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bot"]
    assert (tmp_path / "bot" / "model.safetensors").read_text() == ("new" if complete else "old")
    assert sorted(p.name for p in (tmp_path / "bot").iterdir()) == ["model.safetensors"]
