"""The ``hf-tweets`` command line: parse arguments, call one library function, print the result.

``main`` is the one place where errors become a one-line message and exit
code 1 (a traceback only with HF_TWEETS_DEBUG=1), with secrets scrubbed.
Defaults are not written here: each option shows the value its library
declares (TrainConfig, PrepareConfig, RepublishOptions, the X API's cap).
A bot is named by its name or its accounts (sources/bots.py reads which);
what to run next is the last line of a command, by the one rule of
``next_line``.
"""

from __future__ import annotations

import gc
import logging
import math
import shlex
import sys
from pathlib import Path

import click
from click.core import ParameterSource

from hf_tweets import __version__, platforms, settings
from hf_tweets.cards import commands as cards
from hf_tweets.cards.labels import TAKEDOWN_TITLE
from hf_tweets.cards.record import DEFAULT_NAMESPACE, DEFAULT_PROMPT, MAX_USERS, TRY_SPACE
from hf_tweets.errors import ERROR_LINE, one_line, redact
from hf_tweets.fleet.base import DEFAULT_FLAVOR, DEFAULT_TIMEOUT, EXECUTORS
from hf_tweets.hub.republish import RepublishOptions
from hf_tweets.limits import SEED
from hf_tweets.options import (
    BROWSER_COPY,
    FOLDER_PARAMS,
    NAMESPACE,
    PREPARE,
    REPUBLISH,
    PathType,
    cards_dir_option,
    consent_option,
    data_dir_option,
    include_cw_option,
    max_commits_option,
    min_chars_option,
    onnx_option,
    out_option,
    ranged,
    run_options,
    run_stages,
    serve_options,
    training_options,
    wandb_option,
    with_folders,
)
from hf_tweets.platforms.bluesky import BLUESKY, is_did
from hf_tweets.sources import bots
from hf_tweets.sources.api_source import LIMIT as API_LIMIT
from hf_tweets.training.prepare import RANGES as PREPARE_RANGES
from hf_tweets.training.prepare import PrepareConfig


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hf-tweets")
def cli() -> None:
    """Turn a person's posts into a small text-generation model, its card, and a Hub repo."""


@cli.group()
def card() -> None:
    """Render, import and check model cards."""


# -- what to run next ---------------------------------------------------------------------------------------


def next_line(command: list[str], then: list[str] | None = None) -> str:
    """The hint rule, in one place: a command with an obvious next step ends with ``next: hf-tweets ...`` (and
    ``(then: hf-tweets ...)`` for the step after it), on stderr.

    stderr, because stdout holds what scripts read (texts, a card, JSON, a summary); the line comes last, after
    the results. Each command in it works when pasted: its arguments are shell-quoted, and ``_say_next`` passes
    on the folders this command was given (--data-dir, --cards-dir, --out) to a next command that takes them.
    Commands with no obvious next step (card check, optout, preview, unpublish) say none, and so does one that
    published: its last line is the repo's URL.
    """
    line = f"next: {shlex.join(['hf-tweets', *command])}"
    return f"{line} (then: {shlex.join(['hf-tweets', *then])})" if then else line


def _say_next(command: list[str], then: list[str] | None = None) -> None:
    click.echo(next_line(_passed_on(command), then and _passed_on(then)), err=True)


def _passed_on(command: list[str]) -> list[str]:
    """``command`` with the folder options given to this command that it takes, and does not have already."""
    ctx = click.get_current_context()
    target: click.Command = cli
    for word in command[:2]:
        if isinstance(target, click.Group):
            found = target.get_command(ctx, word)
            assert found is not None, word  # the commands a next line names are hf-tweets' own
            target = found
    extra = []
    for param in target.params:
        option, given = param.opts[0], ctx.params.get(param.name)
        if param.name not in FOLDER_PARAMS or given is None:
            continue
        already = any(arg == option or arg.startswith(option + "=") for arg in command)
        if not already and ctx.get_parameter_source(param.name) == ParameterSource.COMMANDLINE:
            extra += [option, str(given)]
    return [*command, *extra]


def _this_command(*, drop: str | None = None, add: tuple[str, ...] = ()) -> list[str]:
    """The command line this process was given, less the flag ``drop``, plus ``add``."""
    argv = (click.get_current_context().find_root().obj or {}).get("argv", sys.argv[1:])
    return [arg for arg in argv if arg != drop] + list(add)


