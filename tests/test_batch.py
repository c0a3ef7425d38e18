"""hf-tweets batch: the file, the journal, retries, and the local and Ray executors running real tiny bots."""

from __future__ import annotations

import json
import os
import textwrap
from concurrent.futures import Future
from pathlib import Path

import pytest

from hf_tweets.errors import HfTweetsError
from hf_tweets.fleet.base import Attempt
from hf_tweets.fleet.batch import run_batch
from hf_tweets.fleet.spec import Bot, load_bots
from hf_tweets.folders import Folders
from hf_tweets.journal import Journal

from archive_factory import made_up_tweets, write_archive
from conftest import SAMPLE_ARCHIVE


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# -- the file ------------------------------------------------------------------------------------------


def test_a_file_of_bots_with_defaults(tmp_path):
    write_archive(tmp_path / "a.zip", made_up_tweets(5), handle="quill_wren")
    bots = load_bots(
        write(
            tmp_path / "bots.yaml",
            """
            defaults: {base_model: tiny, epochs: 2, publish: true}
            bots:
              - handles: [alice.bsky.social, "@bob@mastodon.social"]
                consent: permission
              - archive: a.zip
                name: wren-bot
                lora: true
                epochs: 1
                cpus: 2
              - handle: x:carol
                publish: false
                onnx: false
            """,
        )
    )
    assert [b.key for b in bots] == ["alice-bsky-social-bob-at-mastodon-social", "wren-bot", "carol"]
    # --no-onnx: the suite's HF_TWEETS_ONNX=0, the default where the batch starts
    assert bots[0].run_args() == [
        "run", "alice.bsky.social", "@bob@mastodon.social", "--base-model", "tiny", "--epochs", "2",
        "--consent", "permission", "--publish", "--no-onnx",
    ]  # fmt: skip
    assert bots[1].run_args() == [
        "run", "--archive", str(tmp_path / "a.zip"), "--name", "wren-bot", "--base-model", "tiny", "--epochs", "1",
        "--lora", "--publish", "--no-onnx",
    ]  # fmt: skip
    assert bots[2].run_args() == ["run", "x:carol", "--base-model", "tiny", "--epochs", "2", "--no-onnx"]
    assert (bots[1].cpus, bots[2].publish, bots[2].handles) == (2, False, ("x:carol",))


