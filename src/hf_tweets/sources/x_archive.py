"""Read the archive X gives every account holder ("Download your data"), of any generation, without running it.

Accepts the zip, the unpacked folder, or one bare tweets file of any name (its content says what
it is, not its name). Two generations:

* since 2019: the tweet parts (``tweets.js``, ``tweet.js``, ``tweets-part1.js``, ...), each
  ``window.YTD.<name>.partN = [{"tweet": {...}}, ...]``, and ``account.js`` (handle, display
  name) and ``profile.js`` (avatar) in the same form;
* before 2019 ("Grailbird", see x_grailbird.py): one part a month, ``data/js/tweets/YYYY_MM.js``
  (``Grailbird.data.tweets_YYYY_MM = [{...}, ...]``), and ``data/js/user_details.js``.

Nothing else is opened. The assignment before ``=`` is cut and the rest parsed as data: tweet
parts as strict JSON (X writes them so, they are large, and JSON5 reads ~1,500 times slower), the
small side files as JSON or, when a code formatter has rewritten them (bare keys, single quotes,
trailing commas, a ``;``), as JSON5. A side file that cannot be used does not stop the posts: it
is handed back in ``Archive.unread`` with what was used instead, and fetch.py decides.

A stranger's archive is read as hostile: the parts are inflated in chunks,
counting real bytes (never the zip's declared sizes), and refused past
``settings.archive_limits()`` (a total, and a ratio per part larger than 1 MiB,
against zip bombs); those limits, a damaged zip and a file that cannot be read
stop the import even for a side file. In a folder, only regular files inside it
are read (no links out of it, no FIFOs). The handle must be an X handle, dates
are read with ``dates.parse_date``, a lone surrogate in a text or name becomes
U+FFFD, the display name is clipped and the avatar cleaned (see posts.py).
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from pathlib import Path

import json5

from hf_tweets import settings
from hf_tweets.cards.record import HANDLE_RE
from hf_tweets.errors import SourceError
from hf_tweets.sources import x_grailbird as grailbird
from hf_tweets.sources.dates import date_or_refuse
from hf_tweets.sources.exports import CHUNK, RATIO_FLOOR, Archive, collector_paused, open_regular
from hf_tweets.sources.posts import Post, Profile, display_name, post_id_ok
from hf_tweets.text import clean_line, clean_url, replace_lone_surrogates, snippet

TWEET_PART = re.compile(r"(?:^|/)data/tweets?(?:-part\d+)?\.js$|^tweets?(?:-part\d+)?\.js$")
_TWEETS_PREFIX = re.compile(rf"\s*(?:(window\.YTD\.[A-Za-z_]+\.part\d+)|{grailbird.PART_PREFIX})\s*=\s*")
_YTD_PREFIX = re.compile(r"\s*window\.YTD\.[A-Za-z_]+\.part\d+\s*=\s*")
_ACCOUNT, _PROFILE = re.compile(r"(?:^|/)data/account\.js$"), re.compile(r"(?:^|/)data/profile\.js$")
LENIENT_MAX = 64 * 1024  # characters of a side file read as JSON5 (at most ~4 s); a real account.js has under 1,000


def read_archive(path: Path, include_replies: bool = True) -> Archive:
    """The profile (or None), posts, replies left out and unusable side files of a zip, a folder or a tweets file."""
    with _Members.open(path) as members:
        parts, modern = _parts(members)
        posts: list[Post] = []
        skipped, newest = 0, ("", None, "")
        with collector_paused():
            for name in parts:
                left_out, found = _read_part(members.read(name), members.where(name), include_replies, posts)
                skipped += left_out
                if found[1] is not None and (newest[1] is None or found[0] >= newest[0]):
                    newest = found
        unread: list[SourceError] = []
        profile = _account(members, unread) if modern else _grailbird_owner(members, newest, unread)
        return Archive(profile, posts, skipped, unread)


def _parts(members: _Members) -> tuple[list[str], bool]:
    """(the tweet parts to read, whether the archive is the modern kind): a modern archive's parts if it has any
    (a Grailbird folder left in it is not read), else the Grailbird monthly parts."""
    if members.bare:
        return members.names(), False
    for pattern, modern in ((TWEET_PART, True), (grailbird.PART, False)):
        parts = sorted(name for name in members.names() if pattern.search(name))
        if parts:
            return parts, modern
    raise SourceError(
        f"{members.path}: no data/tweets.js (or tweet.js, or data/js/tweets/ of an archive from before 2019) in it;"
        ' is it an X archive ("Download your data")?'
    )


def _read_part(data: bytearray, where: str, include_replies: bool, posts: list[Post]) -> tuple[int, tuple]:
    """Add one tweet part's posts to ``posts``; return how many replies were left out, and (created_at, user, where)
    of its newest tweet with a ``user`` (Grailbird tweets say whose they are; the modern ones do not).

    A function of its own so that the part's parsed JSON is freed before the next part is parsed.
    """
    tweets, wrapped, escaped = _tweets(data, where)
    skipped, newest, user = 0, "", None
    for tweet in tweets:
        post = _post(tweet, where, escaped)
        if not wrapped and post.created_at >= newest and isinstance(tweet.get("user"), dict):
            newest, user = post.created_at, tweet["user"]
        if post.kind == "reply" and not include_replies:
            skipped += 1
            continue
        posts.append(post)
    return skipped, (newest, user, where)


class _Members:
    """The archive's files by their path inside it, for a zip, a folder or one bare file, read within the limits."""

    def __init__(self, path: Path, names: list[str], opener, close=lambda: None, bare: bool = False):
        self.path, self._names, self._opener, self._close, self.bare = path, names, opener, close, bare
        self._max_bytes, self._max_ratio = settings.archive_limits()
        self._read = 0

    @classmethod
    def open(cls, path: Path) -> _Members:
        if path.is_dir():
            root = path.resolve()
            names = sorted(p.relative_to(path).as_posix() for p in path.rglob("*.js"))
            return cls(path, names, lambda name: (open_regular(root / name, f"{path}:{name}", root), None))
        if not path.exists():
            raise SourceError(
                f"{path}: no such file or folder; give the archive's .zip, its unpacked folder, or tweets.js"
            )
        if not _zipped(path) and path.suffix.lower() != ".zip":  # the content says what it is, not the name
            return cls(path, [path.name], lambda name: (open_regular(path, str(path)), None), bare=True)
        try:
            archive = zipfile.ZipFile(path)
            infos = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            raise SourceError(
                f"{path}: is not a zip archive (or the zip is damaged); download the archive again"
            ) from None
        size = path.stat().st_size  # a part cannot be packed in more bytes than the file has, whatever its header says
        return cls(
            path,
            list(infos),
            lambda name: (archive.open(infos[name]), min(infos[name].compress_size, size)),
            archive.close,
        )

    def where(self, name: str) -> str:
        """How errors name the file ``name``: archive:path/inside, or the bare file's path."""
        return str(self.path) if self.bare else f"{self.path}:{name}"

    def find(self, pattern: re.Pattern) -> str | None:
        """The first side file whose path matches ``pattern`` (a bare tweets file has none)."""
        return None if self.bare else next((n for n in self._names if pattern.search(n)), None)

    def names(self) -> list[str]:
        return list(self._names)

    def read(self, name: str) -> bytearray:
        """The part's bytes, inflated chunk by chunk; SourceError as soon as a limit is passed."""
        where = self.where(name)
        try:
            stream, packed = self._opener(name)
            with stream:
                data = bytearray()
                while chunk := stream.read(CHUNK):
                    data += chunk
                    self._read += len(chunk)
                    self._check(where, len(data), packed)
                return data
        except (NotImplementedError, RuntimeError) as error:  # a compression zipfile lacks, or a password
            raise SourceError(
                "is packed in a way hf-tweets cannot read",
                where=where,
                fix=f"unpack it yourself and give the folder ({error})",
            ) from None
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise SourceError(
                f"{self.path}: the zip is damaged ({str(error) or 'it ends too early'}); download the archive again"
            ) from None
        except OSError as error:
            raise SourceError(
                f"cannot be read ({error.strerror or error})", where=where, fix="check the file and run fetch again"
            ) from None

    def _check(self, where: str, size: int, packed: int | None) -> None:
        if self._read > self._max_bytes:
            raise SourceError(
                f"the parts read from the archive add up to more than {self._max_bytes:,} bytes",
                where=where,
                fix=f"if it really is an X archive, set {settings.ARCHIVE_MAX_BYTES_ENV} to a larger number of bytes",
            )
        if packed is not None and size > RATIO_FLOOR and size > self._max_ratio * max(packed, 1):
            raise SourceError(
                f"inflates more than {self._max_ratio:g} times its packed size (a zip bomb?)",
                where=where,
                fix=f"if the archive really is yours, set {settings.ARCHIVE_MAX_RATIO_ENV} to allow it",
            )

    def __enter__(self) -> _Members:
        return self

    def __exit__(self, *exc) -> None:
        self._close()