def _say_by_handle(accounts) -> None:
    """A Bluesky export names its account by its DID; ``--handle`` names it by its handle (fetch, run)."""
    if any(a.platform == BLUESKY.name and is_did(a.handle) for a in accounts):
        command = shlex.join(["hf-tweets", *_this_command(add=("--handle", "HANDLE"))])
        click.echo(
            "hint: a Bluesky export names its account by its DID; name it by its handle"
            f" (such as {BLUESKY.example}): {command}",
            err=True,
        )


def _model_arg(name: str, folder: Path) -> str:
    """How generate names a model folder: by the bot's name when it is out/NAME, else by its path."""
    return name if Path(folder) == Path("out") / name else str(folder)


BOT_HELP = (
    "A bot is named by its name (its repo name, such as alice-at-mastodon-social) or by its accounts as fetch"
    " takes them: alice, alice.bsky.social, @alice@mastodon.social (several: separated by commas)."
)


@card.command("render", epilog=BOT_HELP)
@click.argument("records", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    type=PathType(path_type=Path),
    help="Write here instead of stdout (a folder for several records).",
)
@cards_dir_option
@click.option(
    "--templates-dir",
    type=PathType(path_type=Path, file_okay=False),
    help="Use these templates instead of the bundled ones.",
)
@click.option(
    "--html",
    "as_html",
    is_flag=True,
    help="Write the page the Hub would show (as hf-tweets preview does) instead of Markdown.",
)
@with_folders
def render_command(records, output, templates_dir, as_html, folders) -> None:
    """Render records (paths, or bots in the cards folder) into README.md model cards."""
    paths = [str(bots.record(arg, folders.cards)) for arg in records]
    results = cards.render_records(paths, folders.cards, output=output, templates_dir=templates_dir, as_html=as_html)
    for path, text in results:
        if path is None:
            click.echo(text, nl=False)
        else:
            click.echo(f"wrote {path}", err=True)


@card.command("import")
@click.argument("readmes", nargs=-1, required=True, type=PathType(path_type=Path))
@cards_dir_option
@click.option(
    "--resolve-handles",
    is_flag=True,
    help="Pair a legacy multi-user card's columns with its accounts by their current names and pictures"
    f" (X API, ${settings.X_BEARER_TOKEN_ENV}).",
)
@with_folders
def import_command(readmes, resolve_handles, folders) -> None:
    """Read model cards (legacy huggingtweets or hf-tweets) into records in the cards folder."""
    profiles = None
    if resolve_handles:
        from hf_tweets.sources import x_api

        x_api.client()  # no token: say so before anything is imported
        profiles = x_api.current_profiles
    outcomes = cards.import_readmes(list(readmes), folders.cards, profiles)
    for outcome in outcomes:
        click.echo(str(outcome), err=not outcome.ok)
    if not all(o.ok for o in outcomes):
        raise SystemExit(1)
    names = list(dict.fromkeys(o.target.stem for o in outcomes if o.target is not None))  # all ok: each has one
    if len(names) <= MAX_USERS:
        only = [arg for name in names for arg in ("--only", name)]
        _say_next(["card", "render", *names], then=["republish", "--dry-run", *only])
    else:  # many cards: the preview shows them all
        _say_next(["preview"], then=["republish", "--dry-run"])


@card.command("check")
@click.argument("paths", nargs=-1, required=True, type=PathType(path_type=Path))
def check_command(paths) -> None:
    """Check records (.yaml) and READMEs (.md); one line per problem, exit 1 if any (notes are no problems)."""
    from hf_tweets.text import plural

    problems, notes, checked = cards.check_paths(list(paths))
    for line in problems + notes:
        click.echo(line)
    if problems:
        raise SystemExit(1)
    noted = f" ({plural(len(notes), 'note')})" if notes else ""
    click.echo(f"{plural(checked, 'file')} checked, no problems{noted}", err=True)


ACCOUNTS_HELP = (
    "Accounts: alice or x:alice (X), alice.bsky.social or bsky:alice.example.com (Bluesky),"
    " @alice@mastodon.social (Mastodon)."
)


