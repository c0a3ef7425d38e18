"""A tiny GPT-2 (2 layers) with a byte-level BPE tokenizer trained on the made-up fixture posts.

Tests publish and load this instead of downloading anything.
"""

from __future__ import annotations

import json
from pathlib import Path

FIXTURE_POSTS = Path(__file__).parent / "fixtures" / "posts.txt"
EOS = "<|endoftext|>"


NAME = "hf-tweets-tests/gpt2-2-layers"  # the Hub id its config.json declares, as a model saved from the Hub does


def build_tiny_model(folder: Path, seed: int = 0) -> Path:
    """Write config.json, model.safetensors, generation_config.json and the tokenizer files into ``folder``.

    It doubles as a base model to train from (``--base-model FOLDER``): config.json names it NAME."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GenerationConfig, GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    texts = FIXTURE_POSTS.read_text(encoding="utf-8").splitlines()
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(texts, vocab_size=400, min_frequency=1, special_tokens=[EOS], show_progress=False)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token=EOS, eos_token=EOS, unk_token=EOS, pad_token=EOS
    )
    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=64,
        n_embd=32,
        n_layer=2,
        n_head=2,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    model = GPT2LMHeadModel(config)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    GenerationConfig(
        do_sample=True,
        top_p=0.95,
        max_length=24,
        pad_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    ).save_pretrained(folder)
    config_file = folder / "config.json"
    config_file.write_text(json.dumps(json.loads(config_file.read_text()) | {"_name_or_path": NAME}, indent=2))
    return folder
