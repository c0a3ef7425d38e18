"""The generated parts of the docs, made from the code they describe so they cannot drift from it.

Pages hold cog blocks (cogapp) that call the functions here: the commands from the click app's
``--help``, the environment variables from settings.py, the record schema from the pydantic models,
the errors from errors.py, the modules and their layers from the package and tests/test_layers.py,
the platforms from ``platforms.REGISTRY``.

    python docs/gen_reference.py            # rewrite the generated parts of every page
    python docs/gen_reference.py --check    # exit 5 when a page is out of date (tests/test_docs.py)
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import re
import sys
import tokenize
import types
import typing
from datetime import date
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
PACKAGE = ROOT / "src" / "hf_tweets"
REGENERATE = ".venv/bin/python docs/gen_reference.py"
HELP_WIDTH = 80  # the width of a terminal's --help


def pages() -> list[Path]:
    """The pages with generated parts."""
    return sorted(p for p in DOCS.rglob("*.md") if "[[[cog" in p.read_text(encoding="utf-8"))


def cog(*, check: bool = False, stdout=None) -> int:
    """Run cog over every page (in place, or only checking); cog's exit code (5: a page is out of date)."""
    from cogapp import Cog

    runner = Cog()
    if stdout is not None:
        runner.set_output(stdout=stdout, stderr=stdout)
    mode = (
        ["--check", "--diff", "--verbosity=1", "--check-fail-msg", f"run {REGENERATE}"]
        if check
        else ["-r", "--verbosity=1"]
    )
    return runner.main(["cog", *mode, "-I", str(DOCS), *map(str, pages())])


# -- text ------------------------------------------------------------------------------------------------------------


def _md(text: str) -> str:
    """A docstring's reStructuredText literals as Markdown code, on one line."""
    return " ".join(text.replace("``", "`").split())


def _paragraph(text: str) -> str:
    """A docstring paragraph as Markdown: an indented block (after a paragraph ending in ``::``) stays as drawn."""
    if text.startswith("    "):
        return "```text\n" + "\n".join(line[4:] for line in text.splitlines()) + "\n```"
    return _md(text[:-1] if text.endswith("::") else text)


def _cell(text: str) -> str:
    return _md(text).replace("|", "\\|")


def _first_sentence(doc: str | None) -> str:
    paragraph = _md((doc or "").strip().split("\n\n")[0])
    return re.split(r"(?<=[.!?])\s+(?=[A-Z`(])", paragraph)[0]


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# -- comments in source ------------------------------------------------------------------------------------------------


def _comments(path: Path) -> dict[int, str]:
    """Line number -> the comment on that line (without '#')."""
    with path.open("rb") as file:
        tokens = tokenize.tokenize(file.readline)
        return {t.start[0]: t.string[1:].strip() for t in tokens if t.type == tokenize.COMMENT}


def _above(lines: list[str], line: int, marker: str = "#") -> list[str]:
    """The comment lines directly above ``line`` (1-based) that start with ``marker``, top to bottom."""
    found = []
    while line > 1 and lines[line - 2].strip().startswith(marker):
        found.insert(0, lines[line - 2].strip()[len(marker) :].strip())
        line -= 1
    return found


# -- commands ----------------------------------------------------------------------------------------------------------


def _command_paths(command, path: tuple[str, ...] = ()):
    """Every command and subcommand of the click app, depth first, in the order --help lists them."""
    import click

    yield path, command
    if isinstance(command, click.Group):
        context = click.Context(command)
        for name in command.list_commands(context):
            yield from _command_paths(command.get_command(context, name), (*path, name))


