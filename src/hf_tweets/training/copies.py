"""The memorisation guard: does a generated text copy a long stretch of a training post?

A model fine-tuned on a person's posts may repeat some of them word for word. A sample
*copies* a training post when it reproduces ``WORDS`` (8) consecutive words of one post,
or ``CHARS`` (50) consecutive characters of one post's text written without spaces. Both
sides, posts and samples, go through the same steps:

* **Normalising.** The whole text is put in Unicode NFKC and casefolded, so "Cats" is
  "cats" and full-width ｃａｔ is cat.
* **Words.** A word is a token (split at whitespace as ``str.split`` does) without the
  punctuation (Unicode category P) at its edges: "Cats," and "(cats" are "cats", "don't"
  stays whole. A token that is all punctuation ("–", "...") is no word, so it neither
  counts nor breaks a stretch. Emoji, #tags (without the "#"), @handles (without the "@") and tokens of any
  script are words, Hangul included (Korean is written with spaces).
* **Characters, for scripts written without spaces** (Han, Hiragana, Katakana and the
  long-vowel mark ー, Thai, Lao, Khmer, Myanmar; the classes of prepare.py's word count).
  A *run* is a longest sequence of consecutive tokens that each hold such a character; its
  characters are its letters, digits and marks (vowel signs, tone marks), so whitespace,
  punctuation (、。) and symbols (emoji) inside a run are dropped, while Latin letters
  written against them ("GitHubに") are kept. Characters are code points after NFKC
  (Thai ำ counts as two). Text outside runs (English, Korean) has no character windows.
* **Windows.** Every ``words`` consecutive words and every ``chars`` consecutive run
  characters of each post are indexed, one post at a time: a window never spans two posts
  (nor two runs), and a post shorter than a window adds none, so a sample holding a whole
  short post ("pancakes for dinner tonight") is no copy.

The index keeps Python's 64-bit ``hash`` of each window, not the window: about 100k
windows for 3,200 posts, looked up in O(length of the sample). Two different windows with
the same hash would make a false copy: for a sample of 30 words against 100k windows, the
odds are about 1 in 10^13. The hashes are salted per process, so an index lives in memory
only.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import regex

from hf_tweets.errors import HfTweetsError
from hf_tweets.training.basemodel import EOS

WORDS = 8  # a copy: this many consecutive words of a training post
CHARS = 50  # or this many consecutive characters of text written without spaces

# Tokens are split at Python's whitespace (str.split, re's \s); regex's \s lacks \x1c-\x1f, so it is spelt out.
_TOKEN = re.compile(r"\S+")
_EDGE_PUNCTUATION = regex.compile(r"(?<![^\s\x1c-\x1f])\p{P}+|\p{P}+(?![^\s\x1c-\x1f])")  # at a token's ends
_INNER = regex.compile(r"\p{P}*+(.*?)\p{P}*+", regex.DOTALL)  # a token's word: group 1
# The scripts written without spaces, as prepare.py counts their words (its _KIND_OF "H" and "S").
_SPACELESS = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\u30fc\uff70\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]")
_MAYBE_SPACELESS = regex.compile("[\u0e00-\U0010ffff]")  # all of those lie at U+0E00 or above: a cheap first look
_CHAR = regex.compile(r"[\p{L}\p{N}\p{M}]")
_NOT_CHARS = regex.compile(r"[^\p{L}\p{N}\p{M}]+")


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _words(normal: str) -> list[str]:
    """The words of normalised text (module docstring): its tokens without the punctuation at their ends."""
    return _EDGE_PUNCTUATION.sub("", normal).split()


def _word_spans(normal: str) -> list[tuple[int, int]]:
    """Where each of ``_words(normal)`` lies in ``normal`` (slower: for messages)."""
    spans = []
    for token in _TOKEN.finditer(normal):
        word = _INNER.fullmatch(normal, token.start(), token.end())
        assert word is not None  # \p{P}*+(.*?)\p{P}*+ matches any text
        if word.end(1) > word.start(1):
            spans.append(word.span(1))
    return spans


def _windows(items: list | str, size: int) -> Iterator:
    """The ``size``-long windows of ``items``: tuples of words, or slices of a string of characters."""
    if isinstance(items, str):
        return (items[i : i + size] for i in range(len(items) - size + 1))
    # Tuples built in C: words[0:size], words[1:size+1], ...; the shifted lists end together with the shortest.
    return zip(*(items[i:] for i in range(size)), strict=False)


def _runs(normal: str) -> list[tuple[int, int]]:
    """The spans of the runs of tokens written in scripts without spaces, in normalised text."""
    if not _MAYBE_SPACELESS.search(normal):
        return []
    runs: list[tuple[int, int]] = []
    joined = False  # whether the previous token was in a run
    for token in _TOKEN.finditer(normal):
        spaceless = _SPACELESS.search(token.group()) is not None
        if spaceless and joined:
            runs[-1] = (runs[-1][0], token.end())
        elif spaceless:
            runs.append(token.span())
        joined = spaceless
    return runs


class CopyIndex:
    """An index of every WORDS-word (and CHARS-character, for spaceless scripts) stretch of the training posts."""

    def __init__(self, posts: Iterable[str], words: int = WORDS, chars: int = CHARS):
        for name, size in (("words", words), ("chars", chars)):
            if size < 1:
                raise HfTweetsError(f"{name}={size} makes every text a copy", fix="give a window of 1 or more")
        self.words, self.chars = words, chars
        self._word_hashes: set[int] = set()
        self._char_hashes: set[int] = set()
        for post in posts:
            normal = _normal(post)
            self._word_hashes.update(map(hash, _windows(_words(normal), words)))
            for start, end in _runs(normal):
                self._char_hashes.update(map(hash, _windows(_NOT_CHARS.sub("", normal[start:end]), chars)))

    def copies(self, text: str) -> bool:
        """True if ``text`` reproduces a WORDS-word or CHARS-character stretch of any one post."""
        normal = _normal(text)
        if not self._word_hashes.isdisjoint(map(hash, _windows(_words(normal), self.words))):
            return True
        return any(
            not self._char_hashes.isdisjoint(map(hash, _windows(_NOT_CHARS.sub("", normal[a:b]), self.chars)))
            for a, b in _runs(normal)
        )

    def copied_stretch(self, text: str) -> str | None:
        """The first copied stretch as it appears in ``text`` (for messages), or None.

        The stretch runs from the first copied window over every window after it that is copied too,
        words first, then characters (a stretch of words starts and ends with a word, not with punctuation).
        A stretch of characters is a copy within its run: one of Latin letters written against kana
        ("...abcdefに") is no copy on its own, its kana left out."""
        normal = _normal(text)
        words = _word_spans(normal)
        span = self._first_run([normal[a:b] for a, b in words], self.words, self._word_hashes)
        if span is not None:
            return _original(text, words[span[0]][0], words[span[1] - 1][1])
        for a, b in _runs(normal):
            chars = list(_CHAR.finditer(normal, a, b))
            span = self._first_run("".join(m.group() for m in chars), self.chars, self._char_hashes)
            if span is not None:
                return _original(text, chars[span[0]].start(), chars[span[1] - 1].end())
        return None

    @staticmethod
    def _first_run(items: list[str] | str, size: int, hashes: set[int]) -> tuple[int, int] | None:
        """[start, end) of the items covered by the first indexed window and the indexed windows right after it."""
        hits = [hash(w) in hashes for w in _windows(items, size)]
        if True not in hits:
            return None
        first = hits.index(True)
        last = first
        while last + 1 < len(hits) and hits[last + 1]:
            last += 1
        return first, last + size


def _original(text: str, start: int, end: int) -> str:
    """``text``'s part whose normalised form is the normalised text's [start, end).

    Normalising can change lengths (ﬁ is fi, ß is ss, ｶ with a combining ゙ is ガ), so offsets are found by
    normalising prefixes; the length of a prefix's normal form does not shrink as the prefix grows, so a
    binary search does. Each end is the last prefix whose normal form is no longer than it: characters that merge
    into the one before (a combining mark) go with it."""
    positions = range(len(text) + 1)
    length = lambda i: len(_normal(text[:i]))  # noqa: E731
    begin, stop = (bisect.bisect_right(positions, offset, key=length) - 1 for offset in (start, end))
    return text[begin:stop]


def count_copies(index: CopyIndex, texts: Iterable[str]) -> int:
    """How many of ``texts`` copy a training post."""
    return sum(index.copies(text) for text in texts)


def keep_originals(
    index: CopyIndex, generate_batch: Callable[[int], list[str]], count: int, max_rounds: int = 5
) -> tuple[list[str], int]:
    """Up to `count` texts that copy no training post: calls generate_batch(n) for n more texts while fewer are kept,
    at most max_rounds calls in all; returns (kept texts, how many were dropped as copies). May return fewer than
    count when the rounds run out.

    Texts are kept in the order they come; once ``count`` are kept, the rest of a batch longer than asked for is
    not looked at (neither kept nor counted)."""
    kept: list[str] = []
    dropped = 0
    for _ in range(max_rounds):
        if len(kept) >= count:
            break
        for text in generate_batch(count - len(kept)):
            if len(kept) >= count:
                break
            if index.copies(text):
                dropped += 1
            else:
                kept.append(text)
    return kept, dropped


def training_posts(folder: Path) -> list[str]:
    """The training posts of a prepared data folder (``train.txt``, posts joined by EOS), empty pieces dropped."""
    path = folder / "train.txt"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HfTweetsError(
            "no train.txt, the training posts that samples are checked against",
            where=folder,
            fix=f"run hf-tweets prepare {folder.name} first",
        ) from None
    except UnicodeDecodeError:
        raise HfTweetsError("not UTF-8 text", where=path, fix=f"run hf-tweets prepare {folder.name} again") from None
    return [post for post in text.split(EOS) if post]
