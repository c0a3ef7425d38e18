"""Fine-tuning speed and memory: the huggingtweets recipe against hf-tweets' data pipeline, same model, same posts.

    .venv/bin/python bench/train.py [--posts 3200] [--layers 6] [--width 384] [--epochs 1] [--skip-124m]

Both train a randomly initialised GPT-2 (6 layers, 384 wide, ~20M parameters on
CPU; pass the real sizes on a GPU) on the same 3,200 made-up posts for one
epoch, with the same tokenizer, learning rate and schedule:
- recipe: posts joined by <|endoftext|>, cut into 1,024-token blocks, batch 1, fp32;
- ours: hf-tweets' packing into blocks sized for posts, batch 16, and its precision choice
  (bf16 on a GPU, or on a CPU with bf16 matrix units such as this one's AMX; else fp32).
Each runs in its own process (its own peak RSS). Eval loss is measured the same
way for both: every held-out post on its own, after <|endoftext|>. Then a
124M-parameter GPT-2 trains a few steps with our settings, for its peak RSS.
Targets (CPU): >= 2x less wall time at equal or lower eval loss; < 4 GB peak RSS at 124M.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))


def posts(n: int) -> tuple[list[str], list[str]]:
    import random

    from make_sample_archive import tweets

    from hf_tweets.training.prepare import clean, is_short

    texts = [clean(t["tweet"]["full_text"]) for t in tweets(n, seed=11)]
    texts = [t for t in texts if not t.startswith("RT @") and not is_short(t)]
    random.Random(0).shuffle(texts)
    cut = len(texts) // 10
    return texts[cut:], texts[:cut]


def tokenizer_for(texts: list[str], folder: Path, vocab: int):
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        texts, vocab_size=vocab, min_frequency=1, special_tokens=["<|endoftext|>"], show_progress=False
    )
    eos = "<|endoftext|>"
    return PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token=eos, eos_token=eos, unk_token=eos, pad_token=eos)


def eval_loss(model, tokenizer, held: list[str]) -> float:
    import torch

    total, count = 0.0, 0
    model.eval()
    with torch.no_grad():
        for text in held:
            ids = torch.tensor([[tokenizer.eos_token_id, *tokenizer(text, add_special_tokens=False)["input_ids"]]])
            loss = model(input_ids=ids, labels=ids).loss
            total, count = total + loss.item() * (ids.shape[1] - 1), count + ids.shape[1] - 1
    return total / count


def child(way: str, args) -> dict:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments, set_seed
    from transformers.utils import logging

    from hf_tweets.training.train import _Collate, block_size_for, mixed_precision, pack

    logging.set_verbosity_error()
    train, held = posts(args.posts)
    tokenizer = tokenizer_for(train + held, Path(args.folder), args.vocab)
    set_seed(0)
    width, layers = (768, 12) if way == "124m" else (args.width, args.layers)
    # The model's vocabulary is GPT-2-like in size (rows past the tokenizer's are never used), so the
    # LM head costs what it would with a real tokenizer: ~20M parameters at 6 x 384.
    vocab = 50257 if way == "124m" else max(len(tokenizer), args.model_vocab)
    model = GPT2LMHeadModel(
        GPT2Config(
            vocab_size=vocab,
            n_layer=layers,
            n_embd=width,
            n_head=max(1, width // 64),
            n_positions=1024,
            bos_token_id=0,
            eos_token_id=0,
        )
    )
    encoded = tokenizer(train, add_special_tokens=False)["input_ids"]
    if way == "recipe":
        block, batch = 1024, 1
    else:
        block, batch = block_size_for([len(ids) + 1 for ids in encoded], 1024), args.batch
    blocks = [{"input_ids": b} for b in pack(encoded, tokenizer.eos_token_id, block)]
    gpu = torch.cuda.is_available()
    bf16, fp16 = mixed_precision("auto" if way != "recipe" else "fp32")
    targs = TrainingArguments(
        output_dir=args.folder,
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
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    tokens = int(sum(len(b["input_ids"]) for b in blocks) * (1 if way == "124m" else args.epochs))
    if way == "124m":
        tokens = args.steps_124m * batch * block
    return {
        "way": way,
        "seconds": seconds,
        "tokens": tokens,
        "block": block,
        "batch": batch,
        "params": sum(p.numel() for p in model.parameters()),
        "precision": "bf16" if bf16 else "fp16" if fp16 else "fp32",
        "eval_loss": None if way == "124m" else eval_loss(model, tokenizer, held),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run(way: str, args) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, __file__, "--child", way, "--folder", folder]
        for key in ("posts", "layers", "width", "epochs", "vocab", "model_vocab", "batch", "steps_124m"):
            command += [f"--{key.replace('_', '-')}", str(getattr(args, key))]
        out = subprocess.run(command, capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=3200)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--width", type=int, default=384)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--vocab", type=int, default=16000)
    parser.add_argument("--model-vocab", type=int, default=25000)
    parser.add_argument("--batch", type=int, default=16, help="our batch size (hf-tweets' default)")
    parser.add_argument("--steps-124m", type=int, default=10)
    parser.add_argument("--skip-124m", action="store_true")
    parser.add_argument("--child")
    parser.add_argument("--folder")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args)))
        return 0
    results = [run("recipe", args), run("ours", args)]
    for r in results:
        print(
            f"{r['way']:7}: {r['params'] / 1e6:5.1f}M params, {r['precision']},"
            f" blocks {r['block']:4d} x batch {r['batch']}: "
            f"{r['tokens']:,} tokens in {r['seconds']:6.1f} s = {r['tokens'] / r['seconds']:7,.0f} tokens/s, "
            f"eval loss {r['eval_loss']:.4f} (ppl {math.exp(r['eval_loss']):.1f}), peak RSS {r['peak_mb']:5.0f} MB"
        )
    recipe, ours = results
    speedup = recipe["seconds"] / ours["seconds"]
    ok = speedup >= 2 and ours["eval_loss"] <= recipe["eval_loss"]
    print(f"ours vs recipe: {speedup:.1f}x less wall time, eval loss {ours['eval_loss'] - recipe['eval_loss']:+.4f}")
    if not args.skip_124m:
        big = run("124m", args)
        print(
            f"124m   : {big['params'] / 1e6:5.1f}M params, blocks {big['block']} x batch {big['batch']},"
            f" {args.steps_124m} steps "
            f"in {big['seconds']:.1f} s, peak RSS {big['peak_mb']:.0f} MB"
        )
        ok &= big["peak_mb"] < 4096
    print(f"targets (>= 2x less time at equal or lower eval loss; < 4 GB at 124M): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
