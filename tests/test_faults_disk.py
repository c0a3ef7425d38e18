"""Fault suite: a full disk. On a small tmpfs filled to the last block, every command fails with one line naming
the file it could not write and what to do, leaves every file as it was (or a state the next run repairs),
and after space is freed the same command finishes. Needs root (to mount the tmpfs); skipped otherwise."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess

import pytest

from hf_tweets.cards.recordfile import load_record, save_record
from hf_tweets.training.prepare import check_prepared

from conftest import SAMPLE_ARCHIVE, SEED_CARDS, make_record, republish
from tiny_model import build_tiny_model

EXAMPLE = SAMPLE_ARCHIVE


@pytest.fixture
def disk(tmp_path, monkeypatch):
    """A 4 MiB tmpfs as the working folder; ``disk.fill()`` uses up its last block, ``disk.free()`` gives it back."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or done.returncode}); run as root")
    monkeypatch.chdir(mount)

    class Disk:
        path = mount
        filler = mount / "filler"

        def fill(self):
            fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            try:
                while True:
                    os.write(fd, b"\0" * 4096)
            except OSError as error:
                assert error.errno == errno.ENOSPC
            finally:
                os.close(fd)

        def free(self):
            self.filler.unlink()

    yield Disk()
    monkeypatch.chdir(tmp_path)
    subprocess.run(["umount", "-l", str(mount)], check=False)


def one_error(err: str, path: str) -> None:
    assert err.count("hf-tweets: error:") == 1 and "Traceback" not in err, err
    assert f"{path}: could not be written (No space left on device)" in err and "free some space" in err, err


def test_card_import_on_a_full_disk(run, disk):
    assert run("card", "import", str(SEED_CARDS / "mike_massive.README.md"))[0] == 0
    record = disk.path / "cards" / "mike_massive.yaml"
    edited = record.read_text().replace("language: en", "language: de")
    record.write_text(edited)
    disk.fill()
    code, _, err = run("card", "import", *map(str, sorted(SEED_CARDS.iterdir())))
    assert code == 1 and "cards/mike_massive.yaml: could not be written (No space left on device)" in err
    assert record.read_text() == edited  # the old record is whole
    assert not list((disk.path / "cards").glob(".*.tmp"))
    disk.free()
    assert run("card", "import", *map(str, sorted(SEED_CARDS.iterdir())))[0] == 0
    assert len(list((disk.path / "cards").glob("*.yaml"))) == 3


def test_fetch_and_prepare_on_a_full_disk(run, disk):
    assert run("fetch", "--archive", str(EXAMPLE))[0] == 0
    store = disk.path / "data" / "raw" / "pixel_poet.jsonl"
    before = store.read_bytes()
    store.write_bytes(b"".join(before.splitlines(keepends=True)[:100]))  # as if an older, smaller fetch
    older = store.read_bytes()
    disk.fill()
    code, _, err = run("fetch", "--archive", str(EXAMPLE))
    assert code == 1 and store.read_bytes() == older
    one_error(err, "data/raw/pixel_poet.jsonl")
    disk.free()
    assert run("fetch", "--archive", str(EXAMPLE))[0] == 0 and store.read_bytes() == before

    assert run("prepare", "pixel_poet")[0] == 0
    stats = (disk.path / "data" / "pixel_poet" / "stats.json").read_bytes()
    disk.fill()
    code, _, err = run("prepare", "pixel_poet", "--seed", "7")
    assert code == 1 and err.count("hf-tweets: error:") == 1 and "No space left on device" in err
    folder = disk.path / "data" / "pixel_poet"
    assert (folder / "stats.json").read_bytes() == stats and check_prepared(folder) in (None, _interrupted(folder))
    disk.free()
    assert run("prepare", "pixel_poet", "--seed", "7")[0] == 0 and check_prepared(folder) is None


def _interrupted(folder):
    return check_prepared(folder) if "interrupted" in (check_prepared(folder) or "") else None


def test_publish_on_a_full_disk_records_the_commit_once_there_is_room(run, hub, disk, tmp_path):
    card = disk.path / "cards" / "pixel_poet.yaml"
    save_record(make_record(), card)
    model = build_tiny_model(tmp_path / "model")
    before = card.read_bytes()
    disk.fill()
    code, _, err = run("publish", "pixel_poet", "--model-dir", str(model))
    head = hub.repo("huggingtweets/pixel_poet").head.sha
    assert code == 1 and f"published as {head[:7]}, but the record could not be updated" in err
    assert "cards/pixel_poet.yaml: could not be written (No space left on device)" in err
    assert card.read_bytes() == before
    disk.free()
    code, out, _ = run("publish", "pixel_poet", "--model-dir", str(model))
    assert code == 0 and "is up to date" in out  # nothing sent twice, and now the record knows
    assert load_record(card).published().commit == head and len(hub.repo("huggingtweets/pixel_poet").commits) == 2


def test_republish_on_a_full_disk_keeps_the_journal_whole(run, hub, disk, tmp_path, changed_template):
    shutil.copytree(tmp_path / "cards", disk.path / "cards")
    disk.fill()
    code, out, _ = republish(run, "--jobs", "1")
    assert code == 1 and "6 failed" in out and "could not be written (No space left on device)" in out
    journal = disk.path / "data" / "republish" / "journal.jsonl"
    assert not journal.exists() or all(json.loads(line) for line in journal.read_text().splitlines())
    disk.free()
    code, out, _ = republish(run)
    assert code == 0 and "6 unchanged" in out  # every commit landed before the disk refused: none is made twice
    assert all(len(hub.repo(f"huggingtweets/bot{i}").commits) == 3 for i in range(6))
    assert all(
        load_record(disk.path / "cards" / f"bot{i}.yaml").published().commit
        == hub.repo(f"huggingtweets/bot{i}").head.sha
        for i in range(6)
    )


@pytest.mark.slow
def test_batch_on_a_full_disk_reports_each_bot_and_a_rerun_finishes(run, disk, tmp_path, tiny_model):
    """Records and data on the full disk, models beside it: every bot fails in one line, none stops the others,
    the journal stays whole; with space again the same command trains them all."""
    bots = [{"archive": str(EXAMPLE), "name": name, "base_model": str(tiny_model), "epochs": 1} for name in "ab"]
    (tmp_path / "bots.yaml").write_text(json.dumps(bots))
    out = ["--out", str(tmp_path / "out")]
    os.environ["WANDB_MODE"] = "disabled"
    try:
        disk.fill()
        code, report, err = run("batch", str(tmp_path / "bots.yaml"), *out, "--json")
        assert code == 1, err
        outcomes = [json.loads(line) for line in report.splitlines()]
        assert [(o["key"], o["status"]) for o in outcomes] == [("a", "failed"), ("b", "failed")]
        assert all("No space left on device" in o["reason"] for o in outcomes), outcomes
        journal = disk.path / "data" / "batch" / "journal.jsonl"
        assert not journal.exists() or all(json.loads(line) for line in journal.read_text().splitlines())
        disk.free()
        code, report, err = run("batch", str(tmp_path / "bots.yaml"), *out)
        assert code == 0, report + err
        assert [line.split()[:2] for line in report.splitlines()] == [["a", "trained"], ["b", "trained"]]
    finally:
        os.environ.pop("WANDB_MODE", None)