EPOCHS = "a number above 0 and at most 1,000"  # the same words as train's and run's (TrainConfig)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "bots.yaml: lists no bots; add a list of bots under 'bots:'"),
        ("bots: []\nextra: 1\n", "bots.yaml: has unknown top-level keys extra; write 'bots:'"),
        ("- {handle: alice, epochz: 2}\n", "bots.yaml: bot 1: has an unknown setting 'epochz'; use one of name,"),
        ("- {handle: alice, epochs: two}\n", "bots.yaml: bot 1: 'epochs' must be a number (int/float); fix 'epochs'"),
        ("- {handle: alice, lora: 1}\n", "bots.yaml: bot 1: 'lora' must be true or false (bool)"),
        ("- {name: x}\n", "bots.yaml: bot 1: needs accounts (handles:) or an archive (archive:), one of them"),
        ("- {handles: [alice], archive: a.zip}\n", "needs accounts (handles:) or an archive (archive:), one of them"),
        ("- {handle: alice, consent: self}\n", "bot 1: consent 'self' is not one of public, permission"),
        ("- {handle: 'not a handle!'}\n", "bots.yaml: bot 1: "),
        ("- {handle: alice, name: ../up}\n", "bot 1: name '../up' is not a repo name"),
        ("- {handle: alice}\n- {handle: x:alice}\n", "bot 2 and bot 1 are both 'alice'; give one of them another name"),
        ("- [alice]\n", "bot 1: is not a mapping of settings"),
        ("- {handle: alice, epochs: -1}\n", f"bot 1: epochs -1 is out of range; give epochs {EPOCHS}"),
        ("- {handle: alice, epochs: 0}\n", f"bot 1: epochs 0 is out of range; give epochs {EPOCHS}"),
        ("- {handle: alice, epochs: .nan}\n", f"bot 1: epochs nan is out of range; give epochs {EPOCHS}"),
        ("defaults: {epochs: .inf}\nbots: [{handle: alice}]\n", "bot 1: epochs inf is out of range"),
        ("- {handle: alice, namespace: ../evil}\n", "bot 1: '../evil' is not a Hub user or organisation name"),
        ("bots: [{handle: alice}\n", "bots.yaml: line 2: is not valid YAML ("),
        ("- handle: alice\n  name: x\n  name: y\n", "bots.yaml: line 3: 'name' is set twice (lines 2 and 3); keep one"),
        ("bots: []\nbots: [{handle: alice}]\n", "bots.yaml: line 2: 'bots' is set twice (lines 1 and 2); keep one"),
        ("- {handle: alice, name: !!binary aGk=}\n", "bots.yaml: line 1: holds binary data (!!binary)"),
        ("- {handle: alice, epochs: " + "[" * 150 + "]" * 150 + "}\n", "bots.yaml: line 1: is nested more than 100"),
        ("- {handle: alice, epochs: " + "9" * 40 + "}\n", "bot 1: 'epochs' must be a number (int/float)"),
    ],
    ids=[
        "empty",
        "top-level key",
        "unknown setting",
        "wrong type",
        "int for bool",
        "no source",
        "two sources",
        "consent self",
        "bad handle",
        "unsafe name",
        "same name twice",
        "not a mapping",
        "negative epochs",
        "no epochs",
        "NaN epochs",
        "infinite epochs by default",
        "unsafe namespace",
        "bad yaml",
        "a key twice",
        "a section twice",
        "binary",
        "nested 150 deep",
        "a 40-digit number",
    ],  # fmt: skip
)
def test_a_bad_file_is_refused_in_one_line_before_any_work(tmp_path, run, text, message):
    path = write(tmp_path / "bots.yaml", text)
    with pytest.raises(HfTweetsError) as caught:
        load_bots(path)
    assert message in caught.value.line(), caught.value.line()
    code, out, err = run("batch", str(path))
    assert code == 1 and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "data").exists()


# Each of run's options as a bot setting: a value other than run's default, and what run's parsing makes of it.
NOT_DEFAULT = {
    "name": ("the-bot", "the-bot"), "handle": ("alice.bsky.social", "alice.bsky.social"),
    "base_model": ("tiny", "tiny"), "epochs": (1.5, 1.5), "learning_rate": (0.0003, 0.0003),
    "batch_size": (2, 2), "block_size": (32, 32), "seed": (7, 7), "precision": ("fp32", "fp32"),
    "lora": (True, True), "lora_rank": (4, 4), "lora_alpha": (8, 8), "lora_targets": ("c_attn", "c_attn"),
    "merge": (True, True), "min_chars": (0, 0), "no_replies": (True, True), "include_cw": (True, True),
    "consent": ("permission", "permission"), "publish": (True, True), "namespace": ("my-org", "my-org"),
    "force": (True, True), "onnx": (True, True), "wandb": ("off", "off"),
}  # fmt: skip


def test_every_option_of_run_is_a_bot_setting_and_nothing_else_is():
    """A new option of run fails here until it has a row above: then it is a bot setting of the same name."""
    from hf_tweets.fleet.spec import SETTINGS
    from hf_tweets.options import FOLDER_PARAMS, RUN_PARAMS

    options = [p.opts[0].removeprefix("--").replace("-", "_") for p in RUN_PARAMS if p.param_type_name == "option"]
    folders = [p.opts[0] for p in RUN_PARAMS if p.name in FOLDER_PARAMS]
    assert sorted(SETTINGS) == sorted(o for o in options if o not in ("out", "data_dir", "cards_dir"))
    assert folders == ["--out", "--data-dir", "--cards-dir"]  # where a bot runs decides them, not the file
    assert sorted(NOT_DEFAULT) == sorted(set(SETTINGS) - {"archive"})