def _help(path: tuple[str, ...]) -> str:
    from click.testing import CliRunner

    from hf_tweets.cli import cli

    result = CliRunner().invoke(
        cli, [*path, "--help"], prog_name="hf-tweets", terminal_width=HELP_WIDTH, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def commands() -> str:
    """A table of every command, then each one's --help."""
    from hf_tweets.cli import cli

    found = list(_command_paths(cli))
    rows = []
    for path, command in found[1:]:
        title = " ".join(("hf-tweets", *path))
        rows.append((f"[`{title}`](#{title.replace(' ', '-')})", _cell(command.get_short_help_str(limit=300))))
    out = [_table(("command", "what it does"), rows)]
    for path, _ in found:
        out.append(f"\n## {' '.join(('hf-tweets', *path))}\n\n```text\n{_help(path).rstrip()}\n```\n")
    return "".join(out)


# -- environment -------------------------------------------------------------------------------------------------------


def _documented_names(module: types.ModuleType) -> list[tuple[list[str], str]]:
    """(names, comment) for each ``#:`` comment of a module: it documents the assignments right below it, up to
    a blank line or the next comment."""
    path = Path(inspect.getsourcefile(module))
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[tuple[list[str], str]] = []
    previous_end = None
    for node in ast.parse("\n".join(lines)).body:
        if not isinstance(node, ast.Assign):
            previous_end = None
            continue
        names = [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        comment = _above(lines, node.lineno, "#:")
        if comment:
            found.append((names, " ".join(comment)))
        elif previous_end == node.lineno - 1 and found and not lines[node.lineno - 2].strip().startswith("#"):
            found[-1][0].extend(names)  # right below a documented assignment: the same comment
        previous_end = node.end_lineno if (comment or previous_end == node.lineno - 1) else None
    return found


def environment() -> str:
    """The variables hf-tweets reads (settings.py's ``*_ENV`` names and their ``#:`` comments)."""
    from hf_tweets import settings

    rows = []
    for names, comment in _documented_names(settings):
        variables = [getattr(settings, n) for n in names if n.endswith("_ENV")]
        if variables:
            shown = [f"`{v}` (secret)" if v in settings.SECRET_ENVS else f"`{v}`" for v in variables]
            rows.append((", ".join(shown), _cell(comment)))
    return _table(("variable", "meaning"), rows)


# -- record schema -----------------------------------------------------------------------------------------------------


def _models(model) -> list[type]:
    """``model`` and the models its fields hold, in the order they first appear."""
    from pydantic import BaseModel

    seen: list[type] = []

    def visit(kind) -> None:
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            if kind not in seen:
                seen.append(kind)
                for field in kind.model_fields.values():
                    visit(field.annotation)
        for arg in typing.get_args(kind):
            visit(arg)

    visit(model)
    return seen


def _type(kind) -> str:
    """A field's type in words, nested models linked to their section."""
    from pydantic import BaseModel

    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is typing.Annotated:
        return _type(args[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type(a) for a in args if a is not type(None))
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list of {_type(args[0])}"
    if origin is dict:
        return f"mapping of {_type(args[0])} to {_type(args[1])}"
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return f"[{kind.__name__}](#{kind.__name__.lower()})"
    words = {str: "text", int: "integer", float: "number", bool: "true/false", date: "date (YYYY-MM-DD)"}
    return words.get(kind, "scalar (a number, true/false or text)" if kind is typing.Any else str(kind))


def _limits(field) -> str:
    """Bounds pydantic checks: ``ge``/``le`` and list lengths, from the field and from its annotated type."""
    metadata = list(field.metadata)
    for arg in typing.get_args(field.annotation):
        metadata += [m for inner in getattr(arg, "__metadata__", ()) for m in getattr(inner, "metadata", [inner])]
    words = {"ge": ">= {:,}", "le": "<= {:,}", "min_length": "at least {:,}", "max_length": "at most {:,}"}
    parts = [words[name].format(getattr(m, name)) for m in metadata for name in words if hasattr(m, name)]
    return f" ({', '.join(parts)})" if parts else ""


def _default(field) -> str:
    if field.is_required():
        return "required"
    value = field.default_factory() if field.default_factory else field.default
    if value is None or isinstance(value, bool):
        return "`null`" if value is None else f"`{str(value).lower()}`"
    return f"`{value!r}`" if isinstance(value, (list, dict)) else f"`{value}`"


def _field_notes(model) -> dict[str, str]:
    """Field name -> the comments written with it in the class body: the lines above it, and at its end."""
    path = Path(inspect.getsourcefile(model))
    lines = path.read_text(encoding="utf-8").splitlines()
    comments = _comments(path)
    tree = ast.parse("\n".join(lines))
    cls = next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == model.__name__)
    notes = {}
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            own = [comments[n] for n in range(node.lineno, node.end_lineno + 1) if n in comments]
            note = " ".join(_above(lines, node.lineno) + own)
            notes[node.target.id] = note + ("." if note and not note.endswith(".") else "")
    return notes


def record() -> str:
    """Every model of a card record: its docstring, then a table of its fields."""
    from hf_tweets.cards.record import CardRecord

    out = []
    for model in _models(CardRecord):
        notes = _field_notes(model)
        rows = [
            (f"`{name}`", _type(field.annotation) + _limits(field), _default(field), _cell(notes.get(name, "")))
            for name, field in model.model_fields.items()
        ]
        out.append(f"\n### {model.__name__}\n\n{_md(inspect.getdoc(model) or '')}\n\n")
        out.append(_table(("field", "type", "default", "description"), rows))
    return "".join(out).lstrip("\n")


# -- errors ------------------------------------------------------------------------------------------------------------


def errors() -> str:
    """The module's docstring, then each exception type of errors.py with its base and docstring."""
    from hf_tweets import errors as module

    classes = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, Exception) and obj.__module__ == module.__name__
    ]
    classes.sort(key=lambda cls: inspect.getsourcelines(cls)[1])
    rows = [(f"`{c.__name__}`", f"`{c.__base__.__name__}`", _cell(inspect.getdoc(c) or "")) for c in classes]
    intro = "\n\n".join(_paragraph(p) for p in inspect.getdoc(module).split("\n\n"))
    return f"{intro}\n\n" + _table(("exception", "is a", "raised when"), rows)


