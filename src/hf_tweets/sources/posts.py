"""Raw posts: one JSONL file per user in the data folder, written atomically, merged without duplicates.

    data/raw/<name>.jsonl       {"id", "created_at", "text", "kind"[, "cw"]} per line, newest first
    data/raw/<name>.user.json   {"handle", "display_name", "avatar", "source"[, "platform"]}

``<name>`` is the account's file name (its platform's ``file_name``: the lower-case
handle for X, alice.bsky.social, alice_at_mastodon.social). ``kind`` is "post",
"retweet" (a repost, on any platform) or "reply"; ``cw`` is true for a post behind
a content warning (prepare leaves those out unless asked). Only public posts are
ever stored. Every source (the X API and archive, Bluesky, Mastodon, a file of
texts) ends here, so ``prepare`` reads one format, and every source hands over
what it read in that format, checked before anything is written:

* the account is one its platform accepts (``platforms.account``); the files are
  named only through ``user_file``, so no name can leave data/raw.
* ``created_at`` is ``YYYY-MM-DDTHH:MM:SSZ`` (UTC) or "" when the source has
  none; ``dates.parse_date`` is the one reader of the formats sources use.
* Texts and display names have no lone surrogates (a JSON escape such as
  "\\ud800" with no partner, which UTF-8 cannot hold): each becomes U+FFFD.
  Texts have no control characters but white space (NUL, ESC, DEL, C1 ...
  are removed): ``clean_text``.
* A date is within its platform's lifetime (``Platform.since`` to tomorrow):
  ``save_posts`` refuses a post dated otherwise, and ``load_posts`` leaves out
  such a date (and such characters) of a store written before it checked, so
  ``prepare`` never writes them.
* A display name is one clean line of at most ``record.MAX_NAME`` characters;
  an avatar is a clean http(s) URL or None (``text.clean_url``).
* Ids are unique: the first post with an id wins, so "N new posts" is what
  the store gained.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hf_tweets import platforms
from hf_tweets.cards.record import MAX_NAME
from hf_tweets.errors import HfTweetsError, SourceError, UnsafePathError
from hf_tweets.fsutil import atomic_write_text, child
from hf_tweets.platforms import Account
from hf_tweets.platforms.base import shortened
from hf_tweets.sources.dates import iso_utc
from hf_tweets.text import clean_line, replace_lone_surrogates, snippet

KINDS = ("post", "retweet", "reply")


@dataclass(frozen=True)
class Post:
    id: str
    created_at: str  # ISO 8601, UTC, e.g. 2021-03-03T16:17:23Z ("" when the source has no date)
    text: str
    kind: str = "post"
    cw: bool = False  # behind a content warning


@dataclass
class Profile:
    handle: str
    display_name: str
    avatar: str | None = None
    source: str = ""
    platform: str = platforms.DEFAULT
    consent: str = "public"  # "self": the holder's own export; "permission": they agreed (fetch --consent permission)

    @property
    def account(self) -> Account:
        return Account(self.platform, self.handle)


def _account(who: Account | str) -> Account:
    """An account; a plain string is an X handle (what every source gave before there were others)."""
    return who if isinstance(who, Account) else Account(platforms.DEFAULT, who)


def user_file(data_dir: Path, who: Account | str, suffix: str) -> Path:
    """data/raw/<file name><suffix>: the one way an account becomes a path; UnsafePathError unless it is one."""
    who = _account(who)
    kind = platforms.REGISTRY.get(who.platform)
    if kind is None or not isinstance(who.handle, str) or kind.handle(who.handle) != who.handle:
        raise UnsafePathError(
            f"{snippet(who.handle)} is not {'an account of ' + kind.title if kind else 'an account'},"
            " so it cannot name a file",
            where=data_dir / "raw",
            fix=kind.syntax() if kind else f"use one of the platforms {', '.join(platforms.REGISTRY)}",
        )
    # child() also takes a leading "_", as X handles may have; a long name keeps its start and gets a hash
    return child(data_dir / "raw", shortened(kind.file_name(who.handle), 80), suffix)


def raw_path(data_dir: Path, who: Account | str) -> Path:
    return user_file(data_dir, who, ".jsonl")


def profile_path(data_dir: Path, who: Account | str) -> Path:
    return user_file(data_dir, who, ".user.json")


def display_name(value: object, handle: str) -> str:
    """A profile's name as stored: one clean line of at most MAX_NAME characters; the handle when there is none."""
    if not isinstance(value, str):
        return handle
    # Cut before cleaning: a 20 MB "name" is not normalised only to be cut afterwards.
    name = clean_line(replace_lone_surrogates(value[: MAX_NAME * 4]))[:MAX_NAME].rstrip()
    return name or handle