def _zipped(path: Path) -> bool:
    """Whether the (regular) file ``path`` starts as a zip does."""
    with open_regular(path, str(path)) as stream:
        return stream.read(4) in (b"PK\x03\x04", b"PK\x05\x06")  # a member, or the end of an empty zip


def _tweets(data: bytearray, where: str) -> tuple[list[dict], bool, bool]:
    """(one part's tweet objects, whether X wrapped each in {"tweet": ...}, whether a lone surrogate may be in them).

    Modern parts are ``window.YTD.tweets.partN = [{"tweet": {...}}]``, Grailbird ones ``Grailbird.data.tweets_YYYY_MM
    = [{...}]``; a bare array may be either (its first element says which).
    """
    text = _text(data, where)
    prefix = _TWEETS_PREFIX.match(text)
    if prefix is None and not text.lstrip().startswith("["):
        raise SourceError(
            "does not start with window.YTD.<name>.partN = [...], Grailbird.data.tweets_YYYY_MM = [...] or [",
            where=where,
            fix="is it from an X archive?",
        )
    body = text[prefix.end() :] if prefix else text
    items = _json(body, where)
    if prefix:
        wrapped = prefix[1] is not None
    else:
        wrapped = isinstance(items, list) and bool(items) and isinstance(items[0], dict) and "tweet" in items[0]
    if not wrapped:
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise SourceError("is not a list of tweets", where=where, fix="is it the right file?")
        return items, False, _escaped(body)
    return _values(items, "tweet", where), True, _escaped(body)


