"""Weights & Biases, the way huggingtweets used it: project ``huggingtweets``, a ``preprocess`` run
logging the raw posts (``raw-dataset``) and the training text (``train-dataset``), a ``train`` run
with the config and the Trainer's metrics, and after publishing a ``finetuned-model`` artifact
referencing the files on the Hub. Runs are written under data/<name>/wandb; online runs' URLs go
into the record, so the card links them. No token ever goes into a config.
"""

from __future__ import annotations

import json
import netrc
from pathlib import Path
from typing import Literal

from hf_tweets import settings
from hf_tweets.errors import HfTweetsError
from hf_tweets.fsutil import atomic_write_text
from hf_tweets.platforms import Account
from hf_tweets.sources.posts import raw_path


def resolve_mode(mode: str) -> str:
    """online, offline or off; ``auto`` is online when a W&B login is present, else off."""
    if mode != "auto":
        return mode
    if settings.wandb_key_in_environment():
        return "online"
    try:
        return "online" if netrc.netrc().authenticators("api.wandb.ai") else "off"
    except (FileNotFoundError, netrc.NetrcParseError, OSError):
        return "off"


def _init(mode: str, folder: Path, **kwargs):
    import wandb

    folder.mkdir(parents=True, exist_ok=True)
    project, entity = settings.wandb_target()
    # one of resolve_mode's two that start a run (with "off", none is started)
    started: Literal["online", "offline"] = "online" if mode == "online" else "offline"
    try:  # absolute: wandb's service process resolves paths against its own working directory
        return wandb.init(
            project=project, entity=entity, mode=started, dir=str(folder.resolve()), reinit="finish_previous", **kwargs
        )
    except Exception as error:  # wandb raises its own types for login and network problems
        raise HfTweetsError(
            f"W&B could not start a run ({type(error).__name__}: {str(error).splitlines()[0][:160]});"
            " log in with `wandb login`, or use --wandb offline or --wandb off"
        ) from None


def preprocess_run(name: str, data_dir: Path, accounts: list[Account], mode: str) -> str | None:
    """Log the raw posts and the training text as artifacts; return the run's URL (online) or None."""
    folder = data_dir / name
    config = {"handles": [a.handle for a in accounts], "platforms": [a.platform for a in accounts]}
    run = _init(mode, folder, job_type="preprocess", name=f"{name}-preprocess", config=config)
    raw = _artifact("raw-dataset", name, [raw_path(data_dir, a) for a in accounts])
    train = _artifact("train-dataset", name, [folder / f for f in ("train.txt", "eval.txt", "stats.json")])
    run.log_artifact(raw)
    run.log_artifact(train)
    url = run.url if mode == "online" else None
    _note(folder, preprocess_run=run.id)
    run.finish()
    return url


def start_train_run(name: str, data_dir: Path, accounts: list[Account], config, versions: dict, mode: str):
    """Start the train run (the Trainer's W&B callback then logs into it); return the run."""
    settings = config.facts()
    who = {"handles": [a.handle for a in accounts], "platforms": [a.platform for a in accounts]}
    config = {**settings, **who, "versions": versions}
    run = _init(mode, data_dir / name, job_type="train", name=f"{name}-train", config=config)
    _note(data_dir / name, train_run=run.id)
    return run


def log_published_model(
    name: str, data_dir: Path, repo_id: str, commit: str, files: list[str], endpoint: str, mode: str
) -> None:
    """Add a finetuned-model artifact, referencing the published files on the Hub, to the train run."""
    runs = _notes(data_dir / name)
    if mode == "off" or "train_run" not in runs:
        return
    import wandb

    run = _init(mode, data_dir / name, id=runs["train_run"], resume="allow", job_type="train")
    artifact = wandb.Artifact(f"{name}-model", type="finetuned-model", metadata={"repo_id": repo_id, "commit": commit})
    for path in files:
        artifact.add_reference(f"{endpoint}/{repo_id}/resolve/{commit}/{path}", name=path, checksum=False)
    run.log_artifact(artifact)
    run.finish()


def _artifact(kind: str, name: str, files: list[Path]):
    import wandb

    artifact = wandb.Artifact(f"{name}-{kind}", type=kind)
    for path in files:
        if path.exists():
            artifact.add_file(str(path.resolve()), name=path.name)
    return artifact


def _notes(folder: Path) -> dict:
    path = folder / "wandb-runs.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _note(folder: Path, **ids: str) -> None:
    atomic_write_text(folder / "wandb-runs.json", json.dumps(_notes(folder) | ids) + "\n")
