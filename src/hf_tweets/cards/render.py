"""Render a card record into the model card (README.md): a pure function of record + templates.

The front matter comes from huggingface_hub's ``ModelCardData``; the body
from the Jinja templates (see templating.py), which see the record plus a
view of it whose texts are already escaped for where they go.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
import yaml
from huggingface_hub import EvalResult, ModelCardData
from huggingface_hub.repocard_data import eval_results_to_model_index

from hf_tweets import platforms, settings
from hf_tweets.cards import labels
from hf_tweets.cards.record import CardRecord, User, random_base, thumbnail_url, try_it_url
from hf_tweets.cards.templating import FILTERS, Safe, bundled_templates_dir, card_template
from hf_tweets.errors import TemplateError
from hf_tweets.platforms import Account

TAGS = ["huggingtweets", "hf-tweets", "text-generation"]
ADAPTER_TAGS = [*TAGS, "lora"]
HUB_URL = "https://huggingface.co/"
_GPT2_FAMILY = {
    "gpt2": "GPT-2",
    "gpt2-medium": "GPT-2 Medium",
    "gpt2-large": "GPT-2 Large",
    "gpt2-xl": "GPT-2 XL",
    "distilgpt2": "DistilGPT2",
}
_CDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_CLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_html, _md, _url = FILTERS["html"], FILTERS["md"], FILTERS["url"]


def card_data(record: CardRecord, endpoint: str | None = None) -> ModelCardData:
    """The card's front matter as huggingface_hub metadata (a repo-file thumbnail resolved on ``endpoint``)."""
    adapter = record.weights == "adapter"
    results = _eval_results(record)
    relation: dict[str, Any] = {"base_model_relation": "adapter"} if adapter else {}
    return ModelCardData(
        language=record.language,
        license=record.license,
        base_model=record.base_model,
        library_name="peft" if adapter else "transformers",
        pipeline_tag="text-generation",
        tags=ADAPTER_TAGS if adapter else TAGS,
        eval_results=results,
        model_name=record.name if results else None,  # the model-index's name; without results, no key at all
        **relation,
        thumbnail=thumbnail_url(record, endpoint),
        widget=[widget_example(record)],
    )


def widget_example(record: CardRecord) -> dict[str, Any]:
    """The widget's example: the prompt, and the first sample as its output (samples copy no training post:
    pipeline.add_samples keeps originals only), which the Hub shows where no Inference Provider serves the model:
    under it, on a line of its own, the label that says who wrote it (the importer reads the prompt only)."""
    example: dict[str, Any] = {"text": record.widget_prompt}
    if not record.samples:
        return example
    return example | {"output": {"text": f"{record.samples[0]}\n\n{labels.machine_label(record.repo_id)}"}}


# The eval data's ``type`` in the model-index. It is meant to be a Hub dataset id, but the posts are on no Hub
# dataset: a ':' can be in no repo id, so this value links to no one else's dataset, and it names this model's
# repo, as each model's held-out posts are its own (a leaderboard must not rank losses measured on different posts).
EVAL_DATASET_TYPE = "hf-tweets:{repo_id}"
EVAL_SPLIT = "eval"  # the held-out posts prepare writes to eval.txt
_EVAL_NAMES = (labels.METRICS["eval_loss"], labels.METRICS["eval_perplexity"])


def _eval_results(record: CardRecord) -> list[EvalResult] | None:
    """The eval loss and perplexity as a model-index's results, or None when the record has no eval loss."""
    training = record.training
    if training is None or training.eval_loss is None:
        return None
    perplexity = training.eval_perplexity
    assert perplexity is not None  # it is exp(eval_loss)
    accounts = record.accounts
    words = labels.words_of(a.platform for a in accounts)
    common: dict[str, Any] = {
        "task_type": "text-generation",
        "task_name": "Text Generation",
        "dataset_type": EVAL_DATASET_TYPE.format(repo_id=record.repo_id),
        "dataset_name": labels.eval_dataset_name(words, [str(a) for a in accounts]),
        "dataset_split": EVAL_SPLIT,
    }
    return [
        EvalResult(**common, metric_type="loss", metric_value=training.eval_loss, metric_name=_EVAL_NAMES[0]),
        EvalResult(
            **common,
            metric_type="perplexity",
            metric_value=round(perplexity, 2),  # as the card's metrics table shows it
            metric_name=_EVAL_NAMES[1],
        ),
    ]