@cli.command("fetch", epilog=ACCOUNTS_HELP)
@click.argument("handles", nargs=-1)
@click.option(
    "--archive",
    type=PathType(path_type=Path),
    help="Read an account's export instead of the API: an X archive (.zip, its folder, or a tweets file of any"
    " name), a Bluesky repo (.car) or a Mastodon archive (.zip or .tar.gz); known by its content.",
)
@click.option(
    "--from",
    "from_file",
    type=PathType(path_type=Path),
    help="Read posts from a .jsonl or .csv file (needs --handle).",
)
@click.option("--handle", help="Whose posts --from or a bare tweets file holds (or to check the archive's owner).")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=API_LIMIT,
    show_default=True,
    help="At most this many posts per user from the API.",
)
@click.option("--no-replies", is_flag=True, help="Leave out replies.")
@click.option(
    "--wait", is_flag=True, help="On a rate limit, wait for the reset (with a countdown) instead of stopping."
)
@consent_option
@data_dir_option
@cards_dir_option
@with_folders
def fetch_command(handles, archive, from_file, handle, limit, no_replies, wait, agreed, folders) -> None:
    """Download public posts: from X, Bluesky or Mastodon, an account's export, or a file of texts."""
    from hf_tweets import consent
    from hf_tweets.sources import fetch as sources

    folder, replies = folders.data, not no_replies
    if archive or from_file:
        if handles or (archive and from_file):
            raise click.UsageError("give HANDLE..., --archive PATH or --from FILE --handle NAME, one of them")
        results = [
            sources.fetch_archive(archive, folders, include_replies=replies, handle=handle)
            if archive
            else sources.fetch_file(from_file, folders, handle)
        ]
    elif handles:
        accounts = [sources.parse_account(h) for h in handles]
        consent.check(accounts, folders.optout)  # every one, before the first is fetched
        waiting = {"wait": wait, "on_wait": _countdown}
        results = [
            sources.fetch_account(a, folders, limit=limit, include_replies=replies, agreed=agreed, **waiting)
            for a in accounts
        ]
    else:
        raise click.UsageError("give one or more HANDLEs, --archive PATH, or --from FILE --handle NAME")
    for result in results:
        for warning in result.warnings:  # a side file of an archive that could not be read, and what was used
            click.echo(f"warning: {warning}", err=True)
        click.echo(f"{result.profile.account}: {result.new:,} new posts, {result.total:,} stored in {folder}")
    accounts = [result.profile.account for result in results]
    if archive and not handle:
        _say_by_handle(accounts)
    if len(accounts) <= MAX_USERS:  # more are several bots: which, only the user knows
        _say_next(["prepare", platforms.repo_name(accounts)])


def _countdown(seconds: int) -> None:
    import time

    for left in range(seconds, 0, -1):
        click.echo(f"\rrate limited: waiting {left:4d} s for the API to reset ", nl=False, err=True)
        time.sleep(1)
    click.echo("", err=True)


@cli.command("prepare", epilog=BOT_HELP)
@click.argument("name", nargs=-1, required=True)
@click.option(
    "--users",
    help="The bot's accounts, separated by commas, as fetch takes them; NAME is then the new bot's name, as given"
    " [default: the record's users, NAME's accounts, or the fetched accounts whose repo name NAME is].",
)
@click.option("--keep-newlines", is_flag=True, help="Keep line breaks inside posts.")
@click.option(
    "--eval-fraction",
    type=ranged(PREPARE_RANGES["eval_fraction"]),
    default=PREPARE.eval_fraction,
    show_default=True,
    help="Share of posts held out for evaluation.",
)
@click.option(
    "--seed", type=ranged(SEED), default=PREPARE.seed, show_default=True, help="Seed of the split and the shuffles."
)
@min_chars_option
@include_cw_option
@data_dir_option
@cards_dir_option
@with_folders
def prepare_command(name, users, keep_newlines, eval_fraction, seed, min_chars, include_cw, folders) -> None:
    """Clean stored posts into train.txt/eval.txt and fill cards/NAME.yaml with users and counts."""
    from hf_tweets.training.prepare import prepare

    config = PrepareConfig(
        keep_newlines=keep_newlines, eval_fraction=eval_fraction, seed=seed, min_chars=min_chars, include_cw=include_cw
    )
    bot, accounts = bots.for_prepare(",".join(name), users, folders)
    result = prepare(bot, folders, accounts, config)
    if result.warning:
        click.echo(f"warning: {result.warning}", err=True)
    from hf_tweets.pipeline import counts_line

    for u in result.users:
        click.echo(f"{u.account}: {counts_line(u.account, u.counts())}")
    kept = "" if result.card_language == result.language else f", {result.card_language} kept (set by hand)"
    click.echo(
        f"wrote {result.folder}/train.txt ({result.train_chars:,} characters)"
        f" and eval.txt ({result.eval_posts:,} posts); language {result.language}{kept}"
    )
    _say_next(["train", result.name])


