"""``hf-tweets train``: fine-tune a causal LM on data/<name>/train.txt, keep the best epoch by eval loss.

Posts are tokenised one by one, each after an <|endoftext|>, and packed into
blocks sized for posts (not the recipe's 1,024 tokens of mostly one post),
batched, and run through transformers' Trainer: cosine schedule, evaluation
and a checkpoint each epoch, the best checkpoint by eval loss kept, bf16/fp16
on a GPU. Ctrl-C saves a checkpoint first; --resume goes on from the last one.

A checkpoint counts only once ``hf_tweets.json`` is in it, written (atomically)
after transformers has saved everything else: a process killed while a
checkpoint is written leaves one that is never resumed from. That file also
carries the run's wall time so far, so the facts a resumed run records (time,
train loss, which is computed from the per-step losses in the trainer's
log history) are the whole run's, not the last segment's.

The model folder gets model.safetensors, the tokenizer, a generation_config.json
with the sampling settings, and ``config.prefix = <|endoftext|>`` so that
``pipeline('text-generation', model=...)("My dream is")`` prompts the model the
way it was trained. The record gets the training facts.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import signal
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from hf_tweets import __version__, consent
from hf_tweets.cards.record import DEFAULT_BASE_MODEL
from hf_tweets.cards.recordfile import load_record, record_path, update_record
from hf_tweets.errors import TrainError, TrainInterrupted
from hf_tweets.fsutil import atomic_write_text, child, staged_folder, sweep_orphans
from hf_tweets.training.basemodel import EOS, hub_id, load

MAX_LENGTH = 160  # the recipe's generation settings: sample, top_p 0.95, temperature 1, 10 to 160 tokens
MIN_LENGTH = 10
MARKER = "hf_tweets.json"  # in a checkpoint: it is complete; the run's seconds so far, step and max steps


@dataclass
class TrainConfig:
    """Every setting of a run: nanoGPT-style flat defaults, saved with the model."""

    base_model: str = DEFAULT_BASE_MODEL
    epochs: float = 4.0
    learning_rate: float = 1.372e-4
    lr_scheduler: str = "cosine"
    warmup_ratio: float = 0.0  # a share of the steps (TrainingArguments.warmup_steps takes a float < 1 as a ratio)
    weight_decay: float = 0.0
    batch_size: int = 16  # blocks per step; measured in bench/train.py (2.2x the recipe's speed, lower loss)
    block_size: int = 0  # 0: sized for the posts (95th percentile of their lengths, a multiple of 32)
    seed: int = 42
    precision: str = "auto"  # auto, fp32, bf16 or fp16; see mixed_precision()


@dataclass
class TrainResult:
    folder: Path
    train_loss: float
    eval_loss: float
    tokens_seen: int
    seconds: float
    config: TrainConfig


def prepared_posts(folder: Path, name: str) -> tuple[list[str], list[str], dict]:
    from hf_tweets.training.prepare import check_prepared

    files = [folder / f for f in ("train.txt", "eval.txt", "stats.json")]
    if not all(f.exists() for f in files):
        raise TrainError(
            f"{folder} has no prepared text (train.txt, eval.txt, stats.json); run hf-tweets prepare {name} first"
        )
    if problem := check_prepared(folder):
        raise TrainError(problem, where=folder, fix=f"run hf-tweets prepare {name} again")
    train = [p for p in files[0].read_text(encoding="utf-8").split(EOS) if p]
    held = [p for p in files[1].read_text(encoding="utf-8").split(EOS) if p]
    if len(train) < 2 or not held:
        raise TrainError(
            f"{folder}: {len(train)} training and {len(held)} evaluation posts are too few to train on;"
            " fetch more posts and run hf-tweets prepare again"
        )
    return train, held, json.loads(files[2].read_text(encoding="utf-8"))


def mixed_precision(precision: str = "auto") -> tuple[bool, bool]:
    """(bf16, fp16) for the Trainer. auto: bf16 on GPUs that have it, else fp16 on a GPU; on a CPU, bf16 where
    it has bf16 matrix units (AMX or AVX512-BF16: ~3x faster matmuls), else fp32."""
    import torch

    if precision != "auto":
        return precision == "bf16", precision == "fp16"
    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported(), not torch.cuda.is_bf16_supported()
    caps = torch.cpu.get_capabilities() if hasattr(torch.cpu, "get_capabilities") else {}
    return bool(caps.get("amx_bf16") or caps.get("avx512_bf16")), False


def block_size_for(lengths: list[int], limit: int) -> int:
    """Blocks that fit most posts whole: the 95th percentile length, rounded up to a multiple of 32."""
    p95 = sorted(lengths)[int(0.95 * (len(lengths) - 1))]
    return max(32, min(limit, 1024, -(-p95 // 32) * 32))


def pack(posts: list[list[int]], eos: int, block: int) -> list[list[int]]:
    """Concatenate <eos> + post token lists and cut them into blocks (the last one may be shorter)."""
    stream = [t for post in posts for t in [eos, *post]]
    return [stream[i : i + block] for i in range(0, len(stream), block) if len(stream[i : i + block]) > 1]


class _Collate:
    """Pad a batch of blocks; padding is masked out of the loss (EOS itself is learnt)."""

    def __init__(self, pad: int):
        self.pad = pad

    def __call__(self, blocks: list[dict]):
        import torch

        width = max(len(b["input_ids"]) for b in blocks)
        ids = torch.full((len(blocks), width), self.pad)
        mask = torch.zeros((len(blocks), width), dtype=torch.long)
        for row, block in enumerate(blocks):
            ids[row, : len(block["input_ids"])] = torch.tensor(block["input_ids"])
            mask[row, : len(block["input_ids"])] = 1
        return {"input_ids": ids, "attention_mask": mask, "labels": ids.masked_fill(mask == 0, -100)}


def _callbacks(seconds_before: float = 0.0, inputs: str = ""):
    """A progress bar with loss and ETA, Ctrl-C turned into 'save a checkpoint, then stop', and each saved
    checkpoint marked complete with the run's time so far."""
    from tqdm.auto import tqdm
    from transformers import TrainerCallback

    class Progress(TrainerCallback):
        bar = None
        interrupted = False

        def on_train_begin(self, args, state, control, **kwargs):
            self.bar = tqdm(total=state.max_steps, initial=state.global_step, desc="training", unit="step")
            self._previous = signal.signal(signal.SIGINT, self._interrupt)

        def _interrupt(self, *args):
            self.interrupted = True

        def on_step_end(self, args, state, control, **kwargs):
            self.bar.update(state.global_step - self.bar.n)
            if self.interrupted:
                control.should_save = control.should_training_stop = True

        def on_log(self, args, state, control, logs=None, **kwargs):
            shown = {k: round(v, 4) for k, v in (logs or {}).items() if k in ("loss", "eval_loss")}
            if shown and self.bar is not None:
                self.bar.set_postfix(shown)

        def on_save(self, args, state, control, **kwargs):
            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            marker = {
                "seconds": self.seconds(),
                "global_step": state.global_step,
                "max_steps": state.max_steps,
                "inputs": inputs,
            }
            atomic_write_text(folder / MARKER, json.dumps(marker) + "\n")

        def seconds(self) -> float:
            return seconds_before + time.perf_counter() - self.started

        def on_train_end(self, args, state, control, **kwargs):
            signal.signal(signal.SIGINT, self._previous)
            if self.bar is not None:
                self.bar.close()

    progress = Progress()
    progress.started = time.perf_counter()
    return progress


