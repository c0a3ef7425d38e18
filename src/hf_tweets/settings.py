"""Settings and paths, read from the environment once, in one place.

Every variable hf-tweets reads is named here; nothing else in the package
looks at ``os.environ``. Tests point these at temporary folders.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Where card records live; ``--cards-dir`` overrides it per command.
CARDS_DIR_ENV = "HF_TWEETS_CARDS_DIR"
#: A folder of Jinja templates to use instead of the bundled ones.
TEMPLATES_DIR_ENV = "HF_TWEETS_TEMPLATES_DIR"
#: Where raw posts and prepared training text live; ``--data-dir`` overrides it.
DATA_DIR_ENV = "HF_TWEETS_DATA_DIR"
#: Set to 1 to get a traceback instead of a one-line error.
DEBUG_ENV = "HF_TWEETS_DEBUG"
#: The X (Twitter) API bearer token.
X_BEARER_TOKEN_ENV = "X_BEARER_TOKEN"

#: Network retries: first back-off in seconds (doubles each try), and how many tries.
RETRY_BASE_ENV = "HF_TWEETS_RETRY_BASE"
RETRIES_ENV = "HF_TWEETS_RETRIES"

#: Weights & Biases project and entity (huggingtweets' project by default).
WANDB_PROJECT_ENV, WANDB_ENTITY_ENV = "HF_TWEETS_WANDB_PROJECT", "HF_TWEETS_WANDB_ENTITY"

# Variables whose values are secrets: never printed, logged or written.
SECRET_ENVS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", X_BEARER_TOKEN_ENV, "WANDB_API_KEY")


def cards_dir(override: str | os.PathLike | None = None) -> Path:
    """The folder of card records: the override, else $HF_TWEETS_CARDS_DIR, else ./cards."""
    return Path(override or os.environ.get(CARDS_DIR_ENV) or "cards")


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """The data folder: the override, else $HF_TWEETS_DATA_DIR, else ./data."""
    return Path(override or os.environ.get(DATA_DIR_ENV) or "data")


def x_bearer_token() -> str | None:
    """The X API bearer token from $X_BEARER_TOKEN (never printed)."""
    return os.environ.get(X_BEARER_TOKEN_ENV) or None


def templates_dir_override() -> Path | None:
    """A user's template folder from $HF_TWEETS_TEMPLATES_DIR, if set."""
    value = os.environ.get(TEMPLATES_DIR_ENV)
    return Path(value) if value else None


def debug() -> bool:
    """True when tracebacks were asked for with $HF_TWEETS_DEBUG."""
    return os.environ.get(DEBUG_ENV, "").lower() not in ("", "0", "false", "no")


def secret_values() -> list[str]:
    """The secrets this process knows of, longest first, to scrub from any text."""
    values = {os.environ.get(name, "") for name in SECRET_ENVS}
    try:  # the token saved by `hf auth login`, when there is one
        from huggingface_hub import get_token

        values.add(get_token() or "")
    except Exception:  # a broken token file must not hide the real error
        pass
    return sorted((v for v in values if len(v) >= 8), key=len, reverse=True)


def retry_policy() -> tuple[float, int]:
    """(first back-off in seconds, number of tries) for calls to the Hub."""
    return float(os.environ.get(RETRY_BASE_ENV) or 1.0), max(1, int(os.environ.get(RETRIES_ENV) or 5))


def wandb_target() -> tuple[str, str | None]:
    """(project, entity) for W&B runs."""
    return os.environ.get(WANDB_PROJECT_ENV) or "huggingtweets", os.environ.get(WANDB_ENTITY_ENV) or None


def wandb_key_in_environment() -> bool:
    """Whether WANDB_API_KEY is set (a login that `wandb login` saved is looked up in ~/.netrc)."""
    return bool(os.environ.get("WANDB_API_KEY"))