@cli.command("train", epilog=BOT_HELP)
@click.argument("name", nargs=-1, required=True)
@training_options
@click.option("--resume", is_flag=True, help="Go on from the last checkpoint of an interrupted run.")
@click.option("--out", type=PathType(path_type=Path), help="Model folder [default: out/NAME].")
@onnx_option(f"After training, write {BROWSER_COPY}")
@wandb_option
@data_dir_option
@cards_dir_option
@with_folders
def train_command(name, config, resume, out, onnx, wandb_mode, folders) -> None:
    """Fine-tune a causal LM on data/NAME (from prepare); keep the best epoch; write out/NAME and the record."""
    from hf_tweets.pipeline import train_stage

    name = bots.name(",".join(name), folders.cards)
    folder = out or folders.model(name)
    result = train_stage(name, folders, folder, config, resume=resume, wandb_mode=wandb_mode)
    from hf_tweets.browser.copy import copy_for_bot, forget_stale

    if onnx:
        if warning := copy_for_bot(name, folders, folder, then="the model is kept"):
            click.echo(f"warning: {warning}", err=True)
    else:
        forget_stale(name, folders.cards, folder)
    click.echo(
        f"trained {name}: eval loss {result.eval_loss:.4f} (perplexity {math.exp(min(result.eval_loss, 50)):.1f}),"
        f" {result.tokens_seen:,} tokens in {result.seconds:.0f} s; model in {result.folder}"
    )
    _say_next(["generate", _model_arg(name, folder)], then=["publish", name, "--model-dir", str(folder)])


@cli.command("generate", epilog=BOT_HELP)
@click.argument("model")
@click.argument("prompt", default=DEFAULT_PROMPT)
@click.option(
    "-n", "count", type=click.IntRange(1, 1000), default=5, show_default=True, help="How many texts (1 to 1000)."
)
@click.option("--seed", type=ranged(SEED), help="Seed, for the same texts again.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON object per line: prompt, text, machine_generated (true) and bot (its repo id; the folder when no"
    " record names one).",
)
@click.option(
    "--no-copies",
    is_flag=True,
    help="Drop texts that copy 8+ words (50+ characters without spaces) of a training post, data/NAME/train.txt;"
    " generate more in their place (a few rounds at most).",
)
@data_dir_option
@with_folders
def generate_command(model, prompt, count, seed, as_json, no_copies, folders) -> None:
    """Write posts with a trained model (a folder, out/NAME, or a Hub repo id) and its saved settings."""
    import json

    from hf_tweets.cards.labels import machine_label
    from hf_tweets.training.generate import Generator, bot_of, generate_originals, json_item, resolve

    bot, has_record = bot_of(model, folders.cards)  # before loading the model: a broken record fails at once
    generator = Generator(model, seed)
    if no_copies:
        from hf_tweets.training.copies import training_posts

        name = Path(resolve(model)).name  # out/NAME, or a repo id's name: data/NAME holds its training posts
        texts, dropped = generate_originals(generator, prompt, count, training_posts(folders.prepared(name)))
        if dropped or len(texts) < count:
            click.echo(f"dropped {dropped} copies of training posts; {len(texts)} of {count} texts kept", err=True)
    else:
        texts = generator(prompt, count)
    for text in texts:
        click.echo(json.dumps(json_item(prompt, text, bot), ensure_ascii=False) if as_json else text)
    if not as_json:  # JSON items carry the mark themselves
        # On stderr, with the other notes: stdout stays the texts, one a line, for a script or a file to read.
        click.echo(machine_label(bot), err=True)
    if has_record:
        folder = Path(resolve(model))
        _say_next(["publish", folder.name, "--model-dir", str(folder)])


@cli.command("run", epilog=ACCOUNTS_HELP)
@run_options
def run_command(**values) -> None:
    """The whole pipeline: fetch, prepare, train, card, out/NAME/ ready to push (and --publish); resumes by itself."""
    summary = run_stages(**values, say=lambda line: click.echo(line, err=True))
    archive, handle, namespace = values["archive"], values["handle"], values["namespace"]
    if archive and not handle:  # before the summary: a published run's last line is its URL
        _say_by_handle(summary.users)
    click.echo("\n".join(summary.lines()))
    if not values["do_publish"]:  # a published run ends with the repo's URL
        publish = ["publish", summary.name, "--model-dir", str(summary.out_dir)]
        publish += ["--namespace", namespace] if namespace else []
        _say_next(["generate", _model_arg(summary.name, summary.out_dir)], then=publish)


