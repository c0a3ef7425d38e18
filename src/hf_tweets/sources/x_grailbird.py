"""The archive X gave before 2019 ("Grailbird"): where its parts are, and whose archive it is.

    data/js/tweets/2013_01.js   Grailbird.data.tweets_2013_01 = [ {tweet}, ... ]   one part a month
    data/js/user_details.js     var user_details = { "screen_name": ..., "full_name": ..., ... }
    data/js/tweet_index.js      var tweet_index = [ {"file_name": ...}, ... ]      not read: the parts are found by path

A tweet is what the v1.1 API returned: ``id_str``, ``created_at`` ("2013-01-31 17:42:33 +0000"),
``text`` (HTML-escaped, as the newer ``full_text``), ``retweeted_status`` for a retweet,
``in_reply_to_status_id_str`` for a reply, and ``user`` (``screen_name``, ``name``,
``profile_image_url_https``): the owner as they were when they posted it. The rest of the
archive (the viewer's HTML and scripts, ``tweets.csv``) is never opened.

x_archive.py reads the files (within its limits, as data); this module says where they are and
who the owner is, from what was parsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hf_tweets.cards.record import HANDLE_RE
from hf_tweets.errors import SourceError
from hf_tweets.text import snippet

PART = re.compile(r"(?:^|/)data/js/tweets/\d{4}_\d{2}\.js$")
DETAILS = re.compile(r"(?:^|/)data/js/user_details\.js$")
PART_PREFIX = r"Grailbird\.data\.tweets_\d{4}_\d{2}"  # the assignment before a monthly part's array
DETAILS_PREFIX = re.compile(r"\s*var\s+user_details\s*=\s*")


@dataclass(frozen=True)
class Owner:
    """Whose archive it is; ``name`` and ``avatar`` as found (x_archive.py cleans them)."""

    handle: str
    name: object
    avatar: object


def owner(
    details: tuple[str, object] | SourceError | None, user: object, tweets_where: str, unread: list[SourceError]
) -> Owner | None:
    """The owner from user_details.js's screen_name, else from the newest tweet's ``user``; None if neither names one.

    ``details`` is user_details.js as (where, parsed value), a SourceError saying why it could not be parsed, or
    None when there is no such file; ``tweets_where`` is the part holding the newest tweet. What was there but could
    not be used is added to ``unread``, its fix saying what was used instead (None: nothing, so fetch.py decides).
    """
    user = user if isinstance(user, dict) else {}
    problems = [details] if isinstance(details, SourceError) else []
    if isinstance(details, tuple):
        where, value = details
        try:
            named = _handle(value, where)
        except SourceError as error:
            problems.append(error)
        else:
            assert isinstance(value, dict)  # _handle refuses any other value
            return _owner(named, value, user)
    handle = None
    if user:
        try:
            handle = _handle(user, tweets_where, "the tweets' user.screen_name")
        except SourceError as error:
            problems.append(error)
    instead = f"used @{handle} from the tweets instead" if handle else None
    unread += [SourceError(problem.what, where=problem.where, fix=instead) for problem in problems]
    return _owner(handle, {}, user) if handle else None


def _handle(found: object, where: str, label: str = "screen_name") -> str:
    if not isinstance(found, dict):
        raise SourceError("is not an object {...}", where=where)
    if label == "screen_name" and "screen_name" not in found:
        raise SourceError("has no screen_name", where=where)
    handle = found.get("screen_name")
    if not isinstance(handle, str) or not HANDLE_RE.fullmatch(handle):
        raise SourceError(f"{label} {snippet(handle)} is not an X handle", where=where)
    return handle


def _owner(handle: str, details: dict, user: dict) -> Owner:
    names = (details.get("full_name"), details.get("name"), user.get("name"))
    name = next((n for n in names if isinstance(n, str) and n.strip()), None)
    return Owner(handle, name, user.get("profile_image_url_https") or details.get("profile_image_url_https"))
