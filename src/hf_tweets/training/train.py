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
from hf_tweets.folders import Folders
from hf_tweets.fsutil import atomic_write_text, staged_folder, sweep_orphans
from hf_tweets.limits import SEED, Range, check
from hf_tweets.training import lora
from hf_tweets.training.basemodel import EOS, TINY, is_unnamed_folder, load

MAX_LENGTH = 160  # the recipe's generation settings: sample, top_p 0.95, temperature 1, 10 to 160 tokens
MIN_LENGTH = 10
MARKER = "hf_tweets.json"  # in a checkpoint: it is complete; the run's seconds so far, step and max steps
RECIPE_LEARNING_RATE = 1.372e-4  # huggingtweets' full fine-tuning rate
LORA_LEARNING_RATE = 1e-3  # an adapter has few weights and a small initial update (B = 0): a higher rate is usual
BATCH_SIZE = 16  # blocks per step; measured in bench/train.py (2.2x the recipe's speed, lower loss)
LORA_BATCH_SIZE = 8  # bench/train.py at 124M: peak RSS 50 % of full fine-tuning's (69 % at 16), ~9 % fewer tokens/s
LORA = ("lora_rank", "lora_alpha", "lora_dropout", "lora_targets", "merge")  # settings that exist only with lora
MAX_BLOCK_SIZE = 131_072  # tokens; the base model's own limit (n_positions) is checked once it is loaded
RANGES = {  # what each numeric setting may be: TrainConfig refuses anything else, the CLI's options show it
    "epochs": Range(0, 1000, low_open=True),
    "learning_rate": Range(0, 1, low_open=True),
    "warmup_ratio": Range(0, 1, high_open=True),
    "weight_decay": Range(0, 1),
    "batch_size": Range(1, 4096, whole=True),
    "block_size": Range(0, MAX_BLOCK_SIZE, whole=True),
    "seed": SEED,
    "lora_rank": Range(1, 4096, whole=True),
    "lora_alpha": Range(1, 65536, whole=True),
    "lora_dropout": Range(0, 1, high_open=True),
}
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