@cli.command("preview", epilog=BOT_HELP)
@click.argument("names", nargs=-1)
@serve_options("index")
@out_option
@cards_dir_option
@with_folders
def preview_command(names, port, open_browser, folders) -> None:
    """Serve the cards as the Hub would show them, on 127.0.0.1; a reload shows edits."""
    from hf_tweets.cards.preview import serve

    serve(
        [bots.name(name, folders.cards) for name in names],
        folders,
        port=port,
        open_browser=open_browser,
        ready=lambda url: click.echo(f"previewing cards at {url} (Ctrl-C to stop)", err=True),
    )


@cli.command("demo")
@click.argument("target", metavar="NAME|DIR")
@serve_options("page")
@out_option
@cards_dir_option
@with_folders
def demo_command(target, port, open_browser, folders) -> None:
    """Try a local model in this machine's browser, on the page its Space shows (served on 127.0.0.1)."""
    from hf_tweets.browser import demo

    site = demo.site(target, folders)
    if hint := demo.missing_onnx_hint(site):
        click.echo(hint, err=True)
    demo.serve(
        site,
        port=port,
        open_browser=open_browser,
        ready=lambda url: click.echo(f"open {url} (Ctrl-C to stop)", err=True),
    )


def _collection_title(ctx, param, title: str | None) -> str | None:
    from hf_tweets.hub.collections import TITLE_LIMIT  # checked before anything is published

    if title is None:
        return None
    if not title.strip():
        raise click.BadParameter("give the collection a title")
    if len(title.strip()) > TITLE_LIMIT:
        raise click.BadParameter(
            f"a collection's title is at most {TITLE_LIMIT} characters (this one has {len(title.strip()):,})"
        )
    return title.strip()


def _collection_note(ctx, param, note: str | None) -> str | None:
    from hf_tweets.hub.collections import NOTE_LIMIT  # checked before anything is published

    if note is not None and len(note) > NOTE_LIMIT:
        raise click.BadParameter(f"at most {NOTE_LIMIT} characters (this one has {len(note)})")
    return note


def collection_options(command):
    """--collection TITLE and --collection-note TEXT, for publish and republish."""
    title = click.option(
        "--collection",
        metavar="TITLE",
        callback=_collection_title,
        help="Add each published repo to its namespace's Hub collection of this title (made when missing).",
    )
    note = click.option(
        "--collection-note", metavar="TEXT", callback=_collection_note, help="With --collection: the items' note."
    )
    return title(note(command))


def _collect(title: str | None, note: str | None, repo_ids: list[str], *, dry_run: bool, err: bool = False) -> None:
    """Add the published repos to their collection and print where it is (a failure: one line, exit 1)."""
    if title is None:
        return
    from hf_tweets.hub.collections import collect

    for result in collect(title, repo_ids, note=note, dry_run=dry_run):
        click.echo(result.line(), err=err)


@cli.command("publish", epilog=BOT_HELP)
@click.argument("name", nargs=-1, required=True)
@click.option("--model-dir", required=True, type=PathType(path_type=Path), help="The trained model folder.")
@click.option(
    "--namespace",
    type=NAMESPACE,
    help="Publish under this user or org, for this run (default: the record's, huggingtweets).",
)
@click.option("--private", is_flag=True, help="Create the repo private (when it does not exist yet).")
@click.option("--create-pr", is_flag=True, help="Open a pull request instead of committing to main.")
@click.option("--dry-run", is_flag=True, help="Print what would change, and the README diff; touch nothing.")
@onnx_option("Send the folder's browser copy (onnx/) in the same commit")
@collection_options
@cards_dir_option
@with_folders
def publish_command(
    name, model_dir, namespace, private, create_pr, dry_run, onnx, collection, collection_note, folders
) -> None:
    """Push a model folder and its card to the Hub in one commit (nothing when nothing changed)."""
    from hf_tweets.hub.publish import publish  # huggingface_hub's HTTP stack loads only for commands that use it

    result = publish(
        bots.record(",".join(name), folders.cards),
        model_dir,
        namespace=namespace,
        private=private,
        create_pr=create_pr,
        dry_run=dry_run,
        optout=folders.optout,
        onnx=onnx,
    )
    click.echo("\n".join(result.lines()))
    _collect(collection, collection_note, [result.plan.repo_id], dry_run=dry_run)
    if dry_run:
        _say_next(_this_command(drop="--dry-run"))


@cli.command("unpublish", epilog=BOT_HELP)
@click.argument("name", nargs=-1, required=True)
@click.option("--delete", is_flag=True, help="Delete the repo (default: make it private; its owner keeps the files).")
@click.option("--private", "_private", is_flag=True, help="Make the repo private (the default).")
@click.option("--namespace", type=NAMESPACE, help="The repo's user or org, when it is not the record's.")
@click.option("--reason", default="", help="Why, for the opt-out list (default: 'unpublished NAMESPACE/NAME').")
@click.option(
    "--all", "take_all", is_flag=True, help="Also take down the namespace's other repos of the same accounts."
)
@click.option(
    "--reply",
    metavar="TEXT",
    help="Answer each open take-down request of the repos taken down with TEXT, and close it (hf-tweets requests).",
)
@cards_dir_option
@with_folders
def unpublish_command(name, delete, _private, namespace, reason, take_all, reply, folders) -> None:
    """Take a bot down (private, or --delete) and put its accounts on the opt-out list."""
    from hf_tweets.hub.unpublish import UnpublishOptions, unpublish

    if delete and _private:
        raise click.UsageError("give --delete or --private, not both")
    record = bots.record(",".join(name), folders.cards)
    done = unpublish(record, folders, UnpublishOptions(delete, namespace, reason, take_all, reply))
    for warning in done.warnings:
        click.echo(f"warning: {warning}", err=True)
    for repo_id in done.repo_ids:
        click.echo(f"{repo_id}: {'deleted' if done.deleted else 'made private'}")
    for request in done.answered:
        click.echo(f"{request.repo_id}: answered and closed take-down request #{request.num} ({request.url})")
    listed = ", ".join(done.listed) if done.listed else "none new (they were on it already)"
    click.echo(f"opt-out list {done.optout}: added {listed}")
    if done.others:
        command = shlex.join(["hf-tweets", *_this_command(add=("--all",))])
        click.echo(f"still up, from the same accounts: {', '.join(done.others)}; take them down too with {command}")
    from hf_tweets.browser.space import withdraw

    for space in withdraw(done.repo_ids):  # the try-it Space no longer offers them
        click.echo(f"{space.repo_id}: removed {', '.join(space.bots)} from its bots.json")


REPLY = "Done: this model is taken down, and your account is kept out of future models."  # requests' next line


@cli.command(
    "requests",
    epilog=f"A request is an open discussion titled '{TAKEDOWN_TITLE}', as a card's take-down link opens it."
    f" NAMESPACE defaults to {DEFAULT_NAMESPACE}.",
)
@click.argument("namespace", type=NAMESPACE, default=DEFAULT_NAMESPACE)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def requests_command(namespace, as_json) -> None:
    """List the open take-down requests on NAMESPACE's bots, newest first: repo, author, date, text."""
    import json

    from hf_tweets.hub.requests import inbox

    found = inbox(namespace)
    for request in found:
        click.echo(json.dumps(request.to_dict(), ensure_ascii=False) if as_json else request.line())
    click.echo(f"{len(found)} open take-down request{'' if len(found) == 1 else 's'} on {namespace}'s bots", err=True)
    if found:
        also = [] if namespace == DEFAULT_NAMESPACE else ["--namespace", namespace]
        _say_next(["unpublish", found[0].repo_id.split("/", 1)[1], *also, "--reply", REPLY])


def _space_name(ctx, param, name: str) -> str:
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(f"namespace/{name}")
    except HFValidationError as error:
        raise click.BadParameter(str(error).split(".")[0]) from None
    return name


@cli.command("space")
@click.argument("namespace", type=NAMESPACE)
@click.option(
    "--name", default=TRY_SPACE, show_default=True, callback=_space_name, help="The Space's name in NAMESPACE."
)
@click.option("--collection", metavar="TITLE", help="Offer only the bots in NAMESPACE's collection of this title.")
@cards_dir_option
@with_folders
def space_command(namespace, name, collection, folders) -> None:
    """Create or update NAMESPACE's static Space where visitors try its public bots in their browser."""
    from hf_tweets.browser.space import SpaceOptions, publish_space

    options = SpaceOptions(namespace, folders, name=name, collection=collection)
    click.echo("\n".join(publish_space(options).lines()))


@cli.group("optout", epilog=ACCOUNTS_HELP)
def optout() -> None:
    """The opt-out list: accounts hf-tweets never fetches, trains on or publishes (optout.yaml beside the cards)."""


