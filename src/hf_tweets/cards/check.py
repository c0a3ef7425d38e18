"""``card check``: find what is wrong with records and READMEs, one problem per line.

A README is checked as the Hub would show it: its front matter must load with
huggingface_hub's ``ModelCard``, its data table must add up, its Markdown
rendered to HTML must carry no active content (scripts, event handlers,
``javascript:`` URLs), and its links must be well-formed http(s) URLs.

A card exactly as huggingtweets wrote it has no problem: what its generations
carry that is harmless is a note, not a problem (notes never fail the check):
the 2020 generation's stylesheet ``<link>`` and dark-mode ``<style>``, which the
Hub strips; a multi-user card that does not say which column is which account.
An empty ``url('')`` in an element hidden with ``display:none`` (the unused
avatar slots of the last generation) is inert and not reported at all.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import yaml
from huggingface_hub import ModelCard
from markdown_it import MarkdownIt

from hf_tweets.cards import labels
from hf_tweets.cards.importer import import_card, parse_body
from hf_tweets.cards.recordfile import load_record
from hf_tweets.cards.render import render
from hf_tweets.errors import CardImportError, HfTweetsError, Problem, RecordError
from hf_tweets.text import url_problem

# Tags a card may use: what Markdown produces plus the layout HTML of the card headers.
ALLOWED_TAGS = frozenset(
    "a abbr b blockquote br code del details div em h1 h2 h3 h4 h5 h6 hr i img kbd li ol p pre s span strong "
    "sub summary sup table tbody td th thead tr ul".split()
)
# Tags of huggingtweets' 2020 cards (a stylesheet and dark-mode colours) that the Hub strips; harmless unless
# what they hold is active (then it is a problem like any other).
LEGACY_TAGS = frozenset({"link", "style", "section"})
_URL_ATTRS = frozenset({"href", "src", "action", "formaction", "background", "poster", "xlink:href"})
_ACTIVE_CSS = re.compile(r"expression\s*\(|javascript:|@import|behavior\s*:|-moz-binding", re.IGNORECASE)
_HIDDEN = re.compile(r"display:\s*none", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]*)['\"]?\s*\)", re.IGNORECASE)
_EMPTY_WORDS = frozenset({"none", "null", "nan", "undefined"})
_NUMERIC_ROWS = frozenset([*labels.count_rows(), *labels.METRICS.values(), *labels.METRICS_BEFORE])


class _EveryLink(MarkdownIt):
    def validateLink(self, url: str) -> bool:
        return True


# Parse everything (raw HTML on, every link kept) so the check sees what a lax renderer would.
_MD_HTML = _EveryLink("commonmark", {"html": True}).enable("table")


class _ActiveContent(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.legacy: list[str] = []  # legacy markup the Hub strips, seen harmless
        self._style: str | None = None  # the text of a <style> element being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in LEGACY_TAGS:
            self.legacy.append(f"<{tag}>")
            if tag == "style":
                self._style = ""
        elif tag not in ALLOWED_TAGS:
            self.problems.append(f"<{tag}> is not allowed in a card; remove it or escape it")
        hidden = any(n == "style" and _HIDDEN.search(v or "") for n, v in attrs)
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> is an event handler; remove it")
            elif name in _URL_ATTRS:
                self._url(tag, name, value)
            elif name == "style":
                self._css(tag, value, hidden)

    def handle_data(self, data: str) -> None:
        if self._style is not None:
            self._style += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "style" and self._style is not None:
            self._css("style", self._style, hidden=False)
            self._style = None

    def _css(self, tag: str, css: str, hidden: bool) -> None:
        if _ACTIVE_CSS.search(css):
            self.problems.append(f"<{tag} style=...> has active CSS; remove it")
        for url in _CSS_URL.findall(css):
            if not (hidden and url == ""):  # an unused avatar slot: hidden, and pointing nowhere
                self._url(tag, "style url()", url)

    def _url(self, tag: str, name: str, url: str) -> None:
        if url.startswith("#"):
            return
        problem = url_problem(url)
        if problem:
            self.problems.append(f"<{tag} {name}={url[:60]!r}>: {problem}")


def check_readme_text(text: str, source: str, notes: list[Problem] | None = None) -> list[Problem]:
    """Every problem in one README's text; what is worth knowing but no problem is added to ``notes``."""
    notes = [] if notes is None else notes
    try:
        body = ModelCard(text).text
    except (ValueError, yaml.YAMLError) as error:
        return [
            Problem(
                "front matter",
                f"does not load with huggingface_hub ModelCard ({str(error).splitlines()[0]}); fix the YAML",
            )
        ]
    except RecursionError:
        return [Problem("front matter", "is nested too deeply to be a card's metadata; fix the YAML")]
    # Only the body is shown as HTML; front matter values (the widget's prompt) are shown as text.
    html = _active_html(body)
    problems = [Problem("html", p) for p in dict.fromkeys(html.problems)]
    if html.legacy:
        tags = ", ".join(dict.fromkeys(html.legacy))
        notes.append(Problem("note", f"{tags}: legacy markup the Hub strips (huggingtweets' 2020 cards); harmless"))
    problems += [Problem("link", p) for p in _bad_links(body)]
    problems += [Problem("table", p) for p in _table_sums(body)]
    try:
        record = import_card(text, source)
    except CardImportError as error:
        problems.append(Problem("card", error.reason()))
    else:
        if not record.paired:
            notes.append(Problem("note", _unpaired_note(record.accounts)))
    return problems


