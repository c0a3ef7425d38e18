"""Text from strangers: normalising it, and escaping it for each place a card puts it.

A card mixes HTML blocks, Markdown prose, Markdown table cells, a Python
snippet and YAML. Each template expression goes through exactly one of the
escapers below (the renderer refuses unescaped strings), and the importer
relies on them being exact inverses of what a Markdown/HTML parser decodes.
"""

from __future__ import annotations

import json
import re
import unicodedata
from urllib.parse import quote, urlsplit

# Explicit bidi embeddings, overrides and isolates (LRE..RLO, LRI..PDI). They
# can reorder the text around a name; the marks LRM/RLM/ALM stay.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
_SPACES = re.compile(r"\s+")

# ASCII punctuation that means something inline in (GitHub-flavoured) Markdown gets a
# backslash; & < > become entities, so no HTML can start from a name.
_MD_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*_[]!|~$"} | {"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})

# What a URL may hold in a card: RFC 3986 characters, less ' ( ) [ ] which would end a CSS
# url('...') or a Markdown link, and which Markdown renderers percent-encode anyway.
_URL_BAD_CHAR = re.compile(r"[^A-Za-z0-9;/?:@&=+$,\-_.!~*#%]")
_URL_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


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
    bad = _URL_BAD_CHAR.search(url)
    if bad:
        return f"URL has a {bad.group()!r} character; percent-encode it (e.g. %20 for a space, %28 for '(')"
    if _URL_BAD_PERCENT.search(url):
        return "URL has a '%' not followed by two hex digits; write a literal % as %25"
    return None


def html_text(value: str) -> str:
    """Escape for HTML text or a quoted attribute (as html.escape, in one pass)."""
    return value.translate(_HTML_ESCAPES)


def md_text(value: str) -> str:
    """Escape for inline Markdown (prose or a table cell): literal text, no markup, no HTML."""
    return value.translate(_MD_ESCAPES)


def py_str(value: str) -> str:
    """A Python string literal for ``value``, single-quoted like the legacy cards."""
    return repr(value)


def format_scalar(value: bool | int | float | str) -> str:  # a record's Scalar
    """Show a hyper-parameter value so that ``parse_scalar`` gives it back exactly."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)  # the shortest text that reads back as the same number (what JSON writes)
    # Records hold strings cleaned (see record.py); quote only those that would read back as another type.
    return json.dumps(value, ensure_ascii=False) if _json_scalar(value) else value


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


# What a source hands over is checked here before anything is stored: a lone surrogate
# (a JSON escape such as "\ud800" with no partner) cannot be written as UTF-8.
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
# A host name with an optional port; an avatar needs nothing else (no user:password@, no IPv6 brackets).
_URL_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?")
MAX_URL = 2048


def replace_lone_surrogates(value: str) -> str:
    """``value`` with each lone surrogate replaced by U+FFFD (JSON decoders already join real pairs)."""
    return _LONE_SURROGATE.sub("\ufffd", value)


def clean_url(url: object) -> str | None:
    """``url`` as an http(s) URL that ``url_problem`` accepts (what it rejects percent-encoded), or None."""
    if not isinstance(url, str) or len(url) > MAX_URL:
        return None
    url = _URL_BAD_PERCENT.sub("%25", replace_lone_surrogates(url.strip()))
    url = _URL_BAD_CHAR.sub(lambda bad: quote(bad.group(), safe=""), url)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not _URL_HOST.fullmatch(parts.netloc):
        return None
    return url if len(url) <= MAX_URL and url_problem(url) is None else None


def plural(count: int, word: str) -> str:
    """``1 repo``, ``2 repos``, ``3,200 tweets``: a count with its noun."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def snippet(value: object, limit: int = 40) -> str:
    """``repr(value)`` cut to about ``limit`` characters, to show a stranger's value in a one-line error."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[:limit] + "..."
