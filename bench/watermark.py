"""A statistical watermark on a bot: transformers' green-list watermark (Kirchenbauer et al.), measured before use.

    .venv/bin/python bench/watermark.py [--workspace DIR] [--biases 2,3,4] [--samples 200] [--lengths 20,40,80]

The bot is the quickstart's: ``hf-tweets run --archive examples/sample-archive.zip --base-model tiny
--epochs 40 --no-onnx`` on one thread, in a temporary folder (or in --workspace, reused when it already
holds out/pixel_poet).
The watermark is ``WatermarkingConfig`` with transformers' defaults (green list 25 % of the vocabulary,
lefthash on the previous token, hashing key 15485863) and the bias given (its default is 2.0); the
detector is ``WatermarkDetector`` with the same config, its z-score per text.

Real posts: eval.txt has too few for a 1 % false-positive rate (the sample bot holds out 51), so the
negatives are every prepared post, eval.txt and train.txt (the detector does not use the model, only its
vocabulary, so that the model trained on train.txt changes nothing for them). The threshold is the z-score
that at most 1 % of the real texts exceed; the true-positive rate is the share of watermarked generations
above it. The same-run baseline is the bot's generations without the watermark: their rate above the same
threshold (what the detector says of unmarked machine text).

At 20, 40 and 80 tokens: every text is that many tokens. Real: the posts joined by <|endoftext|> (as in
training), cut into windows of that many tokens; generated: that many new tokens after <|endoftext|>, not
stopped at <|endoftext|> (the model goes on to its next post, as the real stream does). Scored on the
token ids (the detector's best case: no decode and encode again).
As shown: posts as users get them, the bot's saved sampling settings (stopped at <|endoftext|>, cut at
the first line break), from <|endoftext|> alone (no prompt, whose words would not be watermarked),
decoded and tokenised again; real posts each on its own.
Eval loss: eval.txt's posts, each after <|endoftext|>, per token, under the model's distribution and
under the watermarked one (the logits processor's bias added at each position, before the softmax).
The bot's loss on its as-shown posts: the same loss, plain model, over the generations of each arm (the
paper's measure of quality, with the bot as its own judge).
Copy rate: the share of the as-shown posts that copy a training post (training/copies.py).

Seeds fixed; one thread (the bot is 1M parameters: generate() samples it on one thread).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "pixel_poet"  # the made-up person of examples/make_sample_archive.py
FPR = 0.01
Z_1PCT = 2.326  # one-sided normal quantile: the z-score a detector would use for 1 % without calibrating


def workspace(folder: Path) -> Path:
    """The quickstart's bot in ``folder``, trained unless out/pixel_poet is there already."""
    if (folder / "out" / NAME / "config.json").is_file():
        return folder
    command = [sys.executable, "-m", "hf_tweets", "run", "--archive", str(ROOT / "examples" / "sample-archive.zip")]
    # One thread: on 2 shared cores, two torch threads waiting for each other took 678 s instead of 101 s (load 5-6).
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    subprocess.run(
        [*command, "--base-model", "tiny", "--epochs", "40", "--no-onnx"],
        cwd=folder,
        env=env,
        check=True,
        capture_output=True,
    )
    print(
        f"bot: hf-tweets run --archive examples/sample-archive.zip --base-model tiny --epochs 40 --no-onnx"
        f" ({time.perf_counter() - start:.0f} s)"
    )
    return folder


def z_scores(detector, rows: list[list[int]], eos: int) -> list[float]:
    """The detector's z-score of each row of token ids, each after <|endoftext|> (which the detector strips)."""
    import torch

    return [float(detector(torch.tensor([[eos, *row]]), return_dict=True).z_score[0]) for row in rows if len(row) > 1]


def threshold(real: list[float]) -> float:
    """The z-score that at most FPR of the real texts exceed (a text is flagged when above it)."""
    ranked = sorted(real, reverse=True)
    return ranked[int(FPR * len(ranked))]


