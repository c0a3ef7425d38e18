"""Card records: the typed, validated data of one model card (one YAML file per model under ``cards/``).

A record is the single source of a model card: who the users are, their
tweet counts, links, training facts and publish state (per repo it was
published to). This module holds its schema and validation, with errors that
name the field and the fix; reading and writing the files is recordfile.py's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from huggingface_hub.utils import HFValidationError, validate_repo_id
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hf_tweets import platforms, settings
from hf_tweets.errors import Problem, RecordError
from hf_tweets.platforms import Account, x
from hf_tweets.text import MAX_URL, clean_line, url_problem

# Whose choice a model is, strongest first (consent.py says what each means and checks them).
Consent = Literal["self", "permission", "public"]
CONSENTS: tuple[str, ...] = get_args(Consent)
API_CONSENTS = ("public", "permission")  # what may be said of an account read through its API: an export is "self"

DEFAULT_NAMESPACE = "huggingtweets"
DEFAULT_BASE_MODEL = "openai-community/gpt2"
DEFAULT_PROMPT = "My dream is"
MAX_USERS = 3
HANDLE_RE = x.HANDLE_RE  # an X handle
HUB_URL = "https://huggingface.co"
#: A thumbnail given as a file of the repo (what `run` draws), resolved against wherever the repo is published.
THUMBNAIL_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}\.(?:png|jpe?g|gif|webp)")
MAX_COUNT = 10**12
#: The repo hf-tweets publishes a ``tiny`` base to when an adapter is trained on it (a small GPT-2 initialised at
#: random, named by the hash of its weights): an adapter must name a base on the Hub that it loads on.
RANDOM_BASE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*/tiny-base-[0-9a-f]{12}")
#: The Space of a namespace where visitors try its bots in their browser (``hf-tweets space``); every card links it.
TRY_SPACE = "try-the-bots"
# The longest texts a record holds: more is not a name, a prompt or a sample but a mistake (or an attack).
MAX_NAME, MAX_PROMPT, MAX_SAMPLE, MAX_VALUE = 200, 500, 1000, 200


def _url(value: str) -> str:
    if len(value) > MAX_URL:
        raise ValueError(f"URL is {len(value):,} characters long; a URL has at most {MAX_URL:,}")
    problem = url_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _line(limit: int):
    def check(value: str) -> str:
        if len(value) > limit * 4:  # before cleaning: do not normalise megabytes to refuse them anyway
            raise ValueError(f"is {len(value):,} characters long; keep it under {limit:,}")
        value = clean_line(value)
        if not value:
            raise ValueError("is empty; give it some text")
        if len(value) > limit:
            raise ValueError(f"is {len(value):,} characters long; keep it under {limit:,}")
        return value

    return AfterValidator(check)


def _scalar(value: Any) -> bool | int | float | str:
    """A hyper-parameter's value: a number, true/false, or a line of text."""
    if isinstance(value, bool) or (isinstance(value, int) and abs(value) <= MAX_COUNT):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"is {value}; give a finite number")
        return value
    if isinstance(value, str):
        return _line(MAX_VALUE).func(value)
    raise ValueError(f"must be a number, true/false or a line of text (got {value!r:.80})")


def _thumbnail(value: str) -> str:
    return value if THUMBNAIL_FILE.fullmatch(value) else _url(value)


Url = Annotated[str, AfterValidator(_url)]
Line = Annotated[str, _line(MAX_NAME)]
Scalar = Annotated[Any, PlainValidator(_scalar)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, validate_assignment=True)