def load_posts(data_dir: Path, who: Account | str) -> list[Post]:
    """The stored posts of a user, newest first; SourceError when there are none."""
    path, who = raw_path(data_dir, who), _account(who)
    if not path.exists():
        raise SourceError(f"no posts stored for {who} in {path.parent}", fix=f"run hf-tweets fetch {who} first")
    # split("\n"), not splitlines(): the lines are JSON with ensure_ascii=False, so U+2028, U+0085 ... may be in a text
    posts = [Post(**json.loads(line)) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
    lifetime = _lifetime(who.platform)
    return [_sane(post, lifetime) for post in posts]


def _sane(post: Post, lifetime: tuple[str, str]) -> Post:
    """A stored post as prepare may use it, from a store written before save_posts checked: without a date outside
    its platform's lifetime, or control characters."""
    text = clean_text(post.text)
    dated = not post.created_at or lifetime[0] <= post.created_at <= lifetime[1]
    return (
        post if dated and text is post.text else replace(post, created_at=post.created_at if dated else "", text=text)
    )


def stored_accounts(data_dir: Path) -> list[Account]:
    """The accounts whose posts are in the store (a profile, data/raw/*.user.json, beside its posts), in file
    order; a profile that does not read (damaged, or another account's file) names none."""
    accounts = []
    for path in sorted((data_dir / "raw").glob("*.user.json")):
        try:
            profile = Profile(**json.loads(path.read_text(encoding="utf-8")))
            account = platforms.account(profile.platform, profile.handle)
        except (OSError, ValueError, TypeError, HfTweetsError):
            continue
        posts = raw_path(data_dir, account)
        if posts == path.with_name(path.name.removesuffix(".user.json") + ".jsonl") and posts.is_file():
            accounts.append(account)
    return accounts


def load_profile(data_dir: Path, who: Account | str) -> Profile:
    path, who = profile_path(data_dir, who), _account(who)
    if not path.exists():
        return Profile(who.handle, who.handle, platform=who.platform)
    return Profile(**json.loads(path.read_text(encoding="utf-8")))


def save_posts(data_dir: Path, who: Account | str, posts: list[Post]) -> tuple[int, int]:
    """Merge ``posts`` into the user's file (by id), atomically. Return (new posts, total). SourceError, before
    anything is written, for a post dated outside its platform's lifetime; control characters are removed."""
    path, who = raw_path(data_dir, who), _account(who)
    existing = {p.id: p for p in (load_posts(data_dir, who) if path.exists() else [])}
    new: dict[str, Post] = {}
    lifetime = _lifetime(who.platform)
    for post in posts:  # a source may list a post twice: the first one counts
        if post.id not in existing and post.id not in new:
            new[post.id] = _checked(post, who, lifetime)
    ordered = sorted([*existing.values(), *new.values()], key=lambda p: (p.created_at, _numeric(p.id)), reverse=True)
    atomic_write_text(path, "".join(_line(p) for p in ordered))
    return len(new), len(ordered)


# C0, DEL and C1 but those that are white space (tab, newlines, form feed, NEL ...: prepare's to normalise)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


def clean_text(text: str) -> str:
    """``text`` without the control characters that are not white space (NUL, ESC, DEL, C1 ...)."""
    return text if _CONTROL.search(text) is None else _CONTROL.sub("", text)


def _lifetime(platform: str) -> tuple[str, str]:
    """(the first, the last date) a post of ``platform`` can have, as ISO strings that compare as dates."""
    kind = platforms.REGISTRY.get(platform)
    return (kind.since if kind else ""), iso_utc(datetime.now(timezone.utc) + timedelta(days=1))


def _checked(post: Post, who: Account, lifetime: tuple[str, str]) -> Post:
    """``post`` with its text cleaned; SourceError when its date is outside ``lifetime``."""
    first, last = lifetime
    if post.created_at and not first <= post.created_at <= last:
        title = platforms.get(who.platform).title
        raise SourceError(
            f"{who}'s post {snippet(post.id)} is dated {post.created_at}, "
            + (f"before {title} began ({first})" if post.created_at < first else "in the future"),
            fix="is the export altered or damaged? download it again (hf-tweets stores only dates a post can have)",
        )
    text = clean_text(post.text)
    return post if text is post.text else replace(post, text=text)


def _line(post: Post) -> str:  # asdict() deep-copies; this is the same object, written fast
    fields = {"id": post.id, "created_at": post.created_at, "text": post.text, "kind": post.kind}
    return json.dumps(fields | {"cw": True} if post.cw else fields, ensure_ascii=False) + "\n"


def save_profile(data_dir: Path, profile: Profile) -> None:
    data = asdict(profile)
    for key, default in (("platform", platforms.DEFAULT), ("consent", "public")):  # as X profiles always were
        if data[key] == default:
            del data[key]
    atomic_write_text(profile_path(data_dir, profile.account), json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def _numeric(post_id: str) -> int:
    return int(post_id) if post_id.isdigit() else 0


def post_id_ok(value: object) -> bool:
    """Whether a source's id can name a post: a whole number, or a string of 1-64 printable characters."""
    if value.__class__ is str:  # what X writes, checked 100,000 times for a large archive
        return 0 < len(value) <= 64 and value.isprintable()
    return isinstance(value, int) and not isinstance(value, bool) and -(10**64) < value < 10**64
