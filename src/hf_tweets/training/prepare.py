"""``hf-tweets prepare``: clean the stored posts into training and evaluation text, and fill the card record.

Cleaning follows huggingtweets (see shared/docs/huggingtweets-recipe.md):
unescape &amp; &lt; &gt;, remove URLs with their neighbouring space, collapse
spaces, join lines (unless --keep-newlines), drop retweets, drop "short"
posts (fewer than 3 words free of http, @ and #). It also repairs mojibake,
normalises to NFC and drops exact repeats (counted with the short posts, so
kept = downloaded - retweets - short holds).

Words (``count_words``). A post with no character of the scripts written without spaces
is counted exactly as the recipe does: every whitespace-separated token free of http, @
and # is a word (emoji and punctuation tokens included). In a post that has some, the
tokens without them are counted so too, and a token with them is counted inside, after
removing its @handles, and its #tag or link up to the token's end:

* Han, Hiragana, Katakana (with the long-vowel mark ー): two characters a word, rounded
  up (a Chinese or Japanese word is one to three characters: 今日は雨です is 3 words,
  the one-character reaction 草 is 1);
* Thai, Lao, Khmer, Myanmar: three letters a word, rounded up, not counting the vowel
  signs and tone marks written around them (วันนี้อากาศดีมาก, 12 letters, is 4 words);
* Hangul syllables: four a word, rounded down, and at least one. Korean is written with
  spaces between units of 1-7 syllables, so a normally spaced post counts as before; only
  a long run without spaces counts as several words (12 syllables make 3);
* anything else in such a token: each run of letters or digits (Latin, ㅋㅋ) is a word,
  punctuation and emoji are not.

The language (language.py): the kept posts' main language, decided by majority over the
posts, goes into stats.json and into the record's ``language`` (the card's front matter),
unless the record's language was set by hand: prepare overwrites it only when it is what
prepare put there, the record's ``detected_language`` (what the last prepare detected,
saved in the same update as the language, so a prepare killed half-way cannot leave one
without the other) or, before any, the default "en".

Writes, atomically:

    data/<name>/train.txt   posts joined by <|endoftext|>, users balanced
    data/<name>/eval.txt    the held-out posts (default 10%, by post, from a seed)
    data/<name>/stats.json  counts, date range, seed, settings, the detected language, and
                            the sha256 of train.txt and eval.txt: written last, it makes
                            the three files one unit (``check_prepared``), so a prepare
                            killed half-way can never pass for a finished one

The record is validated before any of them is written, and updated after, on
the record as it is then (users, counts, date range, detected language: what prepare owns).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import ftfy
import regex

from hf_tweets import consent, platforms
from hf_tweets.cards.record import HANDLE_RE, MAX_USERS, CardRecord, validate_record
from hf_tweets.cards.recordfile import load_record, record_path, save_record, update_record
from hf_tweets.errors import PrepareError
from hf_tweets.folders import Folders
from hf_tweets.fsutil import atomic_write_text, child, sweep_orphans
from hf_tweets.limits import SEED, Range, check
from hf_tweets.platforms import Account
from hf_tweets.sources.bots import accounts_named
from hf_tweets.sources.posts import Post, load_posts, load_profile, raw_path
from hf_tweets.training.language import DEFAULT as DEFAULT_LANGUAGE
from hf_tweets.training.language import detect_language

EOS = "<|endoftext|>"
WARN_CHARS = 40_000  # the recipe warns under this much kept text


RANGES = {  # what each numeric setting may be: PrepareConfig refuses anything else, the CLI's options show it
    "eval_fraction": Range(0, 1, low_open=True, high_open=True),  # training needs posts on both sides
    "seed": SEED,
    "min_chars": Range(0, 10**9, whole=True),
}


@dataclass(frozen=True)
class PrepareConfig:
    """prepare's settings, with their defaults (the CLI shows these); PrepareError for one out of range."""

    keep_newlines: bool = False
    eval_fraction: float = 0.1  # share of each user's posts held out for evaluation
    seed: int = 42
    min_chars: int = 6_000  # the recipe refuses less kept text than this
    include_cw: bool = False  # keep the posts behind a content warning (left out and counted by default)

    def __post_init__(self) -> None:
        check(asdict(self), RANGES, PrepareError)


def accounts_of(users: Sequence[Account | str]) -> list[Account]:
    """Accounts, from accounts or as written on a command line (platforms.parse_account)."""
    return [u if isinstance(u, Account) else platforms.parse_account(u) for u in users]