def rate(scores: list[float], at: float) -> float:
    return sum(z > at for z in scores) / len(scores)


def generate(model, eos: int, count: int, seed: int, config=None, **settings) -> list[list[int]]:
    """``count`` continuations of <|endoftext|>: their new token ids (padding after an early stop dropped)."""
    import torch
    from transformers import set_seed

    set_seed(seed)
    prompt = torch.full((count, 1), eos)
    with torch.no_grad():
        out = model.generate(prompt, attention_mask=torch.ones_like(prompt), watermarking_config=config, **settings)
    return [row[1:].tolist() for row in out]


def fixed_length(model, detector, config, stream: list[int], length: int, count: int, eos: int) -> dict:
    """z-scores at ``length`` tokens: real windows of the post stream, plain and watermarked generations."""
    real = [stream[i : i + length] for i in range(0, len(stream) - length + 1, length)]
    run = {"max_new_tokens": length, "eos_token_id": None, "pad_token_id": eos}
    rows = {
        "plain": generate(model, eos, count, seed=length, **run),
        "marked": generate(model, eos, count, seed=length, config=config, **run),
    }
    assert all(len(r) == length for rs in rows.values() for r in rs), "a generation stopped early"
    return {"real": z_scores(detector, real, eos)} | {k: z_scores(detector, v, eos) for k, v in rows.items()}


def as_shown(model, tokenizer, config, count: int, keep_newlines: bool) -> dict[str, list[str]]:
    """Posts as users get them: the saved sampling settings, decoded, cut at the first line break."""
    eos = tokenizer.eos_token_id
    texts = {}
    for arm, wm in (("plain", None), ("marked", config)):
        rows = generate(model, eos, count, seed=1, config=wm)
        decoded = tokenizer.batch_decode(rows, skip_special_tokens=True)
        texts[arm] = [t if keep_newlines else t.split("\n", 1)[0].rstrip() for t in decoded]
    return texts


def green_bias(config, vocab: int):
    """[vocab, vocab]: row t is what the logits processor adds to the next token's logits after token t
    (lefthash with a context of one token: the green list depends on the previous token only)."""
    import torch

    assert config.seeding_scheme == "lefthash" and config.context_width == 1, "one row per previous token"
    processor = config.construct_processor(vocab, "cpu")
    return torch.cat([processor(torch.tensor([[t]]), torch.zeros(1, vocab)) for t in range(vocab)])


def eval_loss(model, tokenizer, held: list[str], bias=None) -> float:
    """Mean loss per token of the held-out posts, each after <|endoftext|>, with ``bias[previous token]`` added
    to the logits (the watermark) when given."""
    import torch

    eos = tokenizer.eos_token_id
    total, count = 0.0, 0
    with torch.no_grad():
        for ids in tokenizer(held, add_special_tokens=False)["input_ids"]:
            row = torch.tensor([[eos, *ids]])
            logits = model(input_ids=row).logits[0, :-1].float()
            if bias is not None:
                logits = logits + bias[row[0, :-1]]
            total += torch.nn.functional.cross_entropy(logits, row[0, 1:], reduction="sum").item()
            count += len(ids)
    return total / count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", help="a folder to build the bot in, or that holds it (default: a temp one)")
    parser.add_argument("--biases", default="2,3,4", help="watermark biases to measure (transformers' default: 2)")
    parser.add_argument("--samples", type=int, default=200, help="generations per arm and length")
    parser.add_argument("--lengths", default="20,40,80")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        return measure(workspace(Path(args.workspace or temp)), args)