@pytest.mark.parametrize("key", sorted(NOT_DEFAULT))
def test_a_bot_setting_reaches_run_as_its_option_would(tmp_path, key):
    """Each setting, given in the file, is in the bot's command line (a local worker's, and a Job's) and parsed by
    run's own option into the value run would use."""
    from hf_tweets.fleet.hfjobs import job_command
    from hf_tweets.fleet.spec import SETTINGS
    from hf_tweets.options import TRAINING_OPTIONS, parse_run

    value, parsed = NOT_DEFAULT[key]
    write_archive(tmp_path / "a.zip", made_up_tweets(5), handle="quill_wren")
    inputs = "archive: a.zip" if key == "handle" else "handle: x:carol"
    (bot,) = load_bots(write(tmp_path / "bots.yaml", f"- {{{inputs}, {key}: {json.dumps(value)}}}\n"))
    values = parse_run(bot.run_args()[1:])
    param = SETTINGS[key].param
    got = getattr(values["config"], param.name) if key in TRAINING_OPTIONS else values[param.name]
    assert got == parsed, bot.run_args()
    assert values != parse_run(["x:carol"] if key != "handle" else ["--archive", str(tmp_path / "a.zip")])
    job = job_command(bot, "user/hf-tweets-batch-0")  # a Job runs the same options, its archive uploaded
    assert set(bot.run_args()[1:]) - {str(tmp_path / "a.zip")} <= set(job[2:])


def test_min_chars_0_is_a_setting_as_it_is_an_option(tmp_path):
    (bot,) = load_bots(write(tmp_path / "bots.yaml", "- {handle: x:carol, min_chars: 0}\n"))
    assert "--min-chars" in bot.run_args() and bot.run_args()[bot.run_args().index("--min-chars") + 1] == "0"


def test_every_problem_of_the_file_is_listed_at_once(tmp_path, run):
    path = write(
        tmp_path / "bots.yaml",
        """
        - {handle: alice, epochz: 2}
        - {handle: bob}
        - {handle: carol, precision: fp8}
        - {handle: dave, min_chars: -1}
        - {handle: erin, wandb: sometimes}
        """,
    )
    code, out, err = run("batch", str(path))
    assert code == 1 and out == "" and err.count("\n") == 1, err
    assert f"{path}: has 4 problems: bot 1: has an unknown setting 'epochz'; use one of name, handles," in err
    assert "; bot 3: precision is 'fp8'; give one of auto, fp32, bf16, fp16; bot 4: min_chars -1 is out" in err
    assert "; bot 5: Invalid value for '--wandb': 'sometimes' is not one of 'online', 'offline', 'off', 'auto'." in err
    assert err.rstrip().endswith("; fix each of them") and "bot 2" not in err


def test_a_bot_whose_archive_is_missing_fails_alone(tmp_path):
    from hf_tweets.fleet.worker import run_bot

    write_archive(tmp_path / "a.zip", made_up_tweets(5), handle="quill_wren")
    bots = load_bots(write(tmp_path / "bots.yaml", "- {archive: gone.zip}\n- {archive: a.zip}\n"))
    assert [b.key for b in bots] == ["gone", "a"] and len({b.fingerprint() for b in bots}) == 2
    folders = Folders.resolve(data=tmp_path / "data", cards=tmp_path / "cards", out=tmp_path / "out")
    attempt = run_bot(bots[0], folders)
    assert (attempt.status, attempt.retry) == ("failed", False)
    assert attempt.reason == (
        f"{tmp_path / 'gone.zip'}: no such file or folder; give the archive's .zip, its unpacked folder, or tweets.js"
    )
    assert not (tmp_path / "cards").exists() and not (tmp_path / "out").exists()


# -- the batch, with an executor whose outcomes the test decides ------------------------------------------


