"""Fault suite: state on disk under concurrency and interruption. An edit made while a command runs is never
reverted; a torn journal line is repaired; prepare's files are one unit; a resumed training records the whole run."""

from __future__ import annotations

import errno
import json
import os

import pytest
from huggingface_hub import HfApi

from hf_tweets.cards.recordfile import load_record, save_record

from conftest import SAMPLE_ARCHIVE, make_record, republish
from tiny_model import build_tiny_model

EXAMPLE = SAMPLE_ARCHIVE


def edit_during(monkeypatch, target, method, edit):
    """Run ``edit()`` (a hand edit of a record) inside ``target.method``, just before the real one."""
    real = getattr(target, method)

    def wrapped(*args, **kwargs):
        edit()
        return real(*args, **kwargs)

    monkeypatch.setattr(target, method, wrapped)
    return lambda: monkeypatch.setattr(
        target, method, real
    )  # undo this patch only (monkeypatch.undo() would undo chdir)


def hand_edit(path, old, new):
    """One edit, made once (the first time the patched call runs), as a person would."""
    done = []

    def edit():
        if not done:
            done.append(True)
            path.write_text(path.read_text().replace(old, new))

    return edit


# -- edits made while a command runs are kept ------------------------------------------------------


@pytest.mark.slow
def test_publish_keeps_an_edit_made_while_it_runs(run, hub, tmp_path, monkeypatch):
    card = tmp_path / "cards" / "pixel_poet.yaml"
    save_record(make_record(), card)
    model = build_tiny_model(tmp_path / "model")
    edit_during(monkeypatch, HfApi, "create_commit", hand_edit(card, "license: mit", "license: apache-2.0"))
    assert run("publish", "pixel_poet", "--model-dir", str(model))[0] == 0
    text = card.read_text()
    assert "license: apache-2.0" in text and f"commit: {hub.repo('huggingtweets/pixel_poet').head.sha}" in text


def test_republish_keeps_edits_made_while_it_runs(run, hub, tmp_path, changed_template, monkeypatch):
    card = tmp_path / "cards" / "bot1.yaml"
    restore = edit_during(monkeypatch, HfApi, "create_commit", hand_edit(card, "Bot number 1", "Bot number one"))
    code, out, _ = republish(run, "--jobs", "1")
    assert code == 0 and "6 changed" in out
    text = card.read_text()
    assert "Bot number one" in text and f"commit: {hub.repo('huggingtweets/bot1').head.sha}" in text
    restore()
    code, out, _ = republish(run, "--only", "bot1")  # the edit was not on the card yet: now it goes out
    assert "1 changed" in out


def test_card_import_during_republish_is_kept(run, hub, tmp_path, changed_template, monkeypatch):
    card = tmp_path / "cards" / "bot2.yaml"
    edited = load_record(card)
    edited.license = "apache-2.0"
    readme = tmp_path / "bot2.md"
    from hf_tweets.cards.render import render

    readme.write_text(render(edited))
    edit_during(monkeypatch, HfApi, "create_commit", lambda: run("card", "import", str(readme)))
    assert republish(run, "--only", "bot2")[0] == 0
    record = load_record(card)
    assert record.license == "apache-2.0" and record.published().commit == hub.repo("huggingtweets/bot2").head.sha


@pytest.mark.slow
def test_train_keeps_an_edit_made_while_it_trains(run, prepared, tmp_path, monkeypatch, fast):
    import transformers

    card = tmp_path / "cards" / "pixel_poet.yaml"
    edit_during(
        monkeypatch,
        transformers.Trainer,
        "train",
        hand_edit(card, "widget_prompt: My dream is", "widget_prompt: Today I"),
    )
    assert run("train", "pixel_poet", *fast)[0] == 0
    record = load_record(card)
    assert record.widget_prompt == "Today I" and record.training.eval_loss is not None


# -- the republish journal -----------------------------------------------------------------------


def journal(tmp_path):
    return tmp_path / "data" / "republish" / "journal.jsonl"


SHOWN = "data/republish/journal.jsonl"  # as messages name it (relative to the folder the command ran in)


def test_a_torn_journal_line_is_repaired(run, hub, tmp_path, changed_template):
    assert republish(run, "--only", "bot0")[0] == 0
    path = journal(tmp_path)
    path.write_bytes(path.read_bytes() + b'{"repo_id": "huggingtweets/bot1", "sta')  # a full disk cut this write
    code, out, err = republish(run)
    assert code == 0 and "5 changed, 1 unchanged" in out
    assert f"{SHOWN}: dropped a line cut short by an earlier run" in err
    assert [json.loads(line)["repo_id"] for line in path.read_text().splitlines()][0] == "huggingtweets/bot0"


