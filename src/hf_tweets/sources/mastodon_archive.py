"""Read the archive Mastodon gives an account holder ("Request your archive"), without unpacking it.

The archive is a .zip (Mastodon 4.1 and later) or a .tar.gz (before; a tar repacked with bzip2 or xz reads
too), or the folder either unpacks to; it is known by its content: ``outbox.json`` and ``actor.json`` side by
side, at its top or one folder down. Only those two are opened (never the media, likes or bookmarks beside them):

* ``outbox.json``: an ActivityStreams OrderedCollection whose ``orderedItems`` are ``Create``
  activities (a post: its ``object`` is the Note, ``content`` HTML, ``summary`` the content warning,
  ``inReplyTo`` set on a reply) and ``Announce`` ones (a boost: ``object`` is the boosted post's bare
  URL, which is all the text a boost has). Other activities are left out; ``totalItems`` is not
  believed (real exports disagree with the items they hold).
* ``actor.json``: whose the archive is (``preferredUsername`` at the host of its ``id``), the display
  name (custom emoji shortcodes removed) and the avatar (a file in the archive, so none on the card).

Visibility is not written down; it is read from ``to``/``cc``: public (Public in ``to``) and unlisted
(in ``cc``) posts are stored, as anyone who opens the profile can read them; followers-only and
direct ones are never stored. An archive is its holder's own download, so an opt-out tag in its bio
refuses nothing (sources/registry.py).

A stranger's archive is read as hostile: outbox.json is parsed as a stream, one activity at a time
(a 100,000-post outbox is 200 MB of JSON, and 2 GB once parsed whole), its bytes counted as they are
inflated and refused past ``settings.archive_limits()`` (a total, and a ratio against zip bombs: per
file for a zip, over the whole stream for a .tar.gz). A tar holding a link, a device or a path that
leaves it is refused (tarfile's data filter), as is a zip with such a path; in a folder only regular
files inside it are read. Dates go through ``dates.parse_date``, text through mastodon_html.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import re
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from hf_tweets import platforms, settings
from hf_tweets.errors import HfTweetsError, SourceError
from hf_tweets.platforms.mastodon import MASTODON
from hf_tweets.sources.dates import parse_date
from hf_tweets.sources.exports import CHUNK, RATIO_FLOOR, Archive, collector_paused, open_regular
from hf_tweets.sources.json_stream import JsonStream
from hf_tweets.sources.mastodon_html import shortcodes, to_text, without_shortcodes
from hf_tweets.sources.posts import Post, Profile, display_name, post_id_ok
from hf_tweets.text import clean_url, replace_lone_surrogates, snippet

OUTBOX, ACTOR = "outbox.json", "actor.json"
AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC = frozenset({AS_PUBLIC, "as:Public", "Public"})  # its compact JSON-LD forms too
NOTES = frozenset({"Note", "Question", "Article", "Page"})  # what a Create of a post holds (Question: a poll)
_STATUS_ID = re.compile(r"/statuses/([0-9A-Za-z]{1,64})(?:/activity)?/?$")
DAMAGED = "download the archive again"
ONLY_FILES = "hf-tweets reads only the files inside an archive"
JSON_FIX = f"is it from a Mastodon archive? if so, it is damaged: {DAMAGED}"


def recognises(path: Path) -> bool:
    """A folder or zip with outbox.json and actor.json side by side, or any tar (Mastodon's older exports are the
    only tar.gz hf-tweets reads; reading says what is missing); never by its name."""
    try:
        if path.is_dir():
            return (path / OUTBOX).is_file() and (path / ACTOR).is_file()
        head = _head(path)
        if head[:2] == b"\x1f\x8b":
            return True
        if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
            with zipfile.ZipFile(path) as archive:
                return _folder(archive.namelist()) is not None
        return tarfile.is_tarfile(path)
    except (SourceError, OSError, zipfile.BadZipFile, EOFError, ValueError):
        return False


def _head(path: Path) -> bytes:
    """The first bytes of ``path`` (enough for every magic number read here), a regular file (a FIFO is not
    waited on)."""
    with open_regular(path, str(path)) as stream:
        return stream.read(6)


def read_archive(path: Path, include_replies: bool = True) -> Archive:
    """The profile, public posts and replies left out of a Mastodon archive (.zip, .tar.gz or folder)."""
    path = Path(path)
    reader = _Outbox(path, include_replies)
    owner = None
    with collector_paused():
        for name, where, stream in _files(path):
            if PurePosixPath(name).name == OUTBOX:
                reader.read(stream, where)
            else:
                owner = _actor(JsonStream(stream, where, JSON_FIX, unique_keys=True).document(), where)
    if not reader.seen:
        raise SourceError(f'{path}: has no {OUTBOX}; is it a Mastodon archive ("Request your archive")?')
    if owner is None:
        raise SourceError(f"{path}: has no {ACTOR} to say whose posts these are; {DAMAGED}")
    if not reader.posts and reader.private:
        raise SourceError(
            f"{path}: has no public posts ({reader.private:,} followers-only or direct ones left out: hf-tweets never"
            " stores those)"
        )
    profile, actor_id = owner
    if reader.actors - {actor_id}:
        raise SourceError(
            f"{OUTBOX} holds the posts of {snippet(sorted(reader.actors - {actor_id})[0], 80)}, not of {ACTOR}'s"
            f" account ({snippet(actor_id, 80)})",
            where=path,
            fix="give one person's archive as Mastodon made it",
        )
    return Archive(profile, reader.posts, reader.skipped, [])


read_export = read_archive


# --- the files: a folder, a zip or a tar, within the limits -------------------------------------------------------


def _folder(names: list[str], where: str | None = None) -> str | None:
    """The folder ("" for the top) holding both outbox.json and actor.json, at most one folder down; else None.
    With ``where`` (reading, not recognising), SourceError when two folders hold both (two archives in one)."""
    found: dict[str, set[str]] = {}
    for name in names:
        parts = PurePosixPath(name.removeprefix("./")).parts
        if len(parts) in (1, 2) and parts[-1] in (OUTBOX, ACTOR):
            found.setdefault("/".join(parts[:-1]), set()).add(parts[-1])
    both = sorted(folder for folder, files in found.items() if len(files) == 2)
    if where is not None and len(both) > 1:
        shown = " and ".join(f"{folder or '.'}/" for folder in both[:2])
        raise SourceError(
            f"holds two archives ({shown})", where=where, fix="give one person's archive as Mastodon made it"
        )
    return both[0] if both else None


def _files(path: Path) -> Iterator[tuple[str, str, object]]:
    """(name, where, binary stream) of outbox.json and actor.json, in the archive's order, each read within the
    limits; SourceError for an unsafe archive."""
    if path.is_dir():
        yield from _folder_files(path)
        return
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder; give the archive's .zip or .tar.gz, or its folder")
    head = _head(path)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        yield from _zip_files(path)
    else:
        yield from _tar_files(path, _inflater(head))


def _folder_files(path: Path) -> Iterator[tuple[str, str, object]]:
    root, budget = path.resolve(), _Budget()
    for name in (OUTBOX, ACTOR):
        if (path / name).exists() or (path / name).is_symlink():
            where = f"{path}:{name}"
            with open_regular(path / name, where, root) as stream:
                yield name, where, _Counted(stream, where, budget)


def _zip_files(path: Path) -> Iterator[tuple[str, str, object]]:
    try:
        archive = zipfile.ZipFile(path)
        infos = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise SourceError(f"{path}: is not a zip archive (or the zip is damaged); {DAMAGED}") from None
    budget, size = _Budget(), path.stat().st_size
    with archive:
        for info in infos:
            _check_name(info.filename, f"{path}:{info.filename}")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise SourceError("is a link", where=f"{path}:{info.filename}", fix=ONLY_FILES)
        folder = _folder([info.filename for info in infos], where=str(path))
        wanted = {f"{folder}/{n}" if folder else n for n in (OUTBOX, ACTOR)}
        names = [info.filename.removeprefix("./") for info in infos]
        for name in wanted:
            if names.count(name) > 1:
                raise SourceError(
                    f"holds {name} twice", where=str(path), fix="give one person's archive as Mastodon made it"
                )
        for info in infos:
            if info.filename.removeprefix("./") in wanted:
                where = f"{path}:{info.filename}"
                with _read_errors(where), archive.open(info) as stream:
                    yield info.filename, where, _Counted(stream, where, budget, min(info.compress_size, size))


# What a tar may be compressed with (Mastodon writes gzip; a repacked archive may be bzip2 or xz), by magic bytes.
_INFLATERS = (
    (b"\x1f\x8b", lambda raw: gzip.GzipFile(fileobj=raw)),
    (b"BZh", bz2.BZ2File),
    (b"\xfd7zXZ\x00", lzma.LZMAFile),
)


def _inflater(head: bytes) -> Callable:
    """What reads the tar stream out of a file that starts with ``head`` (itself, for a plain tar)."""
    return next((opener for magic, opener in _INFLATERS if head.startswith(magic)), lambda raw: raw)


def _tar_files(path: Path, inflater: Callable) -> Iterator[tuple[str, str, object]]:
    """The members of a .tar.gz (or .tar.bz2, .tar.xz, .tar) read as one stream, in order: a tar has no index,
    and a compressed stream has no seeking but reading; the ratio is checked over the whole stream."""
    budget = _Budget()
    with open_regular(path, str(path)) as raw:
        inflated = _Counted(inflater(raw), str(path), budget, raw.tell, whole=True)
        # bufsize: the stream is read a MiB at a time (tarfile's 10 KiB reads cost a tenth of the reading time)
        # ignore: typeshed asks a stream mode's fileobj for write, seek, tell and close too; "r|" only reads it
        with _read_errors(str(path)), tarfile.open(fileobj=inflated, mode="r|", bufsize=CHUNK) as archive:  # type: ignore[call-overload]
            seen: dict[str, str] = {}  # outbox.json, actor.json: the folder each was found in
            for member in archive:
                where = f"{path}:{member.name}"
                _check_member(member, where)
                name = member.name.removeprefix("./")
                parts = PurePosixPath(name).parts
                if len(parts) <= 2 and parts and parts[-1] in (OUTBOX, ACTOR) and member.isfile():
                    _same_folder(seen, parts, where)
                    yield name, where, _Counted(archive.extractfile(member), where, budget)


def _same_folder(seen: dict[str, str], parts: tuple[str, ...], where: str) -> None:
    """Note where a tar's outbox.json or actor.json is; SourceError for a second one, or for one that is not beside
    the other (a tar is read as a stream: its members are checked as they come)."""
    file, folder = parts[-1], "/".join(parts[:-1])
    if file in seen:
        raise SourceError(f"holds a second {file}", where=where, fix="give one person's archive")
    other = next(iter(seen.values()), folder)
    if other != folder:
        raise SourceError(
            f"is not beside the archive's other file (in {other or 'the top'}/, this one in {folder or 'the top'}/)",
            where=where,
            fix="give one person's archive as Mastodon made it: outbox.json and actor.json side by side",
        )
    seen[file] = folder


def _check_name(name: str, where: str) -> None:
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name) or ".." in re.split(r"[/\\]", name):
        raise SourceError("its path leaves the archive", where=where, fix=ONLY_FILES)


def _check_member(member: tarfile.TarInfo, where: str) -> None:
    """Refuse a member that is a link, a device or a FIFO, or whose path leaves the archive (tarfile's data filter)."""
    _check_name(member.name, where)
    if member.issym() or member.islnk():
        raise SourceError(f"is a link (to {snippet(member.linkname)})", where=where, fix=ONLY_FILES)
    if member.isdev():
        raise SourceError("is a device or FIFO", where=where, fix=ONLY_FILES)
    try:
        tarfile.data_filter(member, "/nonexistent/archive")
    except tarfile.FilterError as error:
        raise SourceError(f"its path leaves the archive ({error})", where=where, fix=ONLY_FILES) from None


@contextmanager
def _read_errors(where: str):
    """A damaged archive, or a packing hf-tweets cannot read, as one line naming the file."""
    try:
        yield
    except (NotImplementedError, RuntimeError) as error:  # a compression zipfile lacks, or a password
        raise SourceError(
            "is packed in a way hf-tweets cannot read", where=where, fix=f"unpack it and give the folder ({error})"
        ) from None
    except (tarfile.TarError, zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError) as error:  # gzip's: OSError
        raise SourceError(f"is damaged ({str(error)[:80] or 'it ends too early'})", where=where, fix=DAMAGED) from None
    except OSError as error:
        problem = f"is not a .tar.gz archive ({error})" if isinstance(error, gzip.BadGzipFile) else "cannot be read"
        raise SourceError(f"{problem} ({error.strerror or error})", where=where, fix=DAMAGED) from None


class _Budget:
    """Bytes inflated so far from the files read, against settings.archive_limits()."""

    def __init__(self):
        self.max_bytes, self.max_ratio = settings.archive_limits()
        self.read = 0


class _Counted:
    """A binary stream whose bytes count against the budget: the total, and the ratio to ``packed`` (the packed
    size, or a function giving the packed bytes read so far); ``whole``: the stream is the whole archive, whose
    bytes count only towards the ratio (a tar's media is inflated to reach its outbox, but never read)."""

    def __init__(
        self, stream, where: str, budget: _Budget, packed: int | Callable[[], int] | None = None, *, whole: bool = False
    ):
        self.stream, self.where, self.budget = stream, where, budget
        self.packed, self.whole, self.size = packed, whole, 0

    def read(self, size: int = -1) -> bytes:
        with _read_errors(self.where):
            data = self.stream.read(size)
        self.size += len(data)
        if not self.whole:
            self.budget.read += len(data)
            if self.budget.read > self.budget.max_bytes:
                raise SourceError(
                    f"the files read from the archive add up to more than {self.budget.max_bytes:,} bytes",
                    where=self.where,
                    fix=f"if it really is a Mastodon archive, set {settings.ARCHIVE_MAX_BYTES_ENV} to a larger number",
                )
        packed = self.packed() if callable(self.packed) else self.packed
        if packed is not None and self.size > RATIO_FLOOR and self.size > self.budget.max_ratio * max(packed, 1):
            raise SourceError(
                f"inflates more than {self.budget.max_ratio:g} times its packed size (a zip bomb?)",
                where=self.where,
                fix=f"if the archive really is yours, set {settings.ARCHIVE_MAX_RATIO_ENV} to allow it",
            )
        return data


# --- the outbox and the actor -------------------------------------------------------------------------------------


class _Outbox:
    """Reads outbox.json (module docstring): ``posts`` to store, ``skipped`` replies left out, ``private`` posts never
    stored, ``actors`` whose activities they are."""

    def __init__(self, path: Path, include_replies: bool):
        self.path, self.include_replies = path, include_replies
        self.posts: list[Post] = []
        self.skipped, self.private, self.seen = 0, 0, False
        self.actors: set[str] = set()

    def read(self, stream, where: str) -> None:
        self.seen, reader, fields = True, JsonStream(stream, where, JSON_FIX), {}
        if reader.char() != "{":
            _not_an_outbox(where, "is not a JSON object")
        reader.take("{", "'{'")
        while reader.char() != "}":
            if reader.char() != '"':
                reader.take('"', "a property name")
            key = reader.value()
            reader.take(":", "':'")
            if key in fields and key != "@context":  # real exports write @context twice, before and after the items
                _not_an_outbox(where, f"has {snippet(key)} twice (which one is the outbox?)")
            if key != "orderedItems":
                fields[key] = reader.value()  # small: @context, id, type, totalItems
            elif reader.char() != "[":
                _not_an_outbox(where, "orderedItems is not a list")
            else:
                fields[key] = self._items(reader, where)
            if reader.take(",}", "',' or '}'") == "}":
                break
        else:
            reader.take("}", "'}'")
        reader.end()
        if fields.get("type") != "OrderedCollection":
            _not_an_outbox(where, f"is not an OrderedCollection (its type is {snippet(fields.get('type'))})")
        if "orderedItems" not in fields:
            _not_an_outbox(where, "has no orderedItems")
        if "actor" in fields or "attributedTo" in fields:  # not in Mastodon's, but whose it says it is counts too
            self.actors |= _named(fields.get("actor")) | _named(fields.get("attributedTo"))

    def _items(self, reader: JsonStream, where: str) -> int:
        """Read orderedItems, one activity at a time; return how many there were."""
        index = 0
        reader.take("[", "'['")
        if reader.char() == "]":
            reader.take("]", "']'")
            return 0
        while True:
            self._add(reader.value(), index, where)
            index += 1
            if reader.take(",]", "',' or ']'") == "]":
                return index

    def _add(self, item: object, index: int, where: str) -> None:
        if not isinstance(item, dict):
            raise SourceError(f"orderedItems[{index}] is not an object", where=where, fix="is the file damaged?")
        kind = item.get("type")
        if kind not in ("Create", "Announce"):
            return  # another activity
        note = item.get("object")
        self._whose(item, note if kind == "Create" else None, index, where)
        if not _public(item):
            self.private += 1  # a post only some people may read: never stored
            return
        if kind == "Create":
            if not isinstance(note, dict) or note.get("type") not in NOTES:
                raise SourceError(
                    f"orderedItems[{index}]: a Create without an object (a Note)", where=where, fix="is it damaged?"
                )
            addressed = "to" in note or "cc" in note
            if addressed and (note.get("to"), note.get("cc")) != (item.get("to"), item.get("cc")) and not _public(note):
                self.private += 1
                return
        post = _post(item, note, index, where)
        if post.kind == "reply" and not self.include_replies:
            self.skipped += 1
        else:
            self.posts.append(post)

    def _whose(self, item: dict, note: object, index: int, where: str) -> None:
        """Add the actors an activity names (its ``actor``, its Note's ``attributedTo``), in any shape; SourceError
        when it names none."""
        named = _named(item.get("actor")) | (_named(note.get("attributedTo")) if isinstance(note, dict) else set())
        if not named:
            raise SourceError(
                f"orderedItems[{index}] names no actor (whose post it is)", where=where, fix="is the file damaged?"
            )
        self.actors |= named


def _named(value: object) -> set[str]:
    """The actor ids ``value`` names: a string, an object with an id, or a list of them (an object without a string
    id is named by what it holds, so it matches no actor)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return {value["id"] if isinstance(value.get("id"), str) else f"an actor without an id ({snippet(value)})"}
    if isinstance(value, list):
        return set().union(*map(_named, value)) if value else {"an empty list of actors"}
    return set() if value is None else {f"an actor that is {snippet(value)}"}


def _not_an_outbox(where: str, problem: str):
    raise SourceError(problem, where=where, fix="is it the outbox.json of a Mastodon archive?")


def _public(activity: dict) -> bool:
    """Whether ``to`` or ``cc`` holds the Public collection: a public or unlisted post."""
    return _has_public(activity.get("to")) or _has_public(activity.get("cc"))


def _has_public(addresses: object) -> bool:
    if isinstance(addresses, list):  # in: a comparison in C (a dict in the list is never equal to a str)
        return AS_PUBLIC in addresses or "as:Public" in addresses or "Public" in addresses
    return isinstance(addresses, str) and addresses in PUBLIC


def _post(item: dict, note: object, index: int, where: str) -> Post:
    """A Create's Note, or an Announce (a boost: its text is the boosted post's URL), as a Post."""
    boost = item["type"] == "Announce"
    source = item if boost else note
    assert isinstance(source, dict)  # a Create's note is: _add refuses one that is not a Note
    url = source.get("id")
    if not isinstance(url, str) or not url:
        raise SourceError(f"orderedItems[{index}] has no id", where=where, fix="is the file damaged?")
    try:
        created = parse_date(source.get("published") or item.get("published"))
    except ValueError as error:
        raise SourceError(
            f"orderedItems[{index}]: published {error}", where=where, fix="Mastodon writes them as 2023-03-03T16:17:23Z"
        ) from None
    if boost:
        target = note.get("id") if isinstance(note, dict) else note
        text, kind, cw = replace_lone_surrogates(target) if isinstance(target, str) else "", "retweet", False
    else:
        assert isinstance(note, dict)  # the source, checked above
        content = note.get("content")
        if content is not None and not isinstance(content, str):
            raise SourceError(f"orderedItems[{index}]: content is not text", where=where, fix="is the file damaged?")
        text = to_text(content, shortcodes(note.get("tag")))
        summary = note.get("summary")
        kind, cw = "reply" if note.get("inReplyTo") else "post", isinstance(summary, str) and bool(summary.strip())
    return Post(_status_id(url), created, text, kind, cw)  # to_text replaced lone surrogates


def _status_id(url: str) -> str:
    """The status id in a Mastodon URL (.../statuses/<id>[/activity]), as the API names the same post; otherwise
    a hash of the URL."""
    found = _STATUS_ID.search(url)
    if found and post_id_ok(found[1]):
        return found[1]
    return "url-" + hashlib.sha1(url.encode("utf-8", "replace")).hexdigest()[:16]


def _actor(actor: object, where: str) -> tuple[Profile, str]:
    """(the archive's owner, their actor id) from actor.json."""
    if not isinstance(actor, dict):
        raise SourceError("is not a JSON object", where=where, fix="is it the actor.json of a Mastodon archive?")
    user, actor_id = actor.get("preferredUsername"), actor.get("id")
    if not isinstance(user, str) or not user:
        raise SourceError("has no preferredUsername (the account's name)", where=where, fix="is the file damaged?")
    host = re.match(r"https?://([^/?#]+)", actor_id) if isinstance(actor_id, str) else None
    try:
        account = platforms.account(MASTODON.name, f"{user}@{host[1] if host else ''}")
    except HfTweetsError:
        raise SourceError(
            f"{snippet(user)} at {snippet(actor_id)} is not a Mastodon account", where=where, fix="is it damaged?"
        ) from None
    name = actor.get("name")
    name = without_shortcodes(name, shortcodes(actor.get("tag"))) if isinstance(name, str) else None
    icon = actor.get("icon")
    avatar = clean_url(icon.get("url")) if isinstance(icon, dict) else None
    profile = Profile(account.handle, display_name(name, account.handle), avatar, "archive", platform=account.platform)
    assert isinstance(actor_id, str)  # the host came from it: platforms.account refuses "user@"
    return profile, actor_id
