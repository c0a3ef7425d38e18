"""Archives kept in a dataset repo: ``--archive hf://datasets/USER/REPO/FILE`` is downloaded, then read as a file.

This is how an archive reaches a bot running as a Hugging Face Job (fleet/hfjobs.py uploads it to a private
dataset repo first); anyone may use it. The download goes through ``hub.client.call`` (retries, one-line errors)
into the data folder, under the repo's name.
"""

from __future__ import annotations

import re
from pathlib import Path

from hf_tweets.errors import SourceError
from hf_tweets.fsutil import child
from hf_tweets.hub import client as hub

REMOTE = "hf://datasets/"
# click.Path and pathlib collapse the '//' of hf://: both spellings name a file in a dataset repo
_REMOTE = re.compile(r"hf:/+datasets/(?P<repo>[^/]+/[^/]+)/(?P<file>.+)")


def remote(archive: str | Path) -> tuple[str, str] | None:
    """(repo id, file in the repo) of an ``hf://datasets/`` archive, else None."""
    match = _REMOTE.fullmatch(str(archive))
    return (match["repo"], match["file"]) if match else None


def local_archive(archive: Path, data_dir: Path) -> Path:
    """The archive as a local file: itself, or its copy from a dataset repo (data/archives/USER--REPO/FILE)."""
    found = remote(archive)
    if found is None:
        return archive
    import huggingface_hub

    repo_id, filename = found
    folder = child(data_dir / "archives", repo_id.replace("/", "--"))
    token = huggingface_hub.get_token()

    def download() -> str:
        try:
            return huggingface_hub.hf_hub_download(
                repo_id, filename, repo_type="dataset", local_dir=folder, token=token or None
            )
        except huggingface_hub.errors.EntryNotFoundError:
            raise SourceError(
                f"downloading {filename}: no such file in the repo", where=repo_id, fix="check the archive's path"
            ) from None

    return Path(hub.call(download, repo_id, f"downloading {filename}"))
