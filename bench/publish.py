"""HTTP requests, commits and time per publish, against the loopback Hub, next to huggingface_hub's own way.

    .venv/bin/python bench/publish.py [--repos 5]

Three cases, each on --repos fresh repos: the first publish of a tiny model, the
same publish again with nothing changed, and a card-only change. The baseline
does the same work the plain way: ``upload_folder`` for the model files, then
``ModelCard.push_to_hub`` for the card. Prints median requests, commits and ms;
exits 1 if hf-tweets misses its targets (unchanged: 0 commits and <= 2 requests;
card-only change: 1 commit and <= 3 requests).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
HOME = Path(tempfile.mkdtemp(prefix="bench-publish-"))
os.environ |= {"HF_HOME": str(HOME / "hf-home"), "HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}

from tests.hub import LoopbackHub  # noqa: E402

HUB = LoopbackHub(HOME / "hub").start()
os.environ |= {"HF_ENDPOINT": HUB.url, "HF_TOKEN": HUB.token}

from huggingface_hub import HfApi, ModelCard  # noqa: E402
from huggingface_hub.utils import logging as hf_logging  # noqa: E402

from hf_tweets.cards.record import validate_record  # noqa: E402
from hf_tweets.cards.recordfile import load_record, save_record  # noqa: E402
from hf_tweets.cards.render import render  # noqa: E402
from hf_tweets.hub.publish import publish  # noqa: E402

from tiny_model import build_tiny_model  # noqa: E402

CASES = ("first publish", "unchanged", "card-only change")


def record_for(name: str, cards: Path) -> Path:
    data = {
        "name": name,
        "users": [
            {
                "handle": "bench_user",
                "display_name": "Bench User",
                "counts": {"downloaded": 10, "retweets": 2, "short": 3, "kept": 5},
            }
        ],
    }
    path = cards / f"{name}.yaml"
    save_record(validate_record(data, "bench"), path)
    return path


def change_card(path: Path) -> None:
    record = load_record(path)
    record.license = "apache-2.0" if record.license != "apache-2.0" else "mit"
    save_record(record, path)


def ours(record_path: Path, model: Path, case: str) -> None:
    if case == "card-only change":
        change_card(record_path)
    publish(record_path, model)


def baseline(record_path: Path, model: Path, case: str) -> None:
    if case == "card-only change":
        change_card(record_path)
    record = load_record(record_path)
    api = HfApi()
    api.create_repo(record.repo_id, exist_ok=True)
    api.upload_folder(repo_id=record.repo_id, folder_path=model)
    ModelCard(render(record)).push_to_hub(record.repo_id)


def measure(fn, record_path: Path, model: Path, case: str, repo_id: str) -> tuple[int, int, float]:
    requests, repo = len(HUB.requests), HUB.repo(repo_id)
    commits = len(repo.commits) if repo else 0
    start = time.perf_counter()
    fn(record_path, model, case)
    elapsed = time.perf_counter() - start
    return len(HUB.requests) - requests, len(HUB.repo(repo_id).commits) - commits, elapsed


def run(fn, label: str, model: Path, repos: int, cards: Path) -> dict[str, list[tuple[int, int, float]]]:
    results: dict[str, list] = {case: [] for case in CASES}
    for i in range(repos):
        path = record_for(f"{label}-{i}", cards)
        for case in CASES:
            results[case].append(measure(fn, path, model, case, f"huggingtweets/{label}-{i}"))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=5)
    args = parser.parse_args()
    hf_logging.set_verbosity_error()  # the client's "no files have been modified" warnings
    model = build_tiny_model(HOME / "model")
    cards = HOME / "cards"
    HfApi().whoami()  # the once-per-process telemetry call, outside the counts
    mine = run(ours, "ours", model, args.repos, cards)
    theirs = run(baseline, "base", model, args.repos, cards)
    print(f"{'case':18} | {'hf-tweets publish':28} | {'upload_folder + push_to_hub':28}")
    ok = True
    for case in CASES:
        cells = []
        for results in (mine, theirs):
            reqs, commits, secs = (statistics.median(x[k] for x in results[case]) for k in range(3))
            cells.append(f"{reqs:3.0f} requests {commits:1.0f} commits {secs * 1000:5.0f} ms")
        print(f"{case:18} | {cells[0]:28} | {cells[1]:28}")
        reqs, commits = max(x[0] for x in mine[case]), max(x[1] for x in mine[case])
        if case == "unchanged":
            ok &= commits == 0 and reqs <= 2
        if case == "card-only change":
            ok &= commits == 1 and reqs <= 3
    print(
        f"targets (worst of {args.repos} repos): unchanged 0 commits, <= 2 requests; card-only 1 commit, <= 3 requests:"
        f" {'met' if ok else 'MISSED'}"
    )
    HUB.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
