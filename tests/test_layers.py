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
    "cards": 4,
    "consent": 5,  # reads the opt-out list as strictly as records (cards/yamlio.py)
    "sources": 6,
    "limits": 2,
    "training": 7,
    "hub": 7,
    "journal": 3,
    "browser": 8,  # the browser copy of a model (training's models, hub's commits), the Space, the demo
    "pipeline": 9,
    "fleet": 10,
    "cli": 11,
    "__main__": 12,
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
