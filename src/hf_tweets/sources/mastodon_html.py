"""Mastodon's HTML (a status's ``content``, a bio, a profile field) as the plain text a person wrote.

Mastodon sends posts as HTML; its API and its archives alike. What becomes of each part:

* a mention ``<span class="h-card"><a class="u-url mention">@<span>bob</span></a></span>`` -> ``@bob``
  (``@bob@other.example`` for a remote one, as the post shows it); a hashtag -> ``#tag``;
* a link is dropped whole, its ``<span class="invisible">`` parts with it, as prepare drops URLs
  from X posts; a link whose text is words rather than its address (other servers write those)
  keeps the words;
* ``<br>`` -> a line break, ``<p>`` (and the other blocks) -> a paragraph break; entities decoded;
* custom emoji are images on their instance, written ``:shortcode:`` in the text: the shortcodes
  the status lists as custom emoji are removed (other ``:words:``, such as 3:2:1, are text);
* ``<script>``/``<style>`` content and ``invisible`` spans are never text; whitespace is collapsed
  as a browser shows it (except in ``<pre>``); a lone surrogate becomes U+FFFD.

The standard library's ``html.parser`` reads it, except the exact markup Mastodon writes for its own posts,
which a few substitutions turn into the same text, 10 times faster (see _own).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from html.parser import HTMLParser

from hf_tweets.text import replace_lone_surrogates

_BLOCKS = frozenset({"p", "div", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"})
_HIDDEN = frozenset({"script", "style", "template", "noscript", "title"})
_VOID = frozenset({"br", "img", "hr", "wbr", "input", "meta", "link", "source", "area", "base", "col", "embed"})
# What Mastodon writes for its own posts, exactly (its sanitizer's output): a mention, a hashtag, a link (its text
# the URL, split into spans), <p> and <br />, and text. HTML made only of these takes a fast path of substitutions
# (see _own; 10 times faster than html.parser, which reads everything else); tests check both give the same text.
_MENTION = (
    r'<span class="h-card"(?: translate="no")?><a href="[^"<>]*" class="u-url mention">@<span>([^<]*)</span></a>'
    r"</span>"
)
_HASHTAG = r'<a href="[^"<>]*" class="mention hashtag" rel="tag">#<span>([^<]*)</span></a>'
_LINK = (
    r'<a href="[^"<>]*"(?: target="_blank")? rel="nofollow noopener(?: noreferrer)?(?: me)?"(?: translate="no")?>'
    r'<span class="invisible">[a-z][a-z0-9+.-]*://(?:www\.)?</span><span class="(?:ellipsis)?">[^<]*</span>'
    r'<span class="invisible">[^<]*</span></a>'
)
_OPEN_CONSTRUCT = re.compile(r"<[A-Za-z/!?]")
_BARE_AMPERSAND = re.compile(r"&(?!#?[A-Za-z0-9]+;)")  # an & that starts no entity
_SUBSTITUTIONS = [  # (what the HTML has when the pattern may match, pattern, replacement)
    ("<a", re.compile(_LINK), ""),
    ("h-card", re.compile(_MENTION), r"@\1"),
    ("<a", re.compile(_HASHTAG), r"#\1"),
]
_REPLACEMENTS = [("<br>", "\n"), ("<br/>", "\n"), ("<br />", "\n"), ("<p>", "\n\n"), ("</p>", "\n\n")]
_SHORTCODE = re.compile(r"[A-Za-z0-9_]{1,100}")


def to_text(content: object, emojis: Iterable[str] = ()) -> str:
    """The text of Mastodon HTML ``content`` (module docstring); ``emojis``: the custom emoji shortcodes to remove."""
    if not isinstance(content, str):
        return ""
    text = _own(content)
    if text is None:
        text = _parsed(content)
    return _tidy(without_shortcodes(text, emojis))


def _parsed(content: str) -> str:
    """The text html.parser finds in ``content``, in time linear in its length.

    HTMLParser.close() reads a construct left open at the end (``<a href="`` with no closing quote) one character
    at a time, each time scanning to the end again: minutes for 100 KB (CPython gh-135462, fixed in 3.11.13).
    It is not called: what ``feed`` could not finish is dropped if it starts a tag, a comment or the like, as a
    browser drops a tag cut off by the end of the page, and is text otherwise (text ending in a possible entity)."""
    parser = _Text()
    parser.feed(content)
    rest = parser.rawdata
    if rest and not _OPEN_CONSTRUCT.match(rest):
        parser.handle_data(html.unescape(rest))
    return "".join(parser.parts)


def _own(content: str) -> str | None:
    """The text of HTML made only of what Mastodon writes for its own posts, by substitutions; None for other HTML.

    Each substitution takes out whole pieces (a link, a mention, a hashtag, <br>, <p>), each starting with "<": no
    "<" left means there was nothing else. An & that starts no entity is left to html.parser too: taking a link out
    from between "&am" and "p;" would make one."""
    if "&" in content and _BARE_AMPERSAND.search(content):
        return None
    text = content.replace("\n", " ")  # a line break in HTML source is a space on screen
    for needle, pattern, by in _SUBSTITUTIONS:
        if needle in text:
            text = pattern.sub(by, text)
    for tag, by in _REPLACEMENTS:  # str.replace: 10 times faster than a pattern
        text = text.replace(tag, by)
    if "<" in text:
        return None
    return html.unescape(text) if "&" in text else text


def shortcodes(emojis: object) -> tuple[str, ...]:
    """The shortcodes of an API ``emojis`` list ([{"shortcode": "blobcat", ...}]) or of an archive's ``tag`` list
    ([{"type": "Emoji", "name": ":blobcat:"}]); anything else in it is ignored."""
    if not isinstance(emojis, list):
        return ()
    found = []
    for emoji in emojis:
        if isinstance(emoji, dict):
            code = emoji.get("shortcode")
            if code is None and emoji.get("type") == "Emoji":
                code = emoji.get("name")
            if isinstance(code, str) and _SHORTCODE.fullmatch(code.strip(":")):
                found.append(code.strip(":"))
    return tuple(found)


def without_shortcodes(text: str, emojis: Iterable[str]) -> str:
    """``text`` without the custom emoji ``:shortcode:`` of each of ``emojis`` (a display name's, a post's)."""
    codes = [code for code in emojis if _SHORTCODE.fullmatch(code)]
    if not codes or ":" not in text:
        return text
    return re.sub(":(?:" + "|".join(map(re.escape, codes)) + "):", "", text)


def _tidy(text: str) -> str:
    """One space between words, none at the ends of lines, at most one blank line; lone surrogates replaced.

    str.split, not a pattern: it is 5 times faster, and splits at the same white space (str.isspace)."""
    if "\n" in text:
        lines: list[str] = []
        for line in text.split("\n"):
            line = " ".join(line.split())
            if line or (lines and lines[-1]):  # no blank line first, nor two in a row
                lines.append(line)
        text = "\n".join(lines).rstrip("\n")
    else:
        text = " ".join(text.split())
    return text if text.isascii() else replace_lone_surrogates(text)


class _Text(HTMLParser):
    """Collects the text of the HTML it is fed in ``parts`` (see the module docstring)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open: list[tuple[str, bool, list[str]]] = []  # (tag, hidden, classes) of open elements, outermost first
        self.links: list[_Link] = []  # the open <a> elements
        self.pending = ""  # a line or paragraph break, written before the next text
        self.pre = 0  # open <pre> elements: their line breaks are kept

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        classes = values.get("class", "").split()
        hidden = bool(self.open and self.open[-1][1]) or tag in _HIDDEN or (tag == "span" and "invisible" in classes)
        if tag == "br":
            self._text("\n", hidden)
        elif tag in _BLOCKS or tag == "li":
            self._break("\n\n" if tag in _BLOCKS else "\n")
        if tag in _VOID:
            return
        if tag == "a":
            tagged = "mention" in classes or "hashtag" in classes or "tag" in values.get("rel", "").split()
            in_card = any(name == "span" and "h-card" in names for name, _, names in self.open)
            self.links.append(_Link(values.get("href", ""), tagged or in_card))
        self.pre += tag == "pre"
        self.open.append((tag, hidden, classes))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if all(name != tag for name, _, _ in self.open):  # a stray end tag: only a block's breaks (an empty <p>)
            if tag in _BLOCKS:
                self._break("\n\n")
            return
        while self.open:  # close what was left open inside it, as browsers do
            name, hidden, _ = self.open.pop()
            self.pre -= name == "pre"
            if name == "a" and self.links:
                link = self.links.pop()
                if link.kept():
                    self._text(link.visible, hidden)
            if name == tag:
                break
        if tag in _BLOCKS:
            self._break("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.pre:
            data = data.replace("\n", " ")  # a line break in HTML source is a space on screen
        hidden = bool(self.open and self.open[-1][1])
        if self.links:
            self.links[-1].add(data, hidden)
        else:
            self._text(data, hidden)

    def _text(self, text: str, hidden: bool) -> None:
        if hidden or not text:
            return
        if self.links:  # a <br> inside a link
            self.links[-1].add(text, False)
        elif text.strip() or text == "\n":
            if self.pending and self.parts:
                self.parts.append(self.pending)
            self.pending = ""
            self.parts.append(text)
        else:
            self.parts.append(text)

    def _break(self, kind: str) -> None:
        if len(kind) > len(self.pending):
            self.pending = kind


class _Link:
    """An open <a>: its text as shown, and all of it (invisible parts too), to tell an address from words."""

    def __init__(self, href: str, mention: bool):
        self.href, self.mention, self.visible, self.full = href.lower(), mention, "", ""

    def add(self, text: str, hidden: bool) -> None:
        self.full += text
        if not hidden:
            self.visible += text

    def kept(self) -> bool:
        """A mention or hashtag is kept; a link showing its address (or part of it) is not; one of words is."""
        shown = self.full.strip()
        if self.mention or shown.startswith(("@", "#")):
            return True
        bare = shown.lower().replace("\u2026", "").rstrip("/")
        return bool(shown) and "://" not in shown and not bare.startswith("www.") and bare not in self.href
