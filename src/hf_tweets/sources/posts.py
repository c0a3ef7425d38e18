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
  none; ``parse_date`` is the one reader of the formats sources use.
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

import calendar
import csv
import hashlib
import io
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


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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


_MONTHS = {m: f"{i:02d}" for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}


_X_DATE = re.compile(
    r"[A-Za-z]{3} +([A-Za-z]{3}) +(\d{1,2}) +(\d{1,2}):(\d{2}):(\d{2}) +([+-])(\d{2})(\d{2}) +(\d{4})", re.ASCII
)
# ISO 8601 (extended), "2013-01-31 17:42:33 +0000" (Grailbird-era archives) and 2021/03/04; no zone is UTC.
_ISO_DATE = re.compile(
    r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r" ?(Z|[+-]\d{2}(?::?\d{2})?)?)?",
    re.IGNORECASE | re.ASCII,
)
# "Mar 03" -> "03-03" for every day of a leap year: with it, the fast path below checks a day with one lookup.
_MONTH_DAYS = {
    f"{name} {day:02d}": f"{month}-{day:02d}"
    for name, month in _MONTHS.items()
    for day in range(1, calendar.monthrange(2000, int(month))[1] + 1)
}


def date_or_refuse(value: object, what: str, *, where: str | Path, fix: str) -> str:
    """``parse_date(value)``, or a SourceError naming the post (``what``) and how its source writes dates (``fix``)."""
    try:
        return parse_date(value)
    except ValueError as error:
        raise SourceError(f"{what}: created_at {error}", where=where, fix=fix) from None


def parse_date(value: object) -> str:
    """A source's date as the store keeps it, "2021-03-04T16:17:23Z" (UTC), or "" for none; ValueError if not a date."""
    # What X writes ("Wed Mar 03 16:17:23 +0000 2021") is read with slices at fixed places: prepare's benchmark
    # reads 100,000 of them, strptime is 10x slower, and even a regex match costs a tenth of the archive's
    # reading time. Anything else (another zone, a one-digit day, ISO) goes the slow way.
    if value.__class__ is str and len(value) == 30 and value[19:26] == " +0000 " and value[3] == value[10] == " ":
        month_day, time, year = _MONTH_DAYS.get(value[4:10]), value[11:19], value[26:]
        if (
            month_day
            and "0000" < year
            and year.isascii()
            and year.isdigit()
            and time[2] == ":" == time[5]
            and time[:2] < "24"
            and time[3:5] < "60"
            and time[6:] < "60"
            and time.replace(":", "").isdigit()
            and (month_day != "02-29" or calendar.isleap(int(year)))
        ):
            return f"{year}-{month_day}T{time}Z"
    return _usual_iso_date(value) or _parse_other_date(value)


def _usual_iso_date(value: object) -> str | None:
    """What Bluesky clients and Mastodon write, 2024-06-01T12:00:00.000Z (UTC, milliseconds), as the general way
    reads it, checked by datetime's C parser: the general way takes a third of a 100,000-post export's reading."""
    if value.__class__ is not str or len(value) != 24 or value[19:20] != "." or value[23] != "Z" or value[10] != "T":
        return None
    if not value.isascii() or not value[20:23].isdigit():
        return None
    try:
        datetime.fromisoformat(value[:19])
    except ValueError:
        return None
    return value[:19] + "Z"


def _parse_other_date(value: object) -> str:
    if value is None or isinstance(value, str) and not value.strip():
        return ""
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError(f"{snippet(value)} is not a date")
    try:
        moment = _x_date(value.strip()) or _iso_date(value.strip())
        if moment is None:
            raise ValueError(f"{snippet(value)} is not a date")
        if moment.tzinfo is not None:
            moment = moment.replace(tzinfo=None) - moment.utcoffset()
    except (ValueError, OverflowError):
        raise ValueError(f"{snippet(value)} is not a date") from None
    date = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"  # strftime pads years < 1000 on some platforms only
    return f"{date}T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"


def _x_date(value: str) -> datetime | None:
    match = _X_DATE.fullmatch(value)
    if not match or match[1].title() not in _MONTHS:
        return None
    _, day, hour, minute, second, sign, zone_hours, zone_minutes, year = match.groups()
    return datetime(
        int(year),
        int(_MONTHS[match[1].title()]),
        int(day),
        int(hour),
        int(minute),
        int(second),
        tzinfo=_zone(sign, zone_hours, zone_minutes),
    )