@optout.command("add")
@click.argument("accounts", nargs=-1, required=True)
@click.option("--reason", default="asked to be left out", show_default=True, help="Why (kept in the list).")
@cards_dir_option
@with_folders
def optout_add(accounts, reason, folders) -> None:
    """Put accounts on the opt-out list (a Bluesky handle with its DID, asked of the AppView)."""
    from hf_tweets import platforms
    from hf_tweets.hub.unpublish import list_accounts

    parsed = [platforms.parse_account(a) for a in accounts]  # all valid before any is written
    done, warnings = list_accounts(parsed, reason, folders.optout)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    for account, outcome in done:
        click.echo(f"{account}: {outcome}")


@optout.command("list")
@cards_dir_option
@with_folders
def optout_list(folders) -> None:
    """Print the opt-out list: account, date, reason."""
    from hf_tweets import consent

    entries = consent.load(folders.optout)
    for entry in entries:
        did = f"\t{entry.did}" if entry.did else ""
        click.echo(f"{entry.account}\t{entry.date}\t{entry.reason}{did}")
    click.echo(f"{len(entries)} on {folders.optout}", err=True)


@optout.command("remove")
@click.argument("accounts", nargs=-1, required=True)
@cards_dir_option
@with_folders
def optout_remove(accounts, folders) -> None:
    """Take accounts off the opt-out list (when the person has changed their mind)."""
    from hf_tweets import consent, platforms

    for account in [platforms.parse_account(a) for a in accounts]:  # every spelling, and a DID the list recorded
        removed = consent.remove(account, folders.optout)
        click.echo(f"{account}: {'removed' if removed else 'was not on the list'}")


@cli.command("republish")
@click.option(
    "--from-hub",
    "from_hub",
    type=NAMESPACE,
    metavar="NAMESPACE",
    help="Re-render every model card of a Hub namespace instead of the records.",
)
@click.option("--save-records", is_flag=True, help="With --from-hub: keep the imported records in the cards folder.")
@click.option("--only", multiple=True, metavar="NAME", help="Only these repos (names; repeatable).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many repos.")
@click.option("--dry-run", is_flag=True, help="Print a diff per card and a summary; push nothing.")
@click.option("--create-pr", is_flag=True, help="Open pull requests instead of committing.")
@click.option("--force", is_flag=True, help="Also overwrite cards edited on the Hub by hand.")
@click.option(
    "--jobs", type=click.IntRange(min=1), default=REPUBLISH.jobs, show_default=True, help="Repos handled at a time."
)
@max_commits_option("; the Hub's RateLimit headers are kept.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per repo instead of the table.")
@collection_options
@out_option
@cards_dir_option
@data_dir_option
@with_folders
def republish_command(
    from_hub,
    save_records,
    only,
    limit,
    dry_run,
    create_pr,
    force,
    jobs,
    max_commits_per_hour,
    as_json,
    collection,
    collection_note,
    folders,
) -> None:
    """Re-render every card and push only those that changed (one commit each); resumable."""
    from hf_tweets.hub.republish import report_json, republish
    from hf_tweets.hub.republish_view import Progress, table

    options = RepublishOptions(
        from_hub=from_hub,
        only=frozenset(bots.name(name, folders.cards) for name in only),
        limit=limit,
        dry_run=dry_run,
        force=force,
        create_pr=create_pr,
        jobs=jobs,
        max_commits_per_hour=max_commits_per_hour,
        save_records=save_records,
    )
    with Progress(enabled=not as_json) as progress:
        report = republish(folders, options, on_item=progress.advance, on_start=progress.start)
    click.echo(report_json(report) if as_json else table(report, dry_run))
    # The repos that are on the Hub as rendered (or, in a dry run, would be): they go into the collection.
    published = [o.repo_id for o in report.outcomes if o.status in ("changed", "unchanged", "would change")]
    _collect(collection, collection_note, published, dry_run=dry_run, err=as_json)  # --json: stdout stays JSON
    if report.failed:
        raise SystemExit(1)
    if dry_run:
        _say_next(_this_command(drop="--dry-run"))


@cli.command("onnx", epilog=BOT_HELP)
@click.argument("models", nargs=-1, required=True)
@max_commits_option(", as republish paces them.")
@out_option
@data_dir_option
@cards_dir_option
@with_folders
def onnx_command(models, max_commits_per_hour, folders) -> None:
    """Add the browser copy (onnx/) to bots on the Hub (REPO_ID) or model folders (DIR, NAME); one commit each.

    Nothing is sent for a repo whose copy was made from its weights as they are. One that fails is one line
    and the others go on; exit 1 if any failed."""
    from hf_tweets.browser.hubcopy import add_copies

    outcomes = add_copies(
        models,
        folders,
        max_commits_per_hour=max_commits_per_hour,
        on_outcome=lambda o: (
            click.echo(ERROR_LINE + o.line(), err=True) if o.status == "failed" else click.echo(o.line())
        ),
    )
    if any(o.status == "failed" for o in outcomes):
        raise SystemExit(1)


