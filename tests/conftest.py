"""Shared fixtures: every test runs in a temp folder with its own cards dir and HF home."""

from __future__ import annotations

import atexit
import copy
import gc
import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

# Each worker imports some 170 modules of the suite and of hf-tweets; under PYTHONDONTWRITEBYTECODE (which this
# machine sets) it would compile them and rewrite the tests' asserts again in every run: 2.6 s of each worker's
# start. Their bytecode goes to __pycache__ (git-ignored) like any Python's; the environment is left as it was.
sys.dont_write_bytecode = False

# huggingface_hub reads its endpoint, cache folder and flags once, at import: point them at a
# loopback Hub and a throwaway home before anything imports it. Nothing here reaches the real Hub.
# The suite runs on every core (pytest-xdist, one worker a core, each with its own loopback Hub): a worker and
# the processes it starts compute with one thread, or two workers' thread pools fight over the same cores.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
_SESSION_HOME = tempfile.mkdtemp(prefix="hf-tweets-tests-")
atexit.register(shutil.rmtree, _SESSION_HOME, True)  # its Hub's models and the HF home: ~1 MB a process, every run
os.environ["HF_HOME"] = os.path.join(_SESSION_HOME, "hf-home")
os.environ["HF_HUB_DISABLE_XET"] = "1"
os.environ["HF_TWEETS_ONNX"] = "0"  # the session's shared trainings too (isolated sets it for each test)
from hub import LoopbackHub  # noqa: E402

HUB = LoopbackHub(os.path.join(_SESSION_HOME, "hub")).start()
os.environ["HF_ENDPOINT"] = HUB.url
from atproto_loopback import LoopbackAtproto  # noqa: E402

ATPROTO = LoopbackAtproto().start()  # the PLC directory and PDS every Bluesky fetch asks (HF_TWEETS_PLC_URL)

from huggingface_hub import HfApi  # noqa: E402

from hf_tweets.cards.record import CardRecord, PublishState, validate_record  # noqa: E402
from hf_tweets.cards.recordfile import save_record  # noqa: E402
from hf_tweets.cards.render import render  # noqa: E402
from hf_tweets.cards.templating import reload_templates  # noqa: E402
from hf_tweets.cli import main  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
SEED_CARDS = FIXTURES / "seed-cards"
REPO_ROOT = Path(__file__).parent.parent
# The records hf-tweets ships (the seed cards imported): never the checkout's cards/, where a user's own records go.
EXAMPLE_CARDS = REPO_ROOT / "examples" / "cards"
SAMPLE_ARCHIVE = REPO_ROOT / "examples" / "sample-archive.zip"  # the quickstart's made-up @pixel_poet

SINGLE = {
    "users": [
        {
            "handle": "pixel_poet",
            "display_name": "Pixel Poet",
            "avatar": "https://pbs.twimg.com/profile_images/1/pixel_400x400.jpg",
            "counts": {"downloaded": 3200, "retweets": 400, "short": 300, "kept": 2500},
        }
    ],
    "license": "mit",
    "thumbnail": "https://huggingface.co/huggingtweets/pixel_poet/resolve/main/predictions.png",
}
THREE = {
    "users": [
        {
            "handle": "Zeta_Z",
            "display_name": "Zeta",
            "avatar": "https://pbs.twimg.com/z_400x400.jpg",
            "counts": {"downloaded": 10, "retweets": 1, "short": 2, "kept": 7},
        },
        {
            "handle": "alpha",
            "display_name": "Alpha & Omega",
            "avatar": "https://pbs.twimg.com/a_400x400.jpg",
            "counts": {"downloaded": 20, "retweets": 5, "short": 5, "kept": 10},
        },
        {
            "handle": "mid_1",
            "display_name": "Mid 🌙",
            "counts": {"downloaded": 30, "retweets": 0, "short": 0, "kept": 30},
        },
    ],
}
TRAINING = {
    "hyperparameters": {"learning_rate": 1.372e-4, "epochs": 4, "lr_scheduler": "cosine", "fp16": False},
    "train_loss": 3.21,
    "eval_loss": 3.5,
    "oldest_tweet": "2020-01-02",
    "newest_tweet": "2021-06-30",
}
WANDB = {
    "report": "https://wandb.ai/wandb/huggingtweets/reports/HuggingTweets--VmlldzoxMTY5MjI",
    "preprocess_run": "https://wandb.ai/wandb/huggingtweets/runs/abc123",
    "train_run": "https://wandb.ai/wandb/huggingtweets/runs/def456",
}


