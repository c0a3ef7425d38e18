"""Card records: one typed, validated YAML file per model under ``cards/``.

A record is the single source of a model card: who the users are, their
tweet counts, links, training facts and publish state. Loading validates;
saving is atomic and keeps the file's key order so diffs stay small.
"""

from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import yaml
from huggingface_hub.utils import HFValidationError, validate_repo_id
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import Problem, RecordError, RecordNotFoundError
from .fsutil import atomic_write_text
from .text import clean_line, url_problem

DEFAULT_NAMESPACE = "huggingtweets"
DEFAULT_BASE_MODEL = "openai-community/gpt2"
DEFAULT_PROMPT = "My dream is"
MAX_USERS = 3
HANDLE_RE = re.compile(r"[A-Za-z0-9_]{1,15}")



class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe YAML, where 1e-4 is a float (YAML 1.2) rather than PyYAML's YAML 1.1 string."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _url(value: str) -> str:
    problem = url_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _line(value: str) -> str:
    value = clean_line(value)
    if not value:
        raise ValueError("is empty; give it some text")
    return value


Url = Annotated[str, AfterValidator(_url)]
Line = Annotated[str, AfterValidator(_line)]
Scalar = bool | int | float | Line


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, validate_assignment=True)


class Counts(_Model):
    """Tweets per user, as the card's data table shows them."""

    downloaded: int = Field(ge=0)
    retweets: int = Field(ge=0)
    short: int = Field(ge=0)
    kept: int = Field(ge=0)

    @model_validator(mode="after")
    def _kept_adds_up(self) -> Counts:
        expected = self.downloaded - self.retweets - self.short
        if self.kept != expected:
            raise ValueError(
                f"kept ({self.kept}) must equal downloaded - retweets - short"
                f" ({self.downloaded} - {self.retweets} - {self.short} = {expected}); fix the counts"
            )
        return self


class User(_Model):
    """One account the model was trained on."""

    handle: str
    display_name: Line
    avatar: Url | None = None
    counts: Counts

    @field_validator("handle")
    @classmethod
    def _handle(cls, value: str) -> str:
        value = value.removeprefix("@")
        if not HANDLE_RE.fullmatch(value):
            raise ValueError(f"{value!r} is not an X handle; use 1-15 letters, digits or underscores")
        return value


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


class Training(_Model):
    """Facts about the fine-tuning run; shown inline on the card."""

    hyperparameters: dict[str, Scalar] = Field(default_factory=dict)
    train_loss: float | None = None
    eval_loss: float | None = None
    oldest_tweet: date | None = None
    newest_tweet: date | None = None
    tokens_seen: int | None = Field(default=None, ge=0)
    train_seconds: float | None = Field(default=None, ge=0)
    versions: dict[str, Line] = Field(default_factory=dict)  # library -> version, e.g. transformers: 5.23.0

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
        for key, item in value.items():
            if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", key):
                raise ValueError(f"name {key!r} must be 1-64 letters, digits, '_', '.' or '-'")
            if isinstance(item, float) and not math.isfinite(item):
                raise ValueError(f"{key} is {item}; give a finite number")
        return value

    @field_validator("train_loss", "eval_loss")
    @classmethod
    def _loss(cls, value: float | None) -> float | None:
        if value is None:
            return None
        if not math.isfinite(value) or value < 0:
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


class PublishState(_Model):
    """What was last pushed to the Hub (set by publish, never shown on the card)."""

    commit: str | None = Field(default=None, pattern=r"^[0-9a-f]{40}$")
    readme_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class CardRecord(_Model):
    """Everything a model card says, for one model."""

    namespace: str = DEFAULT_NAMESPACE
    name: str | None = None
    language: str = "en"
    license: str | None = None
    base_model: str | None = DEFAULT_BASE_MODEL  # None: trained from scratch (--base-model tiny)
    widget_prompt: Line = DEFAULT_PROMPT
    thumbnail: Url | None = None
    users: list[User] = Field(min_length=1)
    wandb: WandbLinks | None = None
    training: Training | None = None
    samples: list[Line] = Field(default_factory=list, max_length=10)  # example generations shown on the card
    publish: PublishState | None = None

    @field_validator("users")
    @classmethod
    def _few_users(cls, users: list[User]) -> list[User]:
        if len(users) > MAX_USERS:
            raise ValueError(f"has {len(users)} users; a model is trained on 1 to {MAX_USERS} users")
        handles = [u.handle.lower() for u in users]
        if len(set(handles)) != len(handles):
            raise ValueError("lists a handle twice; give each user once")
        return users

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*", value):
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

    @model_validator(mode="after")
    def _repo_name(self) -> CardRecord:
        if self.name is None:  # validate_assignment re-enters here; set once
            object.__setattr__(self, "name", default_repo_name(u.handle for u in self.users))
        _check_repo_id(f"{self.namespace}/{self.name}")
        return self

    @property
    def repo_id(self) -> str:
        return f"{self.namespace}/{self.name}"


