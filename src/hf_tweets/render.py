"""Render a card record into the model card (README.md): a pure function of record + templates.

The front matter comes from huggingface_hub's ``ModelCardData``; the body from
Jinja templates compiled once per template folder. Every ``{{ expression }}``
in a template must pass through one escaping filter (``html``, ``md``, ``url``,
``py``) or be a number: the renderer refuses raw strings, so no template can
put a stranger's display name into the card unescaped.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path
from typing import Any

import jinja2
import yaml
from huggingface_hub import ModelCardData

from . import settings
from .errors import TemplateError
from .record import CardRecord
from .text import format_scalar, html_text, md_text, py_str

CARD_TEMPLATE = "card.md.j2"
TAGS = ["huggingtweets", "hf-tweets", "text-generation"]
X_URL = "https://x.com/"
HUB_URL = "https://huggingface.co/"

_CDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class Safe(str):
    """Text already escaped for the place the template puts it."""


def bundled_templates_dir() -> Path:
    """The templates shipped with the package (wheel), or the repo's ``templates/`` (source checkout)."""
    packaged = Path(__file__).with_name("templates")
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "templates"


def _finalize(value: Any) -> Any:
    if value is None or isinstance(value, (Safe, int, float)):
        return "" if value is None else value
    raise TemplateError(
        f"template outputs the unescaped value {str(value)[:40]!r}; pipe it through |html, |md, |url or |py"
    )


@functools.lru_cache(maxsize=8)
def environment(templates_dir: Path) -> jinja2.Environment:
    """A Jinja environment for one template folder, with the escaping filters; cached."""
    if not (templates_dir / CARD_TEMPLATE).is_file():
        raise TemplateError(f"{templates_dir}: no {CARD_TEMPLATE} there; point --templates-dir at a folder that has one")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=False,  # the output is Markdown: escaping is per context, by the filters
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
        auto_reload=True,  # a changed template file is picked up by the next render
    )
    env.filters.update(
        html=lambda v: Safe(html_text(str(v))),
        md=lambda v: Safe(md_text(str(v))),
        url=lambda v: Safe(html_text(str(v))),  # URLs are validated on load: no quotes, spaces, parentheses
        py=lambda v: Safe(py_str(str(v))),  # repr: a valid Python literal, quotes as the legacy cards
        scalar=lambda v: Safe(md_text(format_scalar(v))),
    )
    return env


def card_data(record: CardRecord) -> ModelCardData:
    """The card's front matter as huggingface_hub metadata."""
    return ModelCardData(
        language=record.language,
        license=record.license,
        base_model=record.base_model,
        library_name="transformers",
        pipeline_tag="text-generation",
        tags=TAGS,
        thumbnail=record.thumbnail,
        widget=[{"text": record.widget_prompt}],
    )


@functools.lru_cache(maxsize=4096)
def _yaml_entry(key: str, frozen: Any) -> str:
    return dump_yaml({key: _thaw(frozen)})


def dump_yaml(data: Any) -> str:
    """YAML as huggingface_hub writes it (unicode kept), with libyaml's speed when it can."""
    text = yaml.dump(data, Dumper=_CDumper, sort_keys=False, allow_unicode=True, width=4096)
    if "\\U" in text:  # libyaml escapes characters beyond the BMP (emoji); the Python emitter keeps them
        text = yaml.dump(data, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=True, width=4096)
    return text


def front_matter(data: ModelCardData) -> str:
    """YAML for the metadata, dumped one top-level key at a time so repeated entries are cached."""
    return "".join(_yaml_entry(k, _freeze(v)) for k, v in data.to_dict().items())


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return ("\0dict", tuple((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("\0list", tuple(_freeze(v) for v in value))
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, tuple) and value and value[0] == "\0dict":
        return {k: _thaw(v) for k, v in value[1]}
    if isinstance(value, tuple) and value and value[0] == "\0list":
        return [_thaw(v) for v in value[1]]
    return value


def base_model_label(base_model: str) -> str:
    """How the card names the base model: GPT-2 for the GPT-2 family, else its id."""
    name = base_model.rsplit("/", 1)[-1]
    return {"gpt2": "GPT-2", "gpt2-medium": "GPT-2 Medium", "gpt2-large": "GPT-2 Large", "gpt2-xl": "GPT-2 XL", "distilgpt2": "DistilGPT2"}.get(name, base_model)


def context(record: CardRecord) -> dict[str, Any]:
    """What the templates see: the record plus the few things derived from it."""
    training = record.training
    return {
        "record": record,
        "repo_id": record.repo_id,
        "users": record.users,
        "multi": len(record.users) > 1,
        "wandb": record.wandb,
        "training": training,
        "hyperparameters": list(training.hyperparameters.items()) if training else [],
        "base_model_label": base_model_label(record.base_model),
        "base_model_url": HUB_URL + record.base_model,
        "x_url": X_URL,
    }


_BLANK_RUNS = re.compile(r"\n{3,}")


def render_body(record: CardRecord, templates_dir: Path | None = None) -> str:
    """The Markdown below the front matter."""
    env = environment(templates_dir or settings.templates_dir_override() or bundled_templates_dir())
    try:
        body = env.get_template(CARD_TEMPLATE).render(context(record))
    except jinja2.TemplateError as error:
        raise TemplateError(f"template error: {error}; fix the template") from None
    return _BLANK_RUNS.sub("\n\n", body).strip("\n") + "\n"


def render(record: CardRecord, templates_dir: Path | None = None) -> str:
    """The whole README.md for a record: front matter and body, UTF-8 NFC text."""
    text = f"---\n{front_matter(card_data(record))}---\n\n{render_body(record, templates_dir)}"
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)
