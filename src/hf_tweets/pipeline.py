"""``hf-tweets run``: fetch -> prepare -> train -> card -> out/<name>/ (-> publish), skipping what is up to date.

Each stage is the same library call as its own command; this module only
chains them and adds W&B tracking around training. A stage is skipped when its
output says it was made from the current inputs: stats.json names the posts and
settings prepare used, the model's config.json what it was trained on (so a
``train --resume`` run by hand counts). A training that was interrupted (Ctrl-C)
is resumed from its last checkpoint when its inputs are the same. With
``--publish`` the token and namespace are checked before any work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from hf_tweets import consent, platforms
from hf_tweets.browser.copy import copy_for_bot, forget_stale
from hf_tweets.cards.record import DEFAULT_NAMESPACE, CopyCheck, default_repo_name
from hf_tweets.cards.recordfile import load_record, record_path, update_record
from hf_tweets.cards.render import render
from hf_tweets.errors import HfTweetsError, TrainInterrupted
from hf_tweets.folders import Folders
from hf_tweets.fsutil import atomic_write_text, sweep_orphans
from hf_tweets.platforms import Account
from hf_tweets.text import clean_line
from hf_tweets.training import tracking
from hf_tweets.training.prepare import PrepareConfig, prepared_from
from hf_tweets.training.prepare import inputs_fingerprint as prepare_inputs
from hf_tweets.training.train import (
    TrainConfig,
    TrainResult,
    model_present,
    prepared_posts,
    train,
    trained_from,
    versions,
)
from hf_tweets.training.train import inputs_fingerprint as train_inputs

SAMPLE_PROMPT_COUNT = 3
ON_THE_HUB = "on the Hub: "  # before the repo's URL in run's summary (a batch's Job reads it back from its log)
COPY_SAMPLES = 100  # generated for the memorisation check


def train_stage(
    name: str,
    folders: Folders,
    model_dir: Path,
    config: TrainConfig,
    *,
    resume: bool | str = False,
    wandb_mode: str = "auto",
) -> TrainResult:
    """Train, then check how much the model copies (check_copies), with the preprocess and train runs in W&B when it
    is on; run URLs go into the record."""
    prepared_posts(folders.prepared(name), name)  # say "run prepare" before anything else
    mode = tracking.resolve_mode(wandb_mode)
    card = record_path(folders.cards, name)
    accounts = load_record(card).accounts
    if mode == "off":
        result = train(name, folders, model_dir, config, resume=resume)
        check_copies(name, folders, model_dir, config.seed)
        return result
    preprocess_url = tracking.preprocess_run(name, folders.data, accounts, mode)
    run = tracking.start_train_run(name, folders.data, accounts, config, versions(), mode)
    try:
        result = train(name, folders, model_dir, config, resume=resume, report_to=["wandb"])
        copied = check_copies(name, folders, model_dir, config.seed)
        run.summary["copy_rate"] = copied.rate  # beside the losses the Trainer logged
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


def add_samples(name: str, folders: Folders, model_dir: Path, seed: int = 42) -> list[str]:
    """Generate a few posts with the record's widget prompt, none a copy of a training post, and keep them on the
    record."""
    from hf_tweets.training.copies import training_posts
    from hf_tweets.training.generate import Generator, generate_originals

    card = record_path(folders.cards, name)
    prompt = load_record(card).widget_prompt
    texts, _ = generate_originals(
        Generator(str(model_dir), seed), prompt, SAMPLE_PROMPT_COUNT, training_posts(folders.prepared(name))
    )
    samples = [text for text in map(clean_line, texts) if text]

    def change(record) -> None:
        record.samples = samples

    update_record(card, change)
    return samples


def check_copies(name: str, folders: Folders, model_dir: Path, seed: int = 42) -> CopyCheck:
    """The memorisation check: COPY_SAMPLES texts generated with a fixed seed and no prompt, counted against the
    training posts (copies.py); the result goes on the record (and so the card)."""
    from hf_tweets.training import copies
    from hf_tweets.training.generate import Generator

    texts = Generator(str(model_dir), seed)("", COPY_SAMPLES)
    index = copies.CopyIndex(copies.training_posts(folders.prepared(name)))
    check = CopyCheck(
        samples=len(texts), copied=copies.count_copies(index, texts), words=index.words, chars=index.chars
    )

    def change(record) -> None:
        if record.training is not None:
            record.training = record.training.model_copy(update={"copies": check})

    update_record(record_path(folders.cards, name), change)
    return check


def write_card(name: str, cards_dir: Path, out_dir: Path) -> Path:
    """Render the record into out/<name>/README.md."""
    target = out_dir / "README.md"
    atomic_write_text(target, render(load_record(record_path(cards_dir, name))))
    return target


@dataclass
class RunSummary:
    name: str
    out_dir: Path
    users: list[Account]
    counts: list[dict]
    eval_loss: float | None
    skipped: list[str] = field(default_factory=list)
    published: str | None = None  # the repo's URL, when this run published it
    published_before: str | None = None  # the commit an earlier publish left, when this run did not publish

    def lines(self) -> list[str]:
        done = (
            f"{self.name}: done ({', '.join(self.skipped)} skipped: inputs unchanged)"
            if self.skipped
            else f"{self.name}: done"
        )
        out = [done]
        for account, c in zip(self.users, self.counts, strict=True):
            out.append(f"  {account}: {counts_line(account, c)}")
        if self.eval_loss is not None:
            out.append(f"  eval loss {self.eval_loss:.4f}, perplexity {math.exp(min(self.eval_loss, 50)):.1f}")
        out.append(f"  model and card: {self.out_dir}/")
        if self.published:
            out.append(f"  {ON_THE_HUB}{self.published}")
        elif self.published_before:
            out.append(f"  published earlier (commit {self.published_before[:7]})")
        return out  # what to run next is the CLI's to say (cli.next_line)


def _same_accounts_or_refuse(card: Path, accounts: list[Account]) -> None:
    """A record of this name that is another model (its accounts differ) is never taken over by this run."""
    if not card.exists():
        return
    theirs = load_record(card).accounts
    if {a.key for a in theirs} != {a.key for a in accounts}:
        raise HfTweetsError(
            f"is the model of {', '.join(map(str, theirs))}, not of {', '.join(map(str, accounts))}",
            where=card,
            fix="give this model another name with --name",
        )


def counts_line(account: Account, counts: dict) -> str:
    """'600 downloaded, 67 retweets, 27 short, 506 kept', in the account's platform's words."""
    reposts, cw = f"{platforms.get(account.platform).repost}s", counts.get("cw")
    hidden = f", {cw:,} behind a content warning" if cw else ""
    return (
        f"{counts['downloaded']:,} downloaded, {counts['retweets']:,} {reposts}, {counts['short']:,} short{hidden},"
        f" {counts['kept']:,} kept"
    )


def refuse_worse(previous: float | None, new: float, force: bool, name: str) -> None:
    """Publishing over a better model needs --force."""
    if previous is not None and new > previous and not force:
        raise HfTweetsError(
            f"the new model's eval loss {new:.4f} is worse than the published one's {previous:.4f};"
            " nothing was published",
            where=name,
            fix="add --force to publish it anyway",
        )


@dataclass(frozen=True)
class RunOptions:
    """What ``run`` does besides training (TrainConfig) and preparing (PrepareConfig)."""

    publish: bool = False
    namespace: str | None = None  # publish there (this run only) instead of the record's namespace
    force: bool = False  # publish even a model whose eval loss is worse than the published one's
    wandb_mode: str = "auto"
    include_replies: bool = True
    name: str | None = None  # the model's name (repo and record) instead of the accounts' (platforms.repo_name)
    agreed: str = "public"  # "permission" when the people agreed (run --consent permission); an archive is "self"
    handle: str | None = None  # whose posts the archive holds (run --handle): a Bluesky export's handle, or a check
    onnx: bool = True  # make the browser copy (onnx/) and publish it (run --onnx/--no-onnx, $HF_TWEETS_ONNX)


def run(
    handles: list[str],
    archive: Path | None,
    folders: Folders,
    config: TrainConfig,
    *,
    prepare_config: PrepareConfig | None = None,
    options: RunOptions | None = None,
    say=print,
) -> RunSummary:
    """The whole pipeline; see the module docstring."""
    prepare_config, options = prepare_config or PrepareConfig(), options or RunOptions()
    from hf_tweets.sources.fetch import parse_account

    steps = iter(f"{n}/{4 + options.publish}" for n in range(1, 6))
    named = [parse_account(h) for h in ([options.handle] if archive and options.handle else handles)]
    consent.check(named, folders.optout)  # every account named, before any request (the Hub's too) and any file
    if options.publish:
        _preflight(options.namespace or DEFAULT_NAMESPACE)
    say(f"{next(steps)} fetch")
    accounts = _fetch_stage(named, archive, folders, options, say)
    name = options.name or default_repo_name(accounts)
    folder, out_dir, card = folders.prepared(name), folders.model(name), record_path(folders.cards, name)
    _same_accounts_or_refuse(card, accounts)
    sweep_orphans(folders.cards, out_dir, folders.out, folder)
    if options.publish and not options.namespace and card.exists():  # the record may name another namespace
        _preflight(load_record(card).namespace)

    say(f"{next(steps)} prepare")
    skipped = [] if _prepare_stage(name, accounts, folders, prepare_config, say) else ["prepare"]
    previous = load_record(card)
    previous_state = previous.published(f"{options.namespace}/{name}" if options.namespace else None)
    previous_loss = previous.training.eval_loss if previous_state and previous.training else None

    say(f"{next(steps)} train")
    if not _train_step(name, folders, out_dir, config, options.wandb_mode):
        skipped.append("train")
    _browser_copy_step(name, folders, out_dir, options, say)

    say(f"{next(steps)} card")
    _card_stage(name, folders, out_dir, config.seed)
    record = load_record(card)
    summary = RunSummary(
        name,
        out_dir,
        record.accounts,
        [u.counts.model_dump(exclude_none=True) for u in record.users],
        record.training.eval_loss if record.training else None,
        skipped,
    )
    if not options.publish:
        summary.published_before = previous_state.commit if previous_state else None
        return summary
    say(f"{next(steps)} publish")
    refuse_worse(previous_loss, summary.eval_loss or 0.0, options.force, name)
    _publish_stage(name, folders, out_dir, options, summary)
    return summary


def _fetch_stage(named: list[Account], archive: Path | None, folders: Folders, options: RunOptions,
                 say) -> list[Account]:  # fmt: skip
    """Fetch the accounts (or read the archive, hf://datasets/... downloaded first); the accounts as fetched."""
    from hf_tweets.sources import fetch as sources

    include, agreed = options.include_replies, options.agreed
    if archive is None:
        fetched = [sources.fetch_account(a, folders, include_replies=include, agreed=agreed) for a in named]
        return [f.profile.account for f in fetched]
    from hf_tweets.hub.datasets import local_archive

    export = sources.fetch_archive(
        local_archive(archive, folders.data), folders, include_replies=include, handle=options.handle
    )
    for warning in export.warnings:
        say(f"warning: {warning}")
    return [export.profile.account]


def _prepare_stage(name: str, accounts: list[Account], folders: Folders, config: PrepareConfig, say) -> bool:
    """Prepare the training text unless what is there was made from the same posts and settings; whether it ran."""
    from hf_tweets.training.prepare import prepare

    if prepared_from(folders.prepared(name)) == prepare_inputs(folders.data, accounts, config):
        return False
    result = prepare(name, folders, accounts, config)
    if result.warning:
        say(f"warning: {result.warning}")
    return True


def _train_step(name: str, folders: Folders, out_dir: Path, config: TrainConfig, wandb_mode: str) -> bool:
    """Train unless out/NAME is a model of the same inputs (an interrupted training goes on from its last
    checkpoint); whether it trained."""
    if trained_from(out_dir) == train_inputs(folders.prepared(name), config) and model_present(out_dir):
        return False
    try:
        train_stage(name, folders, out_dir, config, resume="auto", wandb_mode=wandb_mode)
    except TrainInterrupted as stop:
        again = "run the same command again: it goes on from there"
        raise TrainInterrupted(stop.what, where=stop.where, fix=again) from None
    return True


def _browser_copy_step(name: str, folders: Folders, out_dir: Path, options: RunOptions, say) -> None:
    """After training, skipped or not: the browser copy of these weights, made once (or, with --no-onnx, a copy
    of older weights forgotten)."""
    if not options.onnx:
        forget_stale(name, folders.cards, out_dir)
        return
    then = "published" if options.publish else "the model is kept"
    if warning := copy_for_bot(name, folders, out_dir, then=then):
        say(f"warning: {warning}")


def _preflight(namespace: str) -> None:
    """Before any work: the token may write to ``namespace`` (a one-line error otherwise)."""
    from hf_tweets.hub import client as hub

    hub.check_write_access(hub.client(), namespace)


def _card_stage(name: str, folders: Folders, out_dir: Path, seed: int) -> None:
    """Sample generations, the thumbnail and README.md, in out/<name>/."""
    from hf_tweets.cards.thumbnail import write_thumbnail

    samples = add_samples(name, folders, out_dir, seed)
    card = record_path(folders.cards, name)
    write_thumbnail(load_record(card), samples, out_dir / "predictions.png")

    def change(record) -> None:  # the card's thumbnail is the picture just drawn, once it is published beside it
        if record.thumbnail is None:
            record.thumbnail = "predictions.png"

    update_record(card, change)
    write_card(name, folders.cards, out_dir)


def _publish_stage(name: str, folders: Folders, out_dir: Path, options: RunOptions, summary: RunSummary) -> None:
    from hf_tweets.hub.publish import publish

    card = record_path(folders.cards, name)
    outcome = publish(card, out_dir, namespace=options.namespace, onnx=options.onnx, optout=folders.optout)
    summary.published = outcome.url
    mode = tracking.resolve_mode(options.wandb_mode)
    if outcome.commit and outcome.url and mode != "off":  # a commit has its URL
        endpoint = outcome.url.rsplit("/", 2)[0]
        tracking.log_published_model(
            name, folders.data, outcome.plan.repo_id, outcome.commit, sorted(outcome.plan.files), endpoint, mode
        )
