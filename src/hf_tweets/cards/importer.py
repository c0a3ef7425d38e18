"""Read model cards (README.md) back into card records.

Reads three generations: the legacy huggingtweets single-avatar and
multi-avatar cards, and the cards hf-tweets renders. Markdown is parsed with
markdown-it (so escapes and entities decode exactly as a renderer sees them),
the header HTML with the standard library's parser. Numbers read both as
cards write them (3182) and as hf-tweets' cards did before issue 20 (3,182).
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

from hf_tweets import platforms
from hf_tweets.cards import labels
from hf_tweets.cards.record import CardRecord, validate_record
from hf_tweets.errors import CardImportError, HfTweetsError, RecordError
from hf_tweets.text import clean_line, parse_scalar

_MD = MarkdownIt("commonmark").enable("table")
_MODEL_ARG = re.compile(r"""model\s*=\s*(['"])([^'"]+)\1""")
_FROM_PRETRAINED = re.compile(r"""from_pretrained\(\s*(['"])([^'"]+)\1""")  # an adapter's snippet (peft)
_ROUND = re.compile(r"border-radius:\s*50%")
_HIDDEN = re.compile(r"display:\s*none")
_URL_IN_CSS = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")
_LEGACY_BOT_SUFFIX = re.compile(r"\s*" + r"\s*".join(map(re.escape, labels.LEGACY_BOT_SUFFIX.split())) + r"\s*$", re.I)
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
    broken_header: bool = False  # the data table was recovered line by line: its header row's cells are not columns


class _HeaderParser(HTMLParser):
    """Collects the shown avatars (title, url) and the text of each innermost div, in order.

    An avatar slot hidden with ``display:none`` (the last legacy generation wrote three slots and hid the
    unused ones) is no avatar; text inside <style> and <script> is not text of the card."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.avatars: list[tuple[str | None, str | None]] = []
        self.texts: list[str] = []
        self._buffer: list[str] = []
        self._skipping: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._flush()
        if tag in ("style", "script"):
            self._skipping = tag
        attributes = dict(attrs)
        style = attributes.get("style") or ""
        if _ROUND.search(style) and not _HIDDEN.search(style):  # an avatar: a round div that is shown
            match = _URL_IN_CSS.search(style)
            self.avatars.append((attributes.get("title"), match.group(1) if match else None))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._skipping:
            self._skipping, self._buffer = None, []
        self._flush()

    def handle_data(self, data: str) -> None:
        if self._skipping is None:
            self._buffer.append(data)

    def _flush(self) -> None:
        text = "".join(self._buffer).strip()
        if text:
            self.texts.append(text)
        self._buffer = []


class _HtmlParts(HTMLParser):
    """Tables (cells as text) and preformatted code in a card's HTML: the 2020 generation wrote its counts as
    an HTML <table> and its usage snippet as <pre><code> with <span> highlighting."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.code: list[str] = []
        self._cell: list[str] | None = None
        self._in_pre = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "pre":
            self._in_pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "pre" and self._in_pre:
            self._in_pre -= 1
            self.code.append("\n")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_pre:
            self.code.append(data)


def _inline_text(token) -> str:
    return "".join(c.content for c in token.children or [] if c.type in ("text", "code_inline", "text_special"))


def parse_body(markdown: str) -> _Body:
    """The header HTML, tables (cells as text), links, paragraphs and code of a card body."""
    body = _Body()
    tokens = _MD.parse(markdown)
    table: list[list[str]] | None = None
    seen_heading = False
    html = _HtmlParts()
    for token in tokens:
        if token.type == "heading_open":
            seen_heading = True
        elif token.type == "html_block":
            html.feed(token.content)
            if not seen_heading:
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
    html.close()
    body.tables += [t for t in html.tables if t]
    body.code += "".join(html.code)
    if _table(body, labels.DATA) is None and (recovered := _pipe_table(markdown)):
        body.tables.append(recovered)
        body.broken_header = True
    return body


_PIPE_ROW = re.compile(r"^\|.*\|$")


def _pipe_table(markdown: str) -> list[list[str]] | None:
    """The data table of a legacy card whose header row a '|' in a display name broke (so that Markdown sees
    no table): the count rows by position, and the header row as written (its cells cannot be trusted)."""
    lines = markdown.splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(rf"^\|\s*{labels.DATA}\s*\|", line)), None)
    if start is None:
        return None
    rows = [_cells(lines[start])]
    for line in lines[start + 2 :]:
        if not _PIPE_ROW.match(line.strip()):
            break
        rows.append(_cells(line))
    return rows if len(rows) > 1 else None


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().removeprefix("|").removesuffix("|").split("|")]


