"""``hf-tweets onnx``: add the browser copy (copy.py) to bots already on the Hub, or to model folders.

For a repo: one ``model_info`` call gives its weights' LFS sha256; when its ``onnx/browser_copy.json`` names the
same weights, the copy is current and nothing is sent. Otherwise the weights, config and tokenizer are downloaded
into a throwaway folder (a legacy huggingtweets repo's ``pytorch_model.bin`` loads as well), the copy is made and
checked there, and ``onnx/`` alone goes up in one commit against the revision that was read (hub.commit: parent
commit, lost answers). Commits are paced as republish paces them (pacing.CommitBucket, --max-commits-per-hour).
For a folder (or a bot's name: out/NAME): onnx/ is written into it, and the bot's record gets the facts.
One target failing never stops the others: each ends as one line.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from hf_tweets.browser import copy
from hf_tweets.cards.record import DEFAULT_PROMPT
from hf_tweets.cards.recordfile import record_path
from hf_tweets.errors import BrowserCopyError, HfTweetsError, PublishError
from hf_tweets.folders import Folders
from hf_tweets.fsutil import NAME_RE, sweep_orphans
from hf_tweets.hub import client as hub
from hf_tweets.hub.pacing import CommitBucket
from hf_tweets.hub.publish import MODEL_FILES
from hf_tweets.hub.republish import DEFAULT_COMMITS_PER_HOUR
from hf_tweets.sources import bots
from hf_tweets.training.basemodel import weights_files

# What a copy needs of a repo besides its weights (basemodel.weights_files): what publish sends, but the weights
# (named by the repo's listing) and the loss plot.
NEEDED = tuple(name for name in MODEL_FILES if "*" not in name and name != "predictions.png")


@dataclass(frozen=True)
class Outcome:
    """What happened to one target: "added", "current" (nothing to do) or "failed"."""

    target: str
    status: str
    detail: str

    def line(self) -> str:
        return f"{self.target}: {self.detail}"


def add_copies(
    targets: Iterable[str],
    folders: Folders,
    *,
    max_commits_per_hour: float = DEFAULT_COMMITS_PER_HOUR,
    on_outcome: Callable[[Outcome], None] = lambda outcome: None,
) -> list[Outcome]:
    """Add the browser copy to each target (a model folder, a bot's name, or a Hub repo id); see the module
    docstring; a bot named by its name has its model folder, eval posts and record in ``folders``. Every target is
    tried; the outcomes in order."""
    pacer, api, outcomes = CommitBucket(max_commits_per_hour), None, []
    for target in targets:
        try:
            folder = _folder(target, folders)
            if folder is not None:
                outcome = _folder_copy(target, folder, folders)
            else:
                api = api or hub.client()
                outcome = _repo_copy(api, target, pacer)
        except HfTweetsError as error:
            outcome = Outcome(target, "failed", error.reason(target))
        outcomes.append(outcome)
        on_outcome(outcome)
    return outcomes


def _folder(target: str, folders: Folders) -> Path | None:
    """The model folder a target names (a path, or out/NAME for a bot's name or accounts); None: a Hub repo id."""
    bot = target if "/" in target else bots.name(target, folders.cards)
    for candidate in (Path(target).expanduser(), folders.model(bot) if NAME_RE.fullmatch(bot) else None):
        if candidate is not None and any((candidate / n).is_file() for n in ("config.json", "adapter_config.json")):
            return candidate
    if "/" not in target or Path(target.split("/")[0]).exists():
        raise HfTweetsError(
            "no such model folder or Hub repo id",
            where=target,
            fix="give a model folder, a bot's name (out/NAME) or a repo id (namespace/name)",
        )
    return None


def _folder_copy(target: str, folder: Path, folders: Folders) -> Outcome:
    sweep_orphans(folder)  # what a killed copy left: its staging folder
    if copy.is_current(folder):
        return Outcome(target, "current", f"the browser copy in {folder / copy.FOLDER} is current; nothing to do")
    name = folder.name
    if NAME_RE.fullmatch(name) and record_path(folders.cards, name).is_file():
        warning = copy.copy_for_bot(name, folders, folder, then="the model is kept")
        if warning:
            raise BrowserCopyError(warning.split(": ", 1)[1], where=target)
    else:
        copy.write_browser_copy(folder)
    facts = json.loads((folder / copy.FOLDER / copy.FACTS).read_text(encoding="utf-8"))["browser"]
    return Outcome(target, "added", f"wrote {folder / copy.FOLDER}/ ({_facts_line(facts)})")


def _repo_copy(api, repo_id: str, pacer: CommitBucket) -> Outcome:
    found = hub.remote_files(api, repo_id)
    if found is None:
        raise PublishError(repo_id, "no such repo on the Hub", fix="check the repo id (namespace/name)")
    parent, remote = found
    weights = {name: remote[name].sha256 for name in weights_files(remote)}
    if not weights:
        raise PublishError(repo_id, "holds no weights (model.safetensors or pytorch_model.bin)", fix="publish a model")
    facts_path = f"{copy.FOLDER}/{copy.FACTS}"
    if facts_path in remote and f"{copy.FOLDER}/{copy.QUANTIZED}" in remote:
        if _remote_facts(api, repo_id, parent, facts_path).get("weights") == weights:
            return Outcome(repo_id, "current", f"the browser copy is current at {parent[:7]}; nothing to do")
    with tempfile.TemporaryDirectory(prefix="hf-tweets-onnx-") as tmp:
        folder = _download(api, repo_id, parent, [*weights, *NEEDED], Path(tmp))
        try:
            facts = copy.write_browser_copy(folder, prompt=DEFAULT_PROMPT)
        except BrowserCopyError as error:  # named by the repo, not by the throwaway folder
            raise BrowserCopyError(error.what, where=repo_id, fix=error.fix or "nothing was committed") from None
        files = {
            f"{copy.FOLDER}/{p.name}": hub.LocalFile.of(f"{copy.FOLDER}/{p.name}", p)
            for p in sorted((folder / copy.FOLDER).iterdir())
        }
        pacer.acquire()
        request = hub.Commit(
            repo_id,
            parent,
            files,
            message="Add the browser copy (ONNX) with hf-tweets",
            description=_facts_line(facts.model_dump()),
        )
        landed = hub.commit(api, request)
    return Outcome(repo_id, "added", f"committed {landed.oid[:7]} ({_facts_line(facts.model_dump())})")


def _remote_facts(api, repo_id: str, revision: str, path: str) -> dict:
    from huggingface_hub import hf_hub_download

    def fetch() -> dict:
        with tempfile.TemporaryDirectory() as cache:
            text = Path(hf_hub_download(repo_id, path, revision=revision, cache_dir=cache, token=api.token)).read_text(
                encoding="utf-8"
            )
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    return hub.call(fetch, repo_id, f"downloading {path}")


def _download(api, repo_id: str, revision: str, names: list[str], folder: Path) -> Path:
    from huggingface_hub import snapshot_download

    hub.call(
        lambda: snapshot_download(
            repo_id, revision=revision, allow_patterns=names, local_dir=folder, token=api.token, endpoint=api.endpoint
        ),
        repo_id,
        "downloading the model",
    )
    return folder


def _facts_line(facts: dict) -> str:
    return f"{facts['bytes'] / 1e6:.1f} MB, next-token agreement {facts['agreement']:.1%} over {facts['positions']:,}"