def test_a_damaged_journal_names_the_file_and_the_line(run, hub, tmp_path, changed_template):
    path = journal(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(
        '{"repo_id": "huggingtweets/bot0", "status": "changed", "readme_sha256": "x", "commit": null}\nnot json\n{}\n'
    )
    code, _, err = republish(run)
    assert code == 1 and f"{SHOWN}: line 2 is not a journal entry; delete that line, or the file" in err
    assert len(err.strip().splitlines()) == 1


def test_the_journal_stays_valid_on_a_full_disk(run, hub, tmp_path, changed_template, monkeypatch):
    import hf_tweets.fsutil as fsutil

    real = os.write

    def full_after_half(fd, data):
        if b"huggingtweets/bot3" in bytes(data):
            real(fd, bytes(data)[: len(data) // 2])  # part of the line reaches the disk, then it is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data)

    monkeypatch.setattr(fsutil.os, "write", full_after_half)
    code, out, _ = republish(run, "--jobs", "1")
    assert code == 1 and f"huggingtweets/bot3: {SHOWN}: could not be written (No space left on device)" in out
    lines = journal(tmp_path).read_text().splitlines(keepends=True)
    assert all(line.endswith("\n") and json.loads(line) for line in lines) and len(lines) == 5  # no half line
    monkeypatch.setattr(fsutil.os, "write", real)
    code, out, _ = republish(run)
    assert code == 0 and "6 unchanged" in out  # bot3 landed: the Hub's README says so


# -- prepare's files are one unit -------------------------------------------------------------


@pytest.mark.slow
def test_a_prepare_cut_short_is_never_trained_on(run, prepared, tmp_path, monkeypatch, fast):
    import hf_tweets.fsutil as fsutil

    real = fsutil.os.replace

    def die_before_eval(src, dst):  # train.txt of the new prepare lands, then the process dies
        if str(dst).endswith("eval.txt"):
            raise KeyboardInterrupt
        return real(src, dst)

    monkeypatch.setattr(fsutil.os, "replace", die_before_eval)
    assert run("prepare", "pixel_poet", "--seed", "7")[0] == 130
    monkeypatch.setattr(fsutil.os, "replace", real)
    code, _, err = run("train", "pixel_poet", *fast)
    assert code == 1 and "train.txt that does not match stats.json (a prepare was interrupted)" in err
    assert "run hf-tweets prepare pixel_poet again" in err
    folder = tmp_path / "data" / "pixel_poet"
    orphan = folder / f".eval.txt.{2**22 + 11}.0123abcd.tmp"  # what a kill -9 would leave
    orphan.write_text("half")
    assert run("prepare", "pixel_poet")[0] == 0 and not orphan.exists()
    assert run("train", "pixel_poet", *fast)[0] == 0


# -- a resumed training records the whole run ---------------------------------------------------


@pytest.mark.slow
def test_resume_records_the_whole_run(run, prepared, tmp_path, interrupt_training, fast):
    assert run("train", "pixel_poet", *fast, "--out", "whole")[0] == 0
    whole = load_record(tmp_path / "cards" / "pixel_poet.yaml").training
    undo = interrupt_training(20)
    assert run("train", "pixel_poet", *fast)[0] == 1
    checkpoint = tmp_path / "data" / "pixel_poet" / "checkpoints" / "checkpoint-20"
    first_part = json.loads((checkpoint / "hf_tweets.json").read_text())["seconds"]
    undo()
    assert run("train", "pixel_poet", *fast, "--resume")[0] == 0
    resumed = load_record(tmp_path / "cards" / "pixel_poet.yaml").training
    assert resumed.train_loss == pytest.approx(whole.train_loss, rel=0.02)  # the whole run's, not the last part's
    assert resumed.eval_loss == pytest.approx(whole.eval_loss, rel=0.02)
    assert resumed.train_seconds >= first_part > 0
    code, _, err = run("train", "pixel_poet", *fast, "--resume")
    assert code == 1 and "nothing to resume: the run in data/pixel_poet/checkpoints finished" in err
    assert load_record(tmp_path / "cards" / "pixel_poet.yaml").training == resumed  # and the record is untouched
