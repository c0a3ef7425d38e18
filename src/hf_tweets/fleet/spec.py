"""The bots of ``hf-tweets batch FILE``: the YAML file, checked whole before any work starts.

    defaults:              # optional: what every bot has unless it says otherwise
      base_model: tiny
      epochs: 2
      publish: true
    bots:
      - handles: [alice.bsky.social]     # or handle: alice.bsky.social
        consent: permission
      - archive: archives/bob.zip        # relative to the file's folder
        name: bob-bot
        lora: true
        cpus: 2                          # what the bot asks a Ray cluster for (default 1 CPU, no GPU)

A file that is a bare list holds bots without defaults. Every option of ``hf-tweets run`` is a setting,
by its name (``--min-chars`` is ``min_chars``, ``--no-replies`` is ``no_replies``, ``--wandb`` is ``wandb``)
and with its default; the folders are the batch's. ``handle`` is one account, or with ``archive`` run's
``--handle`` (whose posts the archive holds). Each bot runs ``hf-tweets run`` with its settings as options
(``Bot.run_args``: a worker parses them with run's own options, and a Job runs them as its command line);
``cpus``/``gpus`` and ``flavor``/``timeout`` only tell executors what to ask for. The file is checked whole
before any bot runs, and every problem is listed at once; an archive that is missing fails its own bot.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel, ConfigDict, StrictBool, StrictFloat, StrictInt, StrictStr, ValidationError, create_model

from hf_tweets import platforms, settings
from hf_tweets.cards import yamlio
from hf_tweets.cards.record import API_CONSENTS, check_namespace, default_repo_name
from hf_tweets.errors import BatchFileError, HfTweetsError
from hf_tweets.fsutil import sha256_of
from hf_tweets.options import FOLDER_PARAMS, RUN_PARAMS, parse_run
from hf_tweets.training.prepare import PrepareConfig

# A bot's settings are run's options by name (--min-chars is min_chars, --no-replies no_replies, --wandb wandb),
# with run's defaults: options.RUN_PARAMS, so a new option of run is a bot setting too. Besides them, what a bot
# is made from (handles, or archive) and what it asks an executor for (cpus, gpus, flavor, timeout).
INPUTS = ("name", "handles", "handle", "archive")
EXECUTOR = {"cpus": float, "gpus": float, "flavor": str, "timeout": str}  # Ray's resources; a Job's hardware and limit
# The settings a Bot has a field of (the journal's fingerprints of earlier batches are made of them); every
# other run option a bot sets is kept in Bot.settings.
FIELDS_OF_BOT = ("name", "base_model", "lora", "epochs", "publish", "consent", "namespace", "onnx")


@dataclass(frozen=True)
class Setting:
    """One option of run as a bot setting: its key in the file, the option, and what it takes."""

    key: str
    param: click.Parameter

    @property
    def kind(self) -> type:
        if getattr(self.param, "is_flag", False):
            return bool
        if isinstance(self.param.type, click.types.IntParamType):  # IntRange is one
            return int
        return float if isinstance(self.param.type, click.types.FloatParamType) else str

    def args(self, value) -> list[str]:
        """The option on run's command line for ``value`` (nothing for a flag that is off)."""
        option = self.param.opts[0]
        if self.kind is bool:
            if self.param.secondary_opts:
                return [option if value else self.param.secondary_opts[0]]
            return [option] if value else []
        if isinstance(value, float):
            short = f"{value:g}"
            return [option, short if float(short) == value else repr(value)]
        return [option, str(value)]


def _settings() -> dict[str, Setting]:
    keys = ((param.opts[0].removeprefix("--").replace("-", "_"), param) for param in RUN_PARAMS)
    return {key: Setting(key, param) for key, param in keys if isinstance(param, click.Option)
            and param.name not in FOLDER_PARAMS}  # fmt: skip


SETTINGS = _settings()  # key -> Setting, in the order of run's --help
KEYS = list(dict.fromkeys([*INPUTS, *SETTINGS, *EXECUTOR]))
_WORDS = {bool: ("true or false", "bool"), int: ("a whole number", "int"), float: ("a number", "int/float")}


def _spec_model() -> type[BaseModel]:
    """The pydantic model of one bot's entry: every key, of its type (no int for a bool), nothing else."""
    strict = {bool: StrictBool, int: StrictInt, float: StrictInt | StrictFloat, str: StrictStr}
    kinds = {key: setting.kind for key, setting in SETTINGS.items()} | EXECUTOR
    entry: dict[str, Any] = {key: (strict[kind] | None, None) for key, kind in kinds.items()}  # name -> (type, default)
    entry["timeout"] = (StrictStr | StrictInt | None, None)  # 7200 (seconds) or "2h"
    entry |= {"handles": (list[StrictStr] | None, None), "handle": (StrictStr | None, None)}
    return create_model("BotEntry", __config__=ConfigDict(extra="forbid"), **entry)


BotEntry = _spec_model()


