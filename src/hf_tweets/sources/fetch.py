"""Where posts come from: a platform's API, an account's export, or a file of texts. Each ends in the store.

``fetch_account`` asks the account's platform's source (sources/registry.py); ``fetch_archive`` asks
the source whose export it is, by its content; ``fetch_file`` reads texts for a given account. Each
stores into the data folder of the folders it is given and checks their opt-out list (the command's)
before it asks or stores anything: an export's account by every name it is known by (its own id, such
as a Bluesky DID, and ``--handle``), before its posts are stored (consent.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from hf_tweets import consent, platforms
from hf_tweets.errors import HfTweetsError, SourceError
from hf_tweets.folders import Folders
from hf_tweets.fsutil import sweep_orphans
from hf_tweets.platforms import Account
from hf_tweets.sources import registry
from hf_tweets.sources.api_source import LIMIT
from hf_tweets.sources.posts import Profile, raw_path, save_posts, save_profile
from hf_tweets.sources.text_file import read_text_file


def fetch_account(
    who: Account | str,
    folders: Folders,
    *,
    limit: int = LIMIT,
    include_replies: bool = True,
    wait: bool = False,
    on_wait=None,
    agreed: str = "public",
) -> Fetched:
    """Posts of an account (or an account as written on a command line) from its platform's API.

    ``agreed`` is "permission" when the person agreed to the model (fetch --consent permission), else "public"."""
    account = who if isinstance(who, Account) else parse_account(who)
    consent.check([account], folders.optout)
    sweep_orphans(folders.data / "raw")  # temp files of a fetch killed earlier
    waiting = {"on_wait": on_wait} if on_wait else {}
    source = registry.api(account.platform)
    profile, new, total = source.fetch(
        account.handle, folders, limit=limit, include_replies=include_replies, wait=wait, **waiting
    )
    if agreed != profile.consent:
        profile.consent = agreed
        save_profile(folders.data, profile)
    return Fetched(profile, new, total)


@dataclass(frozen=True)
class Fetched:
    """What a fetch stored: whose posts, how many were new, how many are stored now; ``warnings`` are lines for
    the user, one per file of an archive that could not be read, saying what was used instead."""

    profile: Profile
    new: int
    total: int
    warnings: tuple[str, ...] = ()


def fetch_archive(path: Path, folders: Folders, *, include_replies: bool = True, handle: str | None = None) -> Fetched:
    """Posts from an account's export (an X archive, a Bluesky repo .car, a Mastodon archive), known by its content;
    whose they are comes from the export, else from ``handle`` (a bare tweets file); an export that names its
    account by another id (a Bluesky DID) is named by the handle the network knows, when it answers. An export is its
    holder's own download: the model's consent is "self".

    A side file that cannot be read (account.js, profile.js, user_details.js) does not stop the posts: ``handle``
    (or what else the archive says) is used instead, with a warning; with nothing instead, the error asks for
    ``--handle``.
    """
    given = parse_account(handle) if handle else None
    consent.check([given] if given else [], folders.optout)  # before the file is read
    sweep_orphans(folders.data / "raw")  # temp files of a fetch killed earlier
    reader = registry.export_reader(Path(path))
    archive = reader.read_export(Path(path), include_replies)
    profile = archive.profile
    if profile is None:
        if given is None:
            raise _whose(path, archive.unread)
        if given.platform != platforms.DEFAULT:
            raise SourceError(f"{path}: an X tweets file cannot hold {given}'s posts", fix="give the X handle")
        profile = Profile(given.handle, given.handle, None, "archive")
    elif given and given.key != profile.account.key:
        # an export that names its account by another id (a Bluesky repo: its DID) may take the holder's handle
        renamed = reader.named(profile, given) if isinstance(reader, registry.Renaming) else None
        if renamed is None:
            raise SourceError(
                f"{path}: is {profile.account}'s archive, not {given}'s; drop --handle or pick the right archive"
            )
        consent.check([profile.account], folders.optout)  # the id the export gives (a DID), as well as the one given
        profile = renamed
    elif given is None and isinstance(reader, registry.Renaming):
        consent.check([profile.account], folders.optout)  # the id the export gives (a DID), as well as its handle
        if not raw_path(folders.data, profile.account).exists():  # fetched before under its DID: that bot goes on
            profile = reader.known_as(profile)  # (--handle names it by the handle), not a second bot beside it
    consent.check([profile.account], folders.optout)
    profile.consent = "self"
    warnings = tuple(f"{e.where}: {e.what}; {e.fix or f'used --handle {given} instead'}" for e in archive.unread)
    return replace(_store(profile, archive.posts, folders.data, f"{path} has no posts"), warnings=warnings)


def _whose(path: Path, unread: list[SourceError]) -> SourceError:
    """The error for an archive that does not say whose posts it holds: naming the file that should have."""
    fix = "add --handle NAME to say whose posts these are"
    unusable = next((e for e in unread if e.fix is None), None)
    if unusable is not None:
        return SourceError(unusable.what, where=unusable.where, fix=fix)
    return SourceError("has no data/account.js to say whose posts these are", where=path, fix="add --handle NAME")


def fetch_file(path: Path, folders: Folders, handle: str | None) -> Fetched:
    """Posts from a .jsonl/.csv file of texts, for ``--handle`` (any platform's account)."""
    if not handle:
        raise SourceError("--from needs --handle NAME: whose posts are these?")
    account = parse_account(handle)
    consent.check([account], folders.optout)
    sweep_orphans(folders.data / "raw")  # temp files of a fetch killed earlier
    posts = read_text_file(path)
    profile = Profile(account.handle, account.handle, None, "file", platform=account.platform)
    return _store(profile, posts, folders.data, f"{path} has no posts")


def parse_account(text: str) -> Account:
    """An account as written on the command line; SourceError when it is none (it names files in the data folder)."""
    try:
        return platforms.parse_account(text)
    except HfTweetsError as error:
        raise SourceError(error.what, fix=error.fix) from None


def _store(profile: Profile, posts, data_dir: Path, empty: str) -> Fetched:
    if not posts:
        raise SourceError(f"{empty} (an empty timeline)", fix="nothing to train on")
    new, total = save_posts(data_dir, profile.account, posts)
    save_profile(data_dir, profile)
    return Fetched(profile, new, total)
