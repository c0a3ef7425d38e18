"""The YAML dialect of card records: safe, strict about what a hand edit can get wrong, and readable to write.

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
* nesting deeper than ``MAX_DEPTH`` is a ``YamlProblem``: libyaml's composer
  recurses in C and crashes the process (a segfault) somewhere past 10,000
  levels, so deep text is measured on the event stream before it is composed.

Writing (``dump``) uses the Python emitter, which keeps emoji readable.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

MAX_DIGITS = 30
MAX_DEPTH = 100
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
        if _could_be_deep(text):
            _check_depth(text)
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


def _could_be_deep(text: str) -> bool:
    # Each level costs a '[', '{' or '-', or a line of growing indent: few of those, no deep nesting.
    return text.count("[") + text.count("{") + text.count("-") > 2 * MAX_DEPTH or len(text) > 1_000_000


def _check_depth(text: str) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=_CParser):  # libyaml's parser keeps a stack, not C recursion
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlProblem(
                    event.start_mark.line + 1, f"is nested more than {MAX_DEPTH} levels deep; a card record is not"
                )
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1


def dump(data: Any) -> str:
    """YAML text for plain data, keys in the given order, Unicode kept readable."""
    # The Python emitter, not libyaml's: libyaml writes emoji as \U escapes, which make poor diffs.
    return yaml.dump(data, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=True, width=4096)
