"""train, generate, run: the tiny base model end to end, W&B offline, resume, and the clear errors."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from safetensors.torch import load_file

from hf_tweets.cards.check import check_readme_text
from hf_tweets.cards.recordfile import load_record
from hf_tweets.cards.render import render

from conftest import SAMPLE_ARCHIVE
from wandb_records import summary

EXAMPLE = SAMPLE_ARCHIVE
TINY = ["--base-model", "tiny", "--epochs", "2", "--wandb", "off"]  # the offline quickstart's base model


@pytest.mark.slow
def test_train_writes_a_model_the_pipeline_loads_and_the_facts(run, prepared):
    code, out, err = run("train", "pixel_poet", *TINY)
    assert code == 0, err
    assert out.startswith("trained pixel_poet: eval loss ") and "model in out/pixel_poet" in out
    model = prepared / "out" / "pixel_poet"
    assert {p.name for p in model.iterdir()} >= {
        "config.json",
        "model.safetensors",
        "generation_config.json",
        "tokenizer.json",
    }
    config = json.loads((model / "config.json").read_text())
    assert config["prefix"] == "<|endoftext|>" and config["hf_tweets"]["keep_newlines"] is False
    generation = json.loads((model / "generation_config.json").read_text())
    assert (generation["do_sample"], generation["top_p"], generation["temperature"]) == (True, 0.95, 1.0)
    record = load_record(prepared / "cards" / "pixel_poet.yaml")
    t = record.training
    assert record.base_model is None  # trained from scratch: the card must not claim GPT-2
    assert t.hyperparameters["learning_rate"] == 1.372e-4 and t.hyperparameters["lr_scheduler"] == "cosine"
    assert t.train_loss > 0 and t.eval_loss > 0 and t.tokens_seen > 1000 and t.train_seconds >= 0
    assert t.hyperparameters["precision"] in ("bf16", "fp16", "fp32")  # what was used, not "auto"
    assert t.hyperparameters["epochs"] == 2 and isinstance(t.hyperparameters["epochs"], int)
    assert set(t.versions) == {"hf-tweets", "transformers", "torch"}
    card = render(record)
    assert check_readme_text(card, "README.md") == []
    assert "trained from scratch" in card and "base_model" not in card.split("---")[1]
    # one truth about how the model was made, and the number of posts rather than "a few thousand"
    assert "used to train a small language model from scratch" in card and "fine-tune" not in card
    assert f"trained from scratch on {sum(u.counts.kept for u in record.users):,} posts" in card
    assert "| epochs | 2 |" in card and "| Train loss (last epoch) |" in card

    code, out, _ = run("generate", "pixel_poet", "My dream is", "-n", "3", "--seed", "1", "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 3
    assert all(item["text"].startswith("My dream is") and "\n" not in item["text"] for item in lines)


@pytest.mark.slow
def test_same_seed_same_model(run, prepared, fast):
    assert run("train", "pixel_poet", *fast, "--out", "a")[0] == 0
    shutil.rmtree(prepared / "data" / "pixel_poet" / "checkpoints")
    assert run("train", "pixel_poet", *fast, "--out", "b")[0] == 0
    first, second = load_file(prepared / "a" / "model.safetensors"), load_file(prepared / "b" / "model.safetensors")
    assert first.keys() == second.keys() and all((first[k] == second[k]).all() for k in first)


@pytest.mark.slow
def test_ctrl_c_leaves_a_checkpoint_and_resume_finishes(run, prepared, interrupt_training, fast):
    undo = interrupt_training(3)
    code, _, err = run("train", "pixel_poet", *fast)
    assert code == 1 and "interrupted at step 3; the checkpoint is in data/pixel_poet/checkpoints" in err
    assert (prepared / "data" / "pixel_poet" / "checkpoints" / "checkpoint-3").is_dir()
    undo()
    code, out, err = run("train", "pixel_poet", *fast, "--resume")
    assert code == 0, err
    assert (prepared / "out" / "pixel_poet" / "model.safetensors").exists()


def _rewrite_train(folder, text):
    """train.txt replaced as a finished prepare would have written it (stats.json names its hash)."""
    import hashlib

    data = folder / "data" / "pixel_poet"
    (data / "train.txt").write_text(text)
    stats = json.loads((data / "stats.json").read_text())
    stats["files"]["train.txt"] = hashlib.sha256(text.encode()).hexdigest()
    (data / "stats.json").write_text(json.dumps(stats))


@pytest.mark.parametrize(
    "setup, args, message",
    [
        (
            lambda p: None,
            ["nobody"],
            "data/nobody has no prepared text (train.txt, eval.txt, stats.json); run hf-tweets prepare nobody first",
        ),
        (lambda p: None, ["pixel_poet", "--resume"], "nothing to resume: no checkpoint in data/pixel_poet/checkpoints"),
        (lambda p: _rewrite_train(p, "only one post"), ["pixel_poet"], "are too few to train on"),
        (
            lambda p: (p / "data" / "pixel_poet" / "train.txt").write_text("from another run"),
            ["pixel_poet"],
            "train.txt that does not match stats.json (a prepare was interrupted);"
            " run hf-tweets prepare pixel_poet again",
        ),
        (
            lambda p: None,
            ["pixel_poet", "--base-model", "huggingtweets/not-there"],
            "base model 'huggingtweets/not-there' cannot be loaded",
        ),
        (
            lambda p: (p / "plain").mkdir() or (p / "plain" / "config.json").write_text('{"model_type": "gpt2"}'),
            ["pixel_poet", "--base-model", "plain", "--lora"],
            "plain: is a local folder whose config.json does not name the Hub model it is (_name_or_path): an"
            " adapter must name a base that loads from the Hub; add --merge",
        ),
    ],
    ids=[
        "not prepared",
        "nothing to resume",
        "too little data",
        "files from two prepares",
        "unknown base model",
        "adapter on a folder naming no Hub model",
    ],
)
def test_train_errors(run, prepared, hub, setup, args, message):
    setup(prepared)
    code, out, err = run("train", *args, "--epochs", "1", "--wandb", "off")
    assert code == 1 and message in err and err.count("\n") == 1


def test_out_of_memory_names_the_fix(run, prepared, monkeypatch, fast):
    import torch
    import transformers

    def oom(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(transformers.Trainer, "train", oom)
    code, _, err = run("train", "pixel_poet", *fast)
    assert code == 1 and "out of memory at batch size 16" in err and "try --batch-size 4" in err


@pytest.mark.slow
def test_wandb_offline_writes_both_runs_without_secrets(run, prepared, monkeypatch, fast):
    monkeypatch.setenv("HF_TOKEN", "hf_test_never_in_wandb_0000000")
    monkeypatch.setenv("WANDB_SILENT", "true")
    code, _, err = run("train", "pixel_poet", *fast, "--epochs", "1", "--wandb", "offline")
    assert code == 0, err
    runs = {p.name.rsplit("-", 1)[1]: p for p in (prepared / "data" / "pixel_poet" / "wandb").glob("offline-run-*")}
    ids = json.loads((prepared / "data" / "pixel_poet" / "wandb-runs.json").read_text())
    pre, train = (
        summary(next(runs[ids["preprocess_run"]].glob("*.wandb"))),
        summary(next(runs[ids["train_run"]].glob("*.wandb"))),
    )
    assert pre["artifacts"] == [
        ("pixel_poet-raw-dataset", "raw-dataset", ["pixel_poet.jsonl"]),
        ("pixel_poet-train-dataset", "train-dataset", ["eval.txt", "stats.json", "train.txt"]),
    ]
    assert train["config"]["handles"] == ["pixel_poet"] and train["config"]["learning_rate"] == 1.372e-4
    assert "versions" in train["config"] and {"train/loss", "eval/loss"} <= train["metrics"]
    for path in (prepared / "data" / "pixel_poet" / "wandb").rglob("*"):
        if path.is_file():
            assert b"hf_test_never_in_wandb" not in path.read_bytes(), path


@pytest.mark.slow
def test_run_end_to_end_publishes_and_skips_what_is_done(run, hub, tmp_path):
    code, out, err = run("run", "--archive", str(EXAMPLE), *TINY, "--publish")
    assert code == 0, err
    assert "@pixel_poet: 600 downloaded, 67 retweets, 27 short, 506 kept" in out
    assert f"on the Hub: {hub.url}/huggingtweets/pixel_poet" in out
    assert [line for line in err.splitlines() if line[:1].isdigit()] == [
        "1/5 fetch",
        "2/5 prepare",
        "3/5 train",
        "4/5 card",
        "5/5 publish",
    ]
    readme = (tmp_path / "out" / "pixel_poet" / "README.md").read_text()
    assert "## Sample generations" in readme and check_readme_text(readme, "README.md") == []
    repo = hub.repo("huggingtweets/pixel_poet")
    assert "model.safetensors" in repo.head.files and "predictions.png" in repo.head.files and len(repo.commits) == 2
    published = hub.store.read_blob(repo.head.files["README.md"].sha256).decode()
    assert f"thumbnail: {hub.url}/huggingtweets/pixel_poet/resolve/main/predictions.png" in published
    code, out, _ = run("run", "--archive", str(EXAMPLE), *TINY, "--publish")
    assert code == 0 and "train skipped: inputs unchanged" in out
    assert len(hub.repo("huggingtweets/pixel_poet").commits) == 2  # nothing changed, nothing committed


@pytest.mark.slow
def test_run_refuses_to_publish_a_worse_model(run, hub, tmp_path, fast):
    assert run("run", "--archive", str(EXAMPLE), *fast, "--publish")[0] == 0
    card = tmp_path / "cards" / "pixel_poet.yaml"
    record = load_record(card)
    record.training = record.training.model_dump() | {"eval_loss": 0.01}  # pretend the published one was excellent
    from hf_tweets.cards.recordfile import save_record

    save_record(record, card)
    code, _, err = run("run", "--archive", str(EXAMPLE), *fast, "--epochs", "1", "--publish")  # retrains: worse
    assert code == 1 and "worse than the published one's 0.0100" in err and "--force" in err


@pytest.mark.slow
def test_publish_logs_the_finetuned_model_in_the_train_run(run, hub, tmp_path, monkeypatch, fast):
    monkeypatch.setenv("WANDB_SILENT", "true")
    code, _, err = run("run", "--archive", str(EXAMPLE), *fast, "--epochs", "1", "--wandb", "offline", "--publish")
    assert code == 0, err
    ids = json.loads((tmp_path / "data" / "pixel_poet" / "wandb-runs.json").read_text())
    files = list((tmp_path / "data" / "pixel_poet" / "wandb").glob(f"offline-run-*-{ids['train_run']}/*.wandb"))
    artifacts = [a for f in files for a in summary(f)["artifacts"]]
    head = hub.repo("huggingtweets/pixel_poet").head
    assert ("pixel_poet-model", "finetuned-model", sorted(head.files.keys() - {".gitattributes"})) in artifacts


def test_a_block_larger_than_the_base_model_reads_is_refused_before_training(run, prepared, fast, tiny_model):
    code, out, err = run("train", "pixel_poet", *fast, "--block-size", "65")  # the test model reads 64 positions
    assert (code, out) == (1, "") and err.splitlines() == [
        f"hf-tweets: error: block size 65 is more than {tiny_model} reads (64 tokens);"
        " give --block-size 64 or less (0: sized for the posts)"
    ], err
    assert not (prepared / "out").exists() and not (prepared / "data" / "pixel_poet" / "checkpoints").exists()


@pytest.mark.parametrize(
    "option", [["--epochs", "-1"], ["--epochs", "0"], ["--learning-rate", "inf"], ["--batch-size", "0"]]
)
def test_a_training_option_out_of_range_writes_nothing(run, prepared, option):
    before = sorted(str(p.relative_to(prepared)) for p in prepared.rglob("*"))
    code, out, err = run("train", "pixel_poet", "--base-model", "tiny", *option)
    assert (code, out) == (2, "") and f"Invalid value for '{option[0]}'" in err
    assert sorted(str(p.relative_to(prepared)) for p in prepared.rglob("*")) == before


def test_a_prompt_that_leaves_no_room_to_write_is_one_line(run, trained):
    code, out, err = run("generate", "pixel_poet", " ".join(["word"] * 20_000), "-n", "1")
    assert (code, out) == (1, "") and len(err.splitlines()) == 1, err
    assert re.fullmatch(
        r"hf-tweets: error: pixel_poet: the prompt is [\d,]+ tokens and this model writes texts of 64 tokens at"
        r" most, prompt included; give a prompt of fewer than 32 tokens \(a few words\)\n",
        err,
    ), err
