"""``hf-tweets run``: fetch -> prepare -> train -> card -> out/<name>/ (-> publish), skipping what is up to date.

Each stage is the same library call as its own command; this module only
chains them, remembers a fingerprint of each stage's inputs in
data/<name>/stages.json so an unchanged stage is skipped, and adds W&B
tracking around training.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hf_tweets.cards.record import default_repo_name, load_record, record_path, update_record
from hf_tweets.cards.render import render
from hf_tweets.errors import HfTweetsError
from hf_tweets.fsutil import atomic_write_text, child, sweep_orphans
from hf_tweets.sources.posts import raw_path
from hf_tweets.text import clean_line
from hf_tweets.training import tracking
from hf_tweets.training.prepare import check_prepared
from hf_tweets.training.train import TrainConfig, TrainResult, prepared_posts, train, versions

SAMPLE_PROMPT_COUNT = 3


def train_stage(
    name: str,
    data_dir: Path,
    cards_dir: Path,
    out_dir: Path,
    config: TrainConfig,
    *,
    resume: bool = False,
    wandb_mode: str = "auto",
) -> TrainResult:
    """Train, with the preprocess and train runs in W&B when it is on; run URLs go into the record."""
    prepared_posts(child(data_dir, name), name)  # say "run prepare" before anything else
    mode = tracking.resolve_mode(wandb_mode)
    card = record_path(cards_dir, name)
    handles = [u.handle for u in load_record(card).users]
    if mode == "off":
        return train(name, data_dir, cards_dir, out_dir, config, resume=resume)
    preprocess_url = tracking.preprocess_run(name, data_dir, handles, mode)
    run = tracking.start_train_run(name, data_dir, handles, config, versions(), mode)
    try:
        result = train(name, data_dir, cards_dir, out_dir, config, resume=resume, report_to=["wandb"])
    finally:
        run.finish()
    if mode == "online":

        def change(record) -> None:  # the run links are what this stage owns
            record.wandb = {
                **(record.wandb.model_dump(exclude_none=True) if record.wandb else {}),
                "preprocess_run": preprocess_url,
                "train_run": run.url,
            }

        update_record(card, change)
    return result


def add_samples(name: str, cards_dir: Path, model_dir: Path, seed: int = 42) -> list[str]:
    """Generate a few posts with the record's widget prompt and keep them on the record."""
    from hf_tweets.training.generate import generate

    card = record_path(cards_dir, name)
    texts = [
        clean_line(t) for t in generate(str(model_dir), load_record(card).widget_prompt, SAMPLE_PROMPT_COUNT, seed)
    ]
    samples = [t for t in texts if t]

    def change(record) -> None:
        record.samples = samples

    update_record(card, change)
    return samples


def write_card(name: str, cards_dir: Path, out_dir: Path) -> Path:
    """Render the record into out/<name>/README.md."""
    target = out_dir / "README.md"
    atomic_write_text(target, render(load_record(record_path(cards_dir, name))))
    return target


@dataclass
class RunSummary:
    name: str
    out_dir: Path
    users: list[str]
    counts: list[dict]
    eval_loss: float | None
    skipped: list[str] = field(default_factory=list)
    published: str | None = None

    def lines(self) -> list[str]:
        out = [
            f"{self.name}: done ({', '.join(self.skipped)} skipped: inputs unchanged)"
            if self.skipped
            else f"{self.name}: done"
        ]
        for handle, c in zip(self.users, self.counts, strict=True):
            out.append(
                f"  @{handle}: {c['downloaded']} downloaded, {c['retweets']} retweets, {c['short']} short,"
                f" {c['kept']} kept"
            )
        if self.eval_loss is not None:
            out.append(f"  eval loss {self.eval_loss:.4f}, perplexity {math.exp(min(self.eval_loss, 50)):.1f}")
        out.append(f'  model and card: {self.out_dir}/ (try: hf-tweets generate {self.out_dir} "My dream is")')
        out.append(f"  on the Hub: {self.published}" if self.published else "  publish it with --publish")
        return out


