"""``hf-tweets generate``: sample posts from a trained model with the settings saved beside it."""

from __future__ import annotations

from pathlib import Path

from hf_tweets.errors import HfTweetsError


def resolve(model: str) -> str:
    """A model folder, ``out/NAME`` for a bare name, or a Hub repo id as given."""
    for candidate in (Path(model), Path("out") / model):
        if (candidate / "config.json").is_file():
            return str(candidate)
    if "/" in model and not Path(model).exists():
        return model  # a Hub repo id
    raise HfTweetsError(
        f"{model}: no model there (looked for {model}/config.json and out/{model}/config.json);"
        " train one with hf-tweets train NAME, or give a Hub repo id"
    )


def generate(model: str, prompt: str, count: int = 5, seed: int | None = None) -> list[str]:
    """``count`` texts starting with ``prompt``; cut at the first line break unless the model kept newlines."""
    from transformers import pipeline, set_seed

    if seed is not None:
        set_seed(seed)
    generator = pipeline("text-generation", model=resolve(model))
    keep_newlines = (getattr(generator.model.config, "hf_tweets", None) or {}).get("keep_newlines", False)
    outputs = generator(prompt, num_return_sequences=count)
    texts = [o["generated_text"] for o in outputs]
    return texts if keep_newlines else [t.split("\n", 1)[0].rstrip() for t in texts]