def measure(folder: Path, args) -> int:
    import torch
    from transformers import WatermarkDetector, WatermarkingConfig
    from transformers.utils import logging

    from hf_tweets.training.basemodel import load_trained
    from hf_tweets.training.copies import CopyIndex, count_copies
    from hf_tweets.training.train import prepared_posts

    logging.set_verbosity_error()
    torch.set_num_threads(1)
    start = time.perf_counter()
    model, tokenizer, facts = load_trained(folder / "out" / NAME)
    model.eval()
    train, held, _ = prepared_posts(folder / "data" / NAME, NAME)
    eos, vocab = tokenizer.eos_token_id, model.config.vocab_size
    encoded = tokenizer(held + train, add_special_tokens=False)["input_ids"]
    stream = [t for ids in encoded for t in (eos, *ids)]
    lengths = sorted(len(ids) for ids in encoded)
    print(
        f"{NAME}: {len(held)} eval + {len(train)} train posts as real texts (eval.txt alone is too few for 1 %),"
        f" {statistics.median(lengths):.0f} tokens median, {lengths[int(0.9 * len(lengths))]} at the 90th"
        f" percentile; vocabulary {vocab:,}; {args.samples} generations per arm"
    )
    index = CopyIndex(train)
    plain_loss = eval_loss(model, tokenizer, held)
    print(
        f"{'':28}{'FPR real':>9}{'TPR':>7}{'plain':>7}   z real / plain / marked (median)"
        f"   TPR at z>{Z_1PCT} (FPR real there)"
    )
    for bias in (float(b) for b in args.biases.split(",")):
        config = WatermarkingConfig(bias=bias)
        detector = WatermarkDetector(model_config=model.config, device="cpu", watermarking_config=config)
        print(
            f"bias {bias:g} (green list {config.greenlist_ratio:.0%}, {config.seeding_scheme},"
            f" context {config.context_width}):"
        )
        for length in (int(n) for n in args.lengths.split(",")):
            scores = fixed_length(model, detector, config, stream, length, args.samples, eos)
            report(f"  {length} tokens ({len(scores['real'])} real)", scores)
            if len(scores["real"]) < 1 / FPR:
                print(f"{'':28}(fewer than {1 / FPR:.0f} real texts: the threshold is the highest real z-score)")
        texts = as_shown(model, tokenizer, config, args.samples, facts.get("keep_newlines", False))
        rows = {arm: tokenizer(t, add_special_tokens=False)["input_ids"] for arm, t in texts.items()}
        scores = {"real": z_scores(detector, encoded, eos)} | {a: z_scores(detector, r, eos) for a, r in rows.items()}
        shown = statistics.median(len(r) for r in rows["marked"])
        report(f"  as shown ({shown:.0f} tokens median)", scores)
        marked_loss = eval_loss(model, tokenizer, held, green_bias(config, vocab))
        print(
            f"  eval loss {plain_loss:.4f} plain, {marked_loss:.4f} marked: x{marked_loss / plain_loss:.3f}"
            f" (perplexity {torch.tensor(plain_loss).exp():.2f} -> {torch.tensor(marked_loss).exp():.2f})"
        )
        own = {arm: eval_loss(model, tokenizer, [x for x in t if x]) for arm, t in texts.items()}
        print(
            f"  the bot's loss on its as-shown posts {own['plain']:.4f} plain, {own['marked']:.4f} marked:"
            f" x{own['marked'] / own['plain']:.3f}"
        )
        copied = {arm: count_copies(index, t) / len(t) for arm, t in texts.items()}
        print(
            f"  copy rate {copied['plain']:.1%} plain, {copied['marked']:.1%} marked (as-shown posts,"
            f" 8+ words of a training post)"
        )
    print(f"{time.perf_counter() - start:.0f} s")
    return 0


def report(label: str, scores: dict[str, list[float]]) -> None:
    at = threshold(scores["real"])
    med = "/".join(f"{statistics.median(scores[k]):.1f}" for k in ("real", "plain", "marked"))
    print(
        f"{label:28}{rate(scores['real'], at):9.1%}{rate(scores['marked'], at):7.0%}{rate(scores['plain'], at):7.0%}"
        f"   z>{at:.2f}: {med:18}   {rate(scores['marked'], Z_1PCT):.0%} ({rate(scores['real'], Z_1PCT):.1%})"
    )


if __name__ == "__main__":
    sys.exit(main())
