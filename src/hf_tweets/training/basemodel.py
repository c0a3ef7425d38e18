"""Base models: a Hub id or folder through transformers, or ``tiny``, a small GPT-2 built here.

``tiny`` needs no network: a byte-level BPE tokenizer is trained on the
training text and a small GPT-2 is initialised at random, for demos, tests
and the offline quickstart. It learns the shape of posts, not English.
"""

from __future__ import annotations

from pathlib import Path

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
