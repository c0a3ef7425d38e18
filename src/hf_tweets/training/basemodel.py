"""Base models: a Hub id or folder through transformers, or ``tiny``, a small GPT-2 built here.

``tiny`` needs no network: a byte-level BPE tokenizer is trained on the
training text and a small GPT-2 is initialised at random, for demos, tests
and the offline quickstart. It learns the shape of posts, not English.

It also loads a trained folder back (full weights, or an adapter on its base) and says which files are a
model's weights (``weights_files``: the ``.safetensors``, else a legacy huggingtweets ``pytorch_model.bin``).
"""

from __future__ import annotations

import json
from pathlib import Path

from huggingface_hub.utils import HFValidationError, validate_repo_id

from hf_tweets.errors import TrainError

EOS = "<|endoftext|>"
TINY = "tiny"
TINY_SHAPE = {"n_layer": 4, "n_embd": 128, "n_head": 4, "n_positions": 128}
LEGACY_WEIGHTS = "pytorch_model.bin"  # huggingtweets' repos (transformers loads it)
ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")  # what peft saves (.bin: older releases)


def weights_files(names) -> list[str]:
    """The weights of a model, of a folder's or repo's top-level file names: its .safetensors (what transformers
    loads first; an adapter's too), else a legacy pytorch_model.bin (or adapter_model.bin). Empty: no weights."""
    names = [n for n in names if "/" not in n]
    return sorted(n for n in names if n.endswith(".safetensors")) or [
        n for n in names if n in (LEGACY_WEIGHTS, ADAPTER_WEIGHTS[1])
    ]


def build_tiny(texts: list[str], folder: Path, seed: int = 0, vocab_size: int = 2000, **shape) -> Path:
    """Write a small random GPT-2 and a tokenizer trained on ``texts`` into ``folder``."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(texts, vocab_size=vocab_size, min_frequency=2, special_tokens=[EOS], show_progress=False)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token=EOS, eos_token=EOS, unk_token=EOS, pad_token=EOS
    )
    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        **(TINY_SHAPE | shape),
    )
    folder.mkdir(parents=True, exist_ok=True)
    GPT2LMHeadModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def hub_id(base_model: str) -> str | None:
    """What the card names as the base model: the Hub id given, the one a local folder's config.json declares
    (``_name_or_path``, as models saved from the Hub carry), or None: ``tiny`` (trained from scratch) and a folder
    that does not say which Hub model it is (see ``is_unnamed_folder``). The Hub's metadata takes only Hub ids."""
    if base_model == TINY:
        return None
    folder = Path(base_model).expanduser()
    if not folder.is_dir():
        return base_model
    try:
        declared = json.loads((folder / "config.json").read_text(encoding="utf-8")).get("_name_or_path")
        if not isinstance(declared, str) or not declared:
            return None
        validate_repo_id(declared)
        return declared
    except (OSError, ValueError, TypeError, AttributeError, HFValidationError):
        return None


def is_unnamed_folder(base_model: str) -> bool:
    """A local folder whose Hub model is unknown: the card says so instead of naming a base model."""
    return base_model != TINY and Path(base_model).expanduser().is_dir() and hub_id(base_model) is None


def separator(tokenizer) -> str:
    """The token that ends (and so separates) posts: the tokenizer's own end-of-text token, else its
    beginning-of-text token; a tokenizer with neither gets ``EOS`` added (the caller resizes the embeddings)."""
    for token in (tokenizer.eos_token, tokenizer.bos_token):
        if token:
            return token
    tokenizer.add_special_tokens({"eos_token": EOS})
    return EOS


def load(base_model: str, texts: list[str], work_dir: Path, seed: int):
    """(model, tokenizer) for a base model id, a local folder, or ``tiny``; TrainError says how to fix a miss."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Loading weights" bars: our own bar shows the training
    source = str(build_tiny(texts, work_dir / "tiny-base", seed)) if base_model == TINY else base_model
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        model = AutoModelForCausalLM.from_pretrained(source)
    except OSError as error:
        raise TrainError(
            f"base model {base_model!r} cannot be loaded ({str(error).splitlines()[0][:120]}); without network it must"
            " be in the Hugging Face cache or a local folder: connect once, pass --base-model PATH, or use"
            " --base-model tiny"
        ) from None
    return model, _with_special_tokens(model, tokenizer)


def _with_special_tokens(model, tokenizer):
    """End-of-text and padding tokens for any tokenizer: Llama-family ones have no pad token, a few no EOS."""
    tokenizer.eos_token = separator(tokenizer)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token  # padding is masked out of the loss and attention
    if len(tokenizer) > model.get_input_embeddings().weight.shape[0]:  # a token added above
        model.resize_token_embeddings(len(tokenizer))
    return tokenizer


def load_trained(folder: Path):
    """(model, tokenizer, facts) of a model folder train wrote: full weights, or an adapter on its base (the tiny
    base in base/, else the folder or Hub id it was trained on, from hf_tweets.json, else its adapter config's)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    adapter = (folder / "adapter_config.json").is_file()
    if not weights_files(p.name for p in folder.iterdir() if p.is_file()):  # else peft asks the Hub for them
        expected = ADAPTER_WEIGHTS if adapter else ("model.safetensors", LEGACY_WEIGHTS)
        raise TrainError(
            f"the model's weights are missing (no {' or '.join(expected)})",
            where=folder,
            fix="train again, or download the bot's repo whole",
        )
    facts = _facts(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    if not adapter:
        full = AutoModelForCausalLM.from_pretrained(folder)
        return full, tokenizer, facts or getattr(full.config, "hf_tweets", None) or {}
    from peft import PeftConfig, PeftModel

    base = next(
        (str(c) for c in (folder / "base", facts.get("base")) if c and (Path(c) / "config.json").is_file()),
        PeftConfig.from_pretrained(str(folder)).base_model_name_or_path,
    )
    try:
        underlying = AutoModelForCausalLM.from_pretrained(base)
    except OSError as error:
        raise TrainError(
            f"the base model {base!r} of this adapter cannot be loaded ({str(error).splitlines()[0][:120]})",
            where=folder,
            fix="connect once so it is in the Hugging Face cache, or train again",
        ) from None
    if (folder / "generation_config.json").is_file():  # the adapter's settings, not its base's: set before wrapping
        underlying.generation_config = GenerationConfig.from_pretrained(folder)
    return PeftModel.from_pretrained(underlying, str(folder)), tokenizer, facts


def _facts(folder: Path) -> dict:
    try:
        facts = json.loads((folder / "hf_tweets.json").read_text(encoding="utf-8"))
        return facts if isinstance(facts, dict) else {}
    except (OSError, ValueError):
        return {}
