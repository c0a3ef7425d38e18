"""Read the archive X gives every account holder ("Download your data"), without running any of it.

Accepts the zip, the unpacked folder, or a bare ``tweets.js``. Reads only the
tweet parts (``tweets.js``, ``tweet.js``, ``tweets-part1.js``, ...), ``account.js``
(handle, display name) and ``profile.js`` (avatar); nothing else is opened.
Each part is ``window.YTD.<name>.partN = [...]``: the prefix is cut and the
array parsed as JSON.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from .errors import SourceError
from .posts import Post, Profile, iso_utc

TWEET_PART = re.compile(r"(?:^|/)data/tweets?(?:-part\d+)?\.js$|^tweets?(?:-part\d+)?\.js$")
_PREFIX = re.compile(r"^\s*window\.YTD\.[A-Za-z_]+\.part\d+\s*=\s*", re.S)
MAX_PART_BYTES = 2 * 1024**3


def read_archive(path: Path, include_replies: bool = True) -> tuple[Profile | None, list[Post], int]:
    """(profile or None, posts, replies skipped) from a zip, a folder or a tweets.js."""
    members = _Members.open(path)
    with members:
        parts = sorted(name for name in members.names() if TWEET_PART.search(name))
        if not parts:
            raise SourceError(f"{path}: no data/tweets.js (or tweet.js) in it; is it an X archive (\"Download your data\")?")
        posts, skipped = [], 0
        for name in parts:
            for item in _array(members.read(name), f"{path}:{name}", "tweet"):
                post = _post(item, f"{path}:{name}")
                if post.kind == "reply" and not include_replies:
                    skipped += 1
                    continue
                posts.append(post)
        return _profile(members, path), posts, skipped


class _Members:
    """The archive's files by their path inside it, for a zip, a folder or one .js file."""

    def __init__(self, names: dict[str, object], reader, close=lambda: None):
        self._names, self._reader, self._close = names, reader, close

    @classmethod
    def open(cls, path: Path) -> _Members:
        if path.is_dir():
            files = {p.relative_to(path).as_posix(): p for p in path.rglob("*.js")}
            return cls(files, lambda name: files[name].read_bytes())
        if not path.exists():
            raise SourceError(f"{path}: no such file or folder; give the archive's .zip, its unpacked folder, or tweets.js")
        if path.suffix == ".js":
            return cls({path.name: path}, lambda name: path.read_bytes())
        try:
            archive = zipfile.ZipFile(path)
            names = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        except zipfile.BadZipFile:
            raise SourceError(f"{path}: is not a zip archive (or the zip is damaged); download the archive again") from None
        return cls(names, lambda name: _read_member(archive, names[name], path), archive.close)

    def names(self) -> list[str]:
        return list(self._names)

    def read(self, name: str) -> bytes:
        return self._reader(name)

    def __enter__(self) -> _Members:
        return self

    def __exit__(self, *exc) -> None:
        self._close()


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bytes:
    if info.file_size > MAX_PART_BYTES:
        raise SourceError(f"{path}:{info.filename} is larger than 2 GB; is it really an X archive?")
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise SourceError(f"{path}: the zip is damaged ({error}); download the archive again") from None


def _array(data: bytes, where: str, key: str) -> Iterator[dict]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SourceError(f"{where}: is not UTF-8 text; is it from an X archive?") from None
    body, found = _PREFIX.subn("", text, count=1)
    if not found and not text.lstrip().startswith("["):
        raise SourceError(f"{where}: does not start with window.YTD.<name>.partN = [...]; is it from an X archive?")
    try:
        items = json.loads(body)
    except ValueError as error:
        raise SourceError(f"{where}: the array after '=' is not valid JSON ({error.msg} at char {error.pos}); the file is damaged") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get(key), dict) for i in items):
        raise SourceError(f"{where}: is not a list of {{\"{key}\": {{...}}}} objects; is it the right file?")
    return (item[key] for item in items)


def _post(tweet: dict, where: str) -> Post:
    text, tweet_id = tweet.get("full_text", tweet.get("text")), tweet.get("id_str") or tweet.get("id")
    if not isinstance(text, str) or tweet_id is None:
        raise SourceError(f"{where}: a tweet has no id_str or full_text; the file is not the expected shape")
    if tweet.get("retweeted") is True or text.startswith("RT @"):
        kind = "retweet"
    elif tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_status_id"):
        kind = "reply"
    else:
        kind = "post"
    return Post(str(tweet_id), _date(tweet.get("created_at")), text, kind)


_MONTHS = {m: f"{i:02d}" for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}


def _date(value) -> str:
    """'Wed Mar 03 16:17:23 +0000 2021' -> '2021-03-03T16:17:23Z' ("" when it is not a date)."""
    parts = value.split() if isinstance(value, str) else []
    if len(parts) == 6 and parts[4] == "+0000" and parts[1] in _MONTHS:  # what X writes; strptime is 10x slower
        return f"{parts[5]}-{_MONTHS[parts[1]]}-{parts[2]}T{parts[3]}Z"
    try:
        return iso_utc(datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y"))
    except (TypeError, ValueError):
        return ""


def _profile(members: _Members, path: Path) -> Profile | None:
    account = _first(members, "account", path)
    if account is None:
        return None
    handle = account.get("username")
    if not isinstance(handle, str):
        return None
    profile = _first(members, "profile", path) or {}
    avatar = profile.get("avatarMediaUrl")
    if isinstance(avatar, str) and avatar.startswith("https://"):
        avatar = re.sub(r"_(normal|bigger|mini)\.", "_400x400.", avatar)
    else:
        avatar = None
    return Profile(handle, account.get("accountDisplayName") or handle, avatar, "archive")


def _first(members: _Members, key: str, path: Path) -> dict | None:
    name = next((n for n in members.names() if re.search(rf"(?:^|/)data/{key}\.js$", n)), None)
    if name is None:
        return None
    items = list(_array(members.read(name), f"{path}:{name}", key))
    return items[0] if items else None