def make_record(base: dict | None = None, **changes) -> CardRecord:
    """A validated record from one of the tables above, with top-level changes."""
    data = copy.deepcopy(base or SINGLE) | changes
    return validate_record(data, "test")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Run in a temp folder: cards/, HF home and templates never touch the developer's."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_TWEETS_RETRY_BASE", "0.01")
    monkeypatch.setenv("HF_TWEETS_ONNX", "0")  # an export costs 6-8 s: tests of the browser copy pass --onnx
    ATPROTO.reset()
    monkeypatch.setenv("HF_TWEETS_PLC_URL", ATPROTO.url)  # never plc.directory: every DID known, without records
    for name in (
        "HF_TWEETS_CARDS_DIR",
        "HF_TWEETS_TEMPLATES_DIR",
        "HF_TWEETS_DEBUG",
        "HF_TOKEN",
        "X_BEARER_TOKEN",
        "WANDB_API_KEY",
        "MASTODON_ACCESS_TOKEN",
        "HF_TWEETS_MASTODON_BASE_URL",
        "HF_TWEETS_BLUESKY_APPVIEW",
        "HF_TWEETS_ARCHIVE_MAX_BYTES",
        "HF_TWEETS_OPTOUT",
        "HF_TWEETS_TRANSFORMERS_JS",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def atproto():
    """The loopback PLC directory and PDS (tests/atproto_loopback.py), emptied: every DID known, no records."""
    return ATPROTO


@pytest.fixture
def hub(monkeypatch):
    """The loopback Hub, emptied, with HF_TOKEN set to its write token."""
    HUB.reset()
    monkeypatch.setenv("HF_TOKEN", HUB.token)
    return HUB


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """One tiny GPT-2 (tests/tiny_model.py) for every test that only needs a model folder to publish or load."""
    from tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def fast(tiny_model) -> list[str]:
    """Training options for tests that need a trained model, not `tiny`: the 2-layer model trains in seconds."""
    return ["--base-model", str(tiny_model), "--epochs", "2", "--wandb", "off"]


def _made_once(folder: Path, *commands: list[str]) -> Path:
    """Run hf-tweets commands in ``folder``, for state that a session builds once and tests copy."""
    before = os.getcwd()
    os.chdir(folder)
    try:
        for args in commands:
            try:
                main(args)
            except SystemExit as exit_:
                assert exit_.code in (0, None), f"hf-tweets {' '.join(args)} failed while making a shared fixture"
    finally:
        os.chdir(before)
    return folder


_HERE = ["--data-dir", "data", "--cards-dir", "cards"]  # explicit: no variable of the developer's shell applies


@pytest.fixture(scope="session")
def _prepared_once(tmp_path_factory) -> Path:
    fetch = ["fetch", "--archive", str(SAMPLE_ARCHIVE), "--data-dir", "data"]
    return _made_once(tmp_path_factory.mktemp("prepared"), fetch, ["prepare", "pixel_poet", *_HERE])


@pytest.fixture(scope="session")
def _trained_once(_prepared_once, tmp_path_factory, fast) -> Path:
    folder = tmp_path_factory.mktemp("trained")
    shutil.copytree(_prepared_once, folder, dirs_exist_ok=True)
    return _made_once(folder, ["train", "pixel_poet", *fast, *_HERE])


@pytest.fixture
def prepared(_prepared_once, tmp_path) -> Path:
    """The test's folder as ``fetch --archive`` of the sample archive and ``prepare pixel_poet`` leave it
    (made once a session, copied)."""
    shutil.copytree(_prepared_once, tmp_path, dirs_exist_ok=True, symlinks=True)
    return tmp_path


@pytest.fixture
def trained(_trained_once, tmp_path) -> Path:
    """The test's folder after ``prepared`` and ``train pixel_poet`` with the ``fast`` options (made once, copied)."""
    shutil.copytree(_trained_once, tmp_path, dirs_exist_ok=True, symlinks=True)
    return tmp_path


@pytest.fixture
def card(tmp_path) -> Path:
    """cards/pixel_poet.yaml, the one-user record."""
    path = tmp_path / "cards" / "pixel_poet.yaml"
    save_record(make_record(), path)
    return path


@pytest.fixture
def interrupt_training(monkeypatch):
    """``interrupt_training(step)``: the next training gets a Ctrl-C (SIGINT) at that step; returns the undo."""
    import os
    import signal

    import hf_tweets.training.train as train_module

    real = train_module._callbacks

    def at(step: int):
        def interrupting(*args):
            progress = real(*args)
            step_end = progress.on_step_end

            def on_step_end(a, state, control, **kwargs):
                if state.global_step == step and not progress.interrupted:
                    os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C would
                return step_end(a, state, control, **kwargs)

            progress.on_step_end = on_step_end
            return progress

        monkeypatch.setattr(train_module, "_callbacks", interrupting)
        return lambda: monkeypatch.setattr(train_module, "_callbacks", real)

    return at


@pytest.fixture
def seed_cards(tmp_path) -> Path:
    """A copy of the three legacy huggingtweets cards."""
    folder = tmp_path / "seed"
    shutil.copytree(SEED_CARDS, folder)
    return folder


@pytest.fixture
def run(capsys):
    """Run the CLI in-process; return (exit code, stdout, stderr)."""

    def _run(*args: str) -> tuple[int, str, str]:
        try:
            main(list(args))
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return _run


# -- republish: repos as an earlier publish left them, and a template change ---------------------------


def seed_repos(hub, cards, n):
    """n repos as an earlier `hf-tweets publish` left them: card on the Hub, record with its publish state."""
    api = HfApi()
    for i in range(n):
        data = copy.deepcopy(SINGLE)
        data["users"][0]["handle"] = f"bot{i}"
        data["users"][0]["display_name"] = f"Bot number {i}"
        record = validate_record(data, "seed")
        readme = render(record)
        api.create_repo(record.repo_id)
        info = api.upload_file(path_or_fileobj=readme.encode(), path_in_repo="README.md", repo_id=record.repo_id)
        record.publish = PublishState(commit=info.oid, readme_sha256=hashlib.sha256(readme.encode()).hexdigest())
        save_record(record, cards / f"bot{i}.yaml")
    return [f"huggingtweets/bot{i}" for i in range(n)]


@pytest.fixture
def cards(tmp_path):
    return tmp_path / "cards"


def republish(run, *args):
    """The command, unpaced (its default keeps commits under the Hub's hourly quota, pacing bursts past it)."""
    return run("republish", "--max-commits-per-hour", "0", *args)


@pytest.fixture
def changed_template(hub, cards, tmp_path, monkeypatch):
    """Six repos seeded with the bundled templates, then a template change."""
    repos = seed_repos(hub, cards, 6)
    folder = tmp_path / "templates"
    shutil.copytree(REPO_ROOT / "templates", folder)
    (folder / "partials" / "about.md.j2").write_text(
        "## About\n\nMaintained by the collection team.\n", encoding="utf-8"
    )
    monkeypatch.setenv("HF_TWEETS_TEMPLATES_DIR", str(folder))
    reload_templates()
    yield repos
    reload_templates()


def pytest_collection_modifyitems(items):
    """The slow tests first: the workers start on the long ones and share out the many short ones after, instead of
    one worker ending the run alone on a kill -9 enumeration picked up last."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_collection_finish(session):
    """Every test module is imported (torch and transformers with them): freeze what is there, so that the
    gc.collect() accelerate runs at the start of every training walks only what the tests made since."""
    gc.freeze()