class Scripted:
    """An executor answering each submit with the next scripted Attempt of that bot (it runs nothing)."""

    name = "scripted"

    def __init__(self, script: dict[str, list[Attempt]]):
        self.script, self.calls, self.closed = script, [], False

    def submit(self, bot: Bot, avoid: str | None = None) -> Future:
        self.calls.append((bot.key, avoid))
        future: Future = Future()
        future.set_result(self.script[bot.key].pop(0))
        return future

    def close(self) -> None:
        self.closed = True


def bots(*keys: str) -> list[Bot]:
    return [Bot(key=k, handles=(k,)) for k in keys]


def test_a_worker_failure_is_tried_once_more_elsewhere_and_a_bot_failure_is_not(tmp_path):
    executor = Scripted(
        {
            "ann": [Attempt("ann", "failed", "killed by SIGKILL", worker="node-1", retry=True),
                    Attempt("ann", "trained", "model in out/ann", worker="node-2")],
            "bea": [Attempt("bea", "failed", "no such account", worker="node-1")],
            "cyd": [Attempt("cyd", "failed", "lost", worker="node-1", retry=True),
                    Attempt("cyd", "failed", "lost again", worker="node-1", retry=True)],
            "dot": [Attempt("dot", "published", "https://hub/x/dot", url="https://hub/x/dot")],
        }
    )  # fmt: skip
    journal = Journal(tmp_path / "journal.jsonl")
    report = run_batch(bots("ann", "bea", "cyd", "dot"), executor, journal, tmp_path / "optout.yaml")
    assert executor.calls == [("ann", None), ("bea", None), ("cyd", None), ("dot", None), ("ann", "node-1"),
                              ("cyd", "node-1")]  # fmt: skip
    assert [(o.key, o.status) for o in report.outcomes] == [
        ("ann", "trained"), ("bea", "failed"), ("cyd", "failed"), ("dot", "published")
    ]  # fmt: skip
    assert report.outcomes[0].reason == "model in out/ann (second try; the first failed: killed by SIGKILL)"
    assert report.outcomes[2].reason == "lost again (second try; the first failed: lost)"
    assert report.failed and executor.closed

    again = Scripted({"bea": [Attempt("bea", "failed", "no such account")], "cyd": [Attempt("cyd", "trained")]})
    report = run_batch(
        bots("ann", "bea", "cyd", "dot"), again, Journal(tmp_path / "journal.jsonl"), tmp_path / "optout.yaml"
    )
    assert again.calls == [("bea", None), ("cyd", None)]  # the finished ones are not sent anywhere
    assert report.lines() == [
        "ann  skipped    trained in an earlier run (--restart runs it again)",
        "bea  failed     no such account",
        "cyd  trained",
        "dot  skipped    published in an earlier run: https://hub/x/dot (--restart runs it again)",
    ]


def test_a_changed_bot_and_restart_run_again(tmp_path):
    journal = tmp_path / "journal.jsonl"
    run_batch(bots("ann"), Scripted({"ann": [Attempt("ann", "trained")]}), Journal(journal), tmp_path / "optout.yaml")
    changed = [Bot(key="ann", handles=("ann",), epochs=3)]
    executor = Scripted({"ann": [Attempt("ann", "trained")]})
    run_batch(changed, executor, Journal(journal), tmp_path / "optout.yaml")
    assert executor.calls == [("ann", None)]
    executor = Scripted({"ann": [Attempt("ann", "trained")]})
    run_batch(changed, executor, Journal(journal), tmp_path / "optout.yaml", restart=True)
    assert executor.calls == [("ann", None)]


def test_an_opted_out_account_is_skipped_before_any_worker(tmp_path, run):
    assert run("optout", "add", "x:ann", "--reason", "asked by e-mail")[0] == 0
    executor = Scripted({"bea": [Attempt("bea", "trained")]})
    report = run_batch(bots("ann", "bea"), executor, Journal(tmp_path / "j.jsonl"), Folders.resolve().optout)
    assert executor.calls == [("bea", None)]
    assert report.outcomes[0].status == "skipped" and "opt-out list" in report.outcomes[0].reason