@dataclass
class TrainConfig:
    """Every setting of a run: nanoGPT-style flat defaults, saved with the model."""

    base_model: str = DEFAULT_BASE_MODEL
    epochs: float = 4.0
    learning_rate: float | None = None  # None: RECIPE_LEARNING_RATE, or LORA_LEARNING_RATE with lora
    lr_scheduler: str = "cosine"
    warmup_ratio: float = 0.0  # a share of the steps (TrainingArguments.warmup_steps takes a float < 1 as a ratio)
    weight_decay: float = 0.0
    batch_size: int | None = None  # None: BATCH_SIZE, or LORA_BATCH_SIZE with lora
    block_size: int = 0  # 0: sized for the posts (95th percentile of their lengths, a multiple of 32)
    seed: int = 42
    precision: str = "auto"  # auto, fp32, bf16 or fp16; see mixed_precision()
    lora: bool = False  # train a LoRA adapter (peft) on the frozen base instead of every weight
    lora_rank: int = 16
    lora_alpha: int = 32  # the adapter's update is scaled by alpha / rank
    lora_dropout: float = 0.05
    lora_targets: str = "all-linear"  # peft's module names, comma-separated; all-linear: attention and MLP
    merge: bool = False  # with lora: publish the base with the adapter merged in (full weights), not the adapter

    def __post_init__(self) -> None:
        """Fill the defaults that depend on ``lora``, then check every setting (TrainError): whoever makes the
        config (the CLI, run, a batch's bot, a caller), nothing is loaded or written with a setting out of range."""
        if self.learning_rate is None:
            self.learning_rate = LORA_LEARNING_RATE if self.lora else RECIPE_LEARNING_RATE
        if self.batch_size is None:
            self.batch_size = LORA_BATCH_SIZE if self.lora else BATCH_SIZE
        check(asdict(self), RANGES, TrainError)
        if self.precision not in PRECISIONS:
            raise TrainError(f"precision is {self.precision!r}", fix=f"give one of {', '.join(PRECISIONS)}")

    def facts(self) -> dict:
        """The settings as a run is known by (fingerprint, record): the LoRA ones only when it trains an adapter,
        so a full fine-tuning keeps the fingerprint it had before LoRA existed."""
        facts = asdict(self)
        if not self.lora:
            for key in ("lora", *LORA):
                facts.pop(key)
        return facts


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
        bar: tqdm | None = None
        interrupted = False
        started = 0.0  # perf_counter() when training (re)starts: set by _fit

        def on_train_begin(self, args, state, control, **kwargs):
            self.bar = tqdm(total=state.max_steps, initial=state.global_step, desc="training", unit="step")
            self._previous = signal.signal(signal.SIGINT, self._interrupt)

        def _interrupt(self, *args):
            self.interrupted = True

        def on_step_end(self, args, state, control, **kwargs):
            assert self.bar is not None  # on_train_begin made it
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
    folders: Folders,
    model_dir: Path,
    config: TrainConfig,
    *,
    resume: bool | str = False,
    report_to: list[str] | None = None,
    on_start=None,
    callbacks: list | None = None,
) -> TrainResult:
    """Fine-tune on data/<name>/, write the model to ``model_dir`` and the facts to cards/<name>.yaml.

    ``resume``: False starts afresh; True goes on from the last checkpoint (TrainError if there is none to go
    on from); "auto" goes on from a checkpoint of an interrupted run of the same inputs, else starts afresh."""
    import torch
    from transformers import PrinterCallback, Trainer, set_seed
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # checkpoint chatter; errors still show

    folder = folders.prepared(name)
    train_posts, eval_posts, stats = prepared_posts(folder, name)
    card = record_path(folders.cards, name)
    consent.check(load_record(card).accounts, folders.optout)  # fail early: a broken record, an opted-out account
    lora.check(config)  # and on settings that cannot make a model the Hub loads
    sweep_orphans(folders.cards, model_dir.parent)
    config = replace(config)  # a copy: the facts found below (block size, precision used) are this run's
    inputs, checkpoints = inputs_fingerprint(folder, config), folder / "checkpoints"
    last, marker = _checkpoint_to_resume(checkpoints, inputs, resume)
    set_seed(config.seed)
    model, tokenizer = load(config.base_model, train_posts, folder, config.seed)
    base = lora.base_id(config, load_record(card).namespace, folder / lora.TINY_BASE)
    if config.lora:
        model = lora.wrap(model, config)
    train_blocks, eval_blocks, limit = _blocks(model, tokenizer, config, train_posts, eval_posts)
    bf16, fp16 = mixed_precision(config.precision)
    config.precision = "bf16" if bf16 else "fp16" if fp16 else "fp32"  # what was used, for the record and the card
    trainer = Trainer(
        model=model,
        args=_arguments(config, checkpoints, report_to, bf16=bf16, fp16=fp16, gpu=torch.cuda.is_available()),
        train_dataset=train_blocks,
        eval_dataset=eval_blocks,
        data_collator=_Collate(tokenizer.pad_token_id),
        callbacks=[progress := _callbacks(marker.get("seconds", 0.0), inputs), *(callbacks or [])],
    )
    trainer.remove_callback(PrinterCallback)  # our bar shows the loss; no dict per log line
    if on_start:
        on_start(config)
    outcome = _fit(trainer, progress, last, config, checkpoints)
    seconds, train_loss = (
        progress.seconds(),
        last_epoch_loss(trainer.state.log_history, config.epochs, outcome.training_loss),
    )
    eval_loss = trainer.evaluate()["eval_loss"]  # the best epoch's weights are loaded by now
    tokens = sum(len(b["input_ids"]) for b in train_blocks) * math.ceil(config.epochs)
    facts = {"keep_newlines": stats.get("keep_newlines", False), "version": __version__, "inputs": inputs}
    _save(model, tokenizer, model_dir, config, base, facts, limit, folder / lora.TINY_BASE)
    result = TrainResult(model_dir, train_loss, eval_loss, tokens, seconds, config)
    _remember(card, result, base)
    return result


def _checkpoint_to_resume(checkpoints: Path, inputs: str, resume: bool | str) -> tuple[Path | None, dict]:
    """The checkpoint this run goes on from and its marker, or (None, {}) for a new run, whose folder of
    checkpoints is emptied: another run's checkpoints must never be resumed."""
    last: Path | None
    if resume is True:
        last, marker = _resumable(checkpoints)
    else:
        last, marker = _interrupted(checkpoints, inputs) if resume == "auto" else (None, {})
    if last is None:
        shutil.rmtree(checkpoints, ignore_errors=True)
    return last, marker


def _blocks(model, tokenizer, config: TrainConfig, train_posts: list[str], eval_posts: list[str]):
    """The posts tokenized and packed into blocks of the model's length (config.block_size is set to the one used):
    (train blocks, eval blocks, the longest block the model reads)."""
    eos = tokenizer.eos_token_id
    encoded = tokenizer(train_posts + eval_posts, add_special_tokens=False)["input_ids"]
    limit = getattr(model.config, "n_positions", 0) or getattr(model.config, "max_position_embeddings", 1024)
    if config.block_size > limit:  # the position embeddings end there: an IndexError in the first step
        raise TrainError(
            f"block size {config.block_size} is more than {config.base_model} reads ({limit} tokens)",
            fix=f"give --block-size {limit} or less (0: sized for the posts)",
        )
    block = config.block_size or block_size_for([len(ids) + 1 for ids in encoded], limit)
    config.block_size = block
    train_blocks = [{"input_ids": b} for b in pack(encoded[: len(train_posts)], eos, block)]
    eval_blocks = [{"input_ids": b} for b in pack(encoded[len(train_posts) :], eos, block)]
    return train_blocks, eval_blocks, limit