def _escaped(body: str) -> bool:
    # Valid UTF-8 holds no surrogates, so a lone one can only come from a \uD8xx-\uDFxx escape: look only then.
    return "\\ud" in body or "\\uD" in body


def _values(items: object, key: str, where: str) -> list[dict]:
    """The {key: {...}} objects' values; SourceError unless ``items`` is a list of them."""
    if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get(key), dict) for i in items):
        raise SourceError(f'is not a list of {{"{key}": {{...}}}} objects', where=where, fix="is it the right file?")
    return [item[key] for item in items]


def _text(data: bytearray, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SourceError("is not UTF-8 text", where=where, fix="is it from an X archive?") from None


def _json(body: str, where: str) -> object:
    """``body`` (what follows the ``=``) parsed as JSON; a ``;`` after it is allowed, as JavaScript allows it."""
    try:
        return json.loads(_without_semicolon(body))
    except RecursionError:
        raise SourceError("is nested too deeply", where=where, fix="is it an X archive?") from None
    except ValueError as error:  # also a number of more than 4,300 digits
        raise SourceError(
            f"the array after '=' is not valid JSON ({_json_problem(error)})", where=where, fix="the file is damaged"
        ) from None


def _lenient(text: str, start: int, where: str) -> object:
    """A side file's value (``text`` from ``start``): JSON, or else, when a code formatter rewrote it, a JavaScript
    object literal, read as JSON5 (with the assignment blanked out, so that its errors give the file's lines)."""
    body = _without_semicolon(text[start:])
    try:
        return json.loads(body)
    except RecursionError:
        raise SourceError("is nested too deeply", where=where, fix="is it an X archive?") from None
    except ValueError as error:
        if len(body) > LENIENT_MAX:  # JSON5 is pure Python: a large file would take minutes
            raise SourceError(
                f"is not valid JSON ({_json_problem(error)}), and at {len(body):,} characters too long to read as a"
                " JavaScript object literal",
                where=where,
                fix="is the file damaged?",
            ) from None
    try:
        return json5.loads(re.sub(r"[^\n]", " ", text[:start]) + body)
    except RecursionError:
        raise SourceError("is nested too deeply", where=where, fix="is it an X archive?") from None
    except ValueError as error:
        problem = clean_line(re.sub(r"^<string>:(\d+) ", r"line \1: ", str(error)))[:100]
        raise SourceError(
            f"is neither JSON nor a JavaScript object literal ({problem})", where=where, fix="is the file damaged?"
        ) from None


def _without_semicolon(body: str) -> str:
    end = body.rstrip()  # the same string, not a copy, when nothing trails it
    return end[:-1] if end.endswith(";") else body


def _json_problem(error: ValueError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at char {error.pos}"
    return str(error)[:80]


def _post(tweet: dict, where: str, escaped: bool) -> Post:
    text, key = tweet.get("full_text", tweet.get("text")), "id_str" if "id_str" in tweet else "id"
    tweet_id = tweet.get(key)
    if not isinstance(text, str) or tweet_id is None:
        raise SourceError(
            "a tweet has no id_str or full_text (text)", where=where, fix="the file is not the expected shape"
        )
    if not post_id_ok(tweet_id):
        raise SourceError(f"a tweet's {key} {snippet(tweet_id)} is not an id", where=where, fix="is the file damaged?")
    if escaped:
        text = replace_lone_surrogates(text)
    if tweet.get("retweeted") is True or text.startswith("RT @") or "retweeted_status" in tweet:
        kind = "retweet"
    elif tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_status_id"):
        kind = "reply"
    else:
        kind = "post"
    created = date_or_refuse(
        tweet.get("created_at"),
        f"tweet {tweet_id}",
        where=where,
        fix="X writes dates like 'Wed Mar 03 16:17:23 +0000 2021' (before 2019: '2013-01-31 17:42:33 +0000');"
        " is the file damaged?",
    )
    return Post(str(tweet_id), created, text, kind)


def _account(members: _Members, unread: list[SourceError]) -> Profile | None:
    """The owner from account.js (handle, display name) and profile.js (avatar); None if account.js is missing or
    cannot be used (then it is in ``unread``)."""
    account_js = _side_file(members, _ACCOUNT, _YTD_PREFIX, "window.YTD.account.part0 = [...]")
    profile_js = _side_file(members, _PROFILE, _YTD_PREFIX, "window.YTD.profile.part0 = [...]")
    try:
        found = _first(account_js, "account")
        if found is None:
            return None
        where, account = found
        if "username" not in account:
            raise SourceError("has no username", where=where)
        handle = account["username"]
        if not isinstance(handle, str) or not HANDLE_RE.fullmatch(handle):
            raise SourceError(f"username {snippet(handle)} is not an X handle", where=where)
    except SourceError as error:
        unread.append(SourceError(error.what, where=error.where))
        return None
    try:
        profile = _first(profile_js, "profile")
        avatar = profile[1].get("avatarMediaUrl") if profile else None
    except SourceError as error:
        unread.append(SourceError(error.what, where=error.where, fix="the avatar is left out"))
        avatar = None
    return Profile(handle, display_name(account.get("accountDisplayName"), handle), _avatar(avatar), "archive")


def _first(found: tuple[str, object] | SourceError | None, key: str) -> tuple[str, dict] | None:
    """(where, the first {key: {...}} object) of a side file ``_side_file`` found; raises what it could not parse."""
    if isinstance(found, SourceError):
        raise found
    if found is None:
        return None
    where, value = found
    items = _values(value, key, where)
    if not items:
        raise SourceError(f"has no {key}", where=where)
    return where, items[0]


def _side_file(members: _Members, pattern: re.Pattern, prefix: re.Pattern, shape: str):
    """(where, the value after ``=``) of the side file ``pattern`` finds; None without one; the SourceError (returned,
    not raised) when its content cannot be parsed. Reading it raises: the limits, a damaged zip or a file that
    cannot be opened stop the import, for a side file as for a part."""
    name = members.find(pattern)
    if name is None:
        return None
    where, data = members.where(name), members.read(name)
    try:
        text = _text(data, where)
        found = prefix.match(text)
        if found is None and not text.lstrip().startswith(("[", "{")):  # a bare value is read too, as ever
            raise SourceError(f"does not start with {shape}", where=where)
        return where, _lenient(text, found.end() if found else 0, where)
    except SourceError as error:
        return error


def _grailbird_owner(members: _Members, newest: tuple, unread: list[SourceError]) -> Profile | None:
    """The owner of a Grailbird archive (or of a bare tweets file whose tweets say whose they are)."""
    details = _side_file(members, grailbird.DETAILS, grailbird.DETAILS_PREFIX, "var user_details = {...}")
    _, user, tweets_where = newest
    owner = grailbird.owner(details, user, tweets_where, unread)
    if owner is None:
        return None
    return Profile(owner.handle, display_name(owner.name, owner.handle), _avatar(owner.avatar), "archive")


def _avatar(url: object) -> str | None:
    """A clean avatar URL, in its 400x400 size (X names the sizes in the file name)."""
    avatar = clean_url(url)
    return re.sub(r"_(normal|bigger|mini)\.", "_400x400.", avatar) if avatar else None


def recognises(path: Path) -> bool:
    """X's reader is the fallback (sources/registry.py): it takes what no other reader recognises, and says why
    it is not an X archive when it is none."""
    return False


read_export = read_archive
