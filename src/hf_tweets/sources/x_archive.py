"""Read the archive X gives every account holder ("Download your data"), without running any of it.

Accepts the zip, the unpacked folder, or a bare ``tweets.js``. Reads only the
tweet parts (``tweets.js``, ``tweet.js``, ``tweets-part1.js``, ...), ``account.js``
(handle, display name) and ``profile.js`` (avatar); nothing else is opened.
Each part is ``window.YTD.<name>.partN = [...]``: the prefix is cut and the
array parsed as JSON.

A stranger's archive is read as hostile: the parts are inflated in chunks,
counting real bytes (never the zip's declared sizes), and refused past
``settings.archive_limits()`` (a total, and a ratio per part larger than 1 MiB,
against zip bombs); in a folder, only regular files inside it are read (no
links out of it, no FIFOs). The handle must be an X handle, dates are read
with ``posts.parse_date``, a lone surrogate in a text or name becomes U+FFFD,
the display name is clipped and the avatar cleaned (see posts.py).
"""

from __future__ import annotations

import gc
import json
import os
import re
import stat
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path

from hf_tweets import settings
from hf_tweets.cards.record import HANDLE_RE
from hf_tweets.errors import SourceError
from hf_tweets.sources.posts import Post, Profile, display_name, parse_date, post_id_ok
from hf_tweets.text import clean_url, replace_lone_surrogates, snippet

TWEET_PART = re.compile(r"(?:^|/)data/tweets?(?:-part\d+)?\.js$|^tweets?(?:-part\d+)?\.js$")
_PREFIX = re.compile(r"^\s*window\.YTD\.[A-Za-z_]+\.part\d+\s*=\s*", re.S)
CHUNK = 1024**2
RATIO_FLOOR = 1024**2  # parts that inflate to less may compress as well as they like


def read_archive(path: Path, include_replies: bool = True) -> tuple[Profile | None, list[Post], int]:
    """(profile or None, posts, replies skipped) from a zip, a folder or a tweets.js."""
    members = _Members.open(path)
    with members:
        parts = sorted(name for name in members.names() if TWEET_PART.search(name))
        if not parts:
            raise SourceError(
                f'{path}: no data/tweets.js (or tweet.js) in it; is it an X archive ("Download your data")?'
            )
        posts, skipped = [], 0
        with _collector_paused():
            for name in parts:
                skipped += _read_part(members.read(name), f"{path}:{name}", include_replies, posts)
        return _profile(members, path), posts, skipped


@contextmanager
def _collector_paused():
    """Parsed JSON holds no reference cycles, so the cycle collector has nothing to find in it; left on, it
    walks every tweet again each time json.loads has made 700 objects: a third of the reading time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_part(data: bytearray, where: str, include_replies: bool, posts: list[Post]) -> int:
    """Add one tweet part's posts to ``posts``; return how many replies were left out.

    A function of its own so that the part's parsed JSON is freed before the next part is parsed.
    """
    tweets, escaped = _array(data, where, "tweet")
    skipped = 0
    for item in tweets:
        post = _post(item, where, escaped)
        if post.kind == "reply" and not include_replies:
            skipped += 1
            continue
        posts.append(post)
    return skipped


class _Members:
    """The archive's files by their path inside it, for a zip, a folder or one .js file, read within the limits."""

    def __init__(self, path: Path, names: list[str], opener, close=lambda: None):
        self.path, self._names, self._opener, self._close = path, names, opener, close
        self._max_bytes, self._max_ratio = settings.archive_limits()
        self._read = 0

    @classmethod
    def open(cls, path: Path) -> _Members:
        if path.is_dir():
            root = path.resolve()
            names = sorted(p.relative_to(path).as_posix() for p in path.rglob("*.js"))
            return cls(path, names, lambda name: (_open_regular(root / name, f"{path}:{name}", root), None))
        if not path.exists():
            raise SourceError(
                f"{path}: no such file or folder; give the archive's .zip, its unpacked folder, or tweets.js"
            )
        if path.suffix == ".js":
            return cls(path, [path.name], lambda name: (_open_regular(path, str(path)), None))
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

    def names(self) -> list[str]:
        return list(self._names)

    def read(self, name: str) -> bytearray:
        """The part's bytes, inflated chunk by chunk; SourceError as soon as a limit is passed."""
        where = f"{self.path}:{name}"
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


