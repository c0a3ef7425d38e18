"""The card's vocabulary: every label and sentence the templates write that the importer reads back.

The templates get these through the render context (``labels``), the importer
and ``card check`` match against the same values, so rewording a label here
rewords it everywhere and ``republish --from-hub`` still reads the cards it
wrote (tests/test_labels.py renders every label and imports it back). Labels
that earlier cards carried stay readable through the ``*_BEFORE`` aliases.

Labels that speak of posts hold ``{post}``, ``{posts}``, ``{Posts}``, ``{reposts}``
or ``{Reposts}``, filled from the platform's own words (``Words``): an X card says
"Tweets downloaded" and "Retweets" as huggingtweets' cards did; a Bluesky or
Mastodon card "Posts downloaded" and "Reposts"; a card of several platforms the
generic "post" and "repost". The importer reads the labels of every vocabulary.

Numbers in these sentences are plain integers (1500), as every number on a card is.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import quote

from hf_tweets import platforms

DATA = "Data"  # the first header cell of the data table; one column per user follows
HANDLE = "Handle"  # the data table's row that ties each column to its account
QUANTITY = "Quantity"  # the legacy single-user table's only column header
COUNTS = {
    "downloaded": "{Posts} downloaded",
    "retweets": "{Reposts}",
    "short": "Short {posts}",
    "cw": "{Posts} behind a content warning",  # a row only when some were left out (never on X)
    "kept": "{Posts} kept",
}
OPTIONAL_COUNTS = frozenset({"cw"})

HYPERPARAMETER, METRIC, SOFTWARE, SAMPLE = "Hyperparameter", "Metric", "Software", "Sample"
METRICS = {
    "train_loss": "Train loss (last epoch)",
    "eval_loss": "Eval loss",
    "eval_perplexity": "Eval perplexity",
    "tokens_seen": "Tokens seen",
    "train_seconds": "Training time",
}
METRICS_BEFORE = {"Train loss": "train_loss"}  # cards rendered before the label said which epoch

TRY_IT = "Try it in your browser"  # the card's link to the namespace's try-it Space, with the bot selected
WANDB_LINKS = {"report": "W&B report", "preprocess_run": "Explore the data", "train_run": "W&B training run"}

# What the model was fine-tuned from when that was a local folder that does not say which Hub model it is (the
# record's base_model_local): the card names no base model, and says this instead.
BASE_LOCAL = "a pre-trained model from a local folder that does not say which Hub model it is"

# The copy check (record.training.copies): the share of samples that copy a training post, and that the samples the
# card shows copy none. {rate} is a percentage, shown with as many decimals as reading it back needs.
COPIES = (
    "{rate} % of {samples} copy {words}+ words of a training {post} ({chars}+ characters in text written without"
    " spaces)."
)
COPIES_SHOWN = "The samples shown here copy no training {post}."

# The model-index's name for the data the eval loss was measured on: the held-out posts of the accounts.
EVAL_DATASET = "{Posts} of {accounts}"

POSTED_BETWEEN = "The {posts} were posted between {oldest} and {newest}."
POSTED_OLDEST = "The oldest {post} was posted on {oldest}."
POSTED_NEWEST = "The newest {post} was posted on {newest}."

CONSENT = "Consent"  # the section of a card whose record says whose choice the model is
# One sentence per consent (record.consent), each starting with its own words: the importer reads the consent back.
CONSENT_SENTENCES = {
    "self": "These {posts} were shared by the account {holders}: they come from {exports} of their own account{s}.",
    "permission": "These {posts} are used with the permission of the {people} who wrote them.",
    "public": "These are public {posts}, read through the public API of {where}; the {people} who wrote them did not"
    " ask for this model.",
}
MACHINE_MADE = (
    "Everything this model writes is machine-generated: it was not written by {names} and does not speak for them."
)
# The title of a take-down request: the card's link opens a discussion with it, and `hf-tweets requests` finds the
# requests by it, so every request is found the same way whoever maintains the bots.
TAKEDOWN_TITLE = "Take-down request"
TAKEDOWN = (
    "If you are {names} and want this model taken down, [ask for it in a discussion]({url}) on this repository or"
    " write to its owner: `hf-tweets unpublish` takes it down in one command and keeps your account out of future"
    " models."
)

ACCOUNTS_SEP = " · "  # between the handles in a multi-user card's header: "@a · @b · @c"
UNPAIRED = "the card it was first published with does not say which name belongs to which account"

LEGACY_BOT_SUFFIX = "🤖 AI Bot"  # after the display name in the legacy single-avatar header
LEGACY_TITLE = re.compile(r"🤖 AI (?:BOT|CYBORG) 🤖")  # the last legacy generation's title line
LEGACY_NAMES_SEP = " & "  # between the display names in that generation's header
LEGACY_TWEETS_LINK = "'s tweets"  # "[@handle's tweets](https://twitter.com/handle)" in legacy single-user cards


@dataclass(frozen=True)
class Words:
    """What a card calls a post and a repost ("tweet", "retweet" on X)."""

    post: str
    repost: str

    def fill(self, text: str, **fields: str) -> str:
        """``text`` with its word placeholders (module docstring) and ``fields`` filled in."""
        posts, reposts = f"{self.post}s", f"{self.repost}s"
        words = {"post": self.post, "posts": posts, "Posts": posts.capitalize(), "reposts": reposts}
        return text.format(**words, Reposts=reposts.capitalize(), **fields)

    def counts(self) -> dict[str, str]:
        """The data table's row labels, by count."""
        return {key: self.fill(label) for key, label in COUNTS.items()}