def inputs_fingerprint(data_dir: Path, users: Sequence[Account | str], config: PrepareConfig) -> str:
    """What prepared text is made from: the users' stored posts and the settings (kept in stats.json)."""
    accounts = accounts_of(users)
    names = [a.handle.lower() if a.platform == platforms.DEFAULT else a.key for a in accounts]  # X: as before
    settings = {k: v for k, v in asdict(config).items() if k != "include_cw" or v}  # as before, unless asked
    digest = hashlib.sha256(json.dumps([names, settings], sort_keys=True).encode())
    for account in accounts:
        path = raw_path(data_dir, account)
        digest.update(hashlib.sha256(path.read_bytes()).digest() if path.is_file() else b"-")
    return digest.hexdigest()


def prepared_from(folder: Path) -> str | None:
    """The inputs fingerprint of a finished prepare in ``folder``, or None (none, interrupted, or older)."""
    if check_prepared(folder) is not None:
        return None
    try:
        return json.loads((folder / "stats.json").read_text(encoding="utf-8")).get("inputs")
    except (OSError, ValueError, AttributeError):
        return None


_URL = re.compile(r"\s?https?://\S+\s?")
_SPACES = re.compile(r"[ \t\u00a0]+")
_LINES = re.compile(r"\s*\n\s*")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}


def clean(text: str, keep_newlines: bool = False) -> str:
    """One post's text as the model will see it."""
    text = unicodedata.normalize("NFC", ftfy.fix_encoding(text))
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    text = _URL.sub(" ", text)
    text = _LINES.sub("\n" if keep_newlines else " ", text)
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n")).strip()


# Kinds of character for counting words in scripts written without spaces (module docstring), one letter
# each: Han/Kana, Hangul syllable, Mark, Southeast Asian letter, Other letter or digit, "-" for the rest. The
# script comes from the Unicode Script property (the regex module); Hangul counts its syllables only, so
# laughter in jamo (ㅋㅋㅋ) is counted as before. All of these scripts lie at U+0E00 or above.
_KIND_OF = [
    ("H", regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\u30fc\uff70]")),  # with the long-vowel mark ー
    ("K", regex.compile(r"[\uac00-\ud7a3]")),
    ("M", regex.compile(r"\p{M}")),  # vowel signs and tone marks: part of the letter before them
    ("S", regex.compile(r"[\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]")),
    ("O", regex.compile(r"[\p{L}\p{N}]")),
]
_MAYBE_SPACELESS = re.compile("[\u0e00-\U0010ffff]")
_OTHER_RUNS = re.compile("O+")
# Not words: an @handle; a #tag or a link runs to the end of the token (a Japanese tag has no space in it).
_NOT_WORDS = re.compile("@" + HANDLE_RE.pattern + r"|#\S*|http\S*")


class _Kinds(dict):
    """A str.translate table from a character to the letter of its kind, filled as characters are met
    (a corpus has a few thousand distinct ones), so a token is classified in one C-level pass."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        kind = self[code] = next((k for k, pattern in _KIND_OF if pattern.match(char)), "-")
        return kind


_KINDS = _Kinds()


def _recipe_word(token: str) -> int:
    return 0 if "http" in token or "@" in token or "#" in token else 1


def _words_in(token: str) -> int:
    """Words in one whitespace-separated token (see count_words)."""
    kinds = _NOT_WORDS.sub(" ", token).translate(_KINDS).replace("M", "")
    han_kana, sea, hangul = kinds.count("H"), kinds.count("S"), kinds.count("K")
    if not (han_kana or sea or hangul):
        return _recipe_word(token)
    return (
        -(-han_kana // 2)  # two characters a word, rounded up
        + -(-sea // 3)  # three letters a word, rounded up
        + (max(1, hangul // 4) if hangul else 0)  # a spacing unit of 1-7 syllables is one word
        + len(_OTHER_RUNS.findall(kinds))  # Latin, digits, jamo: a run is a word; punctuation, emoji are not
    )


def _words(text: str) -> Iterator[int]:
    """Words in each whitespace-separated token of ``text``."""
    for token in text.split():
        yield _words_in(token) if _MAYBE_SPACELESS.search(token) else _recipe_word(token)


def count_words(text: str) -> int:
    """Words in a post, as the short-post rule counts them (the module docstring says how)."""
    return sum(_words(text))


def is_short(text: str) -> bool:
    """The recipe's "boring" post: fewer than 3 words that contain none of http, @, # (counted by count_words)."""
    words = 0
    if _MAYBE_SPACELESS.search(text):
        for count in _words(text):
            words += count
            if words >= 3:
                return False
        return True
    for word in text.split():  # the recipe's count, as fast as it was
        if "http" not in word and "@" not in word and "#" not in word:
            words += 1
            if words == 3:
                return False
    return True


