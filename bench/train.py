"""Fine-tuning speed, memory and quality: the huggingtweets recipe against hf-tweets, same model, same posts.

    .venv/bin/python bench/train.py                   # every part: equal, quality, lora
    .venv/bin/python bench/train.py --parts quality   # one part (or two: --parts equal,lora)
    .venv/bin/python bench/train.py --parts lora --sizes 124m --lora-config lora_dropout=0   # try a setting
    [--posts 3200] [--layers 6] [--width 384] [--epochs 1] [--skip-124m] [--repeats 2] [--threads 0] ...

The posts are 3,200 made-up ones in an X archive, fetched and prepared by
hf-tweets (its train/eval split); every arm trains a randomly initialised
GPT-2 (6 layers, 384 wide, ~20M parameters on CPU; pass the real sizes on a
GPU) saved once with a byte-level BPE tokenizer trained on the posts, so all
start from the same weights. Each arm runs in its own process (its own peak
RSS). Eval loss is measured the same way everywhere: every held-out post on
its own, after <|endoftext|> (``eval_loss``; padded batches, padding masked).
Each arm's line ends with the machine's load average before and after it ran:
timing on a shared 2-core machine is only as good as that.

equal:   the same epochs (--epochs) each way, same learning rate and schedule:
         recipe: posts joined by <|endoftext|>, cut into 1,024-token blocks, batch 1, fp32;
         ours: hf-tweets' packing into blocks sized for posts, batch 16, its precision choice
         (bf16 on a GPU or a CPU with bf16 matrix units, else fp32). Then a 124M GPT-2 trains
         a few steps with our settings, for its peak RSS.
         Targets (CPU): >= 2x less wall time at equal or lower eval loss; < 4 GB peak RSS at 124M.
quality: time to quality (bench/train_quality.py): the recipe for 4 epochs gives a target eval
         loss; hf-tweets' train() with its defaults runs until it reaches it.
         Target: ours in at most 1/4 of the recipe's wall time.
lora:    full fine-tuning against LoRA, both through train() with hf-tweets' defaults: wall time,
         peak RSS, bytes published, eval loss (small model, --epochs each; 124M, --steps-124m steps).
         --config / --lora-config KEY=VALUE change a TrainConfig setting of the full / LoRA arm.
         Targets: adapter <= 5 % of the full model's bytes; LoRA peak RSS <= 60 % of full at 124M.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "examples"), str(ROOT / "tests")]
NAME = "pixel_poet"  # the made-up person of examples/make_sample_archive.py
PARTS = ("equal", "quality", "lora")


def posts(folder: Path) -> tuple[list[str], list[str]]:
    """(training, held-out) posts as hf-tweets' prepare split them in the workspace ``folder``."""
    from hf_tweets.training.train import prepared_posts

    train, held, _ = prepared_posts(folder / "data" / NAME, NAME)
    return train, held


def tokenizer_for(texts: list[str], vocab: int):
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        texts, vocab_size=vocab, min_frequency=1, special_tokens=["<|endoftext|>"], show_progress=False
    )
    eos = "<|endoftext|>"
    return PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token=eos, eos_token=eos, unk_token=eos, pad_token=eos)


def save_base(folder: Path, tokenizer, layers: int, width: int, vocab: int) -> None:
    """A random GPT-2 and the tokenizer in ``folder``; config.json names a made-up Hub id, as an adapter's base must."""
    from transformers import GPT2Config, GPT2LMHeadModel, set_seed

    set_seed(0)
    config = GPT2Config(
        vocab_size=vocab,
        n_layer=layers,
        n_embd=width,
        n_head=max(1, width // 64),
        n_positions=1024,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    GPT2LMHeadModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    config_file = folder / "config.json"
    config_file.write_text(json.dumps(json.loads(config_file.read_text()) | {"_name_or_path": f"bench/{folder.name}"}))


def workspace(folder: Path, args) -> None:
    """The made-up archive fetched and prepared by hf-tweets (data/, cards/) and the random bases (base-*/)."""
    from make_sample_archive import tweets
    from transformers.utils import logging

    from hf_tweets.folders import Folders
    from hf_tweets.sources.fetch import fetch_archive
    from hf_tweets.training.prepare import PrepareConfig, prepare

    from archive_factory import write_archive

    logging.disable_progress_bar()  # "Writing model shards"
    archive = write_archive(folder / "archive.zip", tweets(args.posts, seed=11), handle=NAME)
    folders = Folders.resolve(data=folder / "data", cards=folder / "cards")
    fetch_archive(archive, folders)
    prepare(NAME, folders, config=PrepareConfig(min_chars=0))
    train, held = posts(folder)
    tokenizer = tokenizer_for(train + held, args.vocab)
    # The small model's vocabulary is GPT-2-like in size (rows past the tokenizer's are never used), so the
    # LM head costs what it would with a real tokenizer: ~20M parameters at 6 x 384.
    save_base(folder / "base-small", tokenizer, args.layers, args.width, max(len(tokenizer), args.model_vocab))
    if "lora" in args.parts and "124m" in args.sizes and not args.skip_124m:
        save_base(folder / "base-124m", tokenizer, 12, 768, 50257)


def eval_loss(model, tokenizer, held: list[str], batch: int = 32) -> float:
    """Mean loss per token of the held-out posts, each on its own after <|endoftext|> (no context from other
    posts), in padded batches of similar lengths whose padding is masked out."""
    import torch

    from hf_tweets.training.train import _Collate

    eos = tokenizer.eos_token_id
    rows = sorted(([eos, *ids] for ids in tokenizer(held, add_special_tokens=False)["input_ids"]), key=len)
    total, count, training = 0.0, 0, model.training
    model.eval()
    with torch.no_grad():
        for start in range(0, len(rows), batch):
            inputs = _Collate(eos)([{"input_ids": r} for r in rows[start : start + batch]])
            logits = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]).logits
            labels = inputs["labels"][:, 1:]  # each token predicted from the ones before it
            total += torch.nn.functional.cross_entropy(
                logits[:, :-1].float().reshape(-1, logits.shape[-1]), labels.reshape(-1), reduction="sum"
            ).item()
            count += int((labels != -100).sum())
    model.train(training)
    return total / count