def _arguments(config: TrainConfig, checkpoints: Path, report_to, *, bf16: bool, fp16: bool, gpu: bool):
    """The Trainer's arguments: the recipe's schedule, an evaluation and a checkpoint each epoch, the best kept."""
    from transformers import TrainingArguments

    assert config.learning_rate is not None and config.batch_size is not None  # TrainConfig.__post_init__ sets them
    return TrainingArguments(
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


def _fit(trainer, progress, last: Path | None, config: TrainConfig, checkpoints: Path):
    """trainer.train from ``last`` (or the start); one-line errors for running out of memory and for Ctrl-C."""
    import torch

    assert config.batch_size is not None  # TrainConfig.__post_init__ sets it
    progress.started = time.perf_counter()
    try:
        outcome = trainer.train(resume_from_checkpoint=str(last) if last else None)
    except torch.OutOfMemoryError:
        raise TrainError(
            f"out of memory at batch size {config.batch_size} x {config.block_size} tokens; try --batch-size "
            f"{max(1, config.batch_size // 4)} (a checkpoint, if any, is in {checkpoints}: add --resume)"
        ) from None
    if progress.interrupted:
        raise TrainInterrupted(
            f"interrupted at step {trainer.state.global_step}; the checkpoint is in {checkpoints}",
            fix="run the same command with --resume to go on",
        )
    return outcome


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
    digest.update(json.dumps(config.facts(), sort_keys=True).encode())
    return digest.hexdigest()


def trained_from(model_dir: Path) -> str | None:
    """The inputs fingerprint of the model in ``model_dir`` (None if there is none, or it predates them)."""
    for file, path in ((MARKER, ()), ("config.json", ("hf_tweets",))):  # config.json: models made before MARKER
        try:
            facts = json.loads((model_dir / file).read_text(encoding="utf-8"))
            for key in path:
                facts = facts[key]
            return facts["inputs"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def model_present(model_dir: Path) -> bool:
    """Whether ``model_dir`` holds a trained model: full weights or an adapter."""
    return any((model_dir / name).is_file() for name in ("model.safetensors", "adapter_model.safetensors"))


def _save(model, tokenizer, out_dir: Path, config: TrainConfig, base: str | None, facts: dict, limit, tiny: Path):
    """The model folder, swapped in whole: full weights (config.prefix and config.hf_tweets in config.json), or an
    adapter whose config names ``base`` by Hub id, with the tiny base it loads on in base/ (see lora.py); both
    with the tokenizer, the sampling settings and hf_tweets.json (what the model was made from)."""
    from transformers import GenerationConfig

    adapter = config.lora and not config.merge
    if config.lora and config.merge:
        model = model.merge_and_unload()
    if not adapter:
        model.config.prefix = tokenizer.eos_token  # the text-generation pipeline puts this before every prompt
        model.config.hf_tweets = facts
    eos = tokenizer.eos_token_id
    generation = GenerationConfig(
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
        if adapter:
            model.peft_config["default"].base_model_name_or_path = base  # never a local path
            model.save_pretrained(staging, save_embedding_layers=False)  # "auto" asks the Hub for the base's config
            (staging / "README.md").unlink(missing_ok=True)  # peft's placeholder card; ours is written after
            generation.save_pretrained(staging)
            if config.base_model == TINY:
                shutil.copytree(tiny, staging / "base")
            facts = facts | {"base": str(tiny if config.base_model == TINY else config.base_model)}
        else:
            model.generation_config = generation
            model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        atomic_write_text(staging / MARKER, json.dumps(facts) + "\n")


def versions() -> dict[str, str]:
    import torch
    import transformers

    return {
        "hf-tweets": __version__,
        "transformers": transformers.__version__,
        "torch": torch.__version__.split("+")[0],
    }


def _remember(card: Path, result: TrainResult, base: str | None) -> None:
    """Save what training owns (base model, what the repo holds, hyper-parameters, losses, time, versions) on the
    record as it is now."""
    config = result.config.facts()
    local = is_unnamed_folder(config.pop("base_model"))
    if float(config["epochs"]).is_integer():
        config["epochs"] = int(config["epochs"])  # 40, not 40.0

    def change(record) -> None:
        record.weights, record.base_model_local = "full", False  # each assignment is validated: clear, then set
        record.base_model = base
        record.base_model_local = local
        record.weights = "adapter" if result.config.lora and not result.config.merge else "full"
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
