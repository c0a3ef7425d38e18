"""Posts from a file of texts (``fetch --from FILE``): JSONL objects with "text" (and optionally "id", "created_at",
"kind"), or a CSV with a "text" column; every line checked, its number named in the error."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

from hf_tweets.errors import SourceError
from hf_tweets.sources.dates import date_or_refuse
from hf_tweets.sources.posts import KINDS, Post, post_id_ok
from hf_tweets.text import replace_lone_surrogates, snippet

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
    rows: list[tuple[int, dict]] = []
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