def _iso_date(value: str) -> datetime | None:
    match = _ISO_DATE.fullmatch(value)
    if not match:
        return None
    year, _, month, day, hour, minute, second, zone = match.groups()
    moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    if not zone or zone.upper() == "Z":
        return moment
    digits = zone[1:].replace(":", "")
    return moment.replace(tzinfo=_zone(zone[0], digits[:2], digits[2:] or "0"))


def _zone(sign: str, hours: str, minutes: str) -> timezone:
    """+hh mm as a timezone; ValueError past 23:59."""
    if int(minutes) > 59:
        raise ValueError("an offset's minutes")
    offset = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-offset if sign == "-" else offset)


MAX_LINE = 1_000_000  # characters in one line of a .jsonl file; X's longest posts are 25,000


def read_text_file(path: Path) -> list[Post]:
    """Posts from a JSONL file (objects with "text"; optionally "id", "created_at", "kind") or a CSV with "text"."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SourceError("no such file", where=path) from None
    except UnicodeDecodeError:
        raise SourceError("is not UTF-8 text", where=path, fix="save it as UTF-8") from None
    nul = raw.find("\x00")
    if nul >= 0:
        raise SourceError(
            f"line {raw.count(chr(10), 0, nul) + 1} has a NUL byte",
            where=path,
            fix="is it a text file? save the posts as UTF-8 .jsonl or .csv",
        )
    rows = _csv_rows(raw, path) if path.suffix.lower() == ".csv" else _jsonl_rows(raw, path)
    posts = [_row_post(row, number, path) for number, row in rows]
    if not posts:
        raise SourceError("has no posts", where=path)
    return posts


def _row_post(row: dict, number: int, path: Path) -> Post:
    text = row.get("text")
    if not isinstance(text, str):
        raise SourceError(f'line {number} has no "text"', where=path, fix="every row needs the post's text")
    text = replace_lone_surrogates(text)
    kind = row.get("kind") or "post"
    if not isinstance(kind, str) or kind not in KINDS:
        raise SourceError(
            f"line {number}: kind {snippet(kind)} must be one of {', '.join(KINDS)}",
            where=path,
            fix="leave it out for a post",
        )
    created_at = date_or_refuse(
        row.get("created_at"),
        f"line {number}",
        where=path,
        fix="write dates like 2021-03-04T16:17:23Z (ISO 8601) or 2021/03/04, or leave them out",
    )
    # Without an id, the text names the post, so importing the same file again adds nothing.
    post_id = row.get("id") or "text-" + hashlib.sha1(text.encode()).hexdigest()[:16]
    if not post_id_ok(post_id):
        raise SourceError(
            f"line {number}: id {snippet(post_id)} is not an id",
            where=path,
            fix="give ids as strings or whole numbers of at most 64 characters, or leave them out",
        )
    return Post(str(post_id), created_at, text, kind)


def post_id_ok(value: object) -> bool:
    """Whether a source's id can name a post: a whole number, or a string of 1-64 printable characters."""
    if value.__class__ is str:  # what X writes, checked 100,000 times for a large archive
        return 0 < len(value) <= 64 and value.isprintable()
    return isinstance(value, int) and not isinstance(value, bool) and -(10**64) < value < 10**64


def _jsonl_rows(raw: str, path: Path) -> list[tuple[int, dict]]:
    rows = []
    for number, line in enumerate(raw.split("\n"), 1):  # not splitlines(): U+2028 and friends may sit in a JSON string
        if not line.strip():
            continue
        if len(line) > MAX_LINE:
            raise SourceError(
                f"line {number} is {len(line):,} characters long; a post is at most {MAX_LINE:,}",
                where=path,
                fix="give one post per line",
            )
        try:
            row = json.loads(line)
        except RecursionError:
            raise SourceError(
                f"line {number} is nested too deeply",
                where=path,
                fix='give one flat JSON object per line, such as {"text": "..."}',
            ) from None
        except ValueError:
            raise SourceError(
                f"{path}: line {number} is not JSON; give one JSON object per line, or a .csv file"
            ) from None
        if not isinstance(row, dict):
            raise SourceError(
                f"line {number} is not a JSON object",
                where=path,
                fix='give one object per line, such as {"text": "..."}',
            )
        rows.append((number, row))
    return rows


def _csv_rows(raw: str, path: Path) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(raw, newline=""))
    rows = []
    try:
        if not reader.fieldnames or "text" not in reader.fieldnames:
            raise SourceError(f'{path}: the CSV needs a header row with a "text" column')
        rows.extend((reader.line_num, row) for row in reader)
    except csv.Error as error:
        raise SourceError(
            f"line {reader.reader.line_num} is not valid CSV ({error})",
            where=path,
            fix="save it as comma-separated UTF-8 with a header row",
        ) from None
    return rows
