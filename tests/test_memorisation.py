"""The memorisation guard wired in (issue 13 §3): the copy rate on the record and the card after training, samples
that never copy a training post, and ``generate --no-copies``. The index itself: tests/test_copies.py."""

from __future__ import annotations

import pytest
import yaml

from hf_tweets.cards.recordfile import load_record
from hf_tweets.training import generate as generate_module
from hf_tweets.training.copies import training_posts

from conftest import SAMPLE_ARCHIVE

EXAMPLE = SAMPLE_ARCHIVE
pytestmark = pytest.mark.slow  # each test trains a tiny model and generates 100 texts


@pytest.fixture
def parrot(monkeypatch, trained):
    """The model's texts are scripted: each call returns ``script.pop(0)`` (a list of texts) if any, else what the
    real model writes. Returns the script and the training posts."""
    script: list[list[str]] = []
    real = generate_module.Generator.__call__

    def call(self, prompt, count=5):
        return script.pop(0)[:count] if script else real(self, prompt, count)

    monkeypatch.setattr(generate_module.Generator, "__call__", call)
    return script, training_posts(trained / "data" / "pixel_poet")


def test_training_records_the_copy_rate_of_100_samples(trained):
    copies = load_record(trained / "cards" / "pixel_poet.yaml").training.copies
    assert (copies.samples, copies.words, copies.chars) == (100, 8, 50) and 0 <= copies.copied <= 100


def test_the_copy_rate_counts_what_copies(run, trained, parrot, fast):
    script, posts = parrot
    long_posts = [p for p in posts if len(p.split()) >= 8]
    script.append(long_posts[:30] + [f"nothing like any post number {i}" for i in range(70)])
    assert run("train", "pixel_poet", *fast, "--epochs", "1")[0] == 0
    copies = load_record(trained / "cards" / "pixel_poet.yaml").training.copies
    assert (copies.samples, copies.copied) == (100, 30)


def test_run_card_shows_model_index_and_copy_rate_and_samples_copy_nothing(run, trained, parrot, fast):
    script, posts = parrot
    copy = next(p for p in posts if len(p.split()) >= 10)
    script.append([f"ordinary words number {i}" for i in range(100)])  # the copy check
    script.append([copy, "My dream is a first original", copy])  # 3 asked for: one kept
    script.append(["My dream is a second original", "My dream is a third original"])  # 2 more asked for
    code, out, err = run("run", "--archive", str(EXAMPLE), *fast, "--epochs", "1")
    assert code == 0, err
    record = load_record(trained / "cards" / "pixel_poet.yaml")
    assert record.samples == [f"My dream is a {n} original" for n in ("first", "second", "third")]
    readme = (trained / "out" / "pixel_poet" / "README.md").read_text()
    meta = yaml.safe_load(readme.split("---\n")[1])
    result = meta["model-index"][0]["results"][0]
    assert result["task"]["type"] == "text-generation" and result["dataset"]["split"] == "eval"
    assert {m["type"]: m["value"] for m in result["metrics"]}["loss"] == record.training.eval_loss
    assert "0 % of 100 samples copy 8+ words of a training tweet" in readme


def test_generate_no_copies_drops_copies_and_says_how_many(run, trained, parrot):
    script, posts = parrot
    copy = next(p for p in posts if len(p.split()) >= 10)
    script.extend([[copy, "an original text", copy], [copy], ["another original text"], [copy], [copy]])
    code, out, err = run("generate", "pixel_poet", "x", "-n", "3", "--no-copies")  # 5 rounds at most
    assert code == 0, err
    assert out.splitlines() == ["an original text", "another original text"]
    assert err.splitlines() == [
        "dropped 5 copies of training posts; 2 of 3 texts kept",
        "next: hf-tweets publish pixel_poet --model-dir out/pixel_poet",  # a bot of ours: its next step
    ]


def test_generate_no_copies_needs_the_training_posts(run, trained):
    (trained / "data" / "pixel_poet" / "train.txt").unlink()
    code, out, err = run("generate", "pixel_poet", "--no-copies")
    assert code == 1 and "run hf-tweets prepare pixel_poet first" in err and err.count("\n") == 1
