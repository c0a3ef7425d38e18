"""One JSON document read from a binary stream a piece at a time, for files too large to parse whole.

A Mastodon outbox.json of 100,000 posts is some 200 MB of JSON, and 600 MB to 2 GB once parsed as
one document; read with ``JsonStream``, one activity at a time, it takes what one activity takes.
``value()`` parses the next value with json's own decoder (``raw_decode``), up to ``MAX_VALUE``
characters (NaN and Infinity, which Python's json reads, are refused; with ``unique_keys``, so is an object
with a key twice); ``char()`` looks at the next character that is not white space and ``take()`` steps
over it, so the caller walks the punctuation around the values it streams. The bytes are decoded
as UTF-8 (a BOM is allowed) as they are read, ``CHUNK`` at a time. Every problem is a one-line
SourceError naming the file and, for bad JSON, the character.
"""

from __future__ import annotations

import codecs
import json
import re

from hf_tweets.errors import SourceError
from hf_tweets.text import snippet

CHUNK = 1024**2  # bytes read at a time
MAX_VALUE = 16 * 1024**2  # characters of one value (a Mastodon activity is a few thousand)
_SPACE = re.compile(r"[ \t\n\r]*")
_NUMBER_TAIL = re.compile(r"[0-9.eE+-]*")  # what may follow a number's start within the number


class JsonStream:
    """The JSON document in the binary ``stream``; ``where`` names it in errors, ``fix`` says what to do then."""

    def __init__(self, stream, where: str, fix: str = "is the file damaged?", *, unique_keys: bool = False):
        self.stream, self.where, self.fix = stream, where, fix
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.text, self.pos, self.offset, self.eof = "", 0, 0, False  # offset: characters before self.text
        pairs = self._unique if unique_keys else None  # a Python call per object: small files
        self.parse = json.JSONDecoder(parse_constant=self._constant, object_pairs_hook=pairs).raw_decode

    def _constant(self, name: str):
        """NaN, Infinity and -Infinity, which Python's json reads and JSON has not."""
        raise SourceError(f"is not valid JSON ({name} is not a JSON number)", where=self.where, fix=self.fix)

    def _unique(self, pairs: list[tuple[str, object]]) -> dict:
        """An object of ``pairs``; SourceError for a key given twice (but @context: JSON-LD's, which real Mastodon
        exports repeat and nothing here reads)."""
        found = dict(pairs)
        if len(found) < len(pairs):
            keys = [key for key, _ in pairs if key != "@context"]
            twice = next((key for i, key in enumerate(keys) if key in keys[:i]), None)
            if twice is not None:
                raise SourceError(f"has the key {snippet(twice)} twice in one object", where=self.where, fix=self.fix)
        return found

    def document(self) -> object:
        """The whole document, which must be one value."""
        value = self.value()
        self.end()
        return value

    def char(self) -> str:
        """The next character that is not white space ("" at the end)."""
        if self.pos < len(self.text) and self.text[self.pos] not in " \t\n\r":
            return self.text[self.pos]
        while True:
            space = _SPACE.match(self.text, self.pos)
            assert space is not None  # [...]* matches anywhere, if only the empty string
            self.pos = space.end()
            if self.pos < len(self.text) or not self._more():
                return self.text[self.pos : self.pos + 1]

    def take(self, expected: str, what: str) -> str:
        """Step over the next character, one of ``expected``; else SourceError saying ``what`` was expected."""
        found = self.char()
        if not found or found not in expected:
            self._invalid(f"expecting {what}" if found else "", self.pos)
        self.pos += 1
        return found

    def value(self) -> object:
        """The next value."""
        self.char()
        while True:
            try:
                value, end = self.parse(self.text, self.pos)
            except json.JSONDecodeError as error:  # maybe only cut short by the end of what was read so far
                if len(self.text) - self.pos <= MAX_VALUE and self._more():
                    continue
                cut = error.pos >= len(self.text.rstrip()) or error.msg.startswith("Unterminated")
                self._invalid("" if self.eof and cut else error.msg, error.pos)
            except RecursionError:
                raise SourceError("is nested too deeply", where=self.where, fix=self.fix) from None
            if not self._cut(value, end) or not self._more():
                self.pos = end
                return value

    def _cut(self, value: object, end: int) -> bool:
        """Whether a number parsed from what was read so far may go on in the next piece ("12" of "12.5e3")."""
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return number and not self.eof and _NUMBER_TAIL.fullmatch(self.text, end) is not None

    def end(self) -> None:
        """SourceError unless only white space is left."""
        if self.char():
            self._invalid("extra data after its end", self.pos)

    def _more(self) -> bool:
        """Read the next piece, keeping the current value's start at self.pos; False at the end of the stream
        (nothing moves then, so positions in self.text stay good)."""
        if self.eof:
            return False
        data = self.stream.read(CHUNK)
        try:
            more = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError:
            raise SourceError("is not UTF-8 text", where=self.where, fix=self.fix) from None
        if not data:
            self.eof = True
            return False
        self.offset += self.pos
        self.text, self.pos = self.text[self.pos :] + more, 0
        return True

    def _invalid(self, problem: str, at: int):
        raise SourceError(
            f"is not valid JSON ({problem or 'it ends too early'}, at character {self.offset + at:,})",
            where=self.where,
            fix=self.fix,
        )