# -- real bots, real processes -------------------------------------------------------------------------


@pytest.fixture
def three_bots(tmp_path, tiny_model) -> Path:
    """bots.yaml: two archives that train, and one that is not an archive (fails in its worker)."""
    write_archive(tmp_path / "wren.zip", made_up_tweets(200), handle="quill_wren", display="Quill Wren")
    write_archive(tmp_path / "moss.zip", made_up_tweets(200), handle="moss_fern", display="Moss Fern")
    (tmp_path / "broken.zip").write_bytes(b"this is not a zip file")
    return write(
        tmp_path / "bots.yaml",
        f"""
        defaults: {{base_model: "{tiny_model}", epochs: 1}}
        bots:
          - {{archive: wren.zip, name: wren}}
          - {{archive: broken.zip, name: broken}}
          - {{archive: moss.zip, name: moss}}
        """,
    )


def loaded_at_start_hook(tmp_path: Path, monkeypatch) -> Path:
    """A sitecustomize the bot host runs: each bot's process writes, as it starts, whether the language detector
    was loaded already (by the host, before it forked) into FOLDER/KEY."""
    hooks, seen = tmp_path / "hooks", tmp_path / "loaded"
    hooks.mkdir()
    seen.mkdir()
    (hooks / "sitecustomize.py").write_text(
        "import os\n"
        "if os.environ.get('LOADED_AT_START'):\n"
        "    from hf_tweets.fleet import worker\n"
        "    from hf_tweets.training import language\n"
        "    real = worker.run_bot\n"
        "    def run_bot(bot, folders):\n"
        "        path = os.path.join(os.environ['LOADED_AT_START'], bot.key)\n"
        "        with open(path, 'w') as f:\n"
        "            f.write(str(language._IDENTIFIER is not None))\n"
        "        return real(bot, folders)\n"
        "    worker.run_bot = run_bot\n"
    )
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(hooks), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("LOADED_AT_START", str(seen))
    return seen


@pytest.mark.slow
def test_local_batch_runs_every_bot_reports_the_failure_and_a_rerun_skips_what_finished(run, three_bots, tmp_path,
                                                                                         monkeypatch):  # fmt: skip
    loaded = loaded_at_start_hook(tmp_path, monkeypatch)
    code, out, err = run("batch", str(three_bots), "--jobs", "2", "--json")
    assert code == 1, err
    outcomes = {o["key"]: o for o in map(json.loads, out.splitlines())}
    assert [outcomes[k]["status"] for k in ("wren", "broken", "moss")] == ["trained", "failed", "trained"]
    assert "broken.zip" in outcomes["broken"]["reason"] and "retry" not in outcomes["broken"]
    for name in ("wren", "moss"):
        assert (tmp_path / "out" / name / "model.safetensors").exists()
        assert (tmp_path / "cards" / f"{name}.yaml").exists()
        assert not (tmp_path / "out" / name / "onnx").exists()  # HF_TWEETS_ONNX=0 (the suite's) reaches each bot
    log = (tmp_path / "data" / "batch" / "logs" / "broken.log").read_text()
    assert "hf-tweets run --archive" in log and "hf-tweets: error:" in log
    # the host loaded the language detector (~1 s) once, before it forked: no bot's prepare loads it again
    assert {p.name: p.read_text() for p in loaded.iterdir()} == {"wren": "True", "broken": "True", "moss": "True"}

    code, out, err = run("batch", str(three_bots))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["wren", "skipped"] and "trained in an earlier run" in lines[0]
    assert lines[1].split()[:2] == ["broken", "failed"]
    assert lines[2].split()[:2] == ["moss", "skipped"]