@dataclass(frozen=True)
class Bot:
    """One bot of a batch: what ``hf-tweets run`` needs, and what it asks an executor for."""

    key: str  # its name in the batch (journal, logs, report): the model's name, or the archive's
    handles: tuple[str, ...] = ()
    archive: Path | None = None
    name: str | None = None
    base_model: str | None = None
    lora: bool = False
    epochs: float | None = None
    publish: bool = False
    consent: str = "public"
    namespace: str | None = None
    cpus: float = 1
    gpus: float = 0
    flavor: str | None = None
    timeout: str | None = None
    onnx: bool | None = None  # None: run's default (--onnx, or $HF_TWEETS_ONNX where the bot runs)
    settings: tuple[tuple[str, object], ...] = ()  # every other run option the bot sets, (key, value)

    def run_settings(self) -> dict[str, object]:
        """The run options this bot sets, by key (a setting left unset is run's default)."""
        given: dict[str, object] = {
            "name": self.name,
            "base_model": self.base_model,
            "epochs": self.epochs,
            "namespace": self.namespace,
        }
        given = {k: v for k, v in given.items() if v is not None} | dict(self.settings)
        given |= {"lora": self.lora, "publish": self.publish, "onnx": self.wants_onnx()}
        if self.consent != "public":
            given["consent"] = self.consent
        return given

    def run_args(self) -> list[str]:
        """The arguments of ``hf-tweets run`` for this bot (without the program name and the folders), its
        options in the order of run's --help: what a worker runs, and a Job's command line."""
        args = ["run", *self.handles] if self.handles else ["run", "--archive", str(self.archive)]
        given = self.run_settings()
        for key, setting in SETTINGS.items():
            if key in given and key != "archive":
                args += setting.args(given[key])
        return args

    def wants_onnx(self) -> bool:
        """The bot's onnx setting, else the default where the batch is started ($HF_TWEETS_ONNX): a job on another
        machine does as a local bot would."""
        return settings.onnx_default() if self.onnx is None else self.onnx

    def train_config(self):
        """The TrainConfig this bot trains with (TrainError for a setting out of range, as on the command line)."""
        from hf_tweets.training.train import TrainConfig

        given: dict[str, Any] = self.run_settings()  # each of the type its run option takes (BotEntry)
        return TrainConfig(**{f.name: given[f.name] for f in fields(TrainConfig) if f.name in given})

    def accounts(self) -> list[platforms.Account]:
        """The accounts of a bot of handles ([] for an archive: its owner is known once it is read)."""
        return [platforms.parse_account(h) for h in self.handles]

    def fingerprint(self) -> str:
        """What the bot is made from: its settings and its archive's bytes. A journal entry of another
        fingerprint is not this bot's: the bot runs again."""
        # a setting left unset is left out: the journal of a batch made before it existed stays this bot's
        facts = {k: v for k, v in asdict(self).items() if k not in ("archive", "settings")}
        facts = {k: v for k, v in facts.items() if not (k == "onnx" and v is None)} | dict(self.settings)
        if self.archive is not None:
            readable = Path(self.archive).is_file()  # a missing archive fails the bot when it runs, not here
            facts["archive_sha256"] = sha256_of(self.archive).hexdigest() if readable else None
        return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()


def load_bots(path: Path) -> list[Bot]:
    """Every bot of the file, checked whole: a BatchFileError listing every problem of every bot otherwise."""
    try:
        data = yamlio.load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BatchFileError("no such file", where=path, fix="give the path of a YAML list of bots") from None
    except (OSError, UnicodeDecodeError) as error:
        what = "is not UTF-8 text" if isinstance(error, UnicodeDecodeError) else f"cannot be read ({error.strerror})"
        raise BatchFileError(what, where=path, fix="fix the file (see hf-tweets batch --help)") from None
    except yamlio.YamlProblem as problem:  # read as strictly as a record: a key twice, binary, nesting
        raise BatchFileError(problem.message, where=f"{path}: line {problem.line}" if problem.line else path) from None
    defaults, entries = ({}, data or []) if isinstance(data, list) or data is None else _sections(data, path)
    if not entries:
        raise BatchFileError("lists no bots", where=path, fix="add a list of bots under 'bots:'")
    numbered, problems = [], []
    for number, entry in enumerate(entries, 1):
        try:
            numbered.append((number, _bot({**defaults, **entry} if isinstance(entry, dict) else entry, number, path)))
        except BatchFileError as error:
            problems.append(error)
    seen: dict[str, int] = {}
    for number, bot in numbered:
        if bot.key in seen:
            what = f"bot {number} and bot {seen[bot.key]} are both '{bot.key}'"
            problems.append(BatchFileError(what, where=path, fix="give one of them another name with name:"))
        seen.setdefault(bot.key, number)
    if len(problems) == 1:
        raise problems[0]
    if problems:  # every problem at once: a file of 1,000 bots is not fixed one typo per try
        listed = "; ".join(problem.line().removeprefix(f"{path}: ") for problem in problems)
        raise BatchFileError(f"has {len(problems)} problems: {listed}", where=path, fix="fix each of them")
    return [bot for _, bot in numbered]


