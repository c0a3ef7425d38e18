"""Time to quality, and full fine-tuning against LoRA, through hf-tweets' own train(): parts of bench/train.py.

bench/train.py runs these (``--parts quality,lora``) and hands over its helpers as ``bench`` (the workspace's
posts, ``eval_loss``, ``run`` for a child process), so this module never imports the script.

quality: the recipe trains --quality-epochs (4) epochs; its final eval loss is the target. Then
         ``train()`` with hf-tweets' defaults runs with a callback that measures the same eval loss
         every --eval-every steps and stops training once it is at or below the target. The clock
         runs from train()'s on_start (just before trainer.train(), where the recipe's clock starts)
         to the end of the step that crossed, less the callback's own evaluations; it includes
         train()'s per-epoch evaluation and checkpoint, which are part of its path.
lora:    ``train()`` with its defaults, full and with lora=True, on the small model for --epochs
         and on a 124M GPT-2 (12 x 768, random) for --steps-124m steps (a callback stops it there).
         Peak RSS is reported at the last step (load and training) and after train() returned
         (its evaluation, checkpoint, loading the best one back and writing the model folder).
"""

from __future__ import annotations

import statistics
import time
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path


class Clock:
    """Wall and CPU seconds since start(), less the time spent in paused() blocks (the bench's own evaluations)."""

    def __init__(self) -> None:
        self.wall0 = self.cpu0 = 0.0
        self.paused_wall = self.paused_cpu = 0.0

    def start(self, *_) -> None:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()

    def seconds(self) -> float:
        return time.perf_counter() - self.wall0 - self.paused_wall

    def cpu(self) -> float:
        return time.process_time() - self.cpu0 - self.paused_cpu

    @contextmanager
    def paused(self):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.paused_wall += time.perf_counter() - wall
            self.paused_cpu += time.process_time() - cpu


def config_of(base: Path, pairs: list[str], **fixed):
    """hf-tweets' TrainConfig on ``base``: its defaults, then ``fixed``, then the KEY=VALUE ``pairs`` given."""
    from hf_tweets.training.train import TrainConfig

    kinds = {f.name: type(f.default) for f in fields(TrainConfig)}
    settings = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if key not in kinds:
            raise SystemExit(f"--config {pair}: TrainConfig has no {key!r}; it has {', '.join(kinds)}")
        kind = kinds[key]
        if kind is bool:
            settings[key] = value.lower() in ("1", "true", "yes")
        else:
            settings[key] = float(value) if kind in (float, type(None)) else kind(value)
    return TrainConfig(base_model=str(base), **(fixed | settings))


def crossing(args, bench) -> dict:
    """Ours (train(), defaults) until the bench's eval loss is at or below ``args.target``."""
    from transformers import AutoTokenizer, TrainerCallback

    from hf_tweets.folders import Folders
    from hf_tweets.training.train import train

    folder = Path(args.folder)
    tokenizer = AutoTokenizer.from_pretrained(folder / "base-small")
    held = bench.posts(folder)[1]
    clock, points = Clock(), []

    class Crossing(TrainerCallback):
        def on_step_end(self, targs, state, control, model=None, **kwargs):
            if state.global_step % args.eval_every and state.global_step < state.max_steps:
                return
            at, cpu = clock.seconds(), clock.cpu()
            with clock.paused():
                loss = bench.eval_loss(model, tokenizer, held)
            step, epoch, steps = state.global_step, state.epoch, state.max_steps
            points.append({"step": step, "epoch": epoch, "max_steps": steps, "seconds": at, "cpu": cpu, "loss": loss})
            if loss <= args.target:
                control.should_training_stop = True

    config = config_of(folder / "base-small", args.config)
    start = time.perf_counter()
    result = train(
        bench.NAME,
        Folders.resolve(data=folder / "data", cards=folder / "cards"),
        folder / "out" / "quality",
        config,
        on_start=clock.start,
        callbacks=[Crossing()],
    )
    return {
        "crossed": next((p for p in points if p["loss"] <= args.target), None),
        "last": points[-1],
        "evaluations": len(points),
        "eval_seconds": clock.paused_wall,
        "call_seconds": time.perf_counter() - start,
        "block": result.config.block_size,
        "batch": result.config.batch_size,
        "learning_rate": result.config.learning_rate,
        "precision": result.config.precision,
        "trainer_eval_loss": result.eval_loss,
    }