def die_once_hook(tmp_path: Path, monkeypatch, body: str) -> Path:
    """A sitecustomize the bot host runs: the first time the wren bot starts, ``body`` (which may kill)."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(
        "import os, signal\n"
        "marker = os.environ.get('DIE_ONCE_MARKER')\n"
        "if marker:\n"
        "    from hf_tweets.fleet import worker\n"
        "    real = worker.run_bot\n"
        "    def run_bot(bot, folders):\n"
        "        if bot.key == 'wren' and not os.path.exists(marker):\n"
        "            open(marker, 'w').close()\n"
        f"            {body}\n"
        "        return real(bot, folders)\n"
        "    worker.run_bot = run_bot\n"
    )
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(hooks), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("DIE_ONCE_MARKER", str(tmp_path / "died"))
    return tmp_path / "died"


@pytest.mark.slow
@pytest.mark.parametrize(
    "whom, first",
    [
        ("os.getpid()", "its process was killed by SIGKILL (out of memory?"),  # as the OOM killer would
        ("os.getppid()", "the bot host was killed by SIGKILL"),  # the host that forked it: the next bot gets a new one
    ],
    ids=["the bot's process", "its bot host"],
)
def test_a_killed_worker_is_retried_once_and_the_others_go_on(run, three_bots, tmp_path, monkeypatch, whom, first):
    """The wren bot's first process, or the bot host that forked it, is killed with SIGKILL as wren starts: wren
    fails for a reason of its worker and is tried once more; the other bots go on."""
    died = die_once_hook(tmp_path, monkeypatch, f"os.kill({whom}, signal.SIGKILL)")
    code, out, err = run("batch", str(three_bots), "--json")
    assert code == 1
    outcomes = {o["key"]: o for o in map(json.loads, out.splitlines())}
    assert outcomes["wren"]["status"] == "trained" and died.exists()
    assert f"the first failed: {first}" in outcomes["wren"]["reason"] and "wren.log" in outcomes["wren"]["reason"]
    assert f"wren: failed on a worker ({first}" in err and "trying once more" in err
    assert (outcomes["broken"]["status"], outcomes["moss"]["status"]) == ("failed", "trained")
    assert (tmp_path / "out" / "moss" / "model.safetensors").is_file()


@pytest.mark.slow  # starts interpreters (a host each try), some 4 s
def test_a_bot_host_that_cannot_start_fails_each_bot_in_one_line_and_the_batch_goes_on(run, three_bots, tmp_path,
                                                                                       monkeypatch):  # fmt: skip
    """torch broken for the host (a shadowing package that raises as it is imported): every bot fails with what
    the host said, after one retry each; nothing is trained, the batch ends."""
    shadow = tmp_path / "shadow" / "torch"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('this torch is broken')\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(shadow.parent), os.environ.get("PYTHONPATH", "")]))
    code, out, err = run("batch", str(three_bots), "--json")
    assert code == 1
    outcomes = {o["key"]: o for o in map(json.loads, out.splitlines())}
    assert {o["status"] for o in outcomes.values()} == {"failed"}
    reason = outcomes["wren"]["reason"]
    assert "the bot host ended (ImportError: this torch is broken)" in reason, reason
    assert "\n" not in reason and "Traceback" not in reason
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def local_ray():
    """A real Ray instance of 2 CPUs in this process; its workers inherit the environment as it is now,
    so the loopback Hub's endpoint and write token are set first."""
    ray = pytest.importorskip("ray")
    from conftest import HUB

    saved = {k: os.environ.get(k) for k in ("HF_TOKEN", "RAY_USAGE_STATS_ENABLED", "WANDB_MODE")}
    os.environ.update(HF_TOKEN=HUB.token, RAY_USAGE_STATS_ENABLED="0", WANDB_MODE="disabled")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.mark.slow