def _open_regular(path: Path, where: str, root: Path | None = None):
    """A binary stream of ``path`` if it is a regular file (inside ``root`` once links are followed)."""
    real = path.resolve()
    if root is not None and not real.is_relative_to(root):
        raise SourceError(
            "is a link to outside the archive folder",
            where=where,
            fix="copy the file itself into the folder; hf-tweets does not follow links out of it",
        )
    try:  # O_NONBLOCK: opening a FIFO must not wait for a writer
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError as error:
        raise SourceError(
            f"cannot be read ({error.strerror})", where=where, fix="check the file and its permissions"
        ) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise SourceError("is not a regular file", where=where, fix="give the archive's own files")
    return os.fdopen(fd, "rb")


def _array(data: bytearray, where: str, key: str) -> tuple[list[dict], bool]:
    """(the {key: {...}} objects' values, whether a lone surrogate may be among them) of one part."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SourceError("is not UTF-8 text", where=where, fix="is it from an X archive?") from None
    body, found = _PREFIX.subn("", text, count=1)
    if not found and not text.lstrip().startswith("["):
        raise SourceError(
            "does not start with window.YTD.<name>.partN = [...]", where=where, fix="is it from an X archive?"
        )
    try:
        items = json.loads(body)
    except RecursionError:
        raise SourceError("is nested too deeply", where=where, fix="is it an X archive?") from None
    except json.JSONDecodeError as error:
        raise SourceError(
            f"{where}: the array after '=' is not valid JSON ({error.msg} at char {error.pos}); the file is damaged"
        ) from None
    except ValueError as error:  # a number of more than 4,300 digits
        raise SourceError(
            f"{where}: the array after '=' is not valid JSON ({str(error)[:80]}); the file is damaged"
        ) from None
    if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get(key), dict) for i in items):
        raise SourceError(f'{where}: is not a list of {{"{key}": {{...}}}} objects; is it the right file?')
    # Valid UTF-8 holds no surrogates, so a lone one can only come from a \uD8xx-\uDFxx escape: look only then.
    return [item[key] for item in items], "\\ud" in body or "\\uD" in body


def _post(tweet: dict, where: str, escaped: bool) -> Post:
    text, key = tweet.get("full_text", tweet.get("text")), "id_str" if "id_str" in tweet else "id"
    tweet_id = tweet.get(key)
    if not isinstance(text, str) or tweet_id is None:
        raise SourceError("a tweet has no id_str or full_text", where=where, fix="the file is not the expected shape")
    if not post_id_ok(tweet_id):
        raise SourceError(f"a tweet's {key} {snippet(tweet_id)} is not an id", where=where, fix="is the file damaged?")
    if escaped:
        text = replace_lone_surrogates(text)
    if tweet.get("retweeted") is True or text.startswith("RT @"):
        kind = "retweet"
    elif tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_status_id"):
        kind = "reply"
    else:
        kind = "post"
    try:
        created = parse_date(tweet.get("created_at"))
    except ValueError as error:
        raise SourceError(
            f"tweet {tweet_id}: created_at {error}",
            where=where,
            fix="X writes dates like 'Wed Mar 03 16:17:23 +0000 2021'; is the file damaged?",
        ) from None
    return Post(str(tweet_id), created, text, kind)


def _profile(members: _Members, path: Path) -> Profile | None:
    found = _first(members, "account", path)
    if found is None:
        return None
    where, account = found
    if "username" not in account:
        raise SourceError("has no username", where=where, fix="is it an X archive's account.js?")
    handle = account["username"]
    if not isinstance(handle, str) or not HANDLE_RE.fullmatch(handle):
        raise SourceError(
            f"username {snippet(handle)} is not an X handle",
            where=where,
            fix="an X handle is 1-15 letters, digits or underscores; is it an X archive?",
        )
    profile = (_first(members, "profile", path) or ("", {}))[1]
    avatar = clean_url(profile.get("avatarMediaUrl"))
    if avatar:
        avatar = re.sub(r"_(normal|bigger|mini)\.", "_400x400.", avatar)
    return Profile(handle, display_name(account.get("accountDisplayName"), handle), avatar, "archive")


def _first(members: _Members, key: str, path: Path) -> tuple[str, dict] | None:
    """(where, the first {key: {...}} object) of data/<key>.js, or None when the archive has no such part."""
    name = next((n for n in members.names() if re.search(rf"(?:^|/)data/{key}\.js$", n)), None)
    if name is None:
        return None
    where = f"{path}:{name}"
    items, _ = _array(members.read(name), where, key)
    return (where, items[0]) if items else None
