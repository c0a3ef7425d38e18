"""LoRA adapters and any causal LM (issue 13 §1): tiny GPT-2, Llama and Qwen2 bases built here, trained with
--lora, published to the loopback Hub, and the card's usage snippet run in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from huggingface_hub import HfApi

from hf_tweets.cards.recordfile import load_record

from conftest import SAMPLE_ARCHIVE
from wandb_records import summary

EXAMPLE = SAMPLE_ARCHIVE
POSTS = Path(__file__).parent / "fixtures" / "posts.txt"
pytestmark = pytest.mark.slow  # each test trains (tiny models: seconds)


def build_base(folder: Path, arch: str) -> Path:
    """A 2-layer random model of ``arch`` and a byte-level BPE tokenizer trained on the fixture posts, with the
    special tokens its family has: GPT-2 an end-of-text token only, Llama <s>/</s> and no pad token, Qwen2
    <|endoftext|> as end of text and no beginning or pad token. config.json names a made-up Hub id."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, LlamaConfig, PreTrainedTokenizerFast, Qwen2Config

    specials = {"gpt2": {"eos_token": "<|endoftext|>"}, "llama": {"bos_token": "<s>", "eos_token": "</s>"}}
    specials["qwen2"] = {"eos_token": "<|endoftext|>"}
    bpe = ByteLevelBPETokenizer()
    texts = POSTS.read_text(encoding="utf-8").splitlines()
    bpe.train_from_iterator(texts, vocab_size=500, min_frequency=1, special_tokens=list(specials[arch].values()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, **specials[arch])
    eos = tokenizer.eos_token_id
    shape = {"vocab_size": len(tokenizer), "num_hidden_layers": 2, "num_attention_heads": 2, "hidden_size": 32}
    llama_like = shape | {"intermediate_size": 64, "num_key_value_heads": 1, "max_position_embeddings": 256}
    config = {
        "gpt2": lambda: GPT2Config(
            vocab_size=len(tokenizer),
            n_layer=2,
            n_head=2,
            n_embd=32,
            n_positions=128,
            bos_token_id=eos,
            eos_token_id=eos,
        ),
        "llama": lambda: LlamaConfig(**llama_like),
        "qwen2": lambda: Qwen2Config(**llama_like),
    }[arch]()
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    folder.mkdir(parents=True)
    AutoModelForCausalLM.from_config(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    config_file = folder / "config.json"
    name = f"tester/tiny-{arch}"
    config_file.write_text(json.dumps(json.loads(config_file.read_text()) | {"_name_or_path": name}))
    return folder


def snippet(readme: str) -> str:
    return readme.split("```python\n", 1)[1].split("```", 1)[0]


def run_snippet(code: str, tmp_path: Path, fresh: bool = True) -> list:
    """The card's snippet against the loopback Hub, with an empty cache, in a fresh Python (or in this one, which
    has the libraries loaded already); what its last statement, the generator(...) call, returns."""
    head, call = code.split("\ngenerator(", 1)
    script = f"{head}\nimport json\nprint(json.dumps(generator({call.strip()}))\n"  # the call ends with its ')'
    cache = str(tmp_path / "fresh-hf-home" / "hub")
    if not fresh:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("huggingface_hub.constants.HF_HUB_CACHE", cache)
            scope: dict = {}
            exec(f"{head}\nresult = generator({call.strip()}", scope)
            return json.loads(json.dumps(scope["result"]))
    env = os.environ | {"HF_HUB_CACHE": cache, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("arch", ["gpt2", "llama", "qwen2"])
def test_an_adapter_on_any_causal_lm_publishes_and_its_snippet_runs(run, prepared, hub, tmp_path, arch):
    base = build_base(tmp_path / f"base-{arch}", arch)
    base_id = f"tester/tiny-{arch}"
    api = HfApi()
    api.create_repo(base_id)
    api.upload_folder(repo_id=base_id, folder_path=base)  # the base on the Hub, where the snippet loads it from

    code, out, err = run("train", "pixel_poet", "--base-model", str(base), "--lora", "--epochs", "2", "--wandb", "off")
    assert code == 0, err
    model = prepared / "out" / "pixel_poet"
    files = {p.name for p in model.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", "tokenizer.json"} <= files
    assert not files & {"model.safetensors", "config.json", "README.md"}
    adapter = json.loads((model / "adapter_config.json").read_text())
    assert adapter["base_model_name_or_path"] == base_id and adapter["r"] == 16 and adapter["lora_alpha"] == 32
    record = load_record(prepared / "cards" / "pixel_poet.yaml")
    assert (record.weights, record.base_model, record.base_model_local) == ("adapter", base_id, False)
    hyper = record.training.hyperparameters
    assert (hyper["lora"], hyper["learning_rate"], hyper["batch_size"]) == (True, 1e-3, 8)  # batch 8: bench/train.py

    assert run("generate", str(model), "My dream is", "-n", "2", "--seed", "1")[0] == 0  # loads on its base
    assert run("publish", "pixel_poet", "--model-dir", str(model))[0] == 0
    published = set(api.list_repo_files("huggingtweets/pixel_poet"))
    assert {"adapter_config.json", "adapter_model.safetensors", "README.md"} <= published
    assert "model.safetensors" not in published
    readme = api_readme(api, "huggingtweets/pixel_poet")
    texts = run_snippet(snippet(readme), tmp_path, fresh=False)  # a fresh process: the next test
    assert len(texts) == 5 and all(t["generated_text"].startswith("My dream is") for t in texts)


def api_readme(api: HfApi, repo_id: str) -> str:
    from huggingface_hub import hf_hub_download

    return Path(hf_hub_download(repo_id, "README.md")).read_text(encoding="utf-8")


def test_run_tiny_lora_publishes_the_adapter_and_its_random_base(run, tmp_path, hub):
    """The issue's end-to-end command: the adapter and the tiny base it loads on, both on the Hub."""
    code, out, err = run(
        "run",
        "--archive",
        str(EXAMPLE),
        "--base-model",
        "tiny",
        "--lora",
        "--epochs",
        "2",
        "--wandb",
        "off",
        "--publish",
    )
    assert code == 0, err
    record = load_record(tmp_path / "cards" / "pixel_poet.yaml")
    assert record.weights == "adapter" and record.base_model.startswith("huggingtweets/tiny-base-")
    api = HfApi()
    base_files = set(api.list_repo_files(record.base_model))
    assert {"model.safetensors", "config.json", "tokenizer.json", "README.md"} <= base_files
    adapter = json.loads(Path(api_file(api, "huggingtweets/pixel_poet", "adapter_config.json")).read_text())
    assert adapter["base_model_name_or_path"] == record.base_model  # by Hub id, never the local folder
    readme = api_readme(api, "huggingtweets/pixel_poet")
    meta = yaml.safe_load(readme.split("---\n")[1])
    assert meta["base_model"] == record.base_model
    texts = run_snippet(snippet(readme), tmp_path)
    assert len(texts) == 5

    head = api.model_info(record.base_model).sha
    assert run("publish", "pixel_poet", "--model-dir", "out/pixel_poet")[0] == 0  # again: the base is not sent twice
    assert api.model_info(record.base_model).sha == head


def api_file(api: HfApi, repo_id: str, name: str) -> str:
    from huggingface_hub import hf_hub_download

    return hf_hub_download(repo_id, name)


def test_switching_a_repo_to_an_adapter_deletes_the_old_weights_in_the_same_commit(run, prepared, hub, fast):
    assert run("train", "pixel_poet", *fast)[0] == 0
    assert run("publish", "pixel_poet", "--model-dir", "out/pixel_poet")[0] == 0
    api = HfApi()
    assert "model.safetensors" in api.list_repo_files("huggingtweets/pixel_poet")
    assert run("train", "pixel_poet", *fast, "--lora")[0] == 0
    commits = len(hub.repo("huggingtweets/pixel_poet").commits)
    code, out, err = run("publish", "pixel_poet", "--model-dir", "out/pixel_poet")
    assert code == 0, err
    assert len(hub.repo("huggingtweets/pixel_poet").commits) == commits + 1  # one commit
    files = set(api.list_repo_files("huggingtweets/pixel_poet"))
    assert "adapter_model.safetensors" in files and not files & {"model.safetensors", "config.json"}
    assert "2 deleted" in out, out  # model.safetensors and config.json


def test_merge_publishes_full_weights_that_load_without_peft(run, prepared, fast):
    code, out, err = run("train", "pixel_poet", *fast, "--lora", "--merge")
    assert code == 0, err
    model = prepared / "out" / "pixel_poet"
    files = {p.name for p in model.iterdir()}
    assert "model.safetensors" in files and "adapter_config.json" not in files
    from transformers import AutoModelForCausalLM

    loaded = AutoModelForCausalLM.from_pretrained(model)
    assert not any("lora" in name for name, _ in loaded.named_parameters())
    record = load_record(prepared / "cards" / "pixel_poet.yaml")
    assert record.weights == "full" and record.base_model == "hf-tweets-tests/gpt2-2-layers"
    assert record.training.hyperparameters["merge"] is True


def test_a_folder_naming_no_hub_model_trains_and_the_record_says_so(run, prepared, tiny_model, tmp_path):
    plain = tmp_path / "plain"
    import shutil

    shutil.copytree(tiny_model, plain)
    config = json.loads((plain / "config.json").read_text())
    config.pop("_name_or_path")
    (plain / "config.json").write_text(json.dumps(config))
    code, out, err = run("train", "pixel_poet", "--base-model", str(plain), "--epochs", "1", "--wandb", "off")
    assert code == 0, err
    record = load_record(prepared / "cards" / "pixel_poet.yaml")
    assert (record.base_model, record.base_model_local, record.weights) == (None, True, "full")


@pytest.mark.parametrize(
    "settings, rate, batch",
    [
        ({}, 1.372e-4, 16),
        ({"lora": True}, 1e-3, 8),  # bench/train.py: peak RSS 50 % of full fine-tuning's at 124M (69 % at 16)
        ({"lora": True, "batch_size": 32, "learning_rate": 5e-4}, 5e-4, 32),
        ({"batch_size": 4}, 1.372e-4, 4),
    ],
    ids=["full", "lora", "lora, both given", "full, batch given"],
)
def test_defaults_depend_on_lora_unless_given(settings, rate, batch):
    from hf_tweets.training.train import TrainConfig

    config = TrainConfig(**settings)
    assert (config.learning_rate, config.batch_size) == (rate, batch)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--merge"], "--merge merges a LoRA adapter into its base; add --lora, or leave out --merge"),
        (["--lora", "--lora-targets", "no_such_layer"], "LoRA targets 'no_such_layer' do not fit GPT2LMHeadModel"),
    ],
    ids=["merge without lora", "unknown target"],  # rank 0: a usage error (test_options.py)
)
def test_lora_settings_that_cannot_work_fail_in_one_line(run, prepared, fast, args, message):
    code, out, err = run("train", "pixel_poet", *fast, *args)
    assert code == 1 and message in err and err.count("\n") == 1, err
    assert not (prepared / "out" / "pixel_poet").exists()


def test_lora_resumes_and_keeps_the_best_epoch(run, prepared, fast, interrupt_training):
    undo = interrupt_training(3)
    code, _, err = run("train", "pixel_poet", *fast, "--lora", "--epochs", "3")
    assert code == 1 and "interrupted at step 3" in err
    checkpoints = prepared / "data" / "pixel_poet" / "checkpoints"
    saved = {p.name for p in (checkpoints / "checkpoint-3").iterdir()}
    assert "adapter_model.safetensors" in saved and "model.safetensors" not in saved  # the adapter only
    undo()
    code, out, err = run("train", "pixel_poet", *fast, "--lora", "--epochs", "3", "--resume")
    assert code == 0, err
    state = json.loads(max(checkpoints.glob("checkpoint-*/trainer_state.json"), key=os.path.getmtime).read_text())
    evals = [e["eval_loss"] for e in state["log_history"] if "eval_loss" in e]
    record = load_record(prepared / "cards" / "pixel_poet.yaml")
    assert len(evals) >= 3 and record.training.eval_loss == round(min(evals), 4)


def test_lora_in_bf16_loads_back_with_the_adapters_generation_settings(run, prepared, fast):
    code, out, err = run("train", "pixel_poet", *fast, "--lora", "--precision", "bf16")
    assert code == 0, err
    assert load_record(prepared / "cards" / "pixel_poet.yaml").training.hyperparameters["precision"] == "bf16"
    from hf_tweets.training.basemodel import load_trained

    folder = prepared / "out" / "pixel_poet"
    saved = json.loads((folder / "generation_config.json").read_text())
    model, _, _ = load_trained(folder)  # not its base's settings (the tiny base's max_length is 24)
    assert {key: getattr(model.generation_config, key) for key in saved if key != "transformers_version"} == {
        key: value for key, value in saved.items() if key != "transformers_version"
    }


def test_lora_in_wandb_offline_has_its_settings_and_the_copy_rate(run, prepared, fast, monkeypatch):
    monkeypatch.setenv("WANDB_SILENT", "true")
    args = [a if a != "off" else "offline" for a in fast]
    code, out, err = run("train", "pixel_poet", *args, "--lora", "--epochs", "1")
    assert code == 0, err
    ids = json.loads((prepared / "data" / "pixel_poet" / "wandb-runs.json").read_text())
    found = next((prepared / "data" / "pixel_poet" / "wandb").glob(f"offline-run-*-{ids['train_run']}/*.wandb"))
    train = summary(found)
    config = train["config"]
    settings = ("lora", "lora_rank", "lora_alpha", "learning_rate", "batch_size")
    assert tuple(config[key] for key in settings) == (True, 16, 32, 1e-3, 8)
    assert {"train/loss", "eval/loss"} <= train["metrics"]
    copies = load_record(prepared / "cards" / "pixel_poet.yaml").training.copies
    assert train["summary"]["copy_rate"] == copies.rate