def weights(args, bench) -> dict:
    """train() full or with lora (``args.arm``) on base-small (``args.epochs``) or base-124m (a few steps)."""
    from transformers import TrainerCallback

    from hf_tweets.folders import Folders
    from hf_tweets.training.basemodel import load_trained
    from hf_tweets.training.train import train

    folder, big = Path(args.folder), args.size == "124m"
    clock, seen = Clock(), {}

    class Watch(TrainerCallback):
        def on_train_begin(self, targs, state, control, model=None, **kwargs):
            seen["params"] = sum(p.numel() for p in model.parameters())
            seen["trainable"] = sum(p.numel() for p in model.parameters() if p.requires_grad)

        def on_step_end(self, targs, state, control, **kwargs):
            seen.update(steps=state.global_step, seconds=clock.seconds(), cpu=clock.cpu(), peak_mb=bench.peak_mb())
            if big and state.global_step >= args.steps_124m:
                control.should_training_stop = True

    class Checkpointing(TrainerCallback):  # a what-if: train() has no such setting; recompute activations
        def on_train_begin(self, targs, state, control, model=None, **kwargs):
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})

    lora = args.arm == "lora"
    callbacks = [Watch(), *([Checkpointing()] if lora and args.lora_checkpointing else [])]
    config = config_of(
        folder / f"base-{args.size}",
        args.lora_config if lora else args.config,
        lora=lora,
        **({} if big else {"epochs": args.epochs}),
    )
    out = folder / "out" / f"{args.arm}-{args.size}"
    start = time.perf_counter()
    folders = Folders.resolve(data=folder / "data", cards=folder / "cards")
    result = train(bench.NAME, folders, out, config, on_start=clock.start, callbacks=callbacks)
    seen.update(call_seconds=time.perf_counter() - start, whole_peak_mb=bench.peak_mb())
    published = "adapter_model.safetensors" if lora and not config.merge else "model.safetensors"
    seen.update(
        weights_file=published,
        weights_bytes=(out / published).stat().st_size,
        folder_bytes=sum(p.stat().st_size for p in out.rglob("*") if p.is_file()),
        learning_rate=result.config.learning_rate,
        train_seconds=result.seconds,
        trainer_eval_loss=result.eval_loss,
        eval_loss=None,
    )
    if not big:  # measured after the peak was taken: loading the model again is the bench's, not train()'s
        model, tokenizer, _ = load_trained(out)
        seen["eval_loss"] = bench.eval_loss(model, tokenizer, bench.posts(folder)[1])
    return seen


def child(way: str, args, bench) -> dict:
    return {"crossing": crossing, "weights": weights}[way](args, bench)