def _links(inline) -> list[tuple[str, str]]:
    links: list[tuple[str, str]] = []
    href: str | None = None
    text: list[str] = []
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
    if not legacy and "base_model" not in meta:  # our cards leave it out: trained from scratch, or a local base
        data["base_model"] = None
        if any(labels.BASE_LOCAL in p for p in body.paragraphs):
            data["base_model_local"] = True
    data["users"], accounts = _users(body, data["name"], legacy, source)
    if accounts is not None:
        data["handles"] = accounts
    data["wandb"] = {key: href for label, key in _WANDB_LINKS.items() for text_, href in body.links if text_ == label}
    data["training"] = _training(body, source)
    samples = _table(body, labels.SAMPLE)
    data["samples"] = [row[0] for row in samples[1:] if row] if samples else []
    if not legacy:  # the Consent section's first sentence says whose choice the model is
        consent = next((c for p in body.paragraphs if (c := labels.read_consent(p))), None)
        if consent:
            data["consent"] = consent
    try:
        return validate_record(data, source)
    except RecordError as error:
        raise CardImportError(source, f"the card's data is not a valid record: {error.problems[0]}") from None


def _repo(body: _Body, source: str) -> dict[str, str]:
    match = _MODEL_ARG.search(body.code) or _FROM_PRETRAINED.search(body.code)
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
    if meta.get("library_name") == "peft" or meta.get("base_model_relation") == "adapter":
        data["weights"] = "adapter"  # the repo holds a LoRA adapter
    return data


def _users(body: _Body, repo_name: str, legacy: bool, source: str) -> tuple[list[dict[str, Any]], list[str] | None]:
    """(the users, column by column; the accounts when the card does not say which column is whose, else None)."""
    table = _table(body, labels.DATA)
    if table is None or len(table[0]) < 2:
        raise CardImportError(source, "has no data table (a table whose first column is 'Data')")
    rows = {row[0].strip(): [c.strip() for c in row[1:]] for row in table[1:] if row}
    columns = len(next(iter(rows.values()), [])) if body.broken_header else len(table[0]) - 1
    header = _HeaderParser()
    header.feed(body.header_html)
    header.close()
    names = _display_names(table[0][1:], header.texts, legacy, columns, body.broken_header, source)
    handles = _handles(rows, body, header.texts, repo_name, columns)
    accounts = None if handles else _accounts(header.texts, repo_name, columns, source)
    avatars = _avatars(header.avatars, handles, columns)
    users = [
        {"display_name": name, "counts": _counts(rows, i, source)}
        | (_account_fields(handles[i]) if handles else {})
        | ({"avatar": avatars[i]} if avatars[i] else {})
        for i, name in enumerate(names)
    ]
    return users, accounts


def _display_names(
    columns: list[str], header_texts: list[str], legacy: bool, count: int, broken: bool, source: str
) -> list[str]:
    if columns == [labels.QUANTITY]:  # legacy single-avatar: the name is in the header, "<name> 🤖 AI Bot"
        if not header_texts:
            raise CardImportError(source, "has no display name in its header (the '<name> 🤖 AI Bot' line)")
        columns = [_LEGACY_BOT_SUFFIX.sub("", ftfy.fix_encoding(header_texts[0]))]
    elif broken:  # a '|' in a name broke the table's header row: the header's names line still lists them
        columns = _names_from_header(header_texts, count, source)
    # Legacy cards carry mojibake (UTF-8 read as cp1252); ours are clean, so leave them exactly as written.
    return [clean_line(ftfy.fix_encoding(c) if legacy else c) for c in columns]


