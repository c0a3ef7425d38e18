"""Settings and paths, read from the environment once, in one place.

Every variable hf-tweets reads is named here; nothing else in the package
looks at ``os.environ``. Tests point these at temporary folders.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Where card records live (default ./cards); ``--cards-dir`` overrides it per command.
CARDS_DIR_ENV = "HF_TWEETS_CARDS_DIR"
#: A folder of Jinja templates to use instead of the bundled ones.
TEMPLATES_DIR_ENV = "HF_TWEETS_TEMPLATES_DIR"
#: Where raw posts and prepared training text live (default ./data); ``--data-dir`` overrides it.
DATA_DIR_ENV = "HF_TWEETS_DATA_DIR"
#: Set to 1 to get a traceback instead of a one-line error.
DEBUG_ENV = "HF_TWEETS_DEBUG"
#: The X (Twitter) API bearer token.
X_BEARER_TOKEN_ENV = "X_BEARER_TOKEN"
#: Mastodon: an access token (optional: public posts need none), and the server to ask instead of https://<instance>.
MASTODON_ACCESS_TOKEN_ENV, MASTODON_BASE_URL_ENV = "MASTODON_ACCESS_TOKEN", "HF_TWEETS_MASTODON_BASE_URL"
#: Bluesky: the AppView to ask (tests, self-hosters), and the one asked by default (https://public.api.bsky.app).
BLUESKY_APPVIEW_ENV, DEFAULT_BLUESKY_APPVIEW = "HF_TWEETS_BLUESKY_APPVIEW", "https://public.api.bsky.app"
#: Bluesky: the PLC directory that resolves a did:plc to its PDS and handle (tests, self-hosters), and the one asked
#: by default (https://plc.directory).
PLC_URL_ENV, DEFAULT_PLC_URL = "HF_TWEETS_PLC_URL", "https://plc.directory"

#: Hub calls: the first back-off in seconds (default 1, doubling each try), and how many tries (default 5).
RETRY_BASE_ENV = "HF_TWEETS_RETRY_BASE"
RETRIES_ENV = "HF_TWEETS_RETRIES"

#: Hub calls: the longest wait a Retry-After may ask for before hf-tweets gives up instead (seconds, default 300).
MAX_RETRY_WAIT_ENV = "HF_TWEETS_MAX_RETRY_WAIT"
DEFAULT_MAX_RETRY_WAIT = 300.0

#: Seconds between two looks at a running Hugging Face Job in ``batch --executor hf-jobs`` (default 10).
JOBS_POLL_ENV = "HF_TWEETS_JOBS_POLL"

#: Archives: the most bytes the parts hf-tweets reads may inflate to (default 2 GiB in all), and the highest
#: compression ratio of a part over 1 MiB (default 100): zip-bomb limits.
ARCHIVE_MAX_BYTES_ENV, ARCHIVE_MAX_RATIO_ENV = "HF_TWEETS_ARCHIVE_MAX_BYTES", "HF_TWEETS_ARCHIVE_MAX_RATIO"
DEFAULT_ARCHIVE_MAX_BYTES = 2 * 1024**3
DEFAULT_ARCHIVE_MAX_RATIO = 100.0

#: The opt-out list (default: optout.yaml beside the cards folder).
OPTOUT_ENV = "HF_TWEETS_OPTOUT"

#: Where the try-it page loads transformers.js from. ``demo``: a URL folder, or a local folder holding the npm
#: package's ``dist/`` (web/node_modules/@huggingface/transformers/dist after .ci/setup), which the demo server then
#: serves. ``space``: a URL folder holding transformers.min.js and onnxruntime-web's .wasm files (a local folder is
#: refused). Unset: the pinned version on the jsDelivr CDN (browser/manifest.py).
TRANSFORMERS_JS_ENV = "HF_TWEETS_TRANSFORMERS_JS"

#: Weights & Biases project and entity (huggingtweets' project by default).
WANDB_PROJECT_ENV, WANDB_ENTITY_ENV = "HF_TWEETS_WANDB_PROJECT", "HF_TWEETS_WANDB_ENTITY"

#: Whether train, run and publish make (or send) the browser copy, onnx/, when --onnx/--no-onnx is not given:
#: 0 or 1 (default 1).
ONNX_ENV = "HF_TWEETS_ONNX"

# Variables whose values are secrets: never printed, logged or written.
SECRET_ENVS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", X_BEARER_TOKEN_ENV, MASTODON_ACCESS_TOKEN_ENV, "WANDB_API_KEY")


def cards_dir(override: str | os.PathLike | None = None) -> Path:
    """The folder of card records: the override, else $HF_TWEETS_CARDS_DIR, else ./cards."""
    return Path(override or os.environ.get(CARDS_DIR_ENV) or "cards")


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """The data folder: the override, else $HF_TWEETS_DATA_DIR, else ./data."""
    return Path(override or os.environ.get(DATA_DIR_ENV) or "data")


def out_dir(override: str | os.PathLike | None = None) -> Path:
    """The folder of model folders (out/NAME): the override, else ./out."""
    return Path(override or "out")


def optout_path(cards: str | os.PathLike | None = None) -> Path:
    """The opt-out list: $HF_TWEETS_OPTOUT, else optout.yaml in the cards folder's parent (./optout.yaml)."""
    value = os.environ.get(OPTOUT_ENV)
    return Path(value) if value else cards_dir(cards).resolve().parent / "optout.yaml"


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