_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


def dump_yaml(data: dict[str, Any]) -> str:
    """YAML as huggingface_hub writes it (unicode kept), with libyaml's speed when it can."""
    try:
        text = yaml.emit(_events(data), Dumper=_CDumper, allow_unicode=True, width=4096)
    except _Unusual:
        text = yaml.dump(data, Dumper=_CDumper, sort_keys=False, allow_unicode=True, width=4096)
    if "\\U" in text:  # libyaml escapes characters beyond the BMP (emoji); the Python emitter keeps them,
        readable = yaml.dump(data, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=True, width=4096)
        if yaml.load(readable, Loader=_CLoader) == data:  # but garbles some line breaks (NEL), so check
            text = readable
    return text


# yaml.dump's representer and serializer are Python: a model-index costs them twice what libyaml's emitter takes to
# write it from events. For plain data (dicts with str keys, lists, str, int, float, bool), _events makes the events
# they would make, each scalar's from SafeRepresenter and the Resolver as they do, and caches each scalar's event: the
# keys and most values repeat from card to card. Anything else (None, a tuple, one object twice) goes to yaml.dump;
# tests/test_card_models.py checks both give yaml.dump's text.
class _Unusual(Exception):
    """A value the event path leaves to yaml.dump."""


_Representer = yaml.representer.SafeRepresenter
_REPRESENT: dict[type, Callable[[yaml.representer.SafeRepresenter, Any], yaml.ScalarNode]] = {
    str: _Representer.represent_str,
    int: _Representer.represent_int,
    float: _Representer.represent_float,
    bool: _Representer.represent_bool,
}
_REPRESENTER, _RESOLVER = _Representer(), yaml.resolver.Resolver()
_HEAD = (yaml.StreamStartEvent(), yaml.DocumentStartEvent(explicit=False))
_TAIL = (yaml.DocumentEndEvent(explicit=False), yaml.StreamEndEvent())
_MAP_START, _MAP_END = yaml.MappingStartEvent(None, _MAP, True, flow_style=False), yaml.MappingEndEvent()
_SEQ_START, _SEQ_END = yaml.SequenceStartEvent(None, _SEQ, True, flow_style=False), yaml.SequenceEndEvent()


def _events(data: dict[str, Any]) -> list[yaml.Event]:
    events = [*_HEAD]
    _add_events(data, events, set())
    events += _TAIL
    return events


def _add_events(value: Any, events: list[yaml.Event], seen: set[int]) -> None:
    kind: type = type(value)
    if kind in _REPRESENT:
        events.append(_scalar_event(kind, value, math.copysign(1.0, value) if kind is float else 1.0))
        return
    if (kind is not dict and kind is not list) or id(value) in seen:  # yaml.dump would alias a repeated object
        raise _Unusual
    seen.add(id(value))
    if kind is list:
        events.append(_SEQ_START)
        for item in value:
            _add_events(item, events, seen)
        events.append(_SEQ_END)
        return
    events.append(_MAP_START)
    for key, item in value.items():
        if type(key) is not str:
            raise _Unusual
        events.append(_scalar_event(str, key))
        _add_events(item, events, seen)
    events.append(_MAP_END)


@functools.lru_cache(maxsize=8192)
def _scalar_event(kind: type, value: Any, sign: float = 1.0) -> yaml.ScalarEvent:
    """The event Serializer makes of the node SafeRepresenter makes of ``value`` (keyed by type, 1 is not True, and
    by a float's sign, -0.0 is not 0.0, though both are equal)."""
    node = _REPRESENT[kind](_REPRESENTER, value)
    implicit = (
        node.tag == _RESOLVER.resolve(yaml.ScalarNode, node.value, (True, False)),
        node.tag == _RESOLVER.resolve(yaml.ScalarNode, node.value, (False, True)),
    )
    return yaml.ScalarEvent(None, node.tag, implicit, node.value, style=node.style)


def _metadata(data: ModelCardData) -> dict[str, Any]:
    # What to_dict() gives, without its deep copy of every value (we only read them): the set values, with the
    # eval results and model name turned into a model-index, last, by huggingface_hub's own function.
    values = {key: value for key, value in vars(data).items() if value is not None}
    results = values.pop("eval_results", None)
    if results is not None:
        values.pop("model_name", None)
        assert data.model_name is not None  # ModelCardData refuses eval results without a model name
        values["model-index"] = eval_results_to_model_index(data.model_name, results)
    return values


