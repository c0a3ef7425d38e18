"""The card of a tiny base: the small GPT-2 hf-tweets initialised at random, published for adapters to load on."""

from __future__ import annotations

from huggingface_hub import ModelCardData

from hf_tweets.cards.render import front_matter

TAGS = ["hf-tweets", "text-generation"]
BODY = """# {name}

A small GPT-2 that hf-tweets, a re-creation of [huggingtweets](https://github.com/borisdayma/huggingtweets),
initialised at random (it was never trained), with a tokenizer trained on the posts of the model that first
used it. It is published only because a LoRA adapter trained on it needs its base on the Hub to load: the
adapters that name it as their `base_model` are the models; this one writes noise. The repo name is the hash
of its weights, so every adapter on the same weights shares it.
"""


def render_base_card(repo_id: str) -> str:
    """README.md of a tiny base's repo."""
    data = ModelCardData(library_name="transformers", pipeline_tag="text-generation", tags=TAGS)
    return f"---\n{front_matter(data)}---\n\n{BODY.format(name=repo_id.rsplit('/', 1)[-1])}"
