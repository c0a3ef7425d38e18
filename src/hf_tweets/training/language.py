"""The main language of a set of posts: an ISO 639 code for the card's ``language`` (its front matter).

The detector is py3langid (a maintained fork of langid.py, a naive Bayes model over byte n-grams
for ~140 languages). Its model ships inside the wheel (4.6 MB), so detection reads one file of the
installed package and never downloads anything.

How the language is decided (``detect_language``), over the kept posts of all the model's users:

* at most ``SAMPLE`` posts are classified, spread evenly over the list (every n-th post), so a
  100,000-post archive costs as little as a 1,000-post one and the answer is the same on every run;
* each post is classified on its own (its @handles removed) and votes for its language when the
  detector gives that language a probability of at least ``MIN_CONFIDENCE``; one-word reactions
  and posts mixing languages often do not, and a post without letters never does;
* the language with the most votes wins when it has more than half of them (the majority is over
  posts, not characters) and at least ``MIN_VOTES`` posts voted;
* otherwise the answer is ``DEFAULT`` ("en", the record's default and what huggingtweets always
  wrote), and ``sure`` is False: too few posts, or no language holds a majority.

The detector's codes are ISO 639-1 where the language has one ("ja", "zh", "ko", "th") and
ISO 639-3 otherwise ("yue"); both are what the Hub accepts in model card metadata. A few regional
varieties are folded into their ISO 639-1 language (``_VARIETIES``), as most of the Hub labels them.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hf_tweets.cards.record import HANDLE_RE, CardRecord
from hf_tweets.errors import PrepareError

DEFAULT: str = CardRecord.model_fields["language"].default  # "en"
SAMPLE = 1_000  # posts classified at most; ~30 µs each
MIN_CONFIDENCE = 0.5  # the detector's probability for a post's language, for the post to vote
MIN_VOTES = 20  # fewer voting posts than this say too little
_VARIETIES = {"ary": "ar", "arz": "ar", "uzs": "uz", "gug": "gn"}  # Moroccan, Egyptian Arabic; S. Uzbek; Guarani
_NO_LANGUAGE = {"zxx", "und"}  # the detector's "no linguistic content" and "undetermined"
_HANDLES = re.compile("@" + HANDLE_RE.pattern)

_IDENTIFIER: Any = None
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Detection:
    """What ``detect_language`` found: the code to use, and what it was decided on."""

    code: str  # an ISO 639 code; DEFAULT when not sure
    sure: bool  # False: too few posts voted, or no language had a majority
    posts: int  # posts classified (the sample)
    votes: dict[str, int] = field(default_factory=dict)  # language -> posts that voted for it, most first

    def summary(self) -> dict[str, Any]:
        """For stats.json: the sample size, whether it was sure, and the five largest votes."""
        return {"posts": self.posts, "sure": self.sure, "votes": dict(list(self.votes.items())[:5])}


def _identifier() -> Any:
    """py3langid's identifier with probabilities, loaded once per process from the model in its wheel."""
    global _IDENTIFIER
    with _LOCK:
        if _IDENTIFIER is None:
            try:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier
            except ImportError:  # an environment made before hf-tweets needed it
                raise PrepareError(
                    "the language detector is not installed",
                    where="py3langid",
                    fix="install hf-tweets' dependencies again: pip install -e .",
                ) from None
            _IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)  # ~1 s (lzma), once
        return _IDENTIFIER


def preload() -> None:
    """Load the detector now: a process that forks bots (the bot host) loads it once for all of them."""
    _identifier()


def sample(posts: list[str], size: int = SAMPLE) -> list[str]:
    """At most ``size`` posts, spread evenly over ``posts`` (deterministic)."""
    if len(posts) <= size:
        return list(posts)
    return [posts[i * len(posts) // size] for i in range(size)]


def vote(text: str) -> str | None:
    """The language one post votes for, or None when the detector is not confident enough."""
    text = _HANDLES.sub(" ", text).strip()
    if not any(ch.isalpha() for ch in text):
        return None
    code, probability = _identifier().classify(text)
    if probability < MIN_CONFIDENCE or code in _NO_LANGUAGE:
        return None
    return _VARIETIES.get(code, code)


def detect_language(posts: list[str]) -> Detection:
    """The main language of ``posts`` (the module docstring says how), DEFAULT when it cannot tell."""
    chosen = sample(posts)
    if len(chosen) < MIN_VOTES:  # cannot reach a decision: do not load the model for it
        return Detection(DEFAULT, False, len(chosen))
    votes = Counter(code for code in map(vote, chosen) if code is not None)
    ranked = dict(votes.most_common())
    voters = sum(votes.values())
    if voters >= MIN_VOTES:
        code, count = next(iter(ranked.items()))
        if count * 2 > voters:
            return Detection(code, True, len(chosen), ranked)
    return Detection(DEFAULT, False, len(chosen), ranked)