def test_ray_batch_publishes_three_tiny_bots_and_reports_the_one_that_failed(run, three_bots, hub, local_ray, tmp_path):
    text = three_bots.read_text().replace("epochs: 1}", "epochs: 1, publish: true}")
    three_bots.write_text(text)
    code, out, err = run("batch", str(three_bots), "--executor", "ray", "--json")
    assert code == 1, err
    outcomes = {o["key"]: o for o in map(json.loads, out.splitlines())}
    assert [outcomes[k]["status"] for k in ("wren", "broken", "moss")] == ["published", "failed", "published"]
    node = local_ray.get_runtime_context().get_node_id()
    assert {outcomes[k]["worker"] for k in outcomes} == {node}  # each ran as a task on the Ray node
    assert "broken.zip" in outcomes["broken"]["reason"]
    for name in ("wren", "moss"):
        assert outcomes[name]["url"].endswith(f"/huggingtweets/{name}")
        assert {"model.safetensors", "README.md"} <= set(hub.repo(f"huggingtweets/{name}").head.files)
    assert hub.repo("huggingtweets/broken") is None

    code, out, err = run("batch", str(three_bots), "--executor", "ray")
    assert code == 1 and [line.split()[1] for line in out.splitlines()] == ["skipped", "failed", "skipped"]


def test_batch_adds_every_published_bot_to_the_collection_once(run, hub, tmp_path, monkeypatch):
    """The executor is scripted (the bots' repos made here); the collection calls are real, on the loopback Hub."""
    from huggingface_hub import HfApi

    from hf_tweets.fleet import commands

    api = HfApi()
    for name in ("ann", "dot"):
        api.create_repo(f"huggingtweets/{name}")
    published = {n: Attempt(n, "published", f"{hub.url}/huggingtweets/{n}", url=f"{hub.url}/huggingtweets/{n}")
                 for n in ("ann", "dot")}  # fmt: skip
    script = {"ann": [published["ann"]], "bea": [Attempt("bea", "trained")], "dot": [published["dot"]]}
    monkeypatch.setattr(commands, "_executor", lambda folders, options: Scripted(script))
    path = write(tmp_path / "bots.yaml", "- {handle: ann}\n- {handle: bea}\n- {handle: dot}\n")
    code, out, err = run("batch", str(path), "--collection", "Our bots", "--collection-note", "made by batch")
    assert code == 0, err
    (found,) = hub.collections.by_slug.values()
    assert (found.title, [i["id"] for i in found.items]) == ("Our bots", ["huggingtweets/ann", "huggingtweets/dot"])
    assert out.splitlines()[-1] == f"collection 'Our bots' (new) at {hub.url}/collections/{found.slug}: 2 added"

    code, out, err = run("batch", str(path), "--collection", "Our bots")  # all finished: skipped, still in it
    assert code == 0 and out.splitlines()[-1].endswith("0 added, 2 already in it")
    assert len(hub.collections.by_slug) == 1


@pytest.mark.slow
def test_the_same_file_runs_as_hugging_face_jobs_and_a_rerun_skips_what_finished(run, three_bots, hub, monkeypatch):
    """The loopback Hub runs each job's command here (tests/hub/jobs.py); the archives go through dataset repos."""
    monkeypatch.setenv("HF_TWEETS_JOBS_POLL", "0.2")
    three_bots.write_text(three_bots.read_text().replace("epochs: 1}", "epochs: 1, publish: true}"))
    code, out, err = run("batch", str(three_bots), "--executor", "hf-jobs", "--json")
    assert code == 1, err
    outcomes = {o["key"]: o for o in map(json.loads, out.splitlines())}
    assert [outcomes[k]["status"] for k in ("wren", "broken", "moss")] == ["published", "failed", "published"], out
    jobs = {job.spec["labels"]["bot"]: job for job in hub.jobs.jobs.values()}
    assert sorted(jobs) == ["broken", "moss", "wren"]  # one job each: the broken one failed on its own, no retry
    assert {outcomes[k]["worker"] for k in outcomes} == {job.id for job in jobs.values()}
    assert "broken.zip" in outcomes["broken"]["reason"] and "retry" not in outcomes["broken"]
    for name in ("wren", "moss"):
        assert {"config.json", "README.md"} <= set(hub.repo(f"huggingtweets/{name}").head.files)
    assert not [key for key in hub.store.repos if key.startswith("datasets/")]  # every upload deleted

    code, out, err = run("batch", str(three_bots), "--executor", "hf-jobs")
    assert code == 1 and [line.split()[1] for line in out.splitlines()] == ["skipped", "failed", "skipped"]
    assert len(hub.jobs.jobs) == 4  # only the failed bot ran again


