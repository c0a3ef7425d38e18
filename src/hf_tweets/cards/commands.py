"""Card I/O for the CLI: render records to files, import READMEs into records, check both."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hf_tweets.cards.check import check_path, expand
from hf_tweets.cards.importer import import_card
from hf_tweets.cards.record import find_record, load_record, record_path, replace_record
from hf_tweets.cards.render import render
from hf_tweets.errors import HfTweetsError
from hf_tweets.fsutil import atomic_write_text, child, sweep_orphans


def render_records(
    args: list[str],
    cards_dir: Path,
    *,
    output: Path | None = None,
    templates_dir: Path | None = None,
    as_html: bool = False,
) -> list[tuple[Path | None, str]]:
    """Render each record; write to ``output`` (a file, or a folder of <name>/README.md), or return the text."""
    records = [load_record(find_record(arg, cards_dir)) for arg in args]  # all valid before anything is written
    texts = [(r.name, render(r, templates_dir)) for r in records]
    if as_html:
        from hf_tweets.cards.preview import card_page

        texts = [(name, card_page(text, name)) for name, text in texts]
    if output is None:
        return [(None, text) for _, text in texts]
    if len(texts) > 1 or output.is_dir():
        targets = [child(output, name) / ("index.html" if as_html else "README.md") for name, _ in texts]
    else:
        targets = [output]
    for target, (_, text) in zip(targets, texts, strict=True):
        atomic_write_text(target, text)
    return [(target, text) for target, (_, text) in zip(targets, texts, strict=True)]


@dataclass
class ImportOutcome:
    source: Path
    target: Path | None = None
    changed: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def __str__(self) -> str:
        if self.error:
            return f"hf-tweets: error: {self.error}"
        return f"{self.source} -> {self.target} ({'written' if self.changed else 'unchanged'})"


def import_readme(source: Path, cards_dir: Path) -> ImportOutcome:
    """Import one README into ``cards_dir``; an existing record keeps its publish state."""
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return ImportOutcome(source, error=f"{source}: is not UTF-8 text; save it as UTF-8")
    except OSError as error:
        return ImportOutcome(source, error=f"{source}: {error.strerror}")
    try:
        record = import_card(text, source)
        target = record_path(cards_dir, record.name)
        return ImportOutcome(source, target, replace_record(record, target))
    except HfTweetsError as error:
        return ImportOutcome(source, error=error.line())
    except Exception as error:  # noqa: BLE001 - one card failing never stops the others
        return ImportOutcome(source, error=f"{source}: could not be imported ({type(error).__name__}: {error})")


def import_readmes(sources: list[Path], cards_dir: Path) -> list[ImportOutcome]:
    """Import every README; one that cannot be read does not stop the others."""
    sweep_orphans(cards_dir)
    return [import_readme(source, cards_dir) for source in sources]


def check_paths(paths: list[Path]) -> tuple[list[str], int]:
    """Problems of every record and README under ``paths``, and how many files were checked."""
    files = expand(paths)
    return [line for path in files for line in check_path(path)], len(files)
