"""The card's vocabulary: every label and sentence the templates write that the importer reads back.

The templates get these through the render context (``labels``), the importer
and ``card check`` match against the same values, so rewording a label here
rewords it everywhere and ``republish --from-hub`` still reads the cards it
wrote (tests/test_labels.py renders every label and imports it back). Labels
that earlier cards carried stay readable through the ``*_BEFORE`` aliases.
"""

from __future__ import annotations

import functools
import re
from types import SimpleNamespace

DATA = "Data"  # the first header cell of the data table; one column per user follows
HANDLE = "Handle"  # the data table's row that ties each column to its account
QUANTITY = "Quantity"  # the legacy single-user table's only column header
COUNTS = {"downloaded": "Tweets downloaded", "retweets": "Retweets", "short": "Short tweets", "kept": "Tweets kept"}

HYPERPARAMETER, METRIC, SOFTWARE, SAMPLE = "Hyperparameter", "Metric", "Software", "Sample"
METRICS = {
    "train_loss": "Train loss (last epoch)",
    "eval_loss": "Eval loss",
    "eval_perplexity": "Eval perplexity",
    "tokens_seen": "Tokens seen",
    "train_seconds": "Training time",
}
METRICS_BEFORE = {"Train loss": "train_loss"}  # cards rendered before the label said which epoch

WANDB_LINKS = {"report": "W&B report", "preprocess_run": "Explore the data", "train_run": "W&B training run"}

POSTED_BETWEEN = "The tweets were posted between {oldest} and {newest}."
POSTED_OLDEST = "The oldest tweet was posted on {oldest}."
POSTED_NEWEST = "The newest tweet was posted on {newest}."

ACCOUNTS_SEP = " · "  # between the handles in a multi-user card's header: "@a · @b · @c"
UNPAIRED = "the card it was first published with does not say which name belongs to which account"

LEGACY_BOT_SUFFIX = "🤖 AI Bot"  # after the display name in the legacy single-avatar header
LEGACY_TITLE = re.compile(r"🤖 AI (?:BOT|CYBORG) 🤖")  # the last legacy generation's title line
LEGACY_NAMES_SEP = " & "  # between the display names in that generation's header
LEGACY_TWEETS_LINK = "'s tweets"  # "[@handle's tweets](https://twitter.com/handle)" in legacy single-user cards


def for_templates(safe) -> SimpleNamespace:
    """The labels as the templates see them, each wrapped by ``safe`` (they are ours, and need no escaping)."""
    return SimpleNamespace(
        data=safe(DATA),
        handle=safe(HANDLE),
        accounts_sep=safe(ACCOUNTS_SEP),
        unpaired=safe(UNPAIRED),
        counts=SimpleNamespace(**{key: safe(text) for key, text in COUNTS.items()}),
        hyperparameter=safe(HYPERPARAMETER),
        metric=safe(METRIC),
        software=safe(SOFTWARE),
        sample=safe(SAMPLE),
        wandb=SimpleNamespace(**{key: safe(text) for key, text in WANDB_LINKS.items()}),
    )


def dates_sentence(oldest: str | None, newest: str | None) -> str | None:
    """The sentence that says when the posts were written, or None when the record knows neither date."""
    if oldest and newest:
        return POSTED_BETWEEN.format(oldest=oldest, newest=newest)
    if oldest:
        return POSTED_OLDEST.format(oldest=oldest)
    return POSTED_NEWEST.format(newest=newest) if newest else None


@functools.lru_cache(maxsize=16)
def _pattern(sentence: str) -> re.Pattern:
    fields = {"oldest": r"(?P<oldest>\S+)", "newest": r"(?P<newest>\S+)"}
    parts = re.split(r"\{(oldest|newest)\}", sentence)
    return re.compile("".join(fields[p] if i % 2 else re.escape(p) for i, p in enumerate(parts)))


def read_dates(paragraph: str) -> dict[str, str]:
    """{"oldest": ..., "newest": ...} (either or both) from a paragraph that is one of the date sentences."""
    for sentence in (POSTED_BETWEEN, POSTED_OLDEST, POSTED_NEWEST):
        match = _pattern(sentence).fullmatch(paragraph.strip())
        if match:
            return {key: value for key, value in match.groupdict().items() if value}
    return {}
