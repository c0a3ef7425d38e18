"""Text from strangers: normalising it, and escaping it for each place a card puts it.

A card mixes HTML blocks, Markdown prose, Markdown table cells, a Python
snippet and YAML. Each template expression goes through exactly one of the
escapers below (the renderer refuses unescaped strings), and the importer
relies on them being exact inverses of what a Markdown/HTML parser decodes.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from urllib.parse import urlsplit

# Explicit bidi embeddings, overrides and isolates (LRE..RLO, LRI..PDI). They
# can reorder the text around a name; the marks LRM/RLM/ALM stay.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
_SPACES = re.compile(r"\s+")

# ASCII punctuation that means something inline in (GitHub-flavoured) Markdown.
# & < > are written as entities instead, so no HTML can start from a name.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]!|~$])")
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MD_ENTITY_RE = re.compile(r"[&<>]")

# Characters a URL may not carry into a card: they would end an HTML attribute,
# a CSS url('...') or a Markdown link destination.
_URL_FORBIDDEN = re.compile(r"[\s\"'<>\\`()\x00-\x1f\x7f]")


def clean_line(value: str) -> str:
    """NFC, no control or bidi-override characters, one line, single spaces, trimmed."""
    value = unicodedata.normalize("NFC", value).translate(_BIDI_CONTROLS)
    value = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in value)
    return _SPACES.sub(" ", value).strip()


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot go into a card, or None when it is a clean http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "URL must start with http:// or https:// and name a host"
    bad = _URL_FORBIDDEN.search(url)
    if bad:
        return f"URL has a {bad.group()!r} character; percent-encode it (e.g. %20 for a space)"
    if not url.isascii():
        return "URL has non-ASCII characters; percent-encode them"
    return None


def html_text(value: str) -> str:
    """Escape for HTML text or a quoted attribute."""
    return html.escape(value, quote=True)


def md_text(value: str) -> str:
    """Escape for inline Markdown (prose or a table cell): literal text, no markup, no HTML."""
    value = _MD_SPECIAL.sub(r"\\\1", value)
    return _MD_ENTITY_RE.sub(lambda m: _MD_ENTITIES[m.group()], value)


def py_str(value: str) -> str:
    """A Python string literal for ``value``, single-quoted like the legacy cards."""
    return repr(value)


def format_scalar(value: object) -> str:
    """Show a hyper-parameter value so that ``parse_scalar`` gives it back exactly."""
    if isinstance(value, str):  # records hold these cleaned (see record.py)
        return json.dumps(value, ensure_ascii=False) if _json_scalar(value) else value
    return json.dumps(value)  # bool -> true/false, int, float (shortest repr)


def parse_scalar(text: str) -> object:
    """The inverse of ``format_scalar``."""
    parsed = _json_scalar(text)
    return text if parsed is None else parsed[0]


def _json_scalar(text: str) -> tuple[object] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return (value,) if isinstance(value, (str, int, float, bool)) else None
