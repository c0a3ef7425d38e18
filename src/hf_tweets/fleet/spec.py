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

A file that is a bare list holds bots without defaults. Each bot runs the stages of ``hf-tweets run``
with the matching options (``Bot.run_args``); ``cpus``/``gpus`` and ``flavor``/``timeout`` only tell
executors what to ask for.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from hf_tweets import platforms, settings
from hf_tweets.cards import yamlio
from hf_tweets.cards.record import API_CONSENTS, check_namespace, default_repo_name
from hf_tweets.errors import BatchFileError, HfTweetsError
from hf_tweets.fsutil import sha256_of

FIELDS = {  # key -> (types, what it is) ; bools are checked before ints (True is an int in Python)
    "name": ((str,), "the model's name (repo and record)"),
    "handles": ((list,), "accounts, as on hf-tweets run's command line"),
    "handle": ((str,), "one account"),
    "archive": ((str,), "an account's export, relative to the file"),
    "base_model": ((str,), "a causal LM id or folder, or tiny"),
    "lora": ((bool,), "train a LoRA adapter"),
    "epochs": ((int, float), "epochs"),
    "publish": ((bool,), "publish to the Hub at the end"),
    "onnx": ((bool,), "write (and publish) the browser copy, onnx/"),
    "consent": ((str,), "public or permission"),
    "namespace": ((str,), "the Hub user or org to publish under"),
    "cpus": ((int, float), "CPUs a Ray task asks for"),
    "gpus": ((int, float), "GPUs a Ray task asks for"),
    "flavor": ((str,), "the Hugging Face Jobs hardware, e.g. t4-small"),
    "timeout": ((str, int), "the Hugging Face Jobs time limit, e.g. 2h"),
}


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

    def run_args(self) -> list[str]:
        """The arguments of ``hf-tweets run`` for this bot (without the program name and the folders)."""
        args = ["run", *self.handles] if self.handles else ["run", "--archive", str(self.archive)]
        for option, value in (
            ("--name", self.name),
            ("--base-model", self.base_model),
            ("--namespace", self.namespace),
        ):
            if value is not None:
                args += [option, value]
        if self.epochs is not None:
            args += ["--epochs", f"{self.epochs:g}"]
        if self.consent != "public":
            args += ["--consent", self.consent]
        args += ["--onnx" if self.wants_onnx() else "--no-onnx"]
        return args + ["--lora"] * self.lora + ["--publish"] * self.publish

    def wants_onnx(self) -> bool:
        """The bot's onnx setting, else the default where the batch is started ($HF_TWEETS_ONNX): a job on another
        machine does as a local bot would."""
        return settings.onnx_default() if self.onnx is None else self.onnx

    def train_config(self):
        """The TrainConfig this bot trains with (TrainError for a setting out of range, as on the command line)."""
        from hf_tweets.training.train import TrainConfig

        given = {"base_model": self.base_model, "epochs": self.epochs}
        return TrainConfig(**{k: v for k, v in given.items() if v is not None}, lora=self.lora)

    def accounts(self) -> list[platforms.Account]:
        """The accounts of a bot of handles ([] for an archive: its owner is known once it is read)."""
        return [platforms.parse_account(h) for h in self.handles]

    def fingerprint(self) -> str:
        """What the bot is made from: its settings and its archive's bytes. A journal entry of another
        fingerprint is not this bot's: the bot runs again."""
        # a setting left unset is left out: the journal of a batch made before it existed stays this bot's
        facts = {k: v for k, v in asdict(self).items() if k != "archive" and not (k == "onnx" and v is None)}
        if self.archive is not None:
            facts["archive_sha256"] = sha256_of(self.archive).hexdigest()
        return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()


def load_bots(path: Path) -> list[Bot]:
    """Every bot of the file, checked: one-line BatchFileError naming the bot and the key otherwise."""
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
    bots = [
        _bot({**defaults, **entry} if isinstance(entry, dict) else entry, n, path) for n, entry in enumerate(entries, 1)
    ]
    seen: dict[str, int] = {}
    for number, bot in enumerate(bots, 1):
        if bot.key in seen:
            raise BatchFileError(
                f"bot {number} and bot {seen[bot.key]} are both '{bot.key}'",
                where=path,
                fix="give one of them another name with name:",
            )
        seen[bot.key] = number
    return bots


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
    for key, value in entry.items():
        if key not in FIELDS:
            raise refuse(f"has an unknown setting '{key}'", f"use one of {', '.join(FIELDS)}")
        types, what = FIELDS[key]
        if isinstance(value, bool) != (types == (bool,)) or not isinstance(value, types):
            raise refuse(f"'{key}' must be {what} ({'/'.join(t.__name__ for t in types)})", f"fix '{key}'")
    handles = list(entry.get("handles") or []) + ([entry["handle"]] if "handle" in entry else [])
    if bool(handles) == ("archive" in entry):
        raise refuse("needs accounts (handles:) or an archive (archive:), one of them", "give one of them")
    if not all(isinstance(h, str) for h in handles):
        raise refuse("'handles' must be a list of accounts", "write them as strings")
    consent = entry.get("consent", "public")
    if consent not in API_CONSENTS:
        raise refuse(f"consent '{consent}' is not one of {', '.join(API_CONSENTS)}", "an archive is always 'self'")
    try:
        accounts = [platforms.parse_account(h) for h in handles]
    except HfTweetsError as error:
        raise refuse(error.what, error.fix or "fix the handle") from None
    archive = (path.parent / entry["archive"]) if "archive" in entry else None
    if archive is not None and not archive.exists():
        raise refuse(f"archive {archive} does not exist", "fix the path (relative to the batch file)")
    name = entry.get("name")
    key = name or (default_repo_name(accounts) if accounts else _archive_key(archive))
    if name is not None and not _safe_name(name):
        raise refuse(f"name '{name}' is not a repo name", "use letters, digits, '-', '_' and '.'")
    if "namespace" in entry:
        try:
            check_namespace(entry["namespace"])
        except ValueError as error:
            raise refuse(str(error), "fix 'namespace'") from None
    bot = Bot(
        key=key,
        handles=tuple(handles),
        archive=archive,
        name=name,
        base_model=entry.get("base_model"),
        lora=entry.get("lora", False),
        epochs=entry.get("epochs"),
        publish=entry.get("publish", False),
        consent=consent,
        namespace=entry.get("namespace"),
        cpus=entry.get("cpus", 1),
        gpus=entry.get("gpus", 0),
        flavor=entry.get("flavor"),
        timeout=None if entry.get("timeout") is None else str(entry["timeout"]),
        onnx=entry.get("onnx"),
    )
    try:  # every training setting checked now, as run's options are, not when the bot's turn comes
        bot.train_config()
    except HfTweetsError as error:
        raise refuse(error.what, error.fix or "fix the setting") from None
    return bot


def _archive_key(archive: Path) -> str:
    stem = archive.name.split(".")[0]
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in stem) or "archive"


def _safe_name(name: str) -> bool:
    return bool(name) and name[0].isalnum() and all(c.isalnum() or c in "-_." for c in name) and ".." not in name
