"""Render a card record into the model card (README.md): a pure function of record + templates.

The front matter comes from huggingface_hub's ``ModelCardData``; the body
from the Jinja templates (see templating.py), which see the record plus a
view of it whose texts are already escaped for where they go.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
import yaml
from huggingface_hub import ModelCardData

from hf_tweets import platforms, settings
from hf_tweets.cards import labels
from hf_tweets.cards.record import CardRecord, User, thumbnail_url
from hf_tweets.cards.templating import FILTERS, Safe, bundled_templates_dir, card_template
from hf_tweets.errors import TemplateError
from hf_tweets.platforms import Account

TAGS = ["huggingtweets", "hf-tweets", "text-generation"]
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
    return ModelCardData(
        language=record.language,
        license=record.license,
        base_model=record.base_model,
        library_name="transformers",
        pipeline_tag="text-generation",
        tags=TAGS,
        thumbnail=thumbnail_url(record, endpoint),
        widget=[{"text": record.widget_prompt}],
    )


_STR, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map"


def dump_yaml(data: dict[str, Any]) -> str:
    """YAML as huggingface_hub writes it (unicode kept), with libyaml's speed when it can."""
    if len(data) == 1 and type(value := next(iter(data.values()))) is str:
        # The node SafeRepresenter would build for {key: "text"}, serialised without its Python overhead.
        node = yaml.MappingNode(_MAP, [(yaml.ScalarNode(_STR, next(iter(data))), yaml.ScalarNode(_STR, value))])
        text = yaml.serialize(node, Dumper=_CDumper, allow_unicode=True, width=4096)
    else:
        text = yaml.dump(data, Dumper=_CDumper, sort_keys=False, allow_unicode=True, width=4096)
    if "\\U" in text:  # libyaml escapes characters beyond the BMP (emoji); the Python emitter keeps them,
        readable = yaml.dump(data, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=True, width=4096)
        if yaml.load(readable, Loader=_CLoader) == data:  # but garbles some line breaks (NEL), so check
            text = readable
    return text


def _metadata(data: ModelCardData) -> dict[str, Any]:
    # to_dict() deep-copies every value before it drops the unset ones; we only read them, so skip
    # the copy, unless eval results are set, which to_dict() turns into a model-index.
    if getattr(data, "eval_results", None) is not None:
        return data.to_dict()
    return {key: value for key, value in vars(data).items() if value is not None}


_ENTRIES: dict[tuple[str, str], str] = {}  # (key, value or its repr) -> YAML; bounded below


def front_matter(data: ModelCardData) -> str:
    """YAML for the metadata, dumped one top-level key at a time so that repeated entries are cached."""
    parts = []
    for key, value in _metadata(data).items():
        cache_key = (key, value if type(value) is str else repr(value))
        text = _ENTRIES.get(cache_key)
        if text is None:
            if len(_ENTRIES) >= 8192:
                _ENTRIES.clear()
            text = _ENTRIES[cache_key] = dump_yaml({key: value})
        parts.append(text)
    return "".join(parts)


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
    downloaded: Safe  # counts as the command line prints them: 3,192
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
            Safe(f"{c.downloaded:,}"),
            Safe(f"{c.retweets:,}"),
            Safe(f"{c.short:,}"),
            Safe(f"{c.cw or 0:,}"),
            Safe(f"{c.kept:,}"),
            index == count - 1,
            _list_sep(index, count),
        )


def base_model_label(base_model: str | None) -> str:
    """How the card names the base model: GPT-2 for the GPT-2 family, else its id ("" when there is none)."""
    return "" if base_model is None else _GPT2_FAMILY.get(base_model.rsplit("/", 1)[-1], base_model)


_SHOWN = {  # how each metric is written in the card (the importer reads these back)
    "train_loss": repr,
    "eval_loss": repr,
    "eval_perplexity": lambda value: f"{value:,.2f}",
    "tokens_seen": lambda value: f"{value:,}",
    "train_seconds": lambda value: f"{value:,} s",
}


def _metrics(record: CardRecord) -> list[tuple[Safe, Safe]]:
    training = record.training
    if training is None:
        return []
    values = {key: getattr(training, key) for key in labels.METRICS}
    return [(_md(labels.METRICS[key]), Safe(_SHOWN[key](value))) for key, value in values.items() if value is not None]


def _consent(record: CardRecord, words: labels.Words) -> SimpleNamespace | None:
    """The consent section's sentences, escaped for Markdown (they name the users)."""
    if record.consent is None:
        return None
    names = [str(_md(u.display_name)) for u in record.users]  # the only text of strangers here
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    where = list(dict.fromkeys(platforms.get(a.platform).title for a in record.accounts))
    return SimpleNamespace(
        sentence=Safe(labels.consent_sentence(record.consent, words, len(names), where)),
        machine_made=Safe(labels.MACHINE_MADE.format(names=listed)),
        takedown=Safe(labels.TAKEDOWN.format(names=listed)),
    )


def context(record: CardRecord) -> dict[str, Any]:
    """What the templates see: the record, and views of it escaped for the card."""
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
        "consent": _consent(record, words),
        "multi": count > 1,
        "wandb": record.wandb,
        "hyperparameters": [(_md(k), FILTERS["scalar"](v)) for k, v in training.hyperparameters.items()]
        if training
        else [],
        "metrics": _metrics(record),
        "versions": [(_md(k), _md(v)) for k, v in training.versions.items()] if training else [],
        "samples": [_md(sample) for sample in record.samples],
        "dates": Safe(dates) if dates else None,  # ISO dates and our words: nothing to escape
        "posts_kept": Safe(f"{sum(u.counts.kept for u in record.users):,}"),
        "base_model_label": label,
        "base_model_gpt2": label in _GPT2_FAMILY.values(),
        "base_model_url": HUB_URL + (record.base_model or ""),
    }


def render_body(record: CardRecord, templates_dir: Path | None = None) -> str:
    """The Markdown below the front matter."""
    template = card_template(templates_dir or settings.templates_dir_override() or bundled_templates_dir())
    try:
        body = template.render(context(record))
    except jinja2.TemplateError as error:
        raise TemplateError(f"template error: {error}", fix="fix the template") from None
    while "\n\n\n" in body:  # sections left out leave blank runs; str.replace beats a regex here
        body = body.replace("\n\n\n", "\n\n")
    return body.strip("\n") + "\n"


def render(record: CardRecord, templates_dir: Path | None = None, endpoint: str | None = None) -> str:
    """The whole README.md for a record: front matter and body, NFC text (records and templates are NFC).

    ``endpoint`` is the Hub the card goes to (default: the configured one); a thumbnail that is a file
    of the repo points there."""
    return f"---\n{front_matter(card_data(record, endpoint))}---\n\n{render_body(record, templates_dir)}"