_ENTRIES: dict[tuple[str, str], str] = {}  # (key, value or its repr) -> YAML; bounded below
_UNIQUE = frozenset({"model-index"})  # it holds the eval loss: no two cards share it, so no cache (nor its repr)


def front_matter(data: ModelCardData) -> str:
    """YAML for the metadata, dumped one top-level key at a time so that repeated entries are cached."""
    parts = []
    for key, value in _metadata(data).items():
        if key in _UNIQUE:
            parts.append(dump_yaml({key: value}))
            continue
        cache_key = (key, value if type(value) is str else repr(value))
        text = _ENTRIES.get(cache_key)
        if text is None:
            if len(_ENTRIES) >= 8192:
                _ENTRIES.clear()
            text = _ENTRIES[cache_key] = dump_yaml({key: value})
        parts.append(text)
    return "".join(parts)


def _plain(count: int) -> Safe:
    """A number as a card shows it: 3192, as huggingtweets' cards did. Cards are in many languages and a thousands
    separator is English; the importer still reads the 3,192 that hf-tweets' cards showed before issue 20."""
    return Safe(str(count))


@dataclass(slots=True)
class AccountView:
    """One account, as the templates list them: the handle escaped for each place, its profile, what follows."""

    handle: Safe  # letters, digits and '_' only: the same in HTML, a URL and a title attribute
    handle_md: Safe
    profile_url: Safe
    list_sep: Safe  # what follows it when a sentence lists the accounts: ", ", " and " or ""

    @classmethod
    def of(cls, account: Account, index: int, count: int) -> AccountView:
        url = platforms.get(account.platform).profile_url(account.handle)
        return cls(Safe(account.handle), _md(account.handle), _url(url), _list_sep(index, count))


def _list_sep(index: int, count: int) -> Safe:
    return Safe(", " if index < count - 2 else (" and " if index == count - 2 else ""))


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs twice as much
class UserView:
    """One user as the templates place it, every text escaped for where it goes (no handle: see ``accounts``)."""

    handle: Safe | None  # None when the record does not tie this user to an account (CardRecord.paired)
    handle_md: Safe | None
    name_html: Safe
    name_md: Safe
    profile_url: Safe | None
    avatar_url: Safe | None
    downloaded: Safe  # counts as plain integers: 3192 (see _plain)
    retweets: Safe
    short: Safe
    cw: Safe
    kept: Safe
    last: bool
    list_sep: Safe  # what follows this user when a sentence lists the users: ", ", " and " or ""

    @classmethod
    def of(cls, user: User, index: int, count: int) -> UserView:
        c, handle = user.counts, user.handle
        return cls(
            _html(handle) if handle else None,  # X handles need no escaping; others have '.', '@', ':' (also safe)
            _md(handle) if handle else None,
            _html(user.display_name),
            _md(user.display_name),
            _url(platforms.get(user.platform).profile_url(handle)) if handle else None,
            _url(user.avatar) if user.avatar else None,
            _plain(c.downloaded),
            _plain(c.retweets),
            _plain(c.short),
            _plain(c.cw or 0),
            _plain(c.kept),
            index == count - 1,
            _list_sep(index, count),
        )


def base_model_label(base_model: str | None) -> str:
    """How the card names the base model: GPT-2 for the GPT-2 family, else its id ("" when there is none)."""
    return "" if base_model is None else _GPT2_FAMILY.get(base_model.rsplit("/", 1)[-1], base_model)


# How each metric is written in the card (the importer reads these back), with no thousands separator.
_SHOWN: dict[str, Callable[[Any], str]] = {
    "train_loss": repr,
    "eval_loss": repr,
    "eval_perplexity": lambda value: f"{value:.2f}",
    "tokens_seen": str,
    "train_seconds": lambda value: f"{value} s",
}


def _metrics(record: CardRecord) -> list[tuple[Safe, Safe]]:
    training = record.training
    if training is None:
        return []
    values = {key: getattr(training, key) for key in labels.METRICS}
    return [(_md(labels.METRICS[key]), Safe(_SHOWN[key](value))) for key, value in values.items() if value is not None]