class Stages:
    """Fingerprints of each stage's inputs, to skip stages whose inputs did not change."""

    def __init__(self, folder: Path):
        self.path = folder / "stages.json"
        try:  # a cache: unreadable means nothing is known to be done, and the stages run again
            self.done = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.done = {}
        if not isinstance(self.done, dict):
            self.done = {}

    def fresh(self, stage: str, fingerprint: str) -> bool:
        return self.done.get(stage) == fingerprint

    def mark(self, stage: str, fingerprint: str) -> None:
        self.done[stage] = fingerprint
        atomic_write_text(self.path, json.dumps(self.done, indent=1) + "\n")


def fingerprint(*parts) -> str:
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            digest.update(part.read_bytes() if part.is_file() else b"<missing>")
        else:
            digest.update(json.dumps(part, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def refuse_worse(previous: float | None, new: float, force: bool, name: str) -> None:
    """Publishing over a better model needs --force."""
    if previous is not None and new > previous and not force:
        raise HfTweetsError(
            f"{name}: the new model's eval loss {new:.4f} is worse than the published one's {previous:.4f};"
            " nothing was published (add --force to publish it anyway)"
        )


def run(
    handles: list[str],
    archive: Path | None,
    data_dir: Path,
    cards_dir: Path,
    out_root: Path,
    config: TrainConfig,
    *,
    publish: bool = False,
    force: bool = False,
    wandb_mode: str = "auto",
    min_chars: int = 6000,
    include_replies: bool = True,
    say=print,
) -> RunSummary:
    """The whole pipeline; see the module docstring."""
    from hf_tweets.sources import fetch as sources
    from hf_tweets.training.prepare import prepare

    say("1/5 fetch")
    if archive:
        profile, _, _ = sources.fetch_archive(archive, data_dir, include_replies)
        handles = [profile.handle]
    else:
        handles = [sources.fetch_api(h, data_dir, 3200, include_replies, False)[0].handle for h in handles]
    name = default_repo_name(handles)
    folder, out_dir = child(data_dir, name), child(out_root, name)
    stages = Stages(folder)
    sweep_orphans(cards_dir, out_dir, out_root, folder)
    raw = [raw_path(data_dir, h) for h in handles]
    say("2/5 prepare")
    prepared = fingerprint(*raw, min_chars)
    if not (stages.fresh("prepare", prepared) and check_prepared(folder) is None):
        result = prepare(name, data_dir, cards_dir, handles, min_chars=min_chars, seed=config.seed)
        if result.warning:
            say(f"warning: {result.warning}")
        stages.mark("prepare", prepared)
    card = record_path(cards_dir, name)
    previous = load_record(card)
    previous_loss = previous.training.eval_loss if previous.published() and previous.training else None
    say("3/5 train")
    trained = fingerprint(folder / "train.txt", folder / "eval.txt", asdict(config))
    skipped = []
    if stages.fresh("train", trained) and (out_dir / "model.safetensors").exists():
        skipped.append("train")
    else:
        train_stage(name, data_dir, cards_dir, out_dir, config, wandb_mode=wandb_mode)
        stages.mark("train", trained)
    say("4/5 card")
    samples = add_samples(name, cards_dir, out_dir, config.seed)
    from hf_tweets.cards.thumbnail import write_thumbnail

    write_thumbnail(load_record(card), samples, out_dir / "predictions.png")

    def change(record) -> None:  # the card's thumbnail is the picture just drawn, once it is published beside it
        if record.thumbnail is None:
            record.thumbnail = "predictions.png"

    update_record(card, change)
    write_card(name, cards_dir, out_dir)
    record = load_record(card)
    summary = RunSummary(
        name,
        out_dir,
        [u.handle for u in record.users],
        [u.counts.model_dump() for u in record.users],
        record.training.eval_loss if record.training else None,
        skipped,
    )
    if publish:
        say("5/5 publish")
        refuse_worse(previous_loss, summary.eval_loss or 0.0, force, name)
        from hf_tweets.hub.publish import publish as publish_model

        outcome = publish_model(card, out_dir)
        summary.published = outcome.url
        mode = tracking.resolve_mode(wandb_mode)
        if outcome.commit and mode != "off":
            files = sorted(outcome.plan.files)
            tracking.log_published_model(
                name, data_dir, outcome.plan.repo_id, outcome.commit, files, outcome.url.rsplit("/", 2)[0], mode
            )
    return summary