# -- modules and layers ------------------------------------------------------------------------------------------------


def _layers() -> dict[str, int]:
    spec = importlib.util.spec_from_file_location("_test_layers", ROOT / "tests" / "test_layers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.LAYERS


def modules() -> str:
    """Every module of the package by layer (tests/test_layers.py), with the first sentence of its docstring."""
    layers = _layers()
    rows = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        package = len(parts) > 1 and parts[-1] == "__init__.py"
        name = f"{parts[0]}/" if package else "/".join(parts)
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        part = parts[0].removesuffix(".py")
        rows.append(((layers[part], part, not package and len(parts) > 1, name), _first_sentence(doc)))
    rows.sort()
    return _table(("layer", "module", "what it is"), [(str(key[0]), f"`{key[3]}`", _cell(doc)) for key, doc in rows])


# -- platforms ---------------------------------------------------------------------------------------------------------


def platforms() -> str:
    """Each platform of ``platforms.REGISTRY`` (a column): how an account is written, and what it becomes."""
    from hf_tweets import platforms as registry

    columns = []
    for kind in registry.REGISTRY.values():
        account = registry.parse_account(kind.example)
        forms = [kind.example, kind.display(account.handle), account.handle]
        forms += [f"{prefix}:{account.handle}" for prefix in kind.prefixes]
        forms = [f for i, f in enumerate(forms) if f not in forms[:i] and registry.parse_account(f) == account]
        columns.append(
            (
                ", ".join(f"`{form}`" for form in forms),
                f"`{account.handle}`",
                f"`{kind.profile_url(account.handle)}`",
                f"`{kind.slug(account.handle)}`",
                f"`data/raw/{kind.file_name(account.handle)}.jsonl`",
                f"{kind.post}s, {kind.repost}s",
            )
        )
    labels = ("on the command line", "canonical handle", "profile", "repo name", "post store", "words on the card")
    rows = [(label, *(column[i] for column in columns)) for i, label in enumerate(labels)]
    return _table(("", *(kind.title for kind in registry.REGISTRY.values())), rows)


if __name__ == "__main__":
    sys.exit(cog(check="--check" in sys.argv[1:], stdout=sys.stdout if "--check" in sys.argv[1:] else None))
