"""Raw posts: one JSONL file per user in the data folder, written atomically, merged without duplicates.

    data/raw/<handle>.jsonl       {"id", "created_at", "text", "kind"} per line, newest first
    data/raw/<handle>.user.json   {"handle", "display_name", "avatar", "source"}

``kind`` is "post", "retweet" or "reply". Every source (X API, archive, a file
of texts) ends here, so ``prepare`` reads one format.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from .errors import SourceError
from .fsutil import atomic_write_text

KINDS = ("post", "retweet", "reply")


@dataclass(frozen=True)
class Post:
    id: str
    created_at: str  # ISO 8601, UTC, e.g. 2021-03-03T16:17:23Z ("" when the source has no date)
    text: str
    kind: str = "post"


@dataclass
class Profile:
    handle: str
    display_name: str
    avatar: str | None = None
    source: str = ""


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def raw_path(data_dir: Path, handle: str) -> Path:
    return data_dir / "raw" / f"{handle.lower()}.jsonl"


def profile_path(data_dir: Path, handle: str) -> Path:
    return data_dir / "raw" / f"{handle.lower()}.user.json"


def load_posts(data_dir: Path, handle: str) -> list[Post]:
    """The stored posts of a user, newest first; SourceError when there are none."""
    path = raw_path(data_dir, handle)
    if not path.exists():
        raise SourceError(f"no posts stored for @{handle} in {path.parent}; run hf-tweets fetch {handle} first")
    return [Post(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_profile(data_dir: Path, handle: str) -> Profile:
    path = profile_path(data_dir, handle)
    if not path.exists():
        return Profile(handle, handle)
    return Profile(**json.loads(path.read_text(encoding="utf-8")))


def save_posts(data_dir: Path, handle: str, posts: list[Post]) -> tuple[int, int]:
    """Merge ``posts`` into the user's file (by id), atomically. Return (new posts, total)."""
    path = raw_path(data_dir, handle)
    existing = {p.id: p for p in (load_posts(data_dir, handle) if path.exists() else [])}
    new = [p for p in posts if p.id not in existing]
    merged = {**existing, **{p.id: p for p in new}}
    ordered = sorted(merged.values(), key=lambda p: (p.created_at, _numeric(p.id)), reverse=True)
    atomic_write_text(path, "".join(_line(p) for p in ordered))
    return len(new), len(ordered)


def _line(post: Post) -> str:  # asdict() deep-copies; this is the same object, written fast
    return json.dumps({"id": post.id, "created_at": post.created_at, "text": post.text, "kind": post.kind}, ensure_ascii=False) + "\n"


def save_profile(data_dir: Path, profile: Profile) -> None:
    atomic_write_text(profile_path(data_dir, profile.handle), json.dumps(asdict(profile), ensure_ascii=False, indent=1) + "\n")


def _numeric(post_id: str) -> int:
    return int(post_id) if post_id.isdigit() else 0


def read_text_file(path: Path) -> list[Post]:
    """Posts from a JSONL file (objects with "text", optionally "id", "created_at", "kind") or a CSV with a "text" column."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise SourceError(f"{path}: is not UTF-8 text; save it as UTF-8") from None
    rows = _csv_rows(raw, path) if path.suffix.lower() == ".csv" else _jsonl_rows(raw, path)
    posts = []
    for number, row in enumerate(rows, 1):
        text = row.get("text")
        if not isinstance(text, str):
            raise SourceError(f"{path}: row {number} has no \"text\"; every row needs the post's text")
        kind = row.get("kind") or "post"
        if kind not in KINDS:
            raise SourceError(f"{path}: row {number}: kind {kind!r} must be one of {', '.join(KINDS)}")
        # Without an id, the text names the post, so importing the same file again adds nothing.
        post_id = str(row.get("id") or "text-" + hashlib.sha1(text.encode()).hexdigest()[:16])
        posts.append(Post(post_id, str(row.get("created_at") or ""), text, kind))
    if not posts:
        raise SourceError(f"{path}: has no posts")
    return posts


def _jsonl_rows(raw: str, path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise SourceError(f"{path}: line {number} is not JSON; give one JSON object per line, or a .csv file") from None
        rows.append(row if isinstance(row, dict) else {})
    return rows


def _csv_rows(raw: str, path: Path) -> list[dict]:
    reader = csv.DictReader(io.StringIO(raw))
    if not reader.fieldnames or "text" not in reader.fieldnames:
        raise SourceError(f"{path}: the CSV needs a header row with a \"text\" column")
    return list(reader)