def peak_mb() -> float:
    """This process's peak RSS. Not ru_maxrss on Linux: it carries the parent's peak across fork and exec."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:", 1)[1].split()[0]) / 1024
    except (OSError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(way: str, args) -> dict:
    """One arm of the equal-epochs comparison (recipe, ours, 124m), trained with the bench's own Trainer."""
    import torch
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments, set_seed
    from transformers.utils import logging

    from hf_tweets.training.train import _Collate, block_size_for, mixed_precision, pack

    logging.set_verbosity_error()
    folder = Path(args.folder)
    train, held = posts(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder / "base-small")
    set_seed(0)
    if way == "124m":
        config = GPT2Config(n_layer=12, n_embd=768, n_head=12, bos_token_id=0, eos_token_id=0)
        model = GPT2LMHeadModel(config)
    else:
        model = GPT2LMHeadModel.from_pretrained(folder / "base-small")
    encoded = tokenizer(train, add_special_tokens=False)["input_ids"]
    if way == "recipe":
        block, batch = 1024, 1
    else:
        block, batch = block_size_for([len(ids) + 1 for ids in encoded], 1024), args.batch
    blocks = [{"input_ids": b} for b in pack(encoded, tokenizer.eos_token_id, block)]
    gpu = torch.cuda.is_available()
    bf16, fp16 = mixed_precision("auto" if way != "recipe" else "fp32")
    targs = TrainingArguments(
        output_dir=args.folder + f"/{way}",
        num_train_epochs=args.epochs,
        learning_rate=1.372e-4,
        lr_scheduler_type="cosine",
        per_device_train_batch_size=batch,
        seed=0,
        data_seed=0,
        report_to=[],
        disable_tqdm=True,
        save_strategy="no",
        use_cpu=not gpu,
        logging_steps=10_000,
        max_steps=args.steps_124m if way == "124m" else -1,
        bf16=bf16,
        fp16=fp16,
    )
    trainer = Trainer(model=model, args=targs, train_dataset=blocks, data_collator=_Collate(tokenizer.pad_token_id))
    start, cpu = time.perf_counter(), time.process_time()
    trainer.train()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    tokens = int(sum(len(b["input_ids"]) for b in blocks) * (1 if way == "124m" else args.epochs))
    if way == "124m":
        tokens = args.steps_124m * batch * block
    return {
        "way": way,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "tokens": tokens,
        "block": block,
        "batch": batch,
        "params": sum(p.numel() for p in model.parameters()),
        "precision": "bf16" if bf16 else "fp16" if fp16 else "fp32",
        "eval_loss": None if way == "124m" else eval_loss(model, tokenizer, held),
        "peak_mb": peak_mb(),
    }


def run(way: str, args, **changes) -> dict:
    """``way`` in a process of its own (``changes`` override the arguments it gets); what it measured."""
    spec, before = json.dumps(vars(args) | changes | {"child": way}), os.getloadavg()[0]
    out = subprocess.run([sys.executable, __file__, "--spec", spec], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{way} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1]) | {"load": (before, os.getloadavg()[0])}


def load(result: dict) -> str:
    """The machine's 1-minute load average before and after an arm ran (this machine has 2 cores and is shared)."""
    return f" [load {result['load'][0]:.1f}-{result['load'][1]:.1f}]"