class _Notices(logging.Handler):
    """What the library announces while it works (a wait the Hub asked for, a repaired journal): one line on
    stderr each, secrets scrubbed."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"hf-tweets: {redact(record.getMessage(), settings.secret_values())}", err=True)


@cli.command("batch")
@click.argument("file", type=PathType(path_type=Path))
@click.option(
    "--executor",
    type=click.Choice(EXECUTORS),
    default="local",
    show_default=True,
    help="local: this machine; ray: a Ray cluster (--ray-address, or a local instance); hf-jobs: Hugging Face Jobs.",
)
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True, help="local: bots at a time.")
@click.option("--ray-address", help="ray: join this cluster (e.g. ray://head:10001) instead of starting one here.")
@click.option(
    "--package-spec",
    help="ray (a cluster) and hf-jobs: what workers install, e.g. 'hf-tweets==0.6.0' or a wheel's URL"
    " [default: this version]; 'none' on a cluster whose nodes have it.",
)
@click.option("--flavor", default=DEFAULT_FLAVOR, show_default=True, help="hf-jobs: hardware of bots that name none.")
@click.option(
    "--timeout", default=DEFAULT_TIMEOUT, show_default=True, help="hf-jobs: time limit of bots that name none."
)
@click.option("--restart", is_flag=True, help="Run every bot again, even those an earlier run of the batch finished.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per bot instead of the table.")
@collection_options
@out_option
@data_dir_option
@cards_dir_option
@with_folders
def batch_command(
    file,
    executor,
    jobs,
    ray_address,
    package_spec,
    flavor,
    timeout,
    restart,
    as_json,
    collection,
    collection_note,
    folders,
) -> None:
    """Train (and publish) every bot of a YAML file; a rerun skips what finished. Exits 1 if any bot failed.

    \b
    FILE lists bots, each with the settings of hf-tweets run:
      defaults: {base_model: tiny, epochs: 2, publish: true}
      bots:
        - handles: [alice.bsky.social]
          consent: permission
        - archive: archives/bob.zip     # relative to FILE
          name: bob-bot
          lora: true
          cpus: 2                       # ray: what the task asks for (gpus: too)
    """
    from hf_tweets.fleet.commands import BatchOptions, batch

    options = BatchOptions(executor, jobs, ray_address, package_spec, flavor, timeout, restart)
    report = batch(file, folders.absolute(), options, say=lambda line: click.echo(line, err=True))
    click.echo(report.json_lines() if as_json else "\n".join(report.lines()))
    _collect(collection, collection_note, report.repo_ids(), dry_run=False, err=as_json)  # --json: stdout stays JSON
    if report.failed:
        raise SystemExit(1)


def _announce_notices() -> None:
    logger = logging.getLogger("hf_tweets")
    if not any(isinstance(h, _Notices) for h in logger.handlers):
        logger.addHandler(_Notices(logging.WARNING))
        logger.propagate = False


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; turn any error into one line on stderr and exit code 1. Without ``argv`` it is the process's
    own command (the console script, ``python -m hf_tweets``), which ends with it."""
    _announce_notices()
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        code = _main(args)
    finally:
        if argv is None:  # the interpreter ends now: its last collection would walk torch's and transformers'
            gc.freeze()  # objects (some 1.2 s once they are imported) to free memory the OS takes back anyway
    sys.exit(code)


def _main(args: list[str]) -> int:
    """The exit code of one command line (0: done)."""
    try:  # obj: the command line, for a hint that repeats it (_this_command)
        code = cli.main(args=args, prog_name="hf-tweets", standalone_mode=False, obj={"argv": args})
    except click.ClickException as error:  # usage errors: click's own message, exit 2
        error.show()
        return error.exit_code
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("hf-tweets: interrupted", err=True)
        return 130
    except Exception as error:  # the one place errors become a message
        if settings.debug():
            raise
        hint = f" (set {settings.DEBUG_ENV}=1 for the traceback)"
        click.echo(ERROR_LINE + one_line(error, settings.secret_values(), hint), err=True)
        return 1
    return code if isinstance(code, int) else 0
