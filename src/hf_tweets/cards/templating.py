"""The Jinja side of rendering: the template folder, the loader, and the escaping guard.

Every ``{{ expression }}`` in a card template must produce text escaped for the
place it lands (a ``Safe`` string, from one of the filters or from the view the
renderer builds) or a number; the environment refuses anything else, so no
template can put a stranger's display name into a card unescaped.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2

from hf_tweets.errors import TemplateError
from hf_tweets.text import format_scalar, html_text, md_text, py_str

CARD_TEMPLATE = "card.md.j2"
_INCLUDE = re.compile(r'{%-?\s*include\s+"([^"]+)"(?:\s+if\s+(\w+)\s+else\s+"([^"]+)")?\s*-?%}')


class Safe(str):
    """Text already escaped for the place the template puts it."""


@functools.lru_cache(maxsize=1)
def bundled_templates_dir() -> Path:
    """The templates shipped with the package (wheel), or the repo's ``templates/`` (source checkout)."""
    package = Path(__file__).resolve().parents[1]  # hf_tweets/
    packaged = package / "templates"
    return packaged if packaged.is_dir() else package.parents[1] / "templates"


class InliningLoader(jinja2.FileSystemLoader):
    """Loads templates with their ``{% include "partial" %}`` tags replaced by the partial's text.

    Partials stay separate files for the people editing them, but a card is
    compiled as one template: Jinja's runtime includes cost a context and a
    lookup each, a large share of rendering thousands of cards. Each partial is
    wrapped in ``{% with %}`` so its ``{% set %}`` stays local, as with a real
    include. Supported: ``include "a"`` and ``include "a" if name else "b"``.
    """

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        checks = [uptodate]

        def inline(match: re.Match) -> str:
            parts = []
            for name in (match.group(1), match.group(3)):
                if name:
                    text, _, check = self.get_source(environment, name)
                    checks.append(check)
                    parts.append("{% with %}" + text.rstrip("\n") + "\n{% endwith %}")
            if match.group(2):
                return f"{{% if {match.group(2)} %}}{parts[0]}{{% else %}}{parts[1]}{{% endif %}}"
            return parts[0]

        # NFC here, once, so that cards (templates + NFC record text) need no per-card normalising.
        text = unicodedata.normalize("NFC", _INCLUDE.sub(inline, source))
        return text, filename, lambda: all(c() for c in checks)  # FileSystemLoader always gives a check


def _finalize(value: Any) -> Any:
    kind = type(value)
    if kind is Safe or kind is int or kind is float:  # the common cases, checked cheaply
        return value
    if value is None:
        return ""
    raise TemplateError(
        f"template outputs the unescaped value {str(value)[:40]!r}; pipe it through |html, |md, |url or |py"
    )


def _escaper(escape):
    return lambda value: Safe(escape(value if type(value) is str else str(value)))


FILTERS = {
    "html": _escaper(html_text),
    "md": _escaper(md_text),
    "url": _escaper(html_text),  # URLs are validated on load: no quotes, spaces or parentheses to break out with
    "py": _escaper(py_str),  # repr(): a valid Python literal, single-quoted like the legacy cards
    "scalar": lambda value: Safe(md_text(format_scalar(value))),
}


@functools.lru_cache(maxsize=8)
def environment(templates_dir: Path) -> jinja2.Environment:
    """A Jinja environment for one template folder, with the escaping filters; cached."""
    if not (templates_dir / CARD_TEMPLATE).is_file():
        raise TemplateError(
            f"{templates_dir}: no {CARD_TEMPLATE} there; point --templates-dir at a folder that has one"
        )
    env = jinja2.Environment(
        loader=InliningLoader(templates_dir),
        autoescape=False,  # the output is Markdown: escaping is per context, by the filters
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
        auto_reload=False,  # no stat() per card; reload_templates() picks up edits
    )
    env.filters.update(FILTERS)
    return env


@functools.lru_cache(maxsize=8)
def card_template(templates_dir: Path) -> jinja2.Template:
    """The compiled card template of a template folder."""
    try:
        return environment(templates_dir).get_template(CARD_TEMPLATE)
    except jinja2.TemplateError as error:
        raise TemplateError(f"template error: {error}", fix="fix the template") from None


def reload_templates() -> None:
    """Forget compiled templates, so the next render reads the template files again."""
    environment.cache_clear()
    card_template.cache_clear()