def _names_from_header(header_texts: list[str], count: int, source: str) -> list[str]:
    """The display names of a legacy card whose table a '|' broke, from its header's "A & B & C" line."""
    lines = [t for t in header_texts if not t.startswith("@") and not labels.LEGACY_TITLE.fullmatch(t)]
    names = lines[0].split(labels.LEGACY_NAMES_SEP) if lines else []
    if len(names) != count:
        raise CardImportError(
            source,
            f"a display name holds '|' (which broke the card's table) and the header's names line does not split"
            f" into the table's {count} columns, so hf-tweets cannot tell which name is which column;"
            " fix the names in the card's table",
        )
    return names


def _account_fields(handle: str) -> dict[str, str]:
    """A user's platform and handle from how a card shows the account (@alice, @alice.bsky.social,
    @alice@mastodon.social); X, as every legacy card's, when it is an X handle."""
    try:
        account = platforms.parse_account(handle)
    except HfTweetsError:
        return {"handle": handle}  # the record's validation says what is wrong with it
    return {"handle": account.handle} | ({"platform": account.platform} if account.platform != "x" else {})


def _handles(rows, body: _Body, header_texts: list[str], repo_name: str, columns: int) -> list[str] | None:
    """Each column's handle where the card says it (a Handle row; a one-user card), else None."""
    if labels.HANDLE in rows:
        return [cell.removeprefix("@") for cell in rows[labels.HANDLE]]
    if columns != 1:
        return None
    for text, _ in body.links:  # legacy single: "[@handle's tweets](https://twitter.com/handle)" or "@handle bot"
        if text.startswith("@") and text.endswith(labels.LEGACY_TWEETS_LINK):
            return [text[1:].removesuffix(labels.LEGACY_TWEETS_LINK)]
    for text in header_texts:
        if text.startswith("@") and text.endswith(" bot"):
            return [text[1:-4]]
    return [repo_name]  # the last generation's one-user card: the repo is named after the handle


def _accounts(header_texts: list[str], repo_name: str, columns: int, source: str) -> list[str]:
    """The accounts of a multi-user card that does not pair them with its columns: as our header lists them
    ("@a · @b"), else as the legacy repo name does (the handles, lower-cased, sorted, joined by '-')."""
    line = next((t for t in reversed(header_texts) if t.startswith("@")), "")
    sep = labels.ACCOUNTS_SEP
    listed = [h.strip().removeprefix("@") for h in line.split(sep)] if sep in line else []
    for accounts in (listed, repo_name.split("-")):
        if len(accounts) == columns:
            return accounts
    raise CardImportError(
        source,
        f"cannot tell the {columns} users' accounts (no 'Handle' row, and the repo name has"
        f" {len(repo_name.split('-'))} parts)",
    )


def _avatars(found: list[tuple[str | None, str | None]], handles: list[str] | None, columns: int) -> list[str | None]:
    by_title = {title.removeprefix("@").lower(): url for title, url in found if title}
    if by_title and handles:
        return [by_title.get(h.lower()) for h in handles]
    urls = [url for _, url in found]  # in column order, as every generation placed them
    return [urls[i] if i < len(urls) else None for i in range(columns)]


def _counts(rows: dict[str, list[str]], column: int, source: str) -> dict[str, int]:
    counts = {}
    for key, label in labels.count_labels(rows).items():
        cells = rows.get(label)
        if key in labels.OPTIONAL_COUNTS and cells is None:
            continue
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
        copies = labels.read_copies(paragraph)
        if copies:
            training["copies"] = copies
    return training
