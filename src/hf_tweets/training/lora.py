"""LoRA adapters with peft: which base a run trains on, the adapter's settings, and what the repo names as its base.

``--lora`` freezes the base model and trains low-rank updates of its linear
layers (attention and MLP: peft's ``all-linear``, which finds them in GPT-2's
Conv1D, Llama's, Qwen2's and SmolLM's projections alike), rank 16, alpha 32.
The published repo holds the adapter (a few MB) and the tokenizer; its
``adapter_config.json`` names the base by Hub id, never by a local path.
``--merge`` folds the adapter into the base and publishes full weights.

An adapter trained on ``tiny`` (a small GPT-2 initialised at random here) needs
that base on the Hub to load: it is published beside the adapter as
``<namespace>/tiny-base-<hash of its weights>`` (record.RANDOM_BASE), the same
repo for every adapter on the same weights.
"""

from __future__ import annotations

from pathlib import Path

from hf_tweets.errors import TrainError
from hf_tweets.fsutil import sha256_of
from hf_tweets.training.basemodel import TINY, hub_id, is_unnamed_folder

TINY_BASE = "tiny-base"  # the folder of a tiny base: data/<name>/tiny-base while training, out/<name>/base after


def check(config) -> None:
    """TrainError, before any work, for settings that cannot make a model the Hub can load (TrainConfig has
    checked each setting's range)."""
    if config.merge and not config.lora:
        raise TrainError("--merge merges a LoRA adapter into its base", fix="add --lora, or leave out --merge")
    if config.lora and not config.merge and is_unnamed_folder(config.base_model):
        raise TrainError(
            "is a local folder whose config.json does not name the Hub model it is (_name_or_path): an adapter"
            " must name a base that loads from the Hub",
            where=config.base_model,
            fix="add --merge to publish full weights, or pass the base model's Hub id",
        )


def wrap(model, config):
    """The model with a fresh LoRA adapter on it (only the adapter trains)."""
    from peft import LoraConfig, get_peft_model

    targets = [t.strip() for t in config.lora_targets.split(",") if t.strip()]
    lora = LoraConfig(
        task_type="CAUSAL_LM",
        r=config.lora_rank,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=targets[0] if targets == ["all-linear"] else targets,
    )
    try:
        return get_peft_model(model, lora)
    except ValueError as error:
        raise TrainError(
            f"LoRA targets {config.lora_targets!r} do not fit {type(model).__name__}"
            f" ({str(error).splitlines()[0][:120]})",
            fix="name its linear layers with --lora-targets (e.g. q_proj,v_proj), or use all-linear",
        ) from None


def weights_hash(folder: Path) -> str:
    """12 hex digits of the sha256 of a model folder's weights: the name of a tiny base's repo."""
    return sha256_of(*sorted(folder.glob("*.safetensors"))).hexdigest()[:12]


def base_id(config, namespace: str, tiny_folder: Path) -> str | None:
    """The Hub id the card and an adapter name as the base: see hub_id; a tiny base under an adapter gets its repo."""
    if config.base_model == TINY and config.lora and not config.merge:
        return f"{namespace}/{TINY_BASE}-{weights_hash(tiny_folder)}"
    return hub_id(config.base_model)
