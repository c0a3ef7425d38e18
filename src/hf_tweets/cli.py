"""The ``hf-tweets`` command line: parse arguments, call one library function, print the result.

``main`` is the one place where errors become a one-line message and exit
code 1 (a traceback only with HF_TWEETS_DEBUG=1), with secrets scrubbed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__, card as cards, settings
from .errors import HfTweetsError, redact

CARDS_DIR_HELP = f"Folder of card records [default: ${settings.CARDS_DIR_ENV} or ./cards]."


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hf-tweets")
def cli() -> None:
    """Turn a person's posts into a small text-generation model, its card, and a Hub repo."""


@cli.group()
def card() -> None:
    """Render, import and check model cards."""


@card.command("render")
@click.argument("records", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write here instead of stdout (a folder for several records).")
@click.option("--cards-dir", type=click.Path(path_type=Path), help=CARDS_DIR_HELP)
@click.option("--templates-dir", type=click.Path(path_type=Path, file_okay=False), help="Use these templates instead of the bundled ones.")
def render_command(records: tuple[str, ...], output: Path | None, cards_dir: Path | None, templates_dir: Path | None) -> None:
    """Render records (paths or names in the cards folder) into README.md model cards."""
    results = cards.render_records(list(records), settings.cards_dir(cards_dir), output, templates_dir)
    for path, text in results:
        if path is None:
            click.echo(text, nl=False)
        else:
            click.echo(f"wrote {path}", err=True)


@card.command("import")
@click.argument("readmes", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--cards-dir", type=click.Path(path_type=Path), help=CARDS_DIR_HELP)
def import_command(readmes: tuple[Path, ...], cards_dir: Path | None) -> None:
    """Read model cards (legacy huggingtweets or hf-tweets) into records in the cards folder."""
    outcomes = cards.import_readmes(list(readmes), settings.cards_dir(cards_dir))
    for outcome in outcomes:
        click.echo(str(outcome), err=not outcome.ok)
    if not all(o.ok for o in outcomes):
        raise SystemExit(1)


@card.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def check_command(paths: tuple[Path, ...]) -> None:
    """Check records (.yaml) and READMEs (.md); one line per problem, exit 1 if any."""
    problems, checked = cards.check_paths(list(paths))
    for line in problems:
        click.echo(line)
    if problems:
        raise SystemExit(1)
    click.echo(f"{checked} file{'s' if checked != 1 else ''} checked, no problems", err=True)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; turn any error into one line on stderr and exit code 1."""
    try:
        code = cli.main(args=argv, prog_name="hf-tweets", standalone_mode=False)
    except click.ClickException as error:  # usage errors: click's own message, exit 2
        error.show()
        sys.exit(error.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("hf-tweets: interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # the one place errors become a message
        if settings.debug():
            raise
        click.echo(f"hf-tweets: error: {_one_line(error)}", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _one_line(error: BaseException) -> str:
    if isinstance(error, HfTweetsError):
        text = str(error)
    elif isinstance(error, OSError) and error.strerror:
        text = f"{error.filename or ''}: {error.strerror}".lstrip(": ")
    else:
        text = f"{type(error).__name__}: {error} (set {settings.DEBUG_ENV}=1 for the traceback)"
    text = " ".join(text.split())
    return redact(text, settings.secret_values())
