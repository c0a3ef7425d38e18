"""Card records: validation names the file, the field and the fix; saving is atomic and keeps key order."""

from __future__ import annotations

import copy
import os

import pytest
import yaml

from hf_tweets.cards.recordfile import dump_record, load_record, save_record
from hf_tweets.errors import RecordError, RecordNotFoundError, WriteError

from conftest import SINGLE, THREE, make_record


def test_defaults_follow_huggingtweets():
    record = make_record(THREE)
    assert record.namespace == "huggingtweets"
    assert record.name == "alpha-mid_1-zeta_z"  # lower-case handles, sorted, joined by '-'
    assert record.repo_id == "huggingtweets/alpha-mid_1-zeta_z"
    assert (record.language, record.base_model, record.widget_prompt) == ("en", "openai-community/gpt2", "My dream is")


def _user(**changes):
    user = copy.deepcopy(SINGLE["users"][0])
    for key, value in changes.items():
        if key in ("downloaded", "retweets", "short", "kept"):
            user["counts"][key] = value
        else:
            user[key] = value
    return user


BAD = [
    # (what changes, field named, words the fix must contain)
    ({"users": [_user(handle="has-dash")]}, "users[0].handle", "1-15 letters, digits or underscores"),
    ({"users": [_user(handle="sixteen_chars_xx")]}, "users[0].handle", "1-15"),
    ({"users": [_user(handle="")]}, "users[0].handle", "1-15"),
    ({"users": [_user(handle=123)]}, "users[0].handle", "put it in quotes"),
    ({"users": [_user(handle=f"u{i}") for i in range(4)]}, "users", "1 to 3 users"),
    ({"users": []}, "users", "add one"),
    ({"users": [_user(), _user(handle="PIXEL_POET")]}, "users", "handle twice"),
    ({"users": [_user(retweets=-1, kept=2901)]}, "users[0].counts.retweets", "0 or more"),
    ({"users": [_user(kept=2499)]}, "users[0].counts", "downloaded - retweets - short"),
    ({"users": [_user(short=1.5)]}, "users[0].counts.short", "whole number"),
    ({"users": [_user(avatar="ftp://pbs.twimg.com/a.jpg")]}, "users[0].avatar", "http:// or https://"),
    ({"users": [_user(avatar="javascript:alert(1)")]}, "users[0].avatar", "http"),
    ({"users": [_user(avatar="https://x.com/a b.jpg")]}, "users[0].avatar", "percent-encode"),
    ({"users": [_user(avatar="https://x.com/a');alert(1)//")]}, "users[0].avatar", "percent-encode"),
    ({"users": [_user(avatar="https://x.com/100%.jpg")]}, "users[0].avatar", "%25"),
    ({"users": [_user(avatar="https://x.com/[a].jpg")]}, "users[0].avatar", "percent-encode"),
    ({"users": [_user(avatar="https://x.com/café.jpg")]}, "users[0].avatar", "percent-encode"),
    ({"users": [_user(display_name="  \n\t ")]}, "users[0].display_name", "give it some text"),
    ({"thumbnail": "//cdn.example/x.png"}, "thumbnail", "http"),
    ({"wandb": {"report": "wandb.ai/x"}}, "wandb.report", "http"),
    ({"licence": "mit"}, "licence", "check its spelling"),
    ({"license": "MIT License"}, "license", "Hub license id"),
    ({"language": "English"}, "language", "ISO 639"),
    ({"name": "bad name!"}, "", "not a Hub repo id"),
    ({"base_model": "a/b/c"}, "base_model", "not a Hub repo id"),
    ({"training": {"eval_loss": -1}}, "training.eval_loss", "finite number"),
    ({"training": {"oldest_tweet": "2021-01-02", "newest_tweet": "2020-01-01"}}, "training", "swap them"),
    ({"training": {"oldest_tweet": "yesterday"}}, "training.oldest_tweet", "YYYY-MM-DD"),
    ({"training": {"hyperparameters": {"bad key": 1}}}, "training.hyperparameters", "letters, digits"),
    ({"publish": {"commit": "abc"}}, "publish.commit", "hex digest"),
    # A legacy multi-user card's record: no user has a handle and handles: lists the accounts, or it is paired.
    ({"users": [_user(), _user(handle=None)]}, "", "some users have a handle and some do not"),
    ({"handles": ["pixel_poet"]}, "", "only when the users have no handle; remove it"),
    ({"users": [_user(handle=None), _user(handle=None)]}, "", "handles: must list the 2 accounts"),
    ({"users": [_user(handle=None)] * 2, "handles": ["a"]}, "", "handles: must list the 2 accounts"),
    ({"users": [_user(handle=None)], "handles": ["a"]}, "", "with one user, give it its handle"),
    ({"users": [_user(handle=None)] * 2, "handles": ["a", "A"]}, "handles", "handle twice"),
    ({"users": [_user(handle=None)] * 2, "handles": ["a", "b-c"]}, "handles[1]", "1-15 letters"),
]