def default_repo_name(handles) -> str:
    """The repo name huggingtweets used: lower-case handles, sorted, joined by '-'."""
    return "-".join(sorted(h.lower() for h in handles))


def _check_repo_id(repo_id: str) -> None:
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        raise ValueError(
            f"{repo_id!r} is not a Hub repo id; use letters, digits, '-', '_' and '.' (at most 96), as in namespace/name"
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
    problems = []
    for err in error.errors(include_url=False):
        loc = [p for p in err["loc"] if not (isinstance(p, str) and "[" in p)]  # drop union branch names
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        if err["type"] == "value_error":
            message = str(err["ctx"]["error"])
        else:
            message = _FIXES.get(err["type"], err["msg"])
        if err["type"] not in ("missing", "extra_forbidden") and "input" in err and not isinstance(err["input"], (dict, list)):
            message = f"{message} (got {err['input']!r:.80})"
        if (where, message) not in {(p.where, p.message) for p in problems}:
            problems.append(Problem(where, message))
    return problems


def validate_record(data: Any, source: str | Path) -> CardRecord:
    """Build a record from parsed YAML, or raise RecordError naming every problem."""
    if not isinstance(data, dict):
        raise RecordError(source, [Problem("", "is not a card record (a YAML mapping with users:); see cards/ for examples")])
    try:
        return CardRecord.model_validate(data)
    except ValidationError as error:
        raise RecordError(source, problems_of(error)) from None


def load_record(path: str | Path) -> CardRecord:
    """Read and validate ``cards/<name>.yaml``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecordNotFoundError(f"{path}: no such record; create it with hf-tweets card import README.md") from None
    except UnicodeDecodeError:
        raise RecordError(path, [Problem("", "is not UTF-8 text; save it as UTF-8")]) from None
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        raise RecordError(path, [Problem(where, f"is not valid YAML ({getattr(error, 'problem', error)}); fix the syntax")]) from None
    return validate_record(data, path)


def record_to_dict(record: CardRecord) -> dict[str, Any]:
    """The record as plain data, in field order, without empty optional parts."""
    data = _prune(record.model_dump(mode="python", exclude_none=True))
    if record.base_model is None:  # null means "trained from scratch"; absent means the default GPT-2
        data = {k: data.get(k) for k in CardRecord.model_fields if k in data or k == "base_model"}
    return data


def _prune(value: Any) -> Any:
    """Drop empty lists and mappings, which say nothing."""
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if not (isinstance(v, (list, dict)) and not v)}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def dump_record(record: CardRecord, key_order: Any = None) -> str:
    """The record as YAML; ``key_order`` (a previous version's data) keeps its key order."""
    data = record_to_dict(record)
    if key_order is not None:
        data = _reorder(data, key_order)
    # The Python emitter, not libyaml's: libyaml writes emoji as \U escapes, which make poor diffs.
    return yaml.dump(data, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=True, width=4096)


def save_record(record: CardRecord, path: str | Path) -> bool:
    """Write the record atomically; keep an existing file's key order. Return False if unchanged."""
    path = Path(path)
    previous = None
    if path.exists():
        old_text = path.read_text(encoding="utf-8")
        try:
            previous = yaml.load(old_text, Loader=_Loader)
        except yaml.YAMLError:
            previous = None
    text = dump_record(record, previous)
    if previous is not None and old_text == text:
        return False
    atomic_write_text(path, text)
    return True


def record_path(cards_dir: Path, name: str) -> Path:
    return cards_dir / f"{name}.yaml"


def find_record(arg: str, cards_dir: Path) -> Path:
    """A record given as a path, or as a name looked up in the cards folder."""
    path = Path(arg)
    if path.is_file():
        return path
    if len(path.parts) == 1:  # a bare name: look in the cards folder
        path = record_path(cards_dir, arg.removesuffix(".yaml"))
        if path.is_file():
            return path
    raise RecordNotFoundError(
        f"{arg}: no such record (looked for {path}); pass a path, set --cards-dir,"
        " or create one with hf-tweets card import README.md"
    )


def _reorder(new: Any, old: Any) -> Any:
    if isinstance(new, dict) and isinstance(old, dict):
        keys = [k for k in old if k in new] + [k for k in new if k not in old]
        return {k: _reorder(new[k], old.get(k)) for k in keys}
    if isinstance(new, list) and isinstance(old, list):
        return [_reorder(n, old[i] if i < len(old) else None) for i, n in enumerate(new)]
    return new