GENERIC = Words("post", "repost")  # a card of accounts on several platforms


def words_of(platform_names: Iterable[str]) -> Words:
    """The words of a card of accounts on these platforms: the platform's own, or the generic ones for several."""
    names = set(platform_names)
    return _platform_words(names.pop()) if len(names) == 1 else GENERIC


@functools.lru_cache(maxsize=None)  # one per platform: every card asks
def _platform_words(name: str) -> Words:
    kind = platforms.get(name)
    return Words(kind.post, kind.repost)


def all_words() -> list[Words]:
    """Every vocabulary a card may use (the importer reads them all)."""
    return list(dict.fromkeys([*(Words(p.post, p.repost) for p in platforms.REGISTRY.values()), GENERIC]))


def count_rows() -> dict[str, str]:
    """{row label: count} for the data table labels of every vocabulary."""
    return {label: key for words in all_words() for key, label in words.counts().items()}


def count_labels(present: Iterable[str]) -> dict[str, str]:
    """{count: the row label a data table uses for it}: the label among ``present`` (a table's row labels) of
    whichever vocabulary the table speaks, else the first vocabulary's (for saying which row is missing)."""
    present = set(present)
    found: dict[str, str] = {}
    for label, key in count_rows().items():
        if key not in found or (label in present and found[key] not in present):
            found[key] = label
    return found


@functools.lru_cache(maxsize=8)
def for_templates(safe, words: Words) -> SimpleNamespace:
    """The labels as the templates see them, each wrapped by ``safe`` (they are ours, and need no escaping)."""
    return SimpleNamespace(
        data=safe(DATA),
        handle=safe(HANDLE),
        accounts_sep=safe(ACCOUNTS_SEP),
        unpaired=safe(UNPAIRED),
        consent=safe(CONSENT),
        base_local=safe(BASE_LOCAL),
        post=safe(words.post),
        posts=safe(f"{words.post}s"),
        reposts=safe(f"{words.repost}s"),
        counts=SimpleNamespace(**{key: safe(text) for key, text in words.counts().items()}),
        hyperparameter=safe(HYPERPARAMETER),
        metric=safe(METRIC),
        software=safe(SOFTWARE),
        sample=safe(SAMPLE),
        try_it=safe(TRY_IT),
        wandb=SimpleNamespace(**{key: safe(text) for key, text in WANDB_LINKS.items()}),
    )


def dates_sentence(oldest: str | None, newest: str | None, words: Words) -> str | None:
    """The sentence that says when the posts were written, or None when the record knows neither date."""
    if oldest and newest:
        return words.fill(POSTED_BETWEEN, oldest=oldest, newest=newest)
    if oldest:
        return words.fill(POSTED_OLDEST, oldest=oldest)
    return words.fill(POSTED_NEWEST, newest=newest) if newest else None


def _date_sentences() -> tuple[str, str, str]:  # read at call time: a test rewords them
    return POSTED_BETWEEN, POSTED_OLDEST, POSTED_NEWEST


_DATE_FIELDS = (("oldest", r"(?P<oldest>\S+)"), ("newest", r"(?P<newest>\S+)"))


def where_of(accounts) -> list[str]:
    """The platforms' names of these accounts (X, Bluesky ...), once each, in order: the consent sentence's."""
    return list(dict.fromkeys(platforms.get(a.platform).title for a in accounts))


def consent_of(record) -> str:
    """A record's consent sentence as its card says it, as plain text ("" for a record made before hf-tweets
    asked)."""
    if record.consent is None:
        return ""
    words = words_of(a.platform for a in record.accounts)
    return consent_sentence(record.consent, words, len(record.users), where_of(record.accounts))