@pytest.mark.parametrize("changes, field, fix", BAD, ids=[f"{b[1] or 'record'}-{i}" for i, b in enumerate(BAD)])
def test_invalid_records_name_file_field_and_fix(tmp_path, changes, field, fix):
    path = tmp_path / "cards" / "bad.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(copy.deepcopy(SINGLE) | changes, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RecordError) as caught:
        load_record(path)
    first = caught.value.problems[0]
    assert str(caught.value).startswith(f"{path}: ")
    assert first.where == field
    assert fix in first.message
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "text, fix",
    [
        ("users: [\n", "fix the syntax"),
        ("- just\n- a list\n", "is not a card record"),
        ("", "is not a card record"),
        (b"\xff\xfe\x00bad".decode("latin-1"), "UTF-8"),
    ],
)
def test_unreadable_files(tmp_path, text, fix):
    path = tmp_path / "r.yaml"
    path.write_bytes(text.encode("latin-1") if "UTF-8" in fix else text.encode())
    with pytest.raises(RecordError, match=fix):
        load_record(path)


def test_missing_record_says_how_to_make_one(tmp_path):
    with pytest.raises(RecordNotFoundError, match="hf-tweets card import"):
        load_record(tmp_path / "nope.yaml")


def test_several_problems_are_all_listed():
    data = copy.deepcopy(SINGLE) | {"language": "English", "license": "MIT License"}
    with pytest.raises(RecordError) as caught:
        make_record(data)
    assert len(caught.value.lines()) == 2
    assert "and 1 more problem" in str(caught.value)


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("Pixel\u00a0Poet\n\nrocks", "Pixel Poet rocks"),  # one line, single spaces
        ("Cafe\u0301", "Caf\u00e9"),  # NFC
        ("evil\u202eeman", "evileman"),  # bidi overrides dropped
        ("ok\u200d\U0001f469\u200d\U0001f4bb", "ok\u200d\U0001f469\u200d\U0001f4bb"),  # ZWJ emoji kept
        ("\u05e9\u05dc\u05d5\u05dd \u200f!", "\u05e9\u05dc\u05d5\u05dd \u200f!"),  # RTL text and marks kept
        ("@handle-ish: # - *", "@handle-ish: # - *"),
    ],
)
def test_display_names_are_normalised(raw, stored):
    assert make_record(users=[_user(display_name=raw)]).users[0].display_name == stored


def test_wandb_links_are_canonical():
    record = make_record(
        wandb={"report": "https://app.wandb.ai/a/b/reports/c", "train_run": "https://wandb.ai/a/b/runs/x/artifacts/"}
    )
    assert record.wandb.report == "https://wandb.ai/a/b/reports/c"
    assert record.wandb.train_run == "https://wandb.ai/a/b/runs/x"


def test_losses_keep_what_the_card_shows():
    training = make_record(training={"eval_loss": 3.123456789}).training
    assert training.eval_loss == 3.1235
    assert round(training.eval_perplexity, 2) == 22.73  # exp(3.1235)


def test_save_round_trips_and_is_stable(tmp_path):
    record = make_record(THREE, training={"hyperparameters": {"lr": 0.0001}, "eval_loss": 2.0})
    path = tmp_path / "cards" / f"{record.name}.yaml"
    assert save_record(record, path) is True
    assert load_record(path) == record
    assert save_record(record, path) is False  # unchanged: not rewritten
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp files left
    assert "Mid 🌙" in path.read_text(encoding="utf-8")  # emoji written as themselves, not \U escapes


def test_save_keeps_the_files_key_order(tmp_path):
    path = tmp_path / "r.yaml"
    data = copy.deepcopy(SINGLE)
    reordered = {
        "users": [
            {"counts": data["users"][0]["counts"], **{k: v for k, v in data["users"][0].items() if k != "counts"}}
        ],
        "thumbnail": data["thumbnail"],
        "license": data["license"],
    }
    path.write_text(yaml.safe_dump(reordered, sort_keys=False), encoding="utf-8")
    record = load_record(path)
    record.language = "fr"
    save_record(record, path)
    keys = list(yaml.safe_load(path.read_text()))
    assert keys[:3] == ["users", "thumbnail", "license"]  # the hand-written order stays first
    assert list(yaml.safe_load(path.read_text())["users"][0])[0] == "counts"
    assert yaml.safe_load(path.read_text())["language"] == "fr"


def test_save_is_atomic(tmp_path, monkeypatch):
    record = make_record()
    path = tmp_path / "r.yaml"
    save_record(record, path)
    before = path.read_bytes()

    def crash(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    record.language = "de"
    with pytest.raises(WriteError, match=r"r\.yaml: could not be written \(No space left on device\).*free some space"):
        save_record(record, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.yaml"]


def test_dump_has_no_empty_sections():
    text = dump_record(make_record())
    assert "wandb" not in text and "training" not in text and "publish" not in text and "null" not in text


def test_hand_written_exponents_are_numbers(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(
        yaml.safe_dump(SINGLE)
        + "training:\n  hyperparameters: {learning_rate: 1e-4, weight_decay: 1.5E+2, note: '1e-4'}\n"
    )
    assert load_record(path).training.hyperparameters == {"learning_rate": 1e-4, "weight_decay": 150.0, "note": "1e-4"}
