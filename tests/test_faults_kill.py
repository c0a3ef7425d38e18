"""Fault suite: kill -9 at every write of every command (tests/kill_at.py finds the points and kills there).

For each command and each of its write points: start from the same state, kill the command there, check
that nothing on disk is half-written (every record, post store, stats and journal line loads, or is a torn
journal tail the next run repairs, or a prepare set that train refuses), then run the command again and
check it ends exactly where an uninterrupted run ends: same files, same records, one commit per repo.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hf_tweets.cards.record import load_record, save_record
from hf_tweets.training.prepare import check_prepared

from conftest import REPO_ROOT, SEED_CARDS, make_record
from test_republish import seed_repos
from tiny_model import build_tiny_model

pytestmark = pytest.mark.slow
KILL_AT = Path(__file__).with_name("kill_at.py")
EXAMPLE = REPO_ROOT / "examples" / "sample-archive.zip"


def child(n: int, log: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"HF_TWEETS_RETRY_BASE": "0.01", "WANDB_MODE": "disabled"}
    return subprocess.run(
        [sys.executable, str(KILL_AT), str(n), str(log), "--", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def nothing_half_written(work: Path) -> None:
    """Every file hf-tweets keeps loads; a torn journal tail and an interrupted prepare set are the two
    in-between states allowed, because the next run repairs the one and train refuses the other."""
    for path in (work / "cards").glob("*.yaml"):
        load_record(path)
    for path in (work / "data").rglob("*"):
        if path.name.startswith(".") or not path.is_file() or "checkpoint" in str(path):
            continue
        if path.suffix == ".jsonl":
            lines = path.read_bytes().split(b"\n")
            complete, tail = lines[:-1], lines[-1]
            assert all(json.loads(line) for line in complete if line.strip()), path
            assert not tail or path.name == "journal.jsonl", f"{path} ends in half a line"
        elif path.suffix == ".json":
            json.loads(path.read_text())
    for stats in (work / "data").glob("*/stats.json"):
        problem = check_prepared(stats.parent)
        assert problem is None or "interrupted" in problem, problem


@dataclass
class Scenario:
    args: list[str]
    setup: callable  # (work, hub, run) -> None
    state: callable  # (work, hub) -> what must be the same after "killed, then run again" as after one run
    only: tuple[str, ...] = ()  # kill only at points whose label holds one of these (default: all)
    env: dict = field(default_factory=dict)


def _files(*globs):
    def state(work, hub):
        return {str(p.relative_to(work)): p.read_bytes() for g in globs for p in sorted(work.glob(g)) if p.is_file()}

    return state


def _hub_and(*globs):
    def state(work, hub):
        repos = {
            r: (
                len(hub.repo(r).commits),
                len(hub.repo(r).prs),
                sorted((p, e.sha256) for p, e in hub.repo(r).head.files.items()),
            )
            for r in sorted(hub.store.repos)
        }
        records = {
            p.name: load_record(p).model_dump(exclude={"training": {"train_seconds"}})
            for p in (work / "cards").glob("*.yaml")
        }
        heads = {r: hub.repo(r).head.sha for r in hub.store.repos}
        for data in records.values():  # a commit's sha has its time in it: compare "is the head", not the sha
            data["publish"] = {r: s["commit"] == heads.get(r) for r, s in data["publish"].items()}
        return repos, records, _files(*globs)(work, hub)

    return state


def _fetched(work, hub, run):
    assert run("fetch", "--archive", str(EXAMPLE))[0] == 0


def _prepared(work, hub, run):
    _fetched(work, hub, run)
    assert run("prepare", "pixel_poet")[0] == 0


def _record_and_model(work, hub, run):
    save_record(make_record(), work / "cards" / "pixel_poet.yaml")
    build_tiny_model(work / "model")


def _seeded(work, hub, run):
    seed_repos(hub, work / "cards", 3)
    templates = work / "templates"
    shutil.copytree(REPO_ROOT / "templates", templates)
    (templates / "partials" / "about.md.j2").write_text("## About\n\nMaintained by the collection team.\n")


def _ran(work, hub, run):
    assert run("run", "--archive", str(EXAMPLE), "--base-model", "tiny", "--epochs", "1", "--wandb", "off")[0] == 0


SCENARIOS = {
    "card import": Scenario(
        ["card", "import", *map(str, sorted(SEED_CARDS.iterdir()))], lambda w, h, r: None, _files("cards/*")
    ),
    "fetch --archive": Scenario(["fetch", "--archive", str(EXAMPLE)], lambda w, h, r: None, _files("data/raw/*")),
    "prepare": Scenario(["prepare", "pixel_poet"], _fetched, _files("data/pixel_poet/*", "cards/*")),
    "publish": Scenario(["publish", "pixel_poet", "--model-dir", "model"], _record_and_model, _hub_and()),
    "republish": Scenario(
        ["republish", "--max-commits-per-hour", "0", "--jobs", "1"],
        _seeded,
        _hub_and(),
        env={"HF_TWEETS_TEMPLATES_DIR": "templates"},
    ),
    # Training runs take seconds each: kill with the temp file of each write ready (after its rename, the state is
    # the one a kill before the next write leaves), not twice per write as above.
    "train": Scenario(
        ["train", "pixel_poet", "--base-model", "tiny", "--epochs", "1", "--wandb", "off"],
        _prepared,
        lambda work, hub: (
            load_record(work / "cards" / "pixel_poet.yaml").training.model_dump(exclude={"train_seconds"}),
            (work / "out" / "pixel_poet" / "model.safetensors").is_file(),
        ),
        only=("temp:", "staged:", "swapping:"),
    ),
    # The stages after training (samples, thumbnail, card, publish); training itself is the scenario above.
    "run --publish": Scenario(
        ["run", "--archive", str(EXAMPLE), "--base-model", "tiny", "--epochs", "1", "--wandb", "off", "--publish"],
        _ran,
        _hub_and("out/pixel_poet/README.md"),
        only=("temp:cards/", "temp:out/", "commit:"),
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_kill_9_at_every_write_loses_nothing_and_a_rerun_finishes(name, tmp_path, hub, run, monkeypatch):
    scenario = SCENARIOS[name]
    origin = tmp_path / "origin"
    origin.mkdir()
    monkeypatch.chdir(origin)
    scenario.setup(origin, hub, run)
    for key, value in scenario.env.items():
        monkeypatch.setenv(key, value)
    start = hub.snapshot()

    def fresh(folder: Path) -> Path:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(origin, folder, symlinks=True)
        hub.restore(start)
        return folder

    work, log = fresh(tmp_path / "reference"), tmp_path / "points.log"
    done = child(0, log, scenario.args, work)
    assert done.returncode == 0, done.stderr[-2000:]
    expected = scenario.state(work, hub)
    points = [
        (n, label)
        for n, label in enumerate(log.read_text().splitlines(), 1)
        if not scenario.only or any(part in label for part in scenario.only)
    ]
    assert points, "the command made no write"
    for n, label in points:
        work = fresh(tmp_path / "work")
        killed = child(n, tmp_path / "ignored.log", scenario.args, work)
        assert killed.returncode == -9, f"not killed at {n} ({label}): {killed.stderr[-1000:]}"
        nothing_half_written(work)
        again = child(0, tmp_path / "ignored.log", scenario.args, work)
        assert again.returncode == 0, f"rerun after a kill at {label}: {again.stderr[-1500:]}"
        assert scenario.state(work, hub) == expected, f"after a kill at {label}"