def _sections(data, path: Path) -> tuple[dict, list]:
    if not isinstance(data, dict) or set(data) - {"defaults", "bots"}:
        extra = sorted(set(data) - {"defaults", "bots"}) if isinstance(data, dict) else None
        what = f"has unknown top-level keys {', '.join(map(str, extra))}" if extra else "is not a list of bots"
        raise BatchFileError(what, where=path, fix="write 'bots:' (a list) and optionally 'defaults:'")
    defaults, bots = data.get("defaults") or {}, data.get("bots") or []
    if not isinstance(defaults, dict) or not isinstance(bots, list):
        raise BatchFileError(
            "'defaults' must be a mapping and 'bots' a list", where=path, fix="see hf-tweets batch --help"
        )
    return defaults, bots


def _bot(entry, number: int, path: Path) -> Bot:
    where = f"{path}: bot {number}"

    def refuse(what: str, fix: str) -> BatchFileError:
        return BatchFileError(what, where=where, fix=fix)

    if not isinstance(entry, dict):
        raise refuse("is not a mapping of settings", "write it as 'handles: [...]' or 'archive: FILE' with settings")
    try:
        BotEntry.model_validate(entry)
    except ValidationError as error:
        raise _shape_problem(error, refuse) from None
    has_archive = "archive" in entry
    handles = list(entry.get("handles") or []) + ([entry["handle"]] if "handle" in entry and not has_archive else [])
    if bool(handles) == has_archive:
        raise refuse("needs accounts (handles:) or an archive (archive:), one of them", "give one of them")
    consent = entry.get("consent", "public")
    if consent not in API_CONSENTS:
        raise refuse(f"consent '{consent}' is not one of {', '.join(API_CONSENTS)}", "an archive is always 'self'")
    try:
        accounts = [platforms.parse_account(h) for h in handles]
    except HfTweetsError as error:
        raise refuse(error.what, error.fix or "fix the handle") from None
    archive = (path.parent / entry["archive"]) if has_archive else None  # a missing one fails its bot alone
    name = entry.get("name")
    key = name or (default_repo_name(accounts) if archive is None else _archive_key(archive))  # one of them, above
    if name is not None and not _safe_name(name):
        raise refuse(f"name '{name}' is not a repo name", "use letters, digits, '-', '_' and '.'")
    if "namespace" in entry:
        try:
            check_namespace(entry["namespace"])
        except ValueError as error:
            raise refuse(str(error), "fix 'namespace'") from None
    own = {k: entry[k] for k in FIELDS_OF_BOT if k in entry}
    rest = {k: v for k, v in entry.items() if k in SETTINGS and k not in (*FIELDS_OF_BOT, "archive", "handle")}
    if has_archive and "handle" in entry:
        rest["handle"] = entry["handle"]  # with an archive, handle is run's --handle: whose posts it holds
    bot = Bot(
        key=key,
        handles=tuple(handles),
        archive=archive,
        **own,
        cpus=entry.get("cpus", 1),
        gpus=entry.get("gpus", 0),
        flavor=entry.get("flavor"),
        timeout=None if entry.get("timeout") is None else str(entry["timeout"]),
        settings=tuple(sorted(rest.items())),
    )
    try:  # every setting checked now, as run checks its options, not when the bot's turn comes
        bot.train_config()
        prepare: dict[str, Any] = {k: v for k, v in bot.run_settings().items() if k in ("min_chars", "include_cw")}
        PrepareConfig(**prepare)
        parse_run(bot.run_args()[1:])  # the rest as run's own options check them (wandb, handle, ...)
    except HfTweetsError as error:
        raise refuse(error.what, error.fix or "fix the setting") from None
    except click.ClickException as error:
        raise refuse(error.format_message(), "fix that setting (it takes what hf-tweets run's option takes)") from None
    return bot


def _shape_problem(error: ValidationError, refuse) -> BatchFileError:
    """The first problem pydantic found, in the file's words: an unknown key, or a value of the wrong type."""
    first = error.errors()[0]
    key = str(first["loc"][0])
    if first["type"] == "extra_forbidden":
        return refuse(f"has an unknown setting '{key}'", f"use one of {', '.join(KEYS)}")
    if key == "handles":
        return refuse("'handles' must be a list of accounts", "write them as strings")
    kind = SETTINGS[key].kind if key in SETTINGS else EXECUTOR.get(key, str)
    words, names = _WORDS.get(kind, ("text", "str"))
    return refuse(f"'{key}' must be {words} ({names})", f"fix '{key}'")


def _archive_key(archive: Path) -> str:
    stem = archive.name.split(".")[0]
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in stem) or "archive"


def _safe_name(name: str) -> bool:
    return bool(name) and name[0].isalnum() and all(c.isalnum() or c in "-_." for c in name) and ".." not in name
