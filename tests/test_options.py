"""Every option of every command, given a hostile value, is refused in one line before any work: empty, negative,
zero, huge, NaN and non-numeric numbers, empty paths, namespaces that are not one. The table is read from the
click app itself, so a new option is covered without editing this file."""

from __future__ import annotations

import math
import re

import click
import pytest

from hf_tweets.cli import cli
from hf_tweets.training.prepare import PrepareConfig
from hf_tweets.training.train import TrainConfig

PLACEHOLDER = "./missing/nobody"  # every argument: no such bot, account, file or model, so nothing can start
NUMBERS = ["", "-1", "0", "99999999999999999999", "nan", "inf", "abc"]
REFUSED = {"", "-1", "nan", "inf", "abc"}  # no numeric option takes these: click's usage error (exit 2)
PATHS, NAMESPACES = ["", " "], ["", "../evil", "a/b", "a" * 97]
LIBRARY_NAME = re.compile(r"Traceback|\b[A-Z]\w*(Error|Exception|Warning)\b")  # "Error: ..." is click's own


def commands(group: click.Group = cli, path: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


def values_for(param: click.Parameter) -> list[str]:
    kind = param.type
    if isinstance(kind, click.types._NumberParamTypeBase):
        return NUMBERS
    if isinstance(kind, click.Path):
        return PATHS
    if kind.name == "namespace":  # cli.Namespace: a Hub user or organisation
        return NAMESPACES
    return []


def base_args(command: click.Command, skip: str) -> list[str]:
    """The command with every argument and required option given a placeholder (but ``skip``)."""
    args = []
    for param in command.params:
        if param.name == skip:
            continue
        if isinstance(param, click.Argument):
            args.append(PLACEHOLDER)
        elif param.required:
            args += [param.opts[0], PLACEHOLDER]
    return args


CASES = [
    pytest.param(path, param, value, id=f"{' '.join(path)} {param.human_readable_name} {value!r}")
    for path, command in commands()
    for param in command.params
    for value in values_for(param)
]


def files(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("path, param, value", CASES)
def test_a_hostile_value_is_refused_in_one_line_and_nothing_is_written(run, tmp_path, path, param, value):
    command = dict(commands())[path]
    option = [value] if isinstance(param, click.Argument) else [param.opts[0], value]
    args = [*path, *(option if isinstance(param, click.Argument) else []), *base_args(command, param.name)]
    args += [] if isinstance(param, click.Argument) else option
    before = files(tmp_path)
    code, out, err = run(*args)
    assert not LIBRARY_NAME.search(out + err), err
    assert files(tmp_path) == before
    if value in REFUSED or values_for(param) is not NUMBERS:  # no empty path, no such namespace
        assert code == 2 and "Error: Invalid value for" in err, (code, err)
    else:  # 0 and huge numbers mean something to some options: the command then stops at the placeholder
        assert code in (1, 2) and err.splitlines()[-1].startswith(("hf-tweets: error: ", "Error: ")), (code, err)


def test_the_table_covers_every_kind_of_option():
    covered = {(path[-1], param.name) for path, param, _ in (case.values for case in CASES)}
    assert {("train", "epochs"), ("prepare", "eval_fraction"), ("preview", "port"), ("fetch", "archive")} <= covered
    assert {("publish", "namespace"), ("unpublish", "namespace"), ("generate", "seed"), ("batch", "file")} <= covered


# -- the values the attack found, with the words they get ---------------------------------------------------

ISSUE = [
    (["train", "x", "--epochs", "-1"], "Invalid value for '--epochs': -1.0 is not in the range 0<x<=1000."),
    (["train", "x", "--epochs", "0"], "Invalid value for '--epochs': 0.0 is not in the range 0<x<=1000."),
    (["train", "x", "--learning-rate", "inf"], "Invalid value for '--learning-rate': inf is not in the range 0<x<=1."),
    (["train", "x", "--learning-rate", "-1"], "Invalid value for '--learning-rate': -1.0 is not in the range 0<x<=1."),
    (
        ["train", "x", "--learning-rate", "nan"],
        "Invalid value for '--learning-rate': 'nan' is not a number in the range 0<x<=1.",
    ),
    (["train", "x", "--batch-size", "0"], "Invalid value for '--batch-size': 0 is not in the range 1<=x<=4096."),
    (["train", "x", "--seed", "-1"], "Invalid value for '--seed': -1 is not in the range 0<=x<=4294967295."),
    (["generate", "x", "--seed", "-1"], "Invalid value for '--seed': -1 is not in the range 0<=x<=4294967295."),
    (
        ["train", "x", "--block-size", "100000000"],
        "Invalid value for '--block-size': 100000000 is not in the range 0<=x<=131072.",
    ),
    (["train", "x", "--lora-rank", "0"], "Invalid value for '--lora-rank': 0 is not in the range 1<=x<=4096."),
    (["prepare", "x", "--eval-fraction", "-1"], "'--eval-fraction': -1.0 is not in the range 0<x<1."),
    (["prepare", "x", "--eval-fraction", "0"], "'--eval-fraction': 0.0 is not in the range 0<x<1."),
    (["prepare", "x", "--eval-fraction", "1"], "'--eval-fraction': 1.0 is not in the range 0<x<1."),
    (["prepare", "x", "--eval-fraction", "2"], "'--eval-fraction': 2.0 is not in the range 0<x<1."),
    (["prepare", "x", "--eval-fraction", "nan"], "'--eval-fraction': 'nan' is not a number in the range 0<x<1."),
    (["fetch", "x", "--limit", "-5"], "Invalid value for '--limit': -5 is not in the range x>=1."),
    (["preview", "--port", "70000"], "Invalid value for '--port': 70000 is not in the range 0<=x<=65535."),
    (
        ["publish", "x", "--model-dir", "out", "--namespace", "../evil"],
        "Invalid value for '--namespace': '../evil' is not a Hub user or organisation name; use letters, digits,"
        " '-', '_' and '.' (at most 96, no '/', no '--' or '..', not starting or ending with '-' or '.')",
    ),
    (["unpublish", "x", "--namespace", "a/b"], "Invalid value for '--namespace': 'a/b' is not a Hub user or"),
    (
        ["fetch", "--archive", ""],
        "Invalid value for '--archive': is empty (it would mean the current folder); give a file or folder",
    ),
]


@pytest.mark.parametrize("args, message", ISSUE, ids=[" ".join(a) for a, _ in ISSUE])
def test_the_values_the_attack_found_are_usage_errors_that_say_the_range(run, args, message):
    code, out, err = run(*args)
    assert (code, out) == (2, "") and message in err and err.splitlines()[-1].startswith("Error: "), err


# -- the library refuses the same values, whoever makes the config (run, a batch's bot, a caller) -----------

TRAIN_REFUSED = [
    ({"epochs": -1}, "epochs -1 is out of range; give epochs a number above 0 and at most 1,000"),
    ({"epochs": 0}, "epochs 0 is out of range; give epochs a number above 0 and at most 1,000"),
    ({"epochs": math.nan}, "epochs nan is out of range; give epochs a number above 0 and at most 1,000"),
    (
        {"learning_rate": math.inf},
        "learning_rate inf is out of range; give learning_rate a number above 0 and at most 1",
    ),  # noqa: E501
    ({"learning_rate": -1.0}, "learning_rate -1.0 is out of range; give learning_rate a number above 0 and at most 1"),
    ({"batch_size": 0}, "batch_size 0 is out of range; give batch_size a whole number from 1 to 4,096"),
    ({"batch_size": 2.5}, "batch_size 2.5 is out of range; give batch_size a whole number from 1 to 4,096"),
    ({"seed": -1}, "seed -1 is out of range; give seed a whole number from 0 to 4,294,967,295"),
    ({"block_size": 10**8}, "block_size 100000000 is out of range; give block_size a whole number from 0 to 131,072"),
    ({"warmup_ratio": 1}, "warmup_ratio 1 is out of range; give warmup_ratio a number from 0 to below 1"),
    ({"lora": True, "lora_rank": 0}, "lora_rank 0 is out of range; give lora_rank a whole number from 1 to 4,096"),
    ({"lora_dropout": 1.0}, "lora_dropout 1.0 is out of range; give lora_dropout a number from 0 to below 1"),
    ({"epochs": "4"}, "epochs '4' is out of range; give epochs a number above 0 and at most 1,000"),
    ({"precision": "fp8"}, "precision is 'fp8'; give one of auto, fp32, bf16, fp16"),
]


@pytest.mark.parametrize("settings, line", TRAIN_REFUSED, ids=[str(s) for s, _ in TRAIN_REFUSED])
def test_a_train_config_out_of_range_is_refused_when_it_is_made(settings, line):
    from hf_tweets.errors import TrainError

    with pytest.raises(TrainError) as raised:
        TrainConfig(**settings)
    assert raised.value.line() == line


@pytest.mark.parametrize("fraction", [-1, 0, 1, 2, math.nan])
def test_a_prepare_config_out_of_range_is_refused_when_it_is_made(fraction):
    from hf_tweets.errors import PrepareError

    with pytest.raises(PrepareError) as raised:
        PrepareConfig(eval_fraction=fraction)
    assert raised.value.line() == (
        f"eval_fraction {fraction!r} is out of range; give eval_fraction a number above 0 and below 1"
    )


def test_the_defaults_are_in_range():
    assert TrainConfig().epochs == 4.0 and TrainConfig(lora=True).lora_rank == 16
    assert PrepareConfig().eval_fraction == 0.1
