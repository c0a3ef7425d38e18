"""The options of the command line that more than one command takes, and ``run``'s whole set.

``run`` is also what each bot of a batch runs: ``RUN_PARAMS`` are its options, read by the batch file's
checks (fleet/spec.py: every option is a bot setting of the same name and default), and ``parse_run`` /
``run_stages`` run a bot's command line exactly as ``hf-tweets run`` would, in a worker that never imports
the CLI. A new option of ``run`` is added here, once: the command, the batch file and the Jobs' command
lines all have it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from hf_tweets import settings
from hf_tweets.cards.record import API_CONSENTS, check_namespace
from hf_tweets.folders import Folders
from hf_tweets.hub.republish import RepublishOptions
from hf_tweets.limits import SEED, Range
from hf_tweets.training.prepare import RANGES as PREPARE_RANGES
from hf_tweets.training.prepare import PrepareConfig
from hf_tweets.training.train import (
    BATCH_SIZE,
    LORA_BATCH_SIZE,
    LORA_LEARNING_RATE,
    PRECISIONS,
    RANGES,
    RECIPE_LEARNING_RATE,
    TrainConfig,
)

TRAIN, PREPARE, REPUBLISH = TrainConfig(), PrepareConfig(), RepublishOptions()
R = TypeVar("R")

# -- option types: a bad value is a usage error (exit 2) that says what the option takes ---------------------


class FloatRange(click.FloatRange):
    """click's FloatRange without NaN, which passes its checks (every comparison with NaN is false)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number in the range {self._describe_range()}.", param, ctx)
        return number


def ranged(limits: Range) -> click.ParamType:
    """The click type of a setting's Range (limits.py): IntRange for whole numbers, else FloatRange."""
    if limits.whole:  # its ends are whole numbers too
        low, high = (None if end is None else int(end) for end in (limits.low, limits.high))
        return click.IntRange(low, high, min_open=limits.low_open, max_open=limits.high_open)
    return FloatRange(limits.low, limits.high, min_open=limits.low_open, max_open=limits.high_open)


class PathType(click.Path):
    """click's Path without the empty path, which pathlib reads as the current folder."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value.strip():
            self.fail("is empty (it would mean the current folder); give a file or folder", param, ctx)
        return super().convert(value, param, ctx)


class Namespace(click.ParamType):
    """A Hub user or organisation name, checked as the Hub checks repo ids (cards.record.check_namespace)."""

    name = "namespace"

    def convert(self, value, param, ctx):
        try:
            check_namespace(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)
        return value


NAMESPACE = Namespace()


def _folder_option(name: str, env: str, default: str, what: str):
    return click.option(f"--{name}", type=PathType(path_type=Path), help=f"{what} [default: ${env} or ./{default}].")


cards_dir_option = _folder_option(
    "cards-dir", settings.CARDS_DIR_ENV, "cards", "Folder of card records, the opt-out list beside it"
)
data_dir_option = _folder_option("data-dir", settings.DATA_DIR_ENV, "data", "Folder of raw posts and training text")
out_option = click.option(
    "--out",
    "out_root",
    type=PathType(path_type=Path),
    default=settings.out_dir(),
    show_default=True,
    help="Where the repo folders are: out/NAME/ (model, card, predictions.png).",
)
# The parameters of --out, --data-dir and --cards-dir: one Folders in a command; a bot of a batch runs in the batch's.
FOLDER_PARAMS = ("out_root", "data_dir", "cards_dir")


def with_folders(command: Callable[..., R]) -> Callable[..., R]:
    """A command's --data-dir, --cards-dir and --out (those it has; the others: their defaults) passed to it as one
    ``folders`` (folders.Folders). Click's context keeps the values as given, for the next command (cli._passed_on)."""

    @functools.wraps(command)
    def with_place(*args: Any, **kwargs: Any) -> R:
        out, data, cards = (kwargs.pop(name, None) for name in FOLDER_PARAMS)
        return command(*args, folders=Folders.resolve(data=data, cards=cards, out=out), **kwargs)

    return with_place


