"""Card I/O for the CLI: render records to files, import READMEs into records, check both."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hf_tweets.cards.check import check_path, expand
from hf_tweets.cards.importer import import_card
from hf_tweets.cards.pairing import pair_columns
from hf_tweets.cards.recordfile import find_record, load_record, record_path, replace_record
from hf_tweets.cards.render import render
from hf_tweets.errors import ERROR_LINE, HfTweetsError
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
    texts: list[tuple[str, str]] = []
    for r in records:
        assert r.name is not None  # validation fills it in (CardRecord._repo_name)
        texts.append((r.name, render(r, templates_dir)))
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


#: Current (display name, avatar) of accounts by lower-case handle: how --resolve-handles looks them up.
Profiles = Callable[[list[str]], Mapping[str, tuple[str, str | None]]]


@dataclass
class ImportOutcome:
    source: Path
    target: Path | None = None
    changed: bool = False
    error: str | None = None
    notes: list[str] = field(default_factory=list)  # what --resolve-handles found, one line each

    @property
    def ok(self) -> bool:
        return self.error is None

    def __str__(self) -> str:
        if self.error:
            return f"{ERROR_LINE}{self.error}"
        lines = [f"{self.source} -> {self.target} ({'written' if self.changed else 'unchanged'})"]
        return "\n".join(lines + [f"  {note}" for note in self.notes])


def import_readme(source: Path, cards_dir: Path, profiles: Profiles | None = None) -> ImportOutcome:
    """Import one README into ``cards_dir``; an existing record keeps its publish state. With ``profiles``,
    a legacy multi-user card's columns are paired with its accounts where their profiles tell (pairing.py)."""
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return ImportOutcome(source, error=f"{source}: is not UTF-8 text; save it as UTF-8")
    except OSError as error:
        return ImportOutcome(source, error=f"{source}: {error.strerror}")
    try:
        record, notes = import_card(text, source), []
        if profiles is not None and not record.paired:
            record, notes = _paired(record, profiles)
        assert record.name is not None  # validation fills it in (CardRecord._repo_name)
        target = record_path(cards_dir, record.name)
        return ImportOutcome(source, target, replace_record(record, target), notes=notes)
    except HfTweetsError as error:
        return ImportOutcome(source, error=error.line())
    except Exception as error:  # noqa: BLE001 - one card failing never stops the others
        return ImportOutcome(source, error=f"{source}: could not be imported ({type(error).__name__}: {error})")


def _paired(record, profiles: Profiles):
    try:
        found = profiles([a.handle for a in record.accounts])
    except HfTweetsError as error:  # the lookup failed: the card still goes in, unpaired
        return record, [f"not paired: {error.reason()}"]
    paired, unresolved = pair_columns(record, found)
    if unresolved:
        return record, [f"not paired, {why}" for why in unresolved]
    return paired, [f"paired: {u.display_name} = @{u.handle}" for u in paired.users]


def import_readmes(sources: list[Path], cards_dir: Path, profiles: Profiles | None = None) -> list[ImportOutcome]:
    """Import every README; one that cannot be read does not stop the others."""
    sweep_orphans(cards_dir)
    return [import_readme(source, cards_dir, profiles) for source in sources]


def check_paths(paths: list[Path]) -> tuple[list[str], list[str], int]:
    """(problems, notes) of every record and README under ``paths``, and how many files were checked."""
    files = expand(paths)
    notes: list[str] = []
    return [line for path in files for line in check_path(path, notes)], notes, len(files)