def onnx_default() -> bool:
    """Whether the browser copy is on when neither --onnx nor --no-onnx is given: $HF_TWEETS_ONNX (0 or 1), else on."""
    value = (os.environ.get(ONNX_ENV) or "1").strip().lower()
    if value not in ("0", "1", "true", "false", "yes", "no"):
        from hf_tweets.errors import HfTweetsError

        raise HfTweetsError(f"{ONNX_ENV}={value!r} is not 0 or 1", fix=f"set {ONNX_ENV} to 0 or 1, or unset it for 1")
    return value in ("1", "true", "yes")


def transformers_js() -> str | None:
    """$HF_TWEETS_TRANSFORMERS_JS (a URL folder or a local folder of transformers.js' dist/), or None (the CDN)."""
    return os.environ.get(TRANSFORMERS_JS_ENV) or None


def retry_policy() -> tuple[float, int]:
    """(first back-off in seconds, number of tries) for calls to the Hub."""
    return float(os.environ.get(RETRY_BASE_ENV) or 1.0), max(1, int(os.environ.get(RETRIES_ENV) or 5))


def hub_endpoint() -> str:
    """The Hub hf-tweets talks to: $HF_ENDPOINT as huggingface_hub read it at start-up, else https://huggingface.co."""
    from huggingface_hub import constants

    return constants.ENDPOINT


def max_retry_wait() -> float:
    """The longest Retry-After hf-tweets waits for (seconds); a longer one ends the call with a clear error."""
    return _number(MAX_RETRY_WAIT_ENV, DEFAULT_MAX_RETRY_WAIT)


def jobs_poll() -> float:
    """Seconds between two looks at a running Hugging Face Job (``batch --executor hf-jobs``)."""
    return _number(JOBS_POLL_ENV, 10.0)


def archive_limits() -> tuple[int, float]:
    """(most bytes the read parts of an archive may inflate to, highest compression ratio of a part)."""
    return int(_number(ARCHIVE_MAX_BYTES_ENV, DEFAULT_ARCHIVE_MAX_BYTES)), _number(
        ARCHIVE_MAX_RATIO_ENV, DEFAULT_ARCHIVE_MAX_RATIO
    )


def _number(name: str, default: float) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if number < 0:
        from hf_tweets.errors import HfTweetsError

        raise HfTweetsError(
            f"{name}={value!r} is not a number >= 0", fix=f"set {name} to a number, or unset it for {default:g}"
        )
    return number


def wandb_target() -> tuple[str, str | None]:
    """(project, entity) for W&B runs."""
    return os.environ.get(WANDB_PROJECT_ENV) or "huggingtweets", os.environ.get(WANDB_ENTITY_ENV) or None


def wandb_key_in_environment() -> bool:
    """Whether WANDB_API_KEY is set (a login that `wandb login` saved is looked up in ~/.netrc)."""
    return bool(os.environ.get("WANDB_API_KEY"))


def mastodon_base_url(instance: str) -> str:
    """Where the Mastodon API of ``instance`` is: $HF_TWEETS_MASTODON_BASE_URL (tests, a proxy), else https://<instance>."""
    return (os.environ.get(MASTODON_BASE_URL_ENV) or f"https://{instance}").rstrip("/")


def mastodon_access_token() -> str | None:
    """A Mastodon access token from $MASTODON_ACCESS_TOKEN (never printed); None: ask without one."""
    return os.environ.get(MASTODON_ACCESS_TOKEN_ENV) or None


def bluesky_appview() -> str:
    """The Bluesky AppView to ask: $HF_TWEETS_BLUESKY_APPVIEW (tests, self-hosters), else https://public.api.bsky.app."""
    return (os.environ.get(BLUESKY_APPVIEW_ENV) or DEFAULT_BLUESKY_APPVIEW).rstrip("/")


def plc_url() -> str:
    """The PLC directory to ask: $HF_TWEETS_PLC_URL (tests, self-hosters), else https://plc.directory."""
    return (os.environ.get(PLC_URL_ENV) or DEFAULT_PLC_URL).rstrip("/")