wandb_option = click.option(
    "--wandb",
    "wandb_mode",
    type=click.Choice(["online", "offline", "off", "auto"]),
    default="auto",
    show_default=True,
    help="Track the run in Weights & Biases (auto: online when logged in, else off).",
)


def serve_options(page: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """--port and --open, for preview and demo, which serve ``page`` on 127.0.0.1."""
    port = click.option(
        "--port", type=click.IntRange(0, 65535), default=0, help="Port on 127.0.0.1 (default: a free one)."
    )
    browser = click.option("--open", "open_browser", is_flag=True, help=f"Open the {page} in the web browser.")
    return lambda command: port(browser(command))


def max_commits_option(tail: str):
    """--max-commits-per-hour, for republish and onnx: one bucket of commits, paced the same way."""
    return click.option(
        "--max-commits-per-hour",
        type=FloatRange(0, 100_000),
        default=REPUBLISH.max_commits_per_hour,
        show_default=True,
        help=f"At most this many commits in any hour, in bursts (0: no ceiling){tail}",
    )


def onnx_option(what: str):
    """--onnx/--no-onnx, for train, run and publish; the default is $HF_TWEETS_ONNX's (on when unset)."""
    return click.option(
        "--onnx/--no-onnx",
        default=settings.onnx_default,  # called when the command runs: a bad value is one error line, not a crash
        help=f"{what} [default: --onnx, or ${settings.ONNX_ENV}=0/1].",
    )


BROWSER_COPY = "the browser copy, onnx/model_quantized.onnx (8-bit, for transformers.js), checked against the model"


# The options training_options collects into a TrainConfig: each of them one of its fields, of the same name.
TRAINING_OPTIONS = ("base_model", "epochs", "learning_rate", "batch_size", "block_size", "seed", "precision", "lora",
                    "lora_rank", "lora_alpha", "lora_targets", "merge")  # fmt: skip


def training_options(command):
    """--base-model, --epochs, ... for train and run; collected into a TrainConfig passed as ``config``."""
    options = [
        click.option(
            "--base-model",
            default=TRAIN.base_model,
            show_default=True,
            help="A causal LM id or folder, or 'tiny' (a small GPT-2 built here: works offline).",
        ),
        click.option("--epochs", type=ranged(RANGES["epochs"]), default=TRAIN.epochs, show_default=True),
        click.option(
            "--learning-rate",
            type=ranged(RANGES["learning_rate"]),
            default=None,
            help=f"Default: {RECIPE_LEARNING_RATE} (the recipe's), {LORA_LEARNING_RATE} with --lora.",
        ),
        click.option(
            "--batch-size",
            type=ranged(RANGES["batch_size"]),
            default=None,
            help=f"Blocks per step; lower it if memory runs out. Default: {BATCH_SIZE}, {LORA_BATCH_SIZE} with --lora.",
        ),
        click.option(
            "--block-size",
            type=ranged(RANGES["block_size"]),
            default=TRAIN.block_size,
            show_default=True,
            help="Tokens per block (0: sized for the posts).",
        ),
        click.option(
            "--seed",
            type=ranged(SEED),
            default=TRAIN.seed,
            show_default=True,
            help="Seed of the split, the shuffles and the model.",
        ),
        click.option(
            "--precision",
            type=click.Choice(PRECISIONS),
            default=TRAIN.precision,
            show_default=True,
            help="auto: bf16 on GPUs and on CPUs with bf16 units (AMX), fp16 on older GPUs, else fp32.",
        ),
        click.option("--lora", is_flag=True, help="Train a LoRA adapter (peft) on the frozen base: a few MB."),
        click.option("--lora-rank", type=ranged(RANGES["lora_rank"]), default=TRAIN.lora_rank, show_default=True),
        click.option("--lora-alpha", type=ranged(RANGES["lora_alpha"]), default=TRAIN.lora_alpha, show_default=True),
        click.option(
            "--lora-targets",
            default=TRAIN.lora_targets,
            show_default=True,
            help="The layers to adapt: peft's all-linear (attention and MLP), or names such as q_proj,v_proj.",
        ),
        click.option("--merge", is_flag=True, help="With --lora: publish full weights with the adapter merged in."),
    ]

    @functools.wraps(command)
    def with_config(*args, **kwargs):
        config = TrainConfig(**{name: kwargs.pop(name) for name in TRAINING_OPTIONS})
        return command(*args, config=config, **kwargs)

    for option in reversed(options):
        with_config = option(with_config)
    return with_config


consent_option = click.option(
    "--consent",
    "agreed",
    type=click.Choice(API_CONSENTS),
    default="public",
    show_default=True,
    help="'permission' when the people agreed to the model (the card says so); an archive is always 'self'.",
)
min_chars_option = click.option(
    "--min-chars",
    type=ranged(PREPARE_RANGES["min_chars"]),
    default=PREPARE.min_chars,
    show_default=True,
    help="Refuse less kept text than this.",
)
include_cw_option = click.option(
    "--include-cw", is_flag=True, help="Keep posts behind a content warning (left out and counted by default)."
)


# -- run: its options, and its stages called with their values ----------------------------------------------


def run_options(command):
    """Every option of ``hf-tweets run`` (and its HANDLES argument), in the order --help lists them."""
    decorators = [
        click.argument("handles", nargs=-1),
        click.option(
            "--archive",
            type=PathType(path_type=Path),
            help="Start from an account's export (X archive, Bluesky .car, Mastodon archive) instead of the API.",
        ),
        click.option(
            "--name", help="The model's name (repo and record) [default: from the accounts, e.g. alice-bsky-social]."
        ),
        click.option(
            "--handle",
            help="With --archive: whose posts it holds, to name a Bluesky export (which names only its DID) by the"
            " account's handle, or to check the archive's owner.",
        ),
        training_options,
        min_chars_option,
        click.option("--no-replies", is_flag=True, help="Leave out replies."),
        include_cw_option,
        consent_option,
        click.option(
            "--publish", "do_publish", is_flag=True, help="Publish to the Hub at the end (the token is checked first)."
        ),
        click.option(
            "--namespace",
            type=NAMESPACE,
            help="Publish under this user or org, for this run (default: the record's, huggingtweets).",
        ),
        click.option("--force", is_flag=True, help="Publish even when the new model's eval loss is worse."),
        onnx_option(f"After training, write (and with --publish, send) {BROWSER_COPY}"),
        wandb_option,
        out_option,
        data_dir_option,
        cards_dir_option,
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


@click.command("run")
@run_options
def _run_values(**values):
    return values


RUN_PARAMS: list[click.Parameter] = _run_values.params


def parse_run(args: list[str]) -> dict:
    """The values ``hf-tweets run ARGS`` would run with (``config`` a TrainConfig); click's usage errors as run
    gives them."""
    with _run_values.make_context("run", list(args)) as ctx:
        return _run_values.invoke(ctx)


def run_stages(
    handles,
    archive,
    name,
    handle,
    config,
    min_chars,
    no_replies,
    include_cw,
    agreed,
    do_publish,
    namespace,
    force,
    onnx,
    wandb_mode,
    out_root,
    data_dir,
    cards_dir,
    say=print,
):
    """``hf-tweets run`` with the values of its options (parse_run): pipeline.run, and its RunSummary."""
    from hf_tweets.pipeline import RunOptions, run

    if bool(handles) == bool(archive):
        raise click.UsageError("give HANDLE... or --archive PATH")
    if handle and not archive:
        raise click.UsageError("--handle goes with --archive (accounts name themselves)")
    options = RunOptions(
        handle=handle,
        publish=do_publish,
        namespace=namespace,
        force=force,
        wandb_mode=wandb_mode,
        include_replies=not no_replies,
        name=name,
        agreed=agreed,
        onnx=onnx,
    )
    return run(
        list(handles),
        archive,
        Folders.resolve(data=data_dir, cards=cards_dir, out=out_root),
        config,
        prepare_config=PrepareConfig(seed=config.seed, min_chars=min_chars, include_cw=include_cw),
        options=options,
        say=say,
    )
