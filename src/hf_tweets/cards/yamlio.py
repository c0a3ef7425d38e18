"""The YAML dialect of card records (and batch files): safe, strict about what a hand edit can get wrong, readable.

Reading (``load``):
* only plain data (the safe loader: no Python objects);
* ``1e-4`` is a float, as in YAML 1.2 (PyYAML's YAML 1.1 reads it as text);
* dates stay text, so the record's validation names the field of a bad one
  (``2021-02-30``) instead of the YAML library raising a bare ValueError;
* a key given twice in one mapping is refused with both line numbers (YAML
  libraries keep the last one silently, and the next save would drop the other);
* a number too long to be a count (over 30 digits) is kept as an ``Oversized``
  value that validation refuses by field, rather than an int the rest of the
  program cannot print;
* nesting deeper than ``MAX_DEPTH`` is a ``YamlProblem``, measured here on the
  text before any YAML library reads it: libyaml's composer once recursed in C
  and crashed the process past 10,000 levels, and PyYAML 6.0.4 stops at 1,000
  with a message of its own; the record's message must not depend on either.

Writing (``dump``) uses the Python emitter, which keeps emoji readable.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import yaml

MAX_DIGITS = 30
MAX_DEPTH = 100
if TYPE_CHECKING:  # libyaml's loader constructs as the pure-Python one does; the checker sees that one
    _CParser = yaml.SafeLoader
else:
    _CParser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class YamlProblem(Exception):
    """Text that is not a record's YAML: a line number (or None) and what is wrong."""

    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line, self.message = line, message


class Oversized:
    """A number with more digits than any count or setting has; validation refuses it by field."""

    def __init__(self, text: str):
        self.digits = len(text.lstrip("+-"))

    def __repr__(self) -> str:
        return f"a {self.digits:,}-digit number"


class _Loader(_CParser):
    """Safe YAML with the rules in the module docstring."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                key, line = key_node.value, key_node.start_mark.line + 1
                if key in seen:
                    raise YamlProblem(line, f"{key!r} is set twice (lines {seen[key]} and {line}); keep one of them")
                seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_binary(self, node):
        raise YamlProblem(node.start_mark.line + 1, "holds binary data (!!binary); a record holds text")

    def construct_yaml_int(self, node):
        text = self.construct_scalar(node).replace("_", "")
        if len(text.lstrip("+-")) > MAX_DIGITS:
            return Oversized(text)
        return super().construct_yaml_int(node)


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:binary", _Loader.construct_yaml_binary)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)
# Dates stay text: the record's validation parses them and names the field when one is wrong.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
}


def load(text: str) -> Any:
    """Parse a record's YAML; YamlProblem says where and what is wrong."""
    try:
        if (line := nesting(text)[1]) is not None:
            raise YamlProblem(line, f"is nested more than {MAX_DEPTH} levels deep; a card record is not")
        return yaml.load(text, Loader=_Loader)
    except YamlProblem:
        raise
    except yaml.YAMLError as error:
        mark, problem = getattr(error, "problem_mark", None), getattr(error, "problem", None) or str(error)
        message = (
            f"is not valid YAML ({problem}); fix the syntax"
            if "Unicode character escape" not in problem
            else "holds a broken character escape (such as \\ud800, half of a character); remove it"
        )
        raise YamlProblem(mark.line + 1 if mark else None, message) from None
    except RecursionError:
        raise YamlProblem(None, "is nested too deeply to be a card record") from None
    except (ValueError, TypeError, OverflowError) as error:  # a constructor refusing a value (an explicit !!tag)
        raise YamlProblem(None, f"has a value YAML cannot read ({error}); fix it") from None


# -- nesting, measured on the text itself ---------------------------------------------------------------

# YAML's line breaks (PyYAML counts each as a line, so the line numbers agree with its marks).
_LINES = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
# A block sequence entry ("- "), an explicit key ("? ") or its value (": "), then a space or the line's end.
_ENTRY = re.compile(r"([-?:])(?:[ \t]+|$)")
# An implicit key: a quoted or plain scalar, then ':' and a space or the line's end.
_KEY = re.compile(
    r"""(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'"""  # a quoted key
    r"""|(?:[^\s#'"\[\]{},&*!|>%@`?:-]|[-?:][^\s])(?:[^ \t]|[ \t]+(?!#))*?)"""  # a plain one (' #' is a comment)
    r"[ \t]*:(?:[ \t]|$)"
)
_DOCUMENT = re.compile(r"(?:---|\.\.\.)(?=[ \t]|$)")
# Nothing on the rest of a block line can open a collection or a scalar of several lines without one of these.
_INTERESTING = re.compile(r"""[\[{"'|>&!]""")