class Counts(_Model):
    """Posts per user, as the card's data table shows them (``retweets`` are reposts on any platform; ``cw``,
    posts behind a content warning, left out: set only when there were some)."""

    # Posts read from the source, reposts included.
    downloaded: Count
    # Reposts (on any platform): left out, as they are someone else's words.
    retweets: Count
    # Posts too short to learn from (under 3 words), and exact repeats.
    short: Count
    cw: Count | None = None
    # The posts kept for training and evaluation: downloaded - retweets - short - cw.
    kept: Count

    @field_validator("cw")
    @classmethod
    def _none_is_zero(cls, value: int | None) -> int | None:
        return value or None  # a card shows 0 for a user with none: read back, that is no content warning

    @model_validator(mode="after")
    def _kept_adds_up(self) -> Counts:
        expected = self.downloaded - self.retweets - self.short - (self.cw or 0)
        if self.kept != expected:
            cw = f" - cw {self.cw}" if self.cw else ""
            raise ValueError(
                f"kept ({self.kept}) must equal downloaded - retweets - short{' - cw' if self.cw else ''}"
                f" ({self.downloaded} - {self.retweets} - {self.short}{cw} = {expected}); fix the counts"
            )
        return self


def _x_handle(value: str) -> str:
    value = value.removeprefix("@")
    if not HANDLE_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not an X handle; use 1-15 letters, digits or underscores")
    return value


Handle = Annotated[str, AfterValidator(_x_handle)]


class User(_Model):
    """One account the model was trained on; its handle is None when the card it came from does not say
    which account a column is (a legacy multi-user card: the record's ``handles`` lists the accounts)."""

    platform: str = platforms.DEFAULT  # x, bluesky or mastodon (platforms/); the handle is that platform's
    # The account on its platform, in its canonical form; None on a legacy multi-user card's users.
    handle: str | None = None
    # The name the account shows: one line (NFC, no control or bidi-override characters).
    display_name: Line
    # The profile picture's URL.
    avatar: Url | None = None
    # The card's data table for this account.
    counts: Counts

    @field_validator("platform")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in platforms.REGISTRY:
            raise ValueError(f"{value!r} is not a platform hf-tweets knows; use one of {', '.join(platforms.REGISTRY)}")
        return value

    @field_validator("handle")
    @classmethod
    def _of_its_platform(cls, value: str | None, info: ValidationInfo) -> str | None:
        kind = platforms.get(info.data.get("platform", platforms.DEFAULT))
        if value is None:
            return None
        canonical = kind.handle(value)
        if canonical is None:
            raise ValueError("; ".join(kind.not_one(value)))
        return canonical

    @property
    def account(self) -> Account | None:
        return None if self.handle is None else Account(self.platform, self.handle)