def equal(args) -> bool:
    """Equal epochs, recipe against ours; then 124M for peak RSS."""
    results = [run("recipe", args), run("ours", args)]
    for r in results:
        print(
            f"{r['way']:7}: {r['params'] / 1e6:5.1f}M params, {r['precision']},"
            f" blocks {r['block']:4d} x batch {r['batch']}: "
            f"{r['tokens']:,} tokens in {r['seconds']:6.1f} s (CPU {r['cpu_seconds']:6.1f} s) = "
            f"{r['tokens'] / r['seconds']:7,.0f} tokens/s, "
            f"eval loss {r['eval_loss']:.4f} (ppl {math.exp(r['eval_loss']):.1f}), peak RSS {r['peak_mb']:5.0f} MB"
            + load(r)
        )
    recipe, ours = results
    speedup = recipe["seconds"] / ours["seconds"]
    ok = speedup >= 2 and ours["eval_loss"] <= recipe["eval_loss"]
    print(
        f"ours vs recipe: {speedup:.2f}x less wall time ({recipe['cpu_seconds'] / ours['cpu_seconds']:.2f}x less CPU"
        f" time), eval loss {ours['eval_loss'] - recipe['eval_loss']:+.4f}"
    )
    if not args.skip_124m:
        big = run("124m", args)
        print(
            f"124m   : {big['params'] / 1e6:5.1f}M params, blocks {big['block']} x batch {big['batch']},"
            f" {args.steps_124m} steps in {big['seconds']:.1f} s, peak RSS {big['peak_mb']:.0f} MB" + load(big)
        )
        ok &= big["peak_mb"] < 4096
    print(f"equal targets (>= 2x less time at equal or lower eval loss; < 4 GB at 124M): {'met' if ok else 'MISSED'}")
    return ok


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}")
    parser.add_argument("--posts", type=int, default=3200)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--width", type=int, default=384)
    parser.add_argument("--epochs", type=float, default=1.0, help="equal: each way's epochs; lora: the small model's")
    parser.add_argument("--vocab", type=int, default=16000)
    parser.add_argument("--model-vocab", type=int, default=25000)
    parser.add_argument("--batch", type=int, default=16, help="equal: our batch size (hf-tweets' default)")
    parser.add_argument("--steps-124m", type=int, default=10)
    parser.add_argument("--skip-124m", action="store_true")
    parser.add_argument("--sizes", default="small,124m", help="lora: the models to compare on, of small, 124m")
    parser.add_argument(
        "--lora-checkpointing", action="store_true", help="lora: LoRA with gradient checkpointing (a what-if)"
    )
    parser.add_argument("--quality-epochs", type=float, default=4.0, help="quality: the recipe's epochs")
    parser.add_argument("--eval-every", type=int, default=4, help="quality: steps between our evaluations")
    parser.add_argument("--repeats", type=int, default=2, help="quality: runs of ours (best and median)")
    parser.add_argument(
        "--config", action="append", default=[], metavar="KEY=VALUE", help="a TrainConfig setting for ours (full)"
    )
    parser.add_argument(
        "--lora-config", action="append", default=[], metavar="KEY=VALUE", help="a TrainConfig setting for LoRA"
    )
    parser.add_argument("--threads", type=int, default=0, help="torch threads in each arm (0: torch's default)")
    parser.add_argument("--spec", help=argparse.SUPPRESS)  # a child's arguments, as JSON
    args = parser.parse_args()
    if args.spec:
        return argparse.Namespace(**json.loads(args.spec))
    args.parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    args.sizes = [s for s in sizes if not (args.skip_124m and s == "124m")]
    if unknown := set(args.parts) - set(PARTS):
        parser.error(f"unknown parts {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")
    if unknown := set(sizes) - {"small", "124m"}:
        parser.error(f"unknown sizes {', '.join(sorted(unknown))}; choose from small, 124m")
    return args


def main() -> int:
    args = arguments()
    import train_quality  # the quality and lora parts; it gets this module's helpers as ``bench``

    bench = sys.modules[__name__]
    if getattr(args, "child", None):
        if args.threads:
            import torch

            torch.set_num_threads(args.threads)
        way = args.child
        if way == "workspace":
            workspace(Path(args.folder), args)
            print(json.dumps({}))
        else:
            done = child(way, args) if way in ("recipe", "ours", "124m") else train_quality.child(way, args, bench)
            print(json.dumps(done))
        return 0
    ok = True
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        args.folder = folder
        run("workspace", args)  # in a process of its own: this one stays small, like the parent of every arm
        for part in args.parts:
            print(f"--- {part}")
            ok &= equal(args) if part == "equal" else train_quality.PARTS[part](args, bench)
    print(
        f"all targets of {', '.join(args.parts)}: {'met' if ok else 'MISSED'} ({time.perf_counter() - started:.0f} s)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