def train(
    name: str,
    data_dir: Path,
    cards_dir: Path,
    out_dir: Path,
    config: TrainConfig,
    *,
    resume: bool | str = False,
    report_to: list[str] | None = None,
    on_start=None,
) -> TrainResult:
    """Fine-tune on data/<name>/, write the model to ``out_dir`` and the facts to cards/<name>.yaml.

    ``resume``: False starts afresh; True goes on from the last checkpoint (TrainError if there is none to go
    on from); "auto" goes on from a checkpoint of an interrupted run of the same inputs, else starts afresh."""
    import torch
    from transformers import PrinterCallback, Trainer, TrainingArguments, set_seed
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # checkpoint chatter; errors still show

    folder = child(data_dir, name)
    train_posts, eval_posts, stats = prepared_posts(folder, name)
    card = record_path(cards_dir, name)
    consent.check(load_record(card).accounts, cards_dir)  # fail early: a broken record, an opted-out account
    hub_id(config.base_model)  # and on a base model the card cannot name
    sweep_orphans(cards_dir, out_dir.parent)
    config = replace(config)  # a copy: the facts found below (block size, precision used) are this run's
    inputs, checkpoints = inputs_fingerprint(folder, config), folder / "checkpoints"
    if resume is True:
        last, marker = _resumable(checkpoints)
    else:
        last, marker = _interrupted(checkpoints, inputs) if resume == "auto" else (None, {})
    if last is None:
        shutil.rmtree(checkpoints, ignore_errors=True)  # a new run: another run's checkpoints must never be resumed
    set_seed(config.seed)
    model, tokenizer = load(config.base_model, train_posts, folder, config.seed)
    eos = tokenizer.eos_token_id
    encoded = tokenizer(train_posts + eval_posts, add_special_tokens=False)["input_ids"]
    limit = getattr(model.config, "n_positions", None) or getattr(model.config, "max_position_embeddings", 1024)
    block = config.block_size or block_size_for([len(ids) + 1 for ids in encoded], limit)
    config.block_size = block
    train_blocks = [{"input_ids": b} for b in pack(encoded[: len(train_posts)], eos, block)]
    eval_blocks = [{"input_ids": b} for b in pack(encoded[len(train_posts) :], eos, block)]
    gpu = torch.cuda.is_available()
    bf16, fp16 = mixed_precision(config.precision)
    config.precision = "bf16" if bf16 else "fp16" if fp16 else "fp32"  # what was used, for the record and the card
    args = TrainingArguments(
        output_dir=str(checkpoints),
        num_train_epochs=config.epochs,
        learning_rate=config.learning_rate,
        lr_scheduler_type=config.lr_scheduler,
        warmup_steps=config.warmup_ratio,
        weight_decay=config.weight_decay,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        eval_strategy="epoch",
        save_strategy="epoch",
        load_best_model_at_end=True,
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        save_total_limit=2,
        seed=config.seed,
        data_seed=config.seed,
        logging_steps=1,
        report_to=report_to or [],
        disable_tqdm=True,
        use_cpu=not gpu,
        bf16=bf16,
        fp16=fp16,
        dataloader_num_workers=0,
        save_only_model=False,
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train_blocks,
        eval_dataset=eval_blocks,
        data_collator=_Collate(tokenizer.pad_token_id),
        callbacks=[progress := _callbacks(marker.get("seconds", 0.0), inputs)],
    )
    trainer.remove_callback(PrinterCallback)  # our bar shows the loss; no dict per log line
    if on_start:
        on_start(config)
    progress.started = time.perf_counter()
    try:
        outcome = trainer.train(resume_from_checkpoint=str(last) if last else None)
    except torch.OutOfMemoryError:
        raise TrainError(
            f"out of memory at batch size {config.batch_size} x {block} tokens; try --batch-size "
            f"{max(1, config.batch_size // 4)} (a checkpoint, if any, is in {checkpoints}: add --resume)"
        ) from None
    if progress.interrupted:
        raise TrainInterrupted(
            f"interrupted at step {trainer.state.global_step}; the checkpoint is in {checkpoints}",
            fix="run the same command with --resume to go on",
        )
    seconds, train_loss = (
        progress.seconds(),
        last_epoch_loss(trainer.state.log_history, config.epochs, outcome.training_loss),
    )
    eval_loss = trainer.evaluate()["eval_loss"]  # the best epoch's weights are loaded by now
    tokens = sum(len(b["input_ids"]) for b in train_blocks) * math.ceil(config.epochs)
    _save(model, tokenizer, out_dir, stats.get("keep_newlines", False), limit, inputs)
    result = TrainResult(out_dir, train_loss, eval_loss, tokens, seconds, config)
    _remember(card, result)
    return result


