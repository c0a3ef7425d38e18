"""Render 10,000 card records; compare with huggingface_hub's ModelCard.from_template in the same run.

    .venv/bin/python bench/render.py [--records 10000] [--baseline 1000] [--repeat 3]

Both sides render the same records with the same template (ours, flattened into
one string for from_template, which has no template loader) and the same filters.
Pinned to one core. Each pass renders records never seen before (no per-record
cache can hit); the best pass is the figure (as timeit does: slower passes are
the machine's noise), the median is printed beside it. Exits 1 below target
(>= 20x from_template and >= 10,000 cards/s).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

import jinja2
from huggingface_hub import ModelCard

from hf_tweets.cards.record import CardRecord, validate_record
from hf_tweets.cards.render import card_data, context, render
from hf_tweets.cards.templating import CARD_TEMPLATE, FILTERS, bundled_templates_dir

NAMES = [
    "Pixel Poet",
    "Zeta",
    "Alpha & Omega",
    "Mid 🌙",
    "ש ל ו ם",
    "</div><script>x</script>",
    "a | b",
    "café ☕",
    "W" * 190,
]  # long, near the record's 200-character limit (names get a suffix)
INCLUDE = re.compile(r'{%\s*include\s+"([^"]+)"(?:\s+if\s+(\w+)\s+else\s+"([^"]+)")?\s*%}')


def make_records(n: int, seed: int = 0) -> list[CardRecord]:
    rng = random.Random(seed)
    records = []
    for i in range(n):
        users = []
        for j in range(rng.choice([1, 1, 1, 2, 3])):
            down = rng.randint(50, 3250)
            rt, short = rng.randint(0, down // 3), rng.randint(0, down // 3)
            users.append(
                {
                    "handle": f"u{seed}_{i}_{j}",
                    "display_name": f"{rng.choice(NAMES)} {i}",
                    "avatar": f"https://pbs.twimg.com/profile_images/{i}{j}/a_400x400.jpg",
                    "counts": {"downloaded": down, "retweets": rt, "short": short, "kept": down - rt - short},
                }
            )
        data = {
            "users": users,
            "thumbnail": f"https://huggingface.co/huggingtweets/u{seed}_{i}/resolve/main/predictions.png",
        }
        if rng.random() < 0.5:
            data["wandb"] = {
                "report": "https://wandb.ai/wandb/huggingtweets/reports/HuggingTweets--VmlldzoxMTY5MjI",
                "preprocess_run": f"https://wandb.ai/wandb/huggingtweets/runs/p{i}",
                "train_run": f"https://wandb.ai/wandb/huggingtweets/runs/t{i}",
            }
        if rng.random() < 0.5:
            data["training"] = {
                "hyperparameters": {"learning_rate": 1.372e-4, "epochs": 4, "seed": i},
                "train_loss": rng.uniform(2, 4),
                "eval_loss": rng.uniform(2, 4),
            }
        records.append(validate_record(data, f"bench-{i}"))
    return records


def flat_template(folder: Path) -> str:
    """Our card template with its includes inlined, front matter on top, for from_template."""

    def inline(match: re.Match) -> str:
        first = (folder / match.group(1)).read_text(encoding="utf-8")
        if not match.group(2):
            return INCLUDE.sub(inline, first)
        second = (folder / match.group(3)).read_text(encoding="utf-8")
        then, otherwise = INCLUDE.sub(inline, first), INCLUDE.sub(inline, second)
        return f"{{% if {match.group(2)} %}}{then}{{% else %}}{otherwise}{{% endif %}}"

    body = INCLUDE.sub(inline, (folder / CARD_TEMPLATE).read_text(encoding="utf-8"))
    return "---\n{{ card_data }}\n---\n\n" + body


def baseline(record: CardRecord, template: str) -> str:
    return str(ModelCard.from_template(card_data(record), template_str=template, **context(record)))


def rate(fn, records, keep: int = 50) -> tuple[float, list[str]]:
    """Cards per second; keeps only the first few outputs (a batch writes each card and moves on)."""
    kept = []
    start = time.perf_counter()
    for record in records:
        text = fn(record)
        if len(kept) < keep:
            kept.append(text)
    return len(records) / (time.perf_counter() - start), kept


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=1_000, help="records for from_template (it is slow)")
    parser.add_argument("--repeat", type=int, default=3, help="passes, each over new records")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    folder = bundled_templates_dir()
    warmup = make_records(2_000, seed=99)
    # Same template, same filters: from_template's bare jinja2.Template gets our filters as defaults.
    jinja2.defaults.DEFAULT_FILTERS.update(FILTERS)
    template = flat_template(folder)

    # Both sides warm up on other records (templates compiled, allocator grown), as in any long batch.
    rate(render, warmup)
    rate(lambda r: baseline(r, template), warmup[:50])
    ours, theirs = [], []
    for seed in range(args.repeat):
        records = make_records(args.records, seed=seed)
        speed, texts = rate(render, records)
        base_speed, base_texts = rate(lambda r: baseline(r, template), records[: args.baseline])
        for mine, base in zip(texts, base_texts, strict=False):  # same cards, up to template whitespace options
            assert squash(ModelCard(mine).text) == squash(ModelCard(base).text)
            assert ModelCard(mine).data.to_dict() == ModelCard(base).data.to_dict()
        ours.append(speed)
        theirs.append(base_speed)
    best, best_base = max(ours), max(theirs)
    ratio = best / best_base
    print(
        f"hf-tweets render        : {best:10,.0f} cards/s best, {statistics.median(ours):,.0f} median "
        f"({args.repeat} x {args.records:,} records, 1 core)"
    )
    print(
        f"ModelCard.from_template : {best_base:10,.0f} cards/s best, {statistics.median(theirs):,.0f} median "
        f"({args.repeat} x {args.baseline:,} records, same template)"
    )
    print(
        f"ratio                   : {ratio:10.1f}x best/best,"
        f" {statistics.median(ours) / statistics.median(theirs):.1f}x median/median"
        " (target >= 20x, and >= 10,000 cards/s)"
    )
    return 0 if ratio >= 20 and best >= 10_000 else 1


if __name__ == "__main__":
    sys.exit(main())