def _unpaired_note(accounts) -> str:
    listed = ", ".join(map(str, accounts))
    return (
        f"the card does not say which column is which account ({listed}); hf-tweets keeps each column's facts"
        " together and claims no pairing"
    )


def _active_html(text: str) -> _ActiveContent:
    parser = _ActiveContent()
    parser.feed(_MD_HTML.render(text))
    parser.close()
    return parser


def _bad_links(text: str) -> list[str]:
    problems = []
    for token in _MD_HTML.parse(text):
        for child in token.children or []:
            if child.type not in ("link_open", "image"):
                continue
            url = str(child.attrs.get("href") or child.attrs.get("src") or "")  # attrs are typed str | int | float
            if not url:
                problems.append("a link has no URL; remove the link or give it one")
            elif not url.startswith("#") and url_problem(url):
                problems.append(f"{url[:60]!r}: {url_problem(url)}")
    return problems


def _table_sums(body: str) -> list[str]:
    """The data table adds up, and no count or metric cell says None."""
    problems = []
    for table in parse_body(body).tables:
        if not table or table[0][0] not in (labels.DATA, labels.METRIC):
            continue
        rows = {row[0]: row[1:] for row in table[1:]}
        for label, values in rows.items():
            if label in _NUMERIC_ROWS and all(v.lower() in _EMPTY_WORDS or not v for v in values):
                problems.append(f"row {label!r} has no values; leave the row out")
        if table[0][0] != labels.DATA:
            continue
        problems += _column_sums(rows)
    return problems


def _column_sums(rows: dict[str, list[str]]) -> list[str]:
    """Each column's kept = downloaded - reposts - short (- content warnings, when the card has that row)."""
    named = labels.count_labels(rows)
    optional = labels.OPTIONAL_COUNTS
    parts = [k for k in ("downloaded", "retweets", "short", "cw") if k not in optional or named[k] in rows]
    try:
        columns = zip(*([int(v.replace(",", "")) for v in rows[named[k]]] for k in [*parts, "kept"]), strict=False)
    except (KeyError, ValueError):
        return []  # the importer reports a missing or broken data table
    problems = []
    for i, (downloaded, *taken, kept) in enumerate(columns):
        if kept != downloaded - sum(taken):
            minus = " - ".join(named[k] for k in parts)
            problems.append(f"column {i + 1}: {named['kept']} is {kept}, but {minus} = {downloaded - sum(taken)}")
    return problems


def check_path(path: Path, notes: list[str] | None = None) -> list[str]:
    """Problems of a record (.yaml) or README (.md), each as 'path: where: what to do'; notes (which are no
    problems) as 'path: note: ...' are added to ``notes``."""
    found: list[Problem] = []
    problems = _path_problems(path, found)
    if notes is not None:
        notes += [f"{path}: {note}" for note in found]
    return problems


def _path_problems(path: Path, notes: list[Problem]) -> list[str]:
    try:
        if path.suffix in (".yaml", ".yml"):
            record = load_record(path)
            return [f"{path}: rendered card: {p}" for p in check_readme_text(render(record), str(path), notes)]
        text = path.read_text(encoding="utf-8")
    except RecordError as error:
        return error.lines()
    except UnicodeDecodeError:
        return [f"{path}: is not UTF-8 text; save it as UTF-8"]
    except HfTweetsError as error:
        return [error.line()]
    except OSError as error:
        return [f"{path}: {error.strerror or error}"]
    except Exception as error:  # noqa: BLE001 - one broken file never stops the check of the others
        return [f"{path}: could not be checked ({type(error).__name__}: {str(error)[:120]})"]
    return [f"{path}: {p}" for p in check_readme_text(text, str(path), notes)]


def expand(paths: list[Path]) -> list[Path]:
    """Files to check: folders expand to their records and READMEs."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") or p.name.endswith(".md"))
        else:
            out.append(path)
    return out