class WandbLinks(_Model):
    """Weights & Biases pages: the report, the preprocess run and the train run."""

    report: Url | None = None
    preprocess_run: Url | None = None
    train_run: Url | None = None

    @field_validator("report", "preprocess_run", "train_run")
    @classmethod
    def _canonical(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = re.sub(r"^(https?://)app\.wandb\.ai/", r"\1wandb.ai/", value)
        return re.sub(r"/artifacts/?$", "", value).rstrip("/")


class CopyCheck(_Model):
    """How often the model copies its training posts (training/copies.py): of ``samples`` texts generated with a
    fixed seed, ``copied`` reproduce ``words`` or more consecutive words of a training post (``chars`` or more
    characters in scripts written without spaces)."""

    samples: Annotated[int, Field(ge=1, le=100_000)]
    copied: Count
    words: Annotated[int, Field(ge=1, le=1000)] = 8
    chars: Annotated[int, Field(ge=1, le=10_000)] = 50

    @model_validator(mode="after")
    def _at_most_all(self) -> CopyCheck:
        if self.copied > self.samples:
            raise ValueError(f"copied ({self.copied}) is more than samples ({self.samples}); fix the counts")
        return self

    @property
    def rate(self) -> float:
        return self.copied / self.samples


class Training(_Model):
    """Facts about the fine-tuning run; shown inline on the card."""

    # Name -> value, as the card lists them (learning_rate, epochs, ...).
    hyperparameters: dict[str, Scalar] = Field(default_factory=dict)
    # The final epoch's mean training loss, to 4 decimals as the card shows it.
    train_loss: float | None = None
    # The best epoch's loss on eval.txt, to 4 decimals; the card adds perplexity, exp(eval_loss).
    eval_loss: float | None = None
    # The date range of the training posts.
    oldest_tweet: date | None = None
    newest_tweet: date | None = None
    # Tokens the training read.
    tokens_seen: Count | None = None
    # The training's wall time in seconds (a resumed run's whole time).
    train_seconds: float | None = Field(default=None, ge=0, le=1e9)
    versions: dict[str, Annotated[str, _line(64)]] = Field(
        default_factory=dict
    )  # library -> version, e.g. transformers: 5.23.0
    copies: CopyCheck | None = None  # the memorisation check run after training

    @field_validator("train_seconds")
    @classmethod
    def _seconds(cls, value: float | None) -> float | None:
        return None if value is None else round(value, 1)  # as the card shows it

    @field_validator("versions")
    @classmethod
    def _libraries(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", key):
                raise ValueError(f"library name {key!r} must be 1-64 letters, digits, '_', '.' or '-'")
        return value

    @field_validator("hyperparameters")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", key):
                raise ValueError(f"name {key!r} must be 1-64 letters, digits, '_', '.' or '-'")
        return value

    @field_validator("train_loss", "eval_loss")
    @classmethod
    def _loss(cls, value: float | None) -> float | None:
        if value is None:
            return None
        if not math.isfinite(value) or not 0 <= value <= 1e6:
            raise ValueError(f"{value} is not a loss; give a finite number >= 0")
        return round(value, 4)  # the card shows 4 decimals; the record keeps what the card shows

    @model_validator(mode="after")
    def _dates_in_order(self) -> Training:
        if self.oldest_tweet and self.newest_tweet and self.oldest_tweet > self.newest_tweet:
            raise ValueError("oldest_tweet is after newest_tweet; swap them")
        return self

    @property
    def eval_perplexity(self) -> float | None:
        """exp(eval loss), the usual way to read a language model's loss."""
        return None if self.eval_loss is None else math.exp(min(self.eval_loss, 700.0))


class BrowserCopy(_Model):
    """The model's browser copy (browser/copy.py): ONNX files transformers.js loads, beside the weights in
    ``onnx/``, whose fp32 export continued a few prompts exactly as PyTorch does before it was kept."""

    # The copy's files in the repo, such as onnx/model_quantized.onnx (8-bit weights).
    files: list[Annotated[str, Field(pattern=r"^onnx/[A-Za-z0-9_.-]{1,64}$")]] = Field(min_length=1, max_length=8)
    # Their size in bytes, in all.
    bytes: Count
    # The share of the next tokens the 8-bit copy predicts as PyTorch does (argmax), over ``positions`` positions
    # of a few prompts and eval posts read teacher-forced (every position sees the true text before it).
    agreement: float = Field(ge=0, le=1)
    # How many positions the agreement was measured over.
    positions: Annotated[int, Field(ge=1, le=MAX_COUNT)]

    @field_validator("agreement")
    @classmethod
    def _rounded(cls, value: float) -> float:
        return round(value, 4)


class PublishState(_Model):
    """What was last pushed to one repo (set by publish and republish, never shown on the card)."""

    # The commit hf-tweets made (40 hex digits).
    commit: str | None = Field(default=None, pattern=r"^[0-9a-f]{40}$")
    # The sha256 of the README it pushed: another one on the Hub means an edit by hand.
    readme_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


def _publish_by_repo(value: Any) -> Any:
    """Publish state is kept per repo id; a single state (the form before that) is the record's own repo's ("")."""
    if isinstance(value, PublishState) or (
        isinstance(value, dict) and value and set(value) <= {"commit", "readme_sha256"}
    ):
        return {"": value}
    return {} if value is None else value


class CardRecord(_Model):
    """Everything a model card says, for one model."""

    # The Hub user or org the repo is published under.
    namespace: str = DEFAULT_NAMESPACE
    # The repo's name (and the record's file name); default: from the accounts (platforms.repo_name).
    name: str | None = None
    # The card's language (front matter); prepare writes the posts' main language, one set by hand stays.
    language: str = "en"
    # The language prepare last detected in the posts (never on the card): prepare replaces ``language`` only
    # while it equals this (or, before any, the default), so a language set by hand stays.
    detected_language: str | None = None
    # A Hub license id, such as mit or apache-2.0; none on the card when unset.
    license: str | None = None
    # Whose choice the model is (consent.py): "self" (the account holder's own export), "permission" (the people
    # agreed), "public" (public posts read through an API). None on records made before hf-tweets asked (legacy).
    consent: Consent | None = None
    base_model: str | None = DEFAULT_BASE_MODEL  # a Hub id; None: trained from scratch, or see base_model_local
    # True: fine-tuned from a local folder that does not say which Hub model it is (base_model is then None, and the
    # card says so: the Hub's metadata takes only Hub ids).
    base_model_local: bool = False
    # What the repo holds: "full" weights, or a LoRA "adapter" (peft) that loads on base_model.
    weights: Literal["full", "adapter"] = "full"
    # The prompt of the Hub's widget, the card's usage snippet and its sample generations.
    widget_prompt: Annotated[str, _line(MAX_PROMPT)] = DEFAULT_PROMPT
    # A URL, or a file of the repo ("predictions.png") that render resolves against the Hub the repo is on.
    thumbnail: Annotated[str, AfterValidator(_thumbnail)] | None = None
    # The accounts the model learned from, 1 to 3, in the card's column order.
    users: list[User] = Field(min_length=1)
    # The accounts, as the repo name lists them, when the users have no handle: huggingtweets filled a multi-user
    # card's columns in the order the handles were typed and named the repo by the sorted handles, so its card
    # does not say which column is which account. None when every user has its handle.
    handles: list[Handle] | None = None
    # The Weights & Biases pages the card links.
    wandb: WandbLinks | None = None
    # What train wrote: the card's training procedure and results.
    training: Training | None = None
    samples: list[Annotated[str, _line(MAX_SAMPLE)]] = Field(default_factory=list, max_length=10)  # shown on the card
    # The browser copy in onnx/ (train, run, hf-tweets onnx); None: there is none (--no-onnx, a failed check, older).
    browser: BrowserCopy | None = None
    # Per repo id, what publish or republish last pushed there (never on the card).
    publish: Annotated[dict[str, PublishState], BeforeValidator(_publish_by_repo)] = Field(default_factory=dict)

    @field_validator("users")
    @classmethod
    def _few_users(cls, users: list[User]) -> list[User]:
        if len(users) > MAX_USERS:
            raise ValueError(f"has {len(users)} users; a model is trained on 1 to {MAX_USERS} users")
        _once([account.key for u in users if (account := u.account) is not None])
        return users

    @field_validator("handles")
    @classmethod
    def _each_once(cls, handles: list[str] | None) -> list[str] | None:
        return handles if handles is None else _once(handles)

    @field_validator("language", "detected_language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*", value):
            raise ValueError(f"{value!r} is not a language code; use an ISO 639 code such as en")
        return value

    @field_validator("license")
    @classmethod
    def _license(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z0-9][a-z0-9.+\-]*", value):
            raise ValueError(f"{value!r} is not a Hub license id; use one such as mit, apache-2.0 or other")
        return value

    @field_validator("base_model")
    @classmethod
    def _base_model(cls, value: str | None) -> str | None:
        if value is not None:
            _check_repo_id(value)
        return value

    @field_validator("wandb", "training", mode="after")
    @classmethod
    def _drop_empty(cls, value: BaseModel | None) -> BaseModel | None:
        return value if value is not None and value.model_dump(exclude_none=True, exclude_defaults=True) else None

    @field_validator("publish")
    @classmethod
    def _publish_keys(cls, value: dict[str, PublishState]) -> dict[str, PublishState]:
        for repo_id in value:
            if repo_id:
                _check_repo_id(repo_id)
        return value

    @model_validator(mode="after")
    def _accounts(self) -> CardRecord:
        known = [u.handle is not None for u in self.users]
        if all(known) and self.handles is not None:
            raise ValueError("handles: lists the accounts only when the users have no handle; remove it")
        if not all(known) and any(known):
            raise ValueError(
                "some users have a handle and some do not: give every user its handle, or none, with the"
                " accounts under handles:"
            )
        if not any(known) and len(self.users) == 1:
            raise ValueError("users[0] has no handle: with one user, give it its handle (and no handles:)")
        if not any(known) and (self.handles is None or len(self.handles) != len(self.users)):
            raise ValueError(
                f"the users have no handle, so handles: must list the {len(self.users)} accounts"
                " (as the repo name does); or give each user its handle"
            )
        return self

    @model_validator(mode="after")
    def _base(self) -> CardRecord:
        if self.base_model_local and self.base_model is not None:
            raise ValueError(
                "base_model_local: true says the base model has no Hub id, but base_model names one; remove one"
            )
        if self.weights == "adapter" and self.base_model is None:
            raise ValueError("weights: adapter needs the base_model it loads on (a Hub id); set base_model")
        return self

    @property
    def paired(self) -> bool:
        """Whether each user is tied to its account (False for a legacy multi-user card that did not say)."""
        return self.handles is None

    @property
    def accounts(self) -> list[Account]:
        """The accounts the model was trained on: the users' own, else ``handles`` (X accounts, a legacy card's)."""
        if self.handles is not None:
            return [Account(platforms.DEFAULT, h) for h in self.handles]
        accounts = [account for u in self.users if (account := u.account) is not None]
        assert len(accounts) == len(self.users)  # without handles, every user has its own (_accounts refuses less)
        return accounts

    @model_validator(mode="after")
    def _repo_name(self) -> CardRecord:
        # validate_assignment re-enters here: set each derived value once, without validating again.
        if self.name is None:
            object.__setattr__(self, "name", default_repo_name(self.accounts))
        _check_repo_id(f"{self.namespace}/{self.name}")
        if "" in self.publish:
            states = {k: v for k, v in self.publish.items() if k}
            object.__setattr__(self, "publish", {self.repo_id: self.publish[""]} | states)
        if self.thumbnail and (own := own_file(self.thumbnail, self.repo_id)):
            object.__setattr__(self, "thumbnail", own)
        return self

    @property
    def repo_id(self) -> str:
        return f"{self.namespace}/{self.name}"

    def published(self, repo_id: str | None = None) -> PublishState | None:
        """What was last pushed to ``repo_id`` (default: the record's own repo), or None."""
        return self.publish.get(repo_id or self.repo_id)

    def set_published(self, repo_id: str, state: PublishState) -> None:
        self.publish = {**self.publish, repo_id: state}


def random_base(base_model: str | None) -> bool:
    """Whether ``base_model`` is a ``tiny`` base hf-tweets initialised at random and published for an adapter."""
    return base_model is not None and RANDOM_BASE.fullmatch(base_model) is not None


def own_file(url: str, repo_id: str) -> str | None:
    """``predictions.png`` for a URL of that file on the main branch of ``repo_id`` (on the Hub or the configured
    endpoint), else None: such a URL is stored relative, so the card follows the repo to wherever it is published."""
    for endpoint in {HUB_URL, settings.hub_endpoint()}:
        prefix = f"{endpoint}/{repo_id}/resolve/main/"
        if url.startswith(prefix) and THUMBNAIL_FILE.fullmatch(url[len(prefix) :]):
            return url[len(prefix) :]
    return None


def thumbnail_url(record: CardRecord, endpoint: str | None = None) -> str | None:
    """The card's thumbnail as a URL: a repo file resolved on ``endpoint`` (default: the configured Hub)."""
    if record.thumbnail is None or not THUMBNAIL_FILE.fullmatch(record.thumbnail):
        return record.thumbnail
    return f"{endpoint or settings.hub_endpoint()}/{record.repo_id}/resolve/main/{record.thumbnail}"


def try_it_url(record: CardRecord, endpoint: str | None = None) -> str:
    """The namespace's try-it Space (``hf-tweets space``) with this bot selected, on ``endpoint`` (default: the
    configured Hub), the Hub the card is published to."""
    return f"{endpoint or settings.hub_endpoint()}/spaces/{record.namespace}/{TRY_SPACE}?bot={record.repo_id}"


def _once(handles: list[str]) -> list[str]:
    lowered = [h.lower() for h in handles]  # account keys, or X handles
    if len(set(lowered)) != len(lowered):
        raise ValueError("lists a handle twice; give each user once")
    return handles


def default_repo_name(accounts) -> str:
    """The repo name of a model of these accounts (X handles as plain strings): huggingtweets' for X, lower-case
    handles sorted and joined by '-'; each other platform's account adds its slug (platforms.repo_name)."""
    return platforms.repo_name(a if isinstance(a, Account) else Account(platforms.DEFAULT, a) for a in accounts)


def check_namespace(namespace: str) -> None:
    """ValueError unless ``namespace`` can be a Hub user or organisation: the part of a repo id before '/'."""
    try:
        if "/" in namespace:
            raise HFValidationError("a namespace has no '/'")
        validate_repo_id(namespace)
    except HFValidationError:
        raise ValueError(
            f"{namespace[:100]!r} is not a Hub user or organisation name; use letters, digits, '-', '_' and '.'"
            " (at most 96, no '/', no '--' or '..', not starting or ending with '-' or '.')"
        ) from None


def _check_repo_id(repo_id: str) -> None:
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        raise ValueError(
            f"{repo_id!r} is not a Hub repo id; use letters, digits, '-', '_' and '.' (at most 96),"
            " as in namespace/name"
        ) from None


# Pydantic error types -> what to tell the person editing the file.
_FIXES = {
    "missing": "is missing; add it",
    "extra_forbidden": "is not a record field; check its spelling or remove it",
    "string_type": "must be text; put it in quotes",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "greater_than_equal": "must be 0 or more",
    "less_than_equal": "is too large to be right",
    "too_long": "has too many items",
    "too_short": "needs at least one user; add one under users:",
    "list_type": "must be a list",
    "dict_type": "must be a mapping of names to values",
    "model_type": "must be a mapping of fields",
    "model_attributes_type": "must be a mapping of fields",
    "date_from_datetime_parsing": "must be a date, YYYY-MM-DD",
    "date_parsing": "must be a date, YYYY-MM-DD",
    "date_type": "must be a date, YYYY-MM-DD",
    "string_pattern_mismatch": "must be a lower-case hex digest; let publish set it",
}


def problems_of(error: ValidationError) -> list[Problem]:
    """Turn pydantic's errors into Problems that name the field and the fix."""
    problems: list[Problem] = []
    for err in error.errors(include_url=False):
        loc = [
            p for p in err["loc"] if p != "" and not (isinstance(p, str) and "[" in p)
        ]  # no union branch names, no "" (own repo)
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        if err["type"] == "value_error":
            message = str(err["ctx"]["error"])
        else:
            message = _FIXES.get(err["type"], err["msg"])
        if (
            err["type"] not in ("missing", "extra_forbidden")
            and "input" in err
            and not isinstance(err["input"], (dict, list))
        ):
            message = f"{message} (got {err['input']!r:.80})"
        if (where, message) not in {(p.where, p.message) for p in problems}:
            problems.append(Problem(where, message))
    return problems


def validate_record(data: Any, source: str | Path) -> CardRecord:
    """Build a record from parsed YAML, or raise RecordError naming every problem."""
    if not isinstance(data, dict):
        raise RecordError(
            source, [Problem("", "is not a card record (a YAML mapping with users:); see examples/cards/ for examples")]
        )
    unencodable = list(_surrogates(data))
    if unencodable:  # UTF-8 cannot hold them: such a record could be saved but never rendered or published
        raise RecordError(
            source,
            [
                Problem(
                    where,
                    "holds an unpaired surrogate (a broken character escape such as"
                    " \\ud800), which is not text; remove it",
                )
                for where in unencodable
            ],
        )
    try:
        return CardRecord.model_validate(data)
    except ValidationError as error:
        raise RecordError(source, problems_of(error)) from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _surrogates(value: Any, where: str = "") -> Iterator[str]:
    """Field paths of the strings (keys included) that hold a lone surrogate."""
    if isinstance(value, str):
        if _SURROGATE.search(value):
            yield where or "(the file)"
    elif isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}".lstrip(".") if isinstance(key, str) else where
            yield from _surrogates(key, path)
            yield from _surrogates(item, path)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _surrogates(item, f"{where}[{i}]")
