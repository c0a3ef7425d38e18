"""Fault suite: kill -9 at every write of every command (tests/kill_at.py finds the points and kills there).

For each command and each of its write points: start from the same state, kill the command there, check
that nothing on disk is half-written (every record, post store, stats and journal line loads, or is a torn
journal tail the next run repairs, or a prepare set that train refuses), then run the command again and
check it ends exactly where an uninterrupted run ends: same files, same records, one commit per repo.
The runs that are killed are real processes, forked from one that has imported everything once
(``kill_at.Killer``); the run after each kill runs in this process, which has too.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from hf_tweets.cards.recordfile import load_record, save_record
from hf_tweets.training.prepare import check_prepared

from archive_factory import made_up_tweets, write_archive
from conftest import REPO_ROOT, SEED_CARDS, make_record, seed_repos
from kill_at import Killer
from tiny_model import build_tiny_model

pytestmark = pytest.mark.slow
KILLER = Killer()
BASE = "<the tiny_model fixture>"  # replaced by its folder: a 2-layer model that trains in a second
# 200 made-up posts instead of the quickstart's 600: every training here runs some 30 times (a third less each),
# and the write points are the same whatever the number of posts.
_SCRATCH = tempfile.mkdtemp(prefix="hf-tweets-kill-")  # made as the module is collected, gone as the process ends
atexit.register(shutil.rmtree, _SCRATCH, True)
EXAMPLE = write_archive(Path(_SCRATCH) / "archive.zip", made_up_tweets(200))


def child(n: int, log: Path, args: list[str], cwd: Path) -> tuple[int, str]:
    """Run hf-tweets in a process of its own, killed at write point ``n`` (0: never): (exit code, output)."""
    return KILLER(n, log, args, cwd, os.environ | {"HF_TWEETS_RETRY_BASE": "0.01", "WANDB_MODE": "disabled"})


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
    setup: callable  # (work, hub, run, base model folder) -> None
    state: callable  # (work, hub) -> what must be the same after "killed, then run again" as after one run
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


def _fetched(work, hub, run, base):
    assert run("fetch", "--archive", str(EXAMPLE))[0] == 0


def _prepared(work, hub, run, base):
    _fetched(work, hub, run, base)
    assert run("prepare", "pixel_poet")[0] == 0


def _record_and_model(work, hub, run, base):
    save_record(make_record(), work / "cards" / "pixel_poet.yaml")
    build_tiny_model(work / "model")


def _seeded(work, hub, run, base):
    seed_repos(hub, work / "cards", 3)
    templates = work / "templates"
    shutil.copytree(REPO_ROOT / "templates", templates)
    (templates / "partials" / "about.md.j2").write_text("## About\n\nMaintained by the collection team.\n")


def _ran(work, hub, run, base):
    assert run("run", "--archive", str(EXAMPLE), "--base-model", base, "--epochs", "1", "--wandb", "off")[0] == 0


def _ran_lora(work, hub, run, base):
    args = ["run", "--archive", str(EXAMPLE), "--base-model", "tiny", "--lora", "--epochs", "1", "--wandb", "off"]
    assert run(*args)[0] == 0


def _two_bots(work, hub, run, base):
    bots = [{"archive": str(EXAMPLE), "name": name, "base_model": base, "epochs": 1} for name in ("wren", "moss")]
    (work / "bots.yaml").write_text(json.dumps(bots))  # JSON is YAML


def _batch_state(work, hub):
    """Each bot trained, its record whole, the journal saying so (a bot killed as an orphan trains again)."""
    journal = {}
    for line in (work / "data" / "batch" / "journal.jsonl").read_text().splitlines():
        entry = json.loads(line)
        journal[entry["key"]] = entry["status"]
    records = {p.stem: load_record(p) for p in sorted((work / "cards").glob("*.yaml"))}
    return (
        journal,
        {name: ([u.handle for u in r.users], r.training is not None) for name, r in records.items()},
        sorted(str(p.relative_to(work)) for p in work.glob("out/*/model.safetensors")),
    )


SCENARIOS = {
    "card import": Scenario(
        ["card", "import", *map(str, sorted(SEED_CARDS.iterdir()))], lambda *_: None, _files("cards/*")
    ),
    "fetch --archive": Scenario(["fetch", "--archive", str(EXAMPLE)], lambda *_: None, _files("data/raw/*")),
    "prepare": Scenario(["prepare", "pixel_poet"], _fetched, _files("data/pixel_poet/*", "cards/*")),
    "publish": Scenario(["publish", "pixel_poet", "--model-dir", "model"], _record_and_model, _hub_and()),
    "republish": Scenario(
        ["republish", "--max-commits-per-hour", "0", "--jobs", "1"],
        _seeded,
        _hub_and(),
        env={"HF_TWEETS_TEMPLATES_DIR": "templates"},
    ),
    # Training, with its checkpoint marker, the model folder's swap and the record.
    "train": Scenario(
        ["train", "pixel_poet", "--base-model", BASE, "--epochs", "1", "--wandb", "off"],
        _prepared,
        lambda work, hub: (
            load_record(work / "cards" / "pixel_poet.yaml").training.model_dump(exclude={"train_seconds"}),
            (work / "out" / "pixel_poet" / "model.safetensors").is_file(),
        ),
    ),
    # After a run without --publish: what --publish adds (samples, thumbnail, card, the commit, the record).
    "run --publish": Scenario(
        ["run", "--archive", str(EXAMPLE), "--base-model", BASE, "--epochs", "1", "--wandb", "off", "--publish"],
        _ran,
        _hub_and("out/pixel_poet/README.md"),
    ),
    # A LoRA adapter: the adapter folder's swap, then the tiny base's repo and the adapter's, one commit each.
    "train --lora": Scenario(
        ["train", "pixel_poet", "--base-model", BASE, "--lora", "--epochs", "1", "--wandb", "off"],
        _prepared,
        lambda work, hub: (
            load_record(work / "cards" / "pixel_poet.yaml").training.model_dump(exclude={"train_seconds"}),
            (work / "out" / "pixel_poet" / "adapter_model.safetensors").is_file(),
        ),
    ),
    # The batch's own writes are its journal lines; a bot's process dies with it (PR_SET_PDEATHSIG).
    "batch": Scenario(["batch", "bots.yaml", "--jobs", "1"], _two_bots, _batch_state, env={"WANDB_MODE": "disabled"}),
    "run --publish --lora": Scenario(
        ["run", "--archive", str(EXAMPLE), "--base-model", "tiny", "--lora", "--epochs", "1", "--wandb", "off"]
        + ["--publish"],
        _ran_lora,
        _hub_and("out/pixel_poet/README.md"),
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_kill_9_at_every_write_loses_nothing_and_a_rerun_finishes(name, tmp_path, hub, run, monkeypatch, tiny_model):
    scenario = SCENARIOS[name]
    origin = tmp_path / "origin"
    origin.mkdir()
    monkeypatch.chdir(origin)
    base = str(tiny_model)
    scenario = replace(scenario, args=[base if a == BASE else a for a in scenario.args])
    scenario.setup(origin, hub, run, base)
    for key, value in scenario.env.items():
        monkeypatch.setenv(key, value)
    start = hub.snapshot()

    def fresh(folder: Path) -> Path:
        monkeypatch.chdir(tmp_path)  # the rerun ran in the folder being replaced
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(origin, folder, symlinks=True)
        hub.restore(start)
        return folder

    work, log = fresh(tmp_path / "reference"), tmp_path / "points.log"
    code, output = child(0, log, scenario.args, work)
    assert code == 0, output[-2000:]
    expected = scenario.state(work, hub)
    points = list(enumerate(log.read_text().splitlines(), 1))
    assert points, "the command made no write"
    for n, label in points:
        work = fresh(tmp_path / "work")
        code, output = child(n, tmp_path / "ignored.log", scenario.args, work)
        assert code == -9, f"not killed at {n} ({label}): {output[-1000:]}"
        nothing_half_written(work)
        monkeypatch.chdir(work)  # the rerun runs in this process: it has torch loaded already
        code, _, err = run(*scenario.args)
        assert code == 0, f"rerun after a kill at {label}: {err[-1500:]}"
        assert scenario.state(work, hub) == expected, f"after a kill at {label}"