@pytest.mark.slow
def test_a_bot_process_dies_with_its_batch_even_on_kill_9(tmp_path):
    """No bot trains on as an orphan beside the rerun: the worker and the bot host that forked it go when the
    batch is killed."""
    import re
    import signal
    import subprocess
    import sys
    import time

    example = SAMPLE_ARCHIVE
    bots = write(tmp_path / "bots.yaml", f"- {{archive: '{example}', name: slow, base_model: tiny, epochs: 200}}\n")
    env = os.environ | {"WANDB_MODE": "disabled", "OMP_NUM_THREADS": "1"}
    driver = subprocess.Popen([sys.executable, "-m", "hf_tweets", "batch", str(bots)], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    log, worker, host = tmp_path / "data" / "batch" / "logs" / "slow.log", None, None

    def running(pid: int) -> bool:
        stat = Path(f"/proc/{pid}/stat")
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except FileNotFoundError:
            return False

    try:
        for _ in range(600):  # the worker says its pid in its log's first line
            found = re.search(r" pid (\d+):", log.read_text()) if log.exists() else None
            if found:
                worker = int(found.group(1))
                break
            time.sleep(0.1)
        assert worker is not None, "the bot never started"
        host = int(Path(f"/proc/{worker}/stat").read_text().rsplit(")", 1)[1].split()[1])  # its parent
        assert "hf_tweets.fleet.host" in Path(f"/proc/{host}/cmdline").read_text()
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(timeout=30)
        for _ in range(100):
            if not any(map(running, (worker, host))):
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"the bot's process {worker} or its host {host} outlived the batch by 10 s")
    finally:
        driver.kill()
        for pid in (worker, host):
            if pid is not None and running(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize(
    "error, reason",
    [
        ("WorkerCrashedError", "its Ray worker died (WorkerCrashedError)"),
        ("OutOfMemoryError", "Ray killed its worker: the node ran out of memory"),
        ("NodeDiedError", "its Ray worker died (NodeDiedError)"),
        ("TaskUnschedulableError", "Ray: TaskUnschedulableError: "),
    ],
)
def test_a_ray_worker_lost_is_the_workers_failure_and_worth_a_retry(error, reason):
    """How the Ray executor reads a task that ended in one of Ray's own errors (no instance needed for that)."""
    exceptions = pytest.importorskip("ray.exceptions")
    from hf_tweets.fleet.ray_executor import RayExecutor

    executor = RayExecutor.__new__(RayExecutor)  # only its reading of outcomes: no Ray instance started
    executor.ray = pytest.importorskip("ray")
    kind = getattr(exceptions, error)
    done: Future = Future()
    done.set_exception(kind() if error == "WorkerCrashedError" else kind("no room on the node"))
    attempt = executor._attempt(done, Bot(key="wren", handles=("wren",)))
    assert (attempt.key, attempt.status, attempt.retry) == ("wren", "failed", True)
    assert attempt.reason.startswith(reason), attempt.reason


def test_the_ray_executor_without_ray_says_how_to_get_it(run, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # as if it were not installed: importing it fails
    path = write(tmp_path / "bots.yaml", "- {handle: ann}\n")
    code, out, err = run("batch", str(path), "--executor", "ray")
    message = "--executor ray needs Ray, which is not installed; pip install 'hf-tweets[ray]'"
    assert code == 1 and err == f"hf-tweets: error: {message}\n"
