"""The import graph points down: no module imports one from a layer above it (docs/concepts/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "hf_tweets"
# Lower layers are imported by higher ones, never the other way; packages on one layer do not import each other.
LAYERS = {
    "__init__": 0,
    "errors": 1,
    **dict.fromkeys(["settings", "fsutil", "text"], 2),
    "platforms": 3,
    "folders": 3,  # where a command works: data, cards, out, the opt-out list (settings' defaults)
    "cards": 4,
    "consent": 5,  # reads the opt-out list as strictly as records (cards/yamlio.py)
    "sources": 6,
    "limits": 2,
    "training": 7,
    "hub": 7,
    "journal": 3,
    "browser": 8,  # the browser copy of a model (training's models, hub's commits), the Space, the demo
    "pipeline": 9,
    "options": 10,  # the command line's shared options and run's whole set: cli's, and each batch bot's
    "fleet": 11,
    "cli": 12,
    "__main__": 13,
}


def part(module: str) -> str:
    """hf_tweets.cards.record -> cards; hf_tweets.cli -> cli; hf_tweets.__version__ -> __init__."""
    name = module.split(".")[1] if module.count(".") else "__init__"
    return name if name in LAYERS else "__init__"


def imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hf_tweets"):
            yield node.module if node.module != "hf_tweets" else f"hf_tweets.{node.names[0].name}"
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("hf_tweets."))


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_imports_point_down(path):
    own = part("hf_tweets." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts))
    upward = [m for m in imports(path) if part(m) != own and LAYERS[part(m)] >= LAYERS[own]]
    assert upward == [], (
        f"{path.relative_to(PACKAGE)} imports {upward} (layer {LAYERS[own]} may import only lower ones)"
    )


def _error_classes(path: Path) -> list[str]:
    """The classes a module defines on an hf-tweets error (by base name: the *Error classes and GaveUp)."""
    bases = {"HfTweetsError", "PublishError", "TrainError", "GaveUp"} | {
        node.name for node in ast.walk(ast.parse((PACKAGE / "errors.py").read_text())) if isinstance(node, ast.ClassDef)
    }
    return [
        node.name
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef)
        and any(getattr(base, "id", getattr(base, "attr", "")) in bases for base in node.bases)
    ]


def test_every_error_is_in_errors_py_and_in_its_tree():
    """One owner for errors: a class raised to the user is defined in errors.py and drawn in its docstring's tree."""
    import inspect

    from hf_tweets import errors

    elsewhere = {str(p.relative_to(PACKAGE)): _error_classes(p) for p in MODULES if p.name != "errors.py"}
    assert {path: names for path, names in elsewhere.items() if names} == {}
    tree = errors.__doc__.split("::", 1)[1]
    classes = [n for n, c in vars(errors).items() if inspect.isclass(c) and issubclass(c, errors.HfTweetsError)]
    lines = [line[4:] for line in tree.splitlines() if line.strip()]  # the block is indented by 4
    drawn = [line.strip(" │├└─").split()[0] for line in lines]
    assert sorted(classes) == sorted(drawn)
    parents, drawn_bases = {}, {}
    for line, name in zip(lines, drawn, strict=True):
        depth = (len(line) - len(line.lstrip(" │├└─"))) // 4  # each level is drawn 4 columns in
        parents[depth] = name
        drawn_bases[name] = parents.get(depth - 1, "Exception")
    assert drawn_bases == {name: getattr(errors, name).__bases__[0].__name__ for name in classes}
    raised = "\n".join(p.read_text(encoding="utf-8") for p in MODULES if p.name != "errors.py")
    assert [name for name in classes if name not in raised and name != "HfTweetsError"] == []  # none is dead