class _Depth:
    """How deep a YAML text nests, read from its indentation and indicators, line by line.

    It counts what the YAML library composes: each block mapping and sequence (an indentless
    sequence under a key included) and each flow collection, skipping comments, quoted scalars
    and block scalars. It does not parse: it only has to tell a record (a few levels) from a
    text that nests past the limit, before any YAML library sees it.
    """

    def __init__(self, limit: int) -> None:
        self.limit, self.deepest = limit, 0
        self.blocks: list[tuple[int, str]] = []  # open block collections: (column, "map" or "seq")
        self.flow = 0
        self.quote = ""  # the quote of a scalar that goes on past the line's end
        self.value_start = True  # inside a flow collection: the next character may start a node
        self.literal_above: int | None = None  # in a block scalar: lines indented past this column are its text

    def deeper(self) -> bool:
        """Note the depth now; True once it has gone past the limit."""
        self.deepest = max(self.deepest, len(self.blocks) + self.flow)
        return self.deepest > self.limit

    def line(self, line: str) -> bool:
        """Read one line; True once the nesting has gone past the limit."""
        if _DOCUMENT.match(line):
            self.blocks, self.flow, self.quote, self.literal_above = [], 0, "", None
            return self.rest(line, 3, start=True)
        if self.quote or self.flow:
            return self.rest(line, 0, start=self.value_start)
        content = line.lstrip(" ")
        indent = len(line) - len(content)
        if self.literal_above is not None:
            if not content.strip() or indent > self.literal_above:
                return False
            self.literal_above = None
        if not content or content[0] == "#" or (indent == 0 and content[0] == "%"):
            return False
        while self.blocks and self.blocks[-1][0] > indent:
            self.blocks.pop()
        column = indent
        while entry := _ENTRY.match(line, column):
            self.open(column, "seq" if entry.group(1) == "-" else "map")
            column = entry.end()
            if self.deeper():
                return True
        if _KEY.match(line, column):
            self.open(column, "map")
        return self.deeper() or self.rest(line, column, start=True)

    def open(self, column: int, kind: str) -> None:
        top = self.blocks[-1] if self.blocks else None
        if top is None or top[0] != column:
            self.blocks.append((column, kind))
        elif top[1] == kind:
            return
        elif kind == "seq":  # "- " at a key's column: an indentless sequence, the key's value
            self.blocks.append((column, kind))
        else:  # a key at the column of an indentless sequence: the sequence ended, its mapping goes on
            self.blocks.pop()
            self.open(column, kind)

    def rest(self, line: str, i: int, *, start: bool) -> bool:
        """Scan the line from ``i`` for flow collections, quoted scalars and block scalars."""
        if not (self.quote or self.flow) and not _INTERESTING.search(line, i):
            return False
        n = len(line)
        while i < n:
            c = line[i]
            if self.quote:
                i, start = self.close_quote(line, i), False
                continue
            if c in " \t":
                i += 1
                continue
            if c == "#" and (i == 0 or line[i - 1] in " \t"):
                break
            if start and c in "\"'":
                self.quote, i = c, i + 1
                continue
            if start and c in "&!":  # an anchor or a tag: the node comes after it
                while i < n and line[i] not in " \t,[]{}":
                    i += 1
                continue
            if c in "[{" and (start or self.flow):
                self.flow, i, start = self.flow + 1, i + 1, True
                if self.deeper():
                    return True
                continue
            if self.flow:
                if c in "]}":
                    self.flow, start = max(self.flow - 1, 0), False
                elif c == "," or (c in ":?" and (i + 1 == n or line[i + 1] in " \t,[]{}")):
                    start = True
                else:
                    start = False
            elif start and c in "|>":  # a block scalar: the lines below it are text
                self.literal_above = self.blocks[-1][0] if self.blocks else -1
                break
            else:
                start = c == ":" and (i + 1 == n or line[i + 1] in " \t")
            i += 1
        self.value_start = start
        return False

    def close_quote(self, line: str, i: int) -> int:
        """Where the open quoted scalar ends on this line (and forget the quote), or the line's end."""
        quote, n = self.quote, len(line)
        while i < n:
            if quote == '"' and line[i] == "\\":
                i += 2
            elif line[i] == quote and quote == "'" and line[i + 1 : i + 2] == "'":
                i += 2
            elif line[i] == quote:
                self.quote = ""
                return i + 1
            else:
                i += 1
        return n


def nesting(text: str, limit: int = MAX_DEPTH) -> tuple[int, int | None]:
    """How deep ``text`` nests (read no further than past ``limit``), and the line where it passed it (or None)."""
    depth = _Depth(limit)
    for number, line in enumerate(_LINES.split(text), 1):
        if depth.line(line):
            return depth.deepest, number
    return depth.deepest, None


def dump(data: Any) -> str:
    """YAML text for plain data, keys in the given order, Unicode kept readable."""
    # The Python emitter, not libyaml's: libyaml writes emoji as \U escapes, which make poor diffs.
    return yaml.dump(data, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=True, width=4096)
