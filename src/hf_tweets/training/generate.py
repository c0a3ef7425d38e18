"""``hf-tweets generate``: sample posts from a trained model with the settings saved beside it."""

from __future__ import annotations

import difflib
from pathlib import Path

from huggingface_hub.utils import HFValidationError, validate_repo_id

from hf_tweets.errors import HfTweetsError


def resolve(model: str, out_root: Path = Path("out")) -> str:
    """A model folder, ``out/NAME`` for a bare name, or a Hub repo id; a miss that looks local fails at once.

    Only a plausible ``namespace/name`` whose namespace is no local folder goes to the Hub: a typo of a
    local path (``out/pixel_poett``) must not spend half a minute retrying the Hub."""
    for candidate in (Path(model).expanduser(), out_root / model):
        if (candidate / "config.json").is_file():
            return str(candidate)
    if _hub_id(model):
        return model
    raise HfTweetsError(
        f"no such model folder (looked for {model}/config.json and {out_root / model}/config.json)",
        where=model,
        fix=_suggest(model, out_root)
        or "train one with hf-tweets run or train, or give a Hub repo id (namespace/name)",
    )


def _hub_id(model: str) -> bool:
    if model.startswith((".", "/", "~")) or model.count("/") != 1 or Path(model.split("/")[0]).exists():
        return False
    try:
        validate_repo_id(model)
    except HFValidationError:
        return False
    return True


def _suggest(model: str, out_root: Path) -> str | None:
    """ "did you mean ...?" for a near miss of a local model folder."""
    path = Path(model)
    folder = path.parent if path.parent != Path(".") else out_root
    names = [p.name for p in folder.iterdir() if (p / "config.json").is_file()] if folder.is_dir() else []
    close = difflib.get_close_matches(path.name, names, n=1)
    if not close:
        return None
    return f"did you mean {folder / close[0] if path.parent != Path('.') else close[0]}?"


def generate(model: str, prompt: str, count: int = 5, seed: int | None = None) -> list[str]:
    """``count`` texts starting with ``prompt``; cut at the first line break unless the model kept newlines."""
    if count < 1:
        raise HfTweetsError(f"-n {count} asks for no text", fix="give -n 1 or more")
    source = resolve(model)  # before transformers is even imported: a wrong path fails at once
    from transformers import pipeline, set_seed

    if seed is not None:
        set_seed(seed)
    generator = pipeline("text-generation", model=source)
    keep_newlines = (getattr(generator.model.config, "hf_tweets", None) or {}).get("keep_newlines", False)
    outputs = generator(prompt, num_return_sequences=count)
    texts = [o["generated_text"] for o in outputs]
    return texts if keep_newlines else [t.split("\n", 1)[0].rstrip() for t in texts]