@dataclass
class UserData:
    handle: str
    display_name: str
    avatar: str | None
    downloaded: int = 0
    retweets: int = 0
    short: int = 0
    duplicates: int = 0  # counted within short too
    kept: list[str] = field(default_factory=list)
    oldest: str = ""
    newest: str = ""
    platform: str = platforms.DEFAULT
    cw: int = 0  # posts behind a content warning, left out
    consent: str = "public"  # as the source stored it: "self" for an export, "permission" when the person agreed

    @property
    def account(self) -> Account:
        return Account(self.platform, self.handle)

    def counts(self) -> dict[str, int]:
        counts = {"downloaded": self.downloaded, "retweets": self.retweets, "short": self.short}
        return counts | ({"cw": self.cw} if self.cw else {}) | {"kept": len(self.kept)}


def sort_posts(handle: str, posts: list[Post], keep_newlines: bool, include_cw: bool = False) -> UserData:
    """Count and clean one user's posts (those behind a content warning are counted and left out, unless asked)."""
    data = UserData(handle, handle, None, downloaded=len(posts))
    seen: set[str] = set()
    dates = sorted(p.created_at for p in posts if p.created_at)
    data.oldest, data.newest = (dates[0][:10], dates[-1][:10]) if dates else ("", "")
    for post in posts:
        if post.kind == "retweet":
            data.retweets += 1
            continue
        if post.cw and not include_cw:
            data.cw += 1
            continue
        text = clean(post.text, keep_newlines)
        if is_short(text) or text in seen:
            data.short += 1
            data.duplicates += text in seen and not is_short(text)
            continue
        seen.add(text)
        data.kept.append(text)
    return data


def split(texts: list[str], eval_fraction: float, rng: random.Random) -> tuple[list[str], list[str]]:
    """Hold out ``eval_fraction`` of the posts (at least one when there are two or more)."""
    order = texts[:]
    rng.shuffle(order)
    n_eval = (
        min(len(order) - 1, max(1, round(len(order) * eval_fraction))) if len(order) > 1 and eval_fraction > 0 else 0
    )
    return order[n_eval:], order[:n_eval]


def balance(per_user: list[list[str]], rng: random.Random) -> list[str]:
    """All users' training posts, the smaller users repeated so each brings about as many characters."""
    sizes = [sum(map(len, posts)) or 1 for posts in per_user]
    target = max(sizes)
    out: list[str] = []
    for posts, size in zip(per_user, sizes, strict=True):
        whole, rest = divmod(target, size)
        out += posts * whole
        extra, chars = posts[:], 0
        rng.shuffle(extra)
        for post in extra:  # top up with a random part of one more copy
            if chars >= rest:
                break
            out.append(post)
            chars += len(post)
    rng.shuffle(out)
    return out


@dataclass
class Prepared:
    name: str
    folder: Path
    users: list[UserData]
    train_chars: int
    eval_posts: int
    warning: str | None
    language: str = DEFAULT_LANGUAGE  # detected from the kept posts
    card_language: str = DEFAULT_LANGUAGE  # what the record says: the detected one, or one set by hand


