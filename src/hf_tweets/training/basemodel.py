"""Base models: a Hub id or folder through transformers, or ``tiny``, a small GPT-2 built here.

``tiny`` needs no network: a byte-level BPE tokenizer is trained on the
training text and a small GPT-2 is initialised at random, for demos, tests
and the offline quickstart. It learns the shape of posts, not English.
"""

from __future__ import annotations

import json
from pathlib import Path

from huggingface_hub.utils import HFValidationError, validate_repo_id

from hf_tweets.errors import TrainError

EOS = "<|endoftext|>"
TINY = "tiny"
TINY_SHAPE = {"n_layer": 4, "n_embd": 128, "n_head": 4, "n_positions": 128}


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
    (``_name_or_path``), or None for ``tiny`` (trained from scratch). TrainError, before any training, for a
    folder that does not say which Hub model it is: a card can only point at the Hub."""
    if base_model == TINY:
        return None
    folder = Path(base_model).expanduser()
    if not folder.is_dir():
        return base_model
    try:
        declared = json.loads((folder / "config.json").read_text(encoding="utf-8")).get("_name_or_path")
        if not isinstance(declared, str) or not declared:
            raise ValueError("no _name_or_path")
        validate_repo_id(declared)
        return declared
    except (OSError, ValueError, TypeError, AttributeError, HFValidationError):
        raise TrainError(
            "is a local folder whose config.json does not name the Hub model it is (_name_or_path)",
            where=base_model,
            fix="the card must point at a Hub model: set _name_or_path in its config.json, or pass the Hub id",
        ) from None


def load(base_model: str, texts: list[str], work_dir: Path, seed: int):
    """(model, tokenizer) for a base model id, a local folder, or ``tiny``; TrainError says how to fix a miss."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

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
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer
