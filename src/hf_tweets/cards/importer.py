"""Read model cards (README.md) back into card records.

Reads three generations: the legacy huggingtweets single-avatar and
multi-avatar cards, and the cards hf-tweets renders. Markdown is parsed with
markdown-it (so escapes and entities decode exactly as a renderer sees them),
the header HTML with the standard library's parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import ftfy
import yaml
from huggingface_hub import ModelCard
from markdown_it import MarkdownIt

from hf_tweets.cards import labels
from hf_tweets.cards.record import CardRecord, validate_record
from hf_tweets.errors import CardImportError, RecordError
from hf_tweets.text import clean_line, parse_scalar

_MD = MarkdownIt("commonmark").enable("table")
_MODEL_ARG = re.compile(r"""model\s*=\s*(['"])([^'"]+)\1""")
_ROUND = re.compile(r"border-radius:\s*50%")
_URL_IN_CSS = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")
_LEGACY_BOT_SUFFIX = re.compile(r"\s*" + r"\s*".join(map(re.escape, labels.LEGACY_BOT_SUFFIX.split())) + r"\s*$", re.I)
_COUNT_ROWS = {label: key for key, label in labels.COUNTS.items()}
_WANDB_LINKS = {label: key for key, label in labels.WANDB_LINKS.items()}
# What the importer takes from the metrics table (perplexity is exp(eval loss): derived, not read).
_METRIC_ROWS = {label: key for key, label in labels.METRICS.items() if key != "eval_perplexity"} | labels.METRICS_BEFORE


@dataclass
class _Body:
    """The parts of a card body the importer reads."""

    header_html: str = ""
    tables: list[list[list[str]]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    code: str = ""


class _HeaderParser(HTMLParser):
    """Collects avatars (title, url) and the text of each innermost div, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.avatars: list[tuple[str | None, str | None]] = []
        self.texts: list[str] = []
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._flush()
        attributes = dict(attrs)
        style = attributes.get("style") or ""
        if _ROUND.search(style):  # an avatar: a round div
            match = _URL_IN_CSS.search(style)
            self.avatars.append((attributes.get("title"), match.group(1) if match else None))

    def handle_endtag(self, tag: str) -> None:
        self._flush()

    def handle_data(self, data: str) -> None:
        self._buffer.append(data)

    def _flush(self) -> None:
        text = "".join(self._buffer).strip()
        if text:
            self.texts.append(text)
        self._buffer = []


def _inline_text(token) -> str:
    return "".join(c.content for c in token.children or [] if c.type in ("text", "code_inline", "text_special"))


def parse_body(markdown: str) -> _Body:
    """The header HTML, tables (cells as text), links, paragraphs and code of a card body."""
    body = _Body()
    tokens = _MD.parse(markdown)
    table: list[list[str]] | None = None
    seen_heading = False
    for token in tokens:
        if token.type == "heading_open":
            seen_heading = True
        elif token.type == "html_block" and not seen_heading:
            body.header_html += token.content
        elif token.type == "table_open":
            table = []
            body.tables.append(table)
        elif token.type == "tr_open" and table is not None:
            table.append([])
        elif token.type == "table_close":
            table = None
        elif token.type == "fence":
            body.code += token.content
        elif token.type == "inline":
            if table is not None:
                table[-1].append(_inline_text(token))
            else:
                body.paragraphs.append(_inline_text(token))
            body.links.extend(_links(token))
    return body


def _links(inline) -> list[tuple[str, str]]:
    links, href, text = [], None, []
    for child in inline.children or []:
        if child.type == "link_open":
            href, text = child.attrs.get("href"), []
        elif child.type == "link_close" and href is not None:
            links.append(("".join(text), href))
            href = None
        elif href is not None and child.type in ("text", "text_special", "code_inline"):
            text.append(child.content)
    return links


def _front_matter(text: str, source: str) -> dict[str, Any]:
    if not text.lstrip("\ufeff").startswith("---"):
        raise CardImportError(
            source, "has no YAML front matter (a --- block at the top); is it a model card README.md?"
        )
    try:
        card = ModelCard(text.lstrip("\ufeff"))
    except (ValueError, yaml.YAMLError) as error:
        raise CardImportError(
            source, f"front matter is not valid YAML ({str(error).splitlines()[0]}); fix it"
        ) from None
    except RecursionError:
        raise CardImportError(source, "front matter is nested too deeply to be a card's metadata; fix it") from None
    return card.data.to_dict() | {"_body": card.text}


def _table(body: _Body, first_header: str) -> list[list[str]] | None:
    return next((t for t in body.tables if t and t[0] and t[0][0].strip() == first_header), None)


def import_card(text: str, source: str | Path = "README.md") -> CardRecord:
    """Read one README's text into a validated record; CardImportError says what was missing."""
    source = str(source)
    meta = _front_matter(text, source)
    legacy = "hf-tweets" not in (meta.get("tags") or [])
    body = parse_body(meta.pop("_body"))
    data = _repo(body, source) | _card_metadata(meta)
    if not legacy and "base_model" not in meta:  # our cards leave it out for models trained from scratch
        data["base_model"] = None
    data["users"] = _users(body, data["name"], legacy, source)
    data["wandb"] = {key: href for label, key in _WANDB_LINKS.items() for text_, href in body.links if text_ == label}
    data["training"] = _training(body, source)
    samples = _table(body, labels.SAMPLE)
    data["samples"] = [row[0] for row in samples[1:] if row] if samples else []
    try:
        return validate_record(data, source)
    except RecordError as error:
        raise CardImportError(source, f"the card's data is not a valid record: {error.problems[0]}") from None


def _repo(body: _Body, source: str) -> dict[str, str]:
    match = _MODEL_ARG.search(body.code)
    if not match or "/" not in match.group(2):
        raise CardImportError(source, "has no usage snippet naming the repo (pipeline(..., model='namespace/name'))")
    namespace, _, name = match.group(2).partition("/")
    return {"namespace": namespace, "name": name}


def _card_metadata(meta: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    language = meta.get("language")
    if isinstance(language, list):
        language = language[0] if language else None
    widget = meta.get("widget")
    prompt = widget[0].get("text") if isinstance(widget, list) and widget and isinstance(widget[0], dict) else None
    base_model = meta.get("base_model")
    for key, value in (
        ("language", language),
        ("license", meta.get("license")),
        ("base_model", base_model[0] if isinstance(base_model, list) else base_model),
        ("widget_prompt", prompt),
        ("thumbnail", meta.get("thumbnail")),
    ):
        if value is not None:
            data[key] = value
    return data


def _users(body: _Body, repo_name: str, legacy: bool, source: str) -> list[dict[str, Any]]:
    table = _table(body, labels.DATA)
    if table is None or len(table[0]) < 2:
        raise CardImportError(source, "has no data table (a table whose first column is 'Data')")
    columns = len(table[0]) - 1
    rows = {row[0].strip(): [c.strip() for c in row[1:]] for row in table[1:] if row}
    header = _HeaderParser()
    header.feed(body.header_html)
    header.close()
    names = _display_names(table[0][1:], header.texts, legacy, source)
    handles = _handles(rows, body, header.texts, repo_name, columns, source)
    avatars = _avatars(header.avatars, handles)
    return [
        {"handle": h, "display_name": n, "counts": _counts(rows, i, source)}
        | ({"avatar": avatars[i]} if avatars[i] else {})
        for i, (h, n) in enumerate(zip(handles, names, strict=False))
    ]


def _display_names(columns: list[str], header_texts: list[str], legacy: bool, source: str) -> list[str]:
    if columns == [labels.QUANTITY]:  # legacy single-avatar: the name is in the header, "<name> 🤖 AI Bot"
        if not header_texts:
            raise CardImportError(source, "has no display name in its header (the '<name> 🤖 AI Bot' line)")
        columns = [_LEGACY_BOT_SUFFIX.sub("", ftfy.fix_encoding(header_texts[0]))]
    # Legacy cards carry mojibake (UTF-8 read as cp1252); ours are clean, so leave them exactly as written.
    return [clean_line(ftfy.fix_encoding(c) if legacy else c) for c in columns]


def _handles(rows, body: _Body, header_texts: list[str], repo_name: str, columns: int, source: str) -> list[str]:
    if labels.HANDLE in rows:
        return [cell.removeprefix("@") for cell in rows[labels.HANDLE]]
    if columns == 1:  # legacy single: "[@handle's tweets](https://twitter.com/handle)" or "@handle bot"
        for text, _ in body.links:
            if text.startswith("@") and text.endswith(labels.LEGACY_TWEETS_LINK):
                return [text[1:].removesuffix(labels.LEGACY_TWEETS_LINK)]
        for text in header_texts:
            if text.startswith("@") and text.endswith(" bot"):
                return [text[1:-4]]
    parts = repo_name.split("-")
    if len(parts) == columns:  # legacy multi: only the repo name (lower-cased, sorted handles) names them
        return parts
    raise CardImportError(
        source, f"cannot tell the {columns} users' handles (no 'Handle' row, and the repo name has {len(parts)} parts)"
    )


def _avatars(found: list[tuple[str | None, str | None]], handles: list[str]) -> list[str | None]:
    by_title = {title.removeprefix("@").lower(): url for title, url in found if title}
    if by_title:
        return [by_title.get(h.lower()) for h in handles]
    urls = [url for _, url in found]
    return [urls[i] if i < len(urls) else None for i in range(len(handles))]


def _counts(rows: dict[str, list[str]], column: int, source: str) -> dict[str, int]:
    counts = {}
    for label, key in _COUNT_ROWS.items():
        cells = rows.get(label)
        if cells is None or column >= len(cells):
            raise CardImportError(source, f"data table has no '{label}' row for every user")
        try:
            counts[key] = int(cells[column].replace(",", ""))
        except ValueError:
            raise CardImportError(
                source, f"data table's '{label}' cell {cells[column]!r} is not a whole number"
            ) from None
    return counts


def _number(text: str, what: str, source: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise CardImportError(source, f"{what} {text!r} is not a number") from None


def _training(body: _Body, source: str) -> dict[str, Any]:
    training: dict[str, Any] = {}
    params = _table(body, labels.HYPERPARAMETER)
    if params:
        training["hyperparameters"] = {row[0]: parse_scalar(row[1]) for row in params[1:] if len(row) >= 2}
    metrics = _table(body, labels.METRIC)
    for row in metrics[1:] if metrics else []:
        if len(row) >= 2 and row[0] in _METRIC_ROWS:
            key = _METRIC_ROWS[row[0]]
            value = _number(row[1].removesuffix(" s").replace(",", ""), f"the {row[0]!r} metric", source)
            training[key] = int(value) if key == "tokens_seen" else value
    software = _table(body, labels.SOFTWARE)
    if software:
        training["versions"] = {row[0]: row[1] for row in software[1:] if len(row) >= 2}
    for paragraph in body.paragraphs:
        dates = labels.read_dates(paragraph)
        training |= {f"{key}_tweet": value for key, value in dates.items()}
    return training