def prepare(
    name: str, folders: Folders, handles: Sequence[Account | str] | None = None, config: PrepareConfig | None = None
) -> Prepared:
    """Clean the stored posts of the record's users into train/eval text and update cards/<name>.yaml.

    The users are ``handles``, else the record's, else the fetched accounts whose repo name ``name`` is."""
    config, data_dir = config or PrepareConfig(), folders.data
    card, folder = record_path(folders.cards, name), child(data_dir, name)
    record = load_record(card) if card.exists() else None
    # Without accounts or a record, the name is a repo name: of the fetched accounts it names (sources/bots.py).
    accounts = accounts_of(handles or (record.accounts if record else accounts_named(data_dir, name)))
    consent.check(accounts, folders.optout)  # before any file is written
    sweep_orphans(folder, folders.cards)  # temp files of a prepare killed earlier
    if len(accounts) > MAX_USERS:
        raise PrepareError(f"{len(accounts)} users; a model is trained on 1 to {MAX_USERS}", where=name)
    users = []
    for account in accounts:
        profile = load_profile(data_dir, account)
        data = sort_posts(profile.handle, load_posts(data_dir, account), config.keep_newlines, config.include_cw)
        data.display_name, data.avatar, data.platform = profile.display_name, profile.avatar, account.platform
        data.consent = profile.consent
        users.append(data)
    _updated_record(record, name, users, card)  # a record these users cannot make is refused before anything is written
    kept_chars = sum(len(t) + len(EOS) for u in users for t in u.kept)
    if kept_chars < config.min_chars:
        raise PrepareError(
            f"only {kept_chars:,} characters of kept posts ({sum(len(u.kept) for u in users)} posts); at least"
            f" {config.min_chars:,} are needed to fine-tune",
            where=name,
            fix="fetch more posts, or lower the floor with --min-chars",
        )
    warning = (
        (
            f"{name}: {kept_chars:,} characters of kept posts is little (under {WARN_CHARS:,});"
            " the model will mostly repeat them"
        )
        if kept_chars < WARN_CHARS
        else None
    )
    language = detect_language([t for u in users for t in u.kept])
    rng = random.Random(config.seed)
    splits = [split(u.kept, config.eval_fraction, rng) for u in users]
    train = balance([t for t, _ in splits], rng)
    evaluation = [post for _, e in splits for post in e]
    train_chars = sum(map(len, train))
    stats = {
        "name": name,
        "seed": config.seed,
        "eval_fraction": config.eval_fraction,
        "keep_newlines": config.keep_newlines,
        "min_chars": config.min_chars,
        "inputs": inputs_fingerprint(data_dir, accounts, config),
        "train_posts": len(train),
        "train_chars": train_chars,
        "eval_posts": len(evaluation),
        "language": language.code,
        "language_detection": language.summary(),
        "users": [{k: v for k, v in asdict(u).items() if k != "kept"} | {"kept": len(u.kept)} for u in users],
    }
    _write_unit(folder, {"train.txt": EOS.join(train), "eval.txt": EOS.join(evaluation)}, stats)
    if record is None and not card.exists():
        saved = _with_language(_updated_record(None, name, users, card), language.code)
        save_record(saved, card)
    else:
        saved = update_record(
            card, lambda current: _with_language(_updated_record(current, name, users, card), language.code)
        )
    return Prepared(name, folder, users, train_chars, len(evaluation), warning, language.code, saved.language)


def _write_unit(folder: Path, texts: dict[str, str], stats: dict) -> None:
    """The text files, then stats.json naming their hashes: the last write makes the set valid."""
    hashes = {}
    for file_name, text in texts.items():
        data = text.encode("utf-8")
        atomic_write_text(folder / file_name, text)
        hashes[file_name] = hashlib.sha256(data).hexdigest()
    atomic_write_text(folder / "stats.json", json.dumps(stats | {"files": hashes}, ensure_ascii=False, indent=1) + "\n")


def check_prepared(folder: Path) -> str | None:
    """Why ``folder`` does not hold one finished prepare (files missing, or from different runs), or None."""
    missing = [f for f in ("train.txt", "eval.txt", "stats.json") if not (folder / f).is_file()]
    if missing:
        return f"has no prepared text ({', '.join(missing)} missing)"
    try:
        hashes = json.loads((folder / "stats.json").read_text(encoding="utf-8")).get("files")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return "has a damaged stats.json"
    for file_name, digest in (hashes or {}).items():  # no hashes: prepared by an earlier version, trusted
        if hashlib.sha256((folder / file_name).read_bytes()).hexdigest() != digest:
            return f"has a {file_name} that does not match stats.json (a prepare was interrupted)"
    return None


def _updated_record(record: CardRecord | None, name: str, users: list[UserData], card: Path) -> CardRecord:
    data = record.model_dump(exclude_none=True) if record else {}
    data["name"] = name
    data.pop("handles", None)  # the users below come with their handles: a legacy card's columns are paired again
    data["consent"] = consent.weakest([u.consent for u in users])  # the model is as consented as its least
    data["users"] = [
        ({"platform": u.platform} if u.platform != platforms.DEFAULT else {})
        | {"handle": u.handle, "display_name": u.display_name or u.handle, "counts": u.counts()}
        | ({"avatar": u.avatar} if u.avatar else {})
        for u in users
    ]
    dates = [d for u in users for d in (u.oldest, u.newest) if d]
    if dates:
        data.setdefault("training", {}).update({"oldest_tweet": min(dates), "newest_tweet": max(dates)})
    return validate_record(data, card)


def _with_language(record: CardRecord, detected: str) -> CardRecord:
    """The record with the detected language, unless its language was set by hand: it was when it differs
    from what prepare put there, the language the last prepare detected or, before any, the default "en"."""
    if record.language == (record.detected_language or DEFAULT_LANGUAGE):
        record.language = detected
    record.detected_language = detected
    return record