def quality(args, bench) -> bool:
    """The recipe's eval loss after --quality-epochs, and the wall time ours takes to reach it."""
    recipe = bench.run("recipe", args, epochs=args.quality_epochs)
    target, recipe_seconds, recipe_cpu = recipe["eval_loss"], recipe["seconds"], recipe["cpu_seconds"]
    print(
        f"recipe : {args.quality_epochs:g} epochs, blocks 1024 x batch 1, {recipe['precision']}: "
        f"{recipe['seconds']:.1f} s (CPU {recipe_cpu:.1f} s), eval loss {target:.4f}, peak RSS "
        f"{recipe['peak_mb']:.0f} MB{bench.load(recipe)}"
    )
    runs = [bench.run("crossing", args, target=target) for _ in range(args.repeats)]
    for r in runs:
        p, last = r["crossed"], r["last"]
        reached = (
            f"reached {p['loss']:.4f} at step {p['step']} of {p['max_steps']} (epoch {p['epoch']:.2f}) "
            f"in {p['seconds']:.1f} s (CPU {p['cpu']:.1f} s)"
            if p
            else f"NOT reached: {last['loss']:.4f} after all {last['step']} steps, {last['seconds']:.1f} s"
        )
        print(
            f"ours   : train() defaults (blocks {r['block']} x batch {r['batch']}, lr {r['learning_rate']:g}, "
            f"{r['precision']}): {reached}; {r['evaluations']} evaluations ({r['eval_seconds']:.1f} s) not counted; "
            f"train()'s own eval loss at the end {r['trainer_eval_loss']:.4f}; whole call {r['call_seconds']:.1f} s"
            + bench.load(r)
        )
    crossed = [r["crossed"] for r in runs if r["crossed"]]
    if len(crossed) < len(runs):
        print("quality target (ours reaches the recipe's eval loss in <= 1/4 of its time): MISSED (not reached)")
        return False
    seconds = sorted(p["seconds"] for p in crossed)
    median = statistics.median(seconds)
    ratio = median / recipe_seconds
    cpu = statistics.median(p["cpu"] for p in crossed) / recipe_cpu
    print(
        f"ours vs recipe: eval loss {target:.4f} in {median:.1f} s (median of {len(seconds)}, best {seconds[0]:.1f})"
        f" vs {recipe_seconds:.1f} s: {ratio:.3f} of the recipe's wall time (best {seconds[0] / recipe_seconds:.3f})"
        f"; CPU time {cpu:.3f}; {recipe_seconds / median:.1f}x faster"
    )
    ok = ratio <= 0.25
    print(f"quality target (ours reaches the recipe's eval loss in <= 1/4 of its time): {'met' if ok else 'MISSED'}")
    return ok


def describe(size: str, arm: str, r: dict, epochs: float, load: str) -> str:
    ran = f"{r['steps']} steps" if size == "124m" else f"{epochs:g} epochs ({r['steps']} steps)"
    loss = f"eval loss {r['eval_loss']:.4f} (train()'s {r['trainer_eval_loss']:.4f})" if r["eval_loss"] else ""
    return (
        f"{size:5} {arm:4}: {r['trainable'] / 1e6:.2f}M of {r['params'] / 1e6:.2f}M params trained, "
        f"lr {r['learning_rate']:g}, {ran} in {r['seconds']:.1f} s (CPU {r['cpu']:.1f} s;"
        f" train() {r['call_seconds']:.1f} s in all), peak RSS {r['peak_mb']:.0f} MB training /"
        f" {r['whole_peak_mb']:.0f} MB in all, "
        f"{r['weights_file']} {r['weights_bytes']:,} B (folder {r['folder_bytes']:,} B) {loss}"
    ).rstrip() + load


def lora_part(args, bench) -> bool:
    """Full fine-tuning against LoRA through train(): time, peak RSS, bytes published, eval loss."""
    sizes = args.sizes
    ok = True
    for size in sizes:
        full, lora = (bench.run("weights", args, arm=arm, size=size) for arm in ("full", "lora"))
        for arm, r in (("full", full), ("lora", lora)):
            print(describe(size, arm, r, args.epochs, bench.load(r)))
        share, memory = lora["weights_bytes"] / full["weights_bytes"], lora["whole_peak_mb"] / full["whole_peak_mb"]
        loss = f", eval loss {lora['eval_loss'] - full['eval_loss']:+.4f}" if full["eval_loss"] else ""
        print(
            f"{size:5} lora vs full: adapter {share:.2%} of the full model's bytes, peak RSS {memory:.0%} in all"
            f" ({lora['peak_mb'] / full['peak_mb']:.0%} training), {full['seconds'] / lora['seconds']:.2f}x less"
            f" training time{loss}"
        )
        if size == "124m" or "124m" not in sizes:
            ok &= share <= 0.05
        if size == "124m":
            ok &= memory <= 0.60
    checked = "adapter <= 5 % of the full model's bytes" + ("; LoRA peak RSS <= 60 % at 124M" * ("124m" in sizes))
    print(f"lora targets ({checked}): {'met' if ok else 'MISSED'}")
    return ok


PARTS = {"quality": quality, "lora": lora_part}