def consent_sentence(consent: str, words: Words, count: int, where: list[str]) -> str:
    """The card's sentence for a consent; ``where`` are the platforms' names (X, Bluesky ...)."""
    many = count > 1
    fields = {
        "holders": "holders" if many else "holder",
        "exports": "exports" if many else "an export",
        "s": "s" if many else "",
        "people": "people" if many else "person",
        "where": " and ".join(where),
    }
    return words.fill(CONSENT_SENTENCES[consent], **fields)


def read_consent(paragraph: str) -> str | None:
    """The consent a paragraph of a card's Consent section states, or None."""
    for consent, sentence in CONSENT_SENTENCES.items():
        start = sentence[: sentence.index("{")]  # "These ", ...
        rest = sentence[sentence.index("}") + 1 :]
        distinctive = rest[: rest.index("{")] if "{" in rest else rest  # " were shared by the account "
        if paragraph.startswith(start) and distinctive.strip() in paragraph:
            return consent
    return None


def read_dates(paragraph: str) -> dict[str, str]:
    """{"oldest": ..., "newest": ...} (either or both) from a paragraph that is one of the date sentences."""
    sentences = [w.fill(s, oldest="{oldest}", newest="{newest}") for w in all_words() for s in _date_sentences()]
    for sentence in sentences:
        match = _fields_pattern(sentence, _DATE_FIELDS).fullmatch(paragraph.strip())
        if match:
            return {key: value for key, value in match.groupdict().items() if value}
    return {}


def copies_sentence(copies, words: Words) -> str:
    """The sentence that says how many samples copy a training post (``copies``: a record's CopyCheck)."""
    return words.fill(
        COPIES,
        rate=_percent(copies.copied, copies.samples),
        samples=f"{copies.samples} sample{'' if copies.samples == 1 else 's'}",  # plain: 1500, as every card number
        words=str(copies.words),
        chars=str(copies.chars),
    )


def _percent(part: int, whole: int) -> str:
    """``part`` of ``whole`` in percent, with the fewest decimals (at least one, when not whole) that give
    ``part`` back: 3.3 for 1 of 30, 12.345 for 12345 of 100000."""
    exact = 100 * part / whole
    for places in range(1, 12):
        shown = f"{exact:.{places}f}".rstrip("0").rstrip(".")
        if round(float(shown) * whole / 100) == part:
            return shown
    return repr(exact)


# Numbers as cards show them (1500), or as hf-tweets' cards did before issue 20 (1,500).
_COPIES_FIELDS = (
    ("rate", r"(?P<rate>\d+(?:\.\d+)?)"),
    ("samples", r"(?P<samples>\d[\d,]*) samples?"),
    ("words", r"(?P<words>\d[\d,]*)"),
    ("chars", r"(?P<chars>\d[\d,]*)"),
)


def read_copies(paragraph: str) -> dict[str, int] | None:
    """{"samples", "copied", "words", "chars"} from a paragraph that is the copy-check sentence, else None."""
    for words in all_words():
        sentence = words.fill(COPIES, **{name: "{" + name + "}" for name, _ in _COPIES_FIELDS})
        match = _fields_pattern(sentence, _COPIES_FIELDS).fullmatch(paragraph.strip())
        if match:
            counts = {k: int(v.replace(",", "")) for k, v in match.groupdict().items() if k != "rate"}
            samples = counts.pop("samples")
            copied = round(float(match["rate"]) * samples / 100)
            return {"samples": samples, "copied": copied, **counts}
    return None


@functools.lru_cache(maxsize=64)
def _fields_pattern(sentence: str, fields: tuple[tuple[str, str], ...]) -> re.Pattern:
    """A regex for ``sentence`` with each ``{name}`` of ``fields`` matched by its pattern, the rest literally."""
    patterns = dict(fields)
    parts = re.split(r"\{(" + "|".join(patterns) + r")\}", sentence)
    return re.compile("".join(patterns[p] if i % 2 else re.escape(p) for i, p in enumerate(parts)))


def takedown_url(endpoint: str, repo_id: str) -> str:
    """Where the card sends a take-down request: a new discussion on the repo, its title filled in."""
    return f"{endpoint}/{repo_id}/discussions/new?title={quote(TAKEDOWN_TITLE)}"


def eval_dataset_name(words: Words, accounts: list[str]) -> str:
    """The model-index's name of the eval data: "Tweets of @alice", "Posts of @a, @b and @c"."""
    return words.fill(EVAL_DATASET, accounts=listing(accounts))


def listing(items: list[str]) -> str:
    """Items as a sentence lists them: "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