def last_epoch_loss(log_history: list[dict], epochs: float, fallback: float) -> float:
    """The mean training loss of the final epoch (steps are logged one by one, resumed segments included):
    what the model ended at, comparable with the eval loss, unlike the mean over the whole run."""
    start = math.ceil(epochs) - 1  # e.g. 40 epochs: steps logged after epoch 39.0
    losses = [entry["loss"] for entry in log_history if "loss" in entry and entry.get("epoch", 0) > start]
    return sum(losses) / len(losses) if losses else fallback


def checkpoints_of(folder: Path) -> list[tuple[Path, dict]]:
    """The complete checkpoints of a run (with their marker), newest last."""
    found = []
    for path in folder.glob("checkpoint-*") if folder.is_dir() else []:
        try:
            found.append((path, json.loads((path / MARKER).read_text())))
        except (OSError, ValueError):
            continue  # being written, or cut short by a kill: never resumed from
    return sorted(found, key=lambda item: item[1].get("global_step", 0))


def _resumable(folder: Path) -> tuple[Path, dict]:
    """The checkpoint to go on from, or TrainError: there is none, or the run finished."""
    complete = checkpoints_of(folder)
    if not complete:
        raise TrainError(f"nothing to resume: no checkpoint in {folder}", fix="run without --resume")
    last, marker = complete[-1]
    if marker.get("global_step", 0) >= marker.get("max_steps", 1):
        raise TrainError(
            f"nothing to resume: the run in {folder} finished (step {marker['global_step']} of {marker['max_steps']})",
            fix="run without --resume to train again",
        )
    return last, marker


def _interrupted(folder: Path, inputs: str) -> tuple[Path | None, dict]:
    """The last complete checkpoint of an unfinished run of these inputs (for run), or (None, {})."""
    complete = [(path, marker) for path, marker in checkpoints_of(folder) if marker.get("inputs") == inputs]
    if complete and complete[-1][1].get("global_step", 0) < complete[-1][1].get("max_steps", 1):
        return complete[-1]
    return None, {}


def inputs_fingerprint(folder: Path, config: TrainConfig) -> str:
    """What a model is made from: the prepared text and every setting. Kept in each checkpoint and in the model's
    config.json, so ``run`` resumes an interrupted training of the same inputs and skips one whose model is current."""
    digest = hashlib.sha256()
    for name in ("train.txt", "eval.txt"):
        digest.update(hashlib.sha256((folder / name).read_bytes()).digest())
    digest.update(json.dumps(asdict(config), sort_keys=True).encode())
    return digest.hexdigest()


def trained_from(model_dir: Path) -> str | None:
    """The inputs fingerprint of the model in ``model_dir`` (None if there is none, or it predates them)."""
    try:
        return json.loads((model_dir / "config.json").read_text(encoding="utf-8"))["hf_tweets"]["inputs"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save(model, tokenizer, out_dir: Path, keep_newlines: bool, limit: int, inputs: str) -> None:
    from transformers import GenerationConfig

    model.config.prefix = EOS  # the text-generation pipeline puts this before every prompt
    model.config.hf_tweets = {"keep_newlines": keep_newlines, "version": __version__, "inputs": inputs}
    eos = tokenizer.eos_token_id
    model.generation_config = GenerationConfig(
        do_sample=True,
        top_p=0.95,
        temperature=1.0,
        min_length=min(MIN_LENGTH, limit // 4),
        max_length=min(MAX_LENGTH, limit),
        bos_token_id=eos,
        eos_token_id=eos,
        pad_token_id=tokenizer.pad_token_id,
    )
    with staged_folder(out_dir) as staging:  # transformers writes file by file: a kill must not leave half a model
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)


def versions() -> dict[str, str]:
    import torch
    import transformers

    return {
        "hf-tweets": __version__,
        "transformers": transformers.__version__,
        "torch": torch.__version__.split("+")[0],
    }


def _remember(card: Path, result: TrainResult) -> None:
    """Save what training owns (base model, hyper-parameters, losses, time, versions) on the record as it is now."""
    config = asdict(result.config)
    base = config.pop("base_model")
    if float(config["epochs"]).is_integer():
        config["epochs"] = int(config["epochs"])  # 40, not 40.0

    def change(record) -> None:
        record.base_model = hub_id(base)
        training = record.training.model_dump(exclude_none=True) if record.training else {}
        training |= {
            "hyperparameters": config,
            "train_loss": result.train_loss,
            "eval_loss": result.eval_loss,
            "tokens_seen": result.tokens_seen,
            "train_seconds": round(result.seconds, 1),
            "versions": versions(),
        }
        record.training = training

    update_record(card, change)