def _consent(record: CardRecord, words: labels.Words, endpoint: str | None) -> SimpleNamespace | None:
    """The consent section's sentences, escaped for Markdown (they name the users); the take-down link goes to
    the repo's discussions on ``endpoint`` (default: the configured Hub)."""
    if record.consent is None:
        return None
    names = [str(_md(u.display_name)) for u in record.users]  # the only text of strangers here
    listed = labels.listing(names)
    url = _url(labels.takedown_url(endpoint or settings.hub_endpoint(), record.repo_id))
    return SimpleNamespace(
        sentence=Safe(labels.consent_sentence(record.consent, words, len(names), labels.where_of(record.accounts))),
        machine_made=Safe(labels.MACHINE_MADE.format(names=listed)),
        takedown=Safe(labels.TAKEDOWN.format(names=listed, url=url)),
    )


def _copies(record: CardRecord, words: labels.Words) -> SimpleNamespace | None:
    """The copy check's sentences (our words and numbers: nothing to escape), or None when it was not run."""
    copies = record.training.copies if record.training else None
    if copies is None:
        return None
    return SimpleNamespace(
        rate=Safe(labels.copies_sentence(copies, words)), shown=Safe(words.fill(labels.COPIES_SHOWN))
    )


def context(record: CardRecord, endpoint: str | None = None) -> dict[str, Any]:
    """What the templates see: the record, and views of it escaped for the card (links to the Hub on
    ``endpoint``)."""
    training, count = record.training, len(record.users)
    label = base_model_label(record.base_model)
    words = labels.words_of(a.platform for a in record.accounts)
    dates = labels.dates_sentence(
        training.oldest_tweet.isoformat() if training and training.oldest_tweet else None,
        training.newest_tweet.isoformat() if training and training.newest_tweet else None,
        words,
    )
    return {
        "record": record,
        "labels": labels.for_templates(Safe, words),
        "repo_id": record.repo_id,
        "users": [UserView.of(u, i, count) for i, u in enumerate(record.users)],
        "accounts": [AccountView.of(h, i, count) for i, h in enumerate(record.accounts)],
        "paired": record.paired,  # False: the card must not say which user is which account
        "cw": any(u.counts.cw for u in record.users),  # a row for posts left out behind a content warning
        "consent": _consent(record, words, endpoint),
        "copies": _copies(record, words),
        "multi": count > 1,
        "wandb": record.wandb,
        "hyperparameters": [(_md(k), FILTERS["scalar"](v)) for k, v in training.hyperparameters.items()]
        if training
        else [],
        "metrics": _metrics(record),
        "versions": [(_md(k), _md(v)) for k, v in training.versions.items()] if training else [],
        "samples": [_md(sample) for sample in record.samples],
        "samples_label": _md(labels.machine_label(record.repo_id)),
        "dates": Safe(dates) if dates else None,  # ISO dates and our words: nothing to escape
        "posts_kept": _plain(sum(u.counts.kept for u in record.users)),
        "base_model_label": label,
        "base_model_gpt2": label in _GPT2_FAMILY.values(),
        "base_model_url": HUB_URL + (record.base_model or ""),
        "base_model_random": random_base(record.base_model),  # a tiny GPT-2 hf-tweets initialised at random
        "adapter": record.weights == "adapter",
        "try_it_url": _url(try_it_url(record, endpoint)),
    }


def render_body(record: CardRecord, templates_dir: Path | None = None, endpoint: str | None = None) -> str:
    """The Markdown below the front matter."""
    template = card_template(templates_dir or settings.templates_dir_override() or bundled_templates_dir())
    try:
        body = template.render(context(record, endpoint))
    except jinja2.TemplateError as error:
        raise TemplateError(f"template error: {error}", fix="fix the template") from None
    while "\n\n\n" in body:  # sections left out leave blank runs; str.replace beats a regex here
        body = body.replace("\n\n\n", "\n\n")
    return body.strip("\n") + "\n"


def render(record: CardRecord, templates_dir: Path | None = None, endpoint: str | None = None) -> str:
    """The whole README.md for a record: front matter and body, NFC text (records and templates are NFC).

    ``endpoint`` is the Hub the card goes to (default: the configured one); a thumbnail that is a file
    of the repo points there."""
    return f"---\n{front_matter(card_data(record, endpoint))}---\n\n{render_body(record, templates_dir, endpoint)}"
