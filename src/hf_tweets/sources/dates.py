"""The dates of posts as the store keeps them: ``2021-03-04T16:17:23Z`` (UTC), read from every format a source
writes (X's "Wed Mar 03 16:17:23 +0000 2021", ISO 8601, Grailbird's "2013-01-31 17:42:33 +0000", 2021/03/04)."""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hf_tweets.errors import SourceError
from hf_tweets.text import snippet


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        offset = moment.utcoffset()  # None when the date names no zone
        if offset is not None:
            moment = moment.replace(tzinfo=None) - offset
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
