"""Republishing a collection: 2,000 repos on the loopback Hub, hf-tweets against the naive loop.

    .venv/bin/python bench/republish.py [--repos 2000] [--naive 200] [--jobs 4] [--latency 0.05]

Cases: (a) nothing changed, (b) a template change touching every card, (c) the
same change with 10% of the cards edited by hand on the Hub. The naive loop is
what a maintainer would write today: per repo ModelCard.load, ModelCard.from_template
with the same template, push_to_hub. It runs on the first --naive repos (it
is slow) and its figures are per repo. The loopback Hub answers in microseconds;
--latency adds a delay to every answer (default 50 ms, the order of a round trip
to huggingface.co), so that the comparison weighs requests as the real Hub does;
--latency 0 shows the CPU-bound case. Prints wall time, requests and commits per
repo; checks (a) 0 commits and <= 1 request per 100 repos, (b) exactly 1 commit
and <= 3 requests per repo and >= 10x faster per repo than the naive loop,
(c) every hand-edited card skipped, none overwritten.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]
HOME = Path(tempfile.mkdtemp(prefix="bench-republish-"))
os.environ |= {"HF_HOME": str(HOME / "hf-home"), "HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}

from tests.hub import LoopbackHub  # noqa: E402

HUB = LoopbackHub(HOME / "hub", page_size=1000).start()  # the Hub's listing pages are 1,000 models long
os.environ |= {"HF_ENDPOINT": HUB.url, "HF_TOKEN": HUB.token}

import jinja2  # noqa: E402
from huggingface_hub import CommitOperationAdd, HfApi, ModelCard  # noqa: E402
from huggingface_hub.utils import logging as hf_logging  # noqa: E402

from hf_tweets.cards.record import PublishState  # noqa: E402
from hf_tweets.cards.recordfile import save_record  # noqa: E402
from hf_tweets.cards.render import card_data, context, render  # noqa: E402
from hf_tweets.cards.templating import FILTERS, reload_templates  # noqa: E402
from hf_tweets.hub.republish import republish  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from render import flat_template, make_records  # noqa: E402


def seed(n: int, cards: Path) -> list[str]:
    """n repos with a card as hf-tweets published it, and their records (fast: one commit each, no preupload)."""
    api, repos = HfApi(), []
    for i, record in enumerate(make_records(n, seed=3)):
        record = record.model_copy(update={"name": f"bot-{i:05d}"})
        readme = render(record)
        api.create_repo(record.repo_id)
        op = CommitOperationAdd("README.md", readme.encode())
        op._upload_mode = "regular"
        info = api.create_commit(record.repo_id, [op], commit_message="seed")
        record.publish = PublishState(commit=info.oid, readme_sha256=hashlib.sha256(readme.encode()).hexdigest())
        save_record(record, cards / f"{record.name}.yaml")
        repos.append(record.repo_id)
    return repos


def totals(repos: list[str]) -> tuple[int, int]:
    return len(HUB.requests), sum(len(HUB.repo(r).commits) for r in repos)


def measure(fn, repos):
    requests, commits = totals(repos)
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    after_requests, after_commits = totals(repos)
    return {
        "seconds": seconds,
        "requests": after_requests - requests,
        "commits": after_commits - commits,
        "result": result,
    }


def naive(records_dir: Path, repos: list[str], template: str) -> None:
    from hf_tweets.cards.recordfile import load_record

    for repo in repos:
        ModelCard.load(repo)  # what a maintainer's loop reads first
        record = load_record(records_dir / f"{repo.split('/')[1]}.yaml")
        card = ModelCard.from_template(card_data(record), template_str=template, **context(record))
        card.push_to_hub(repo)


def line(label: str, m: dict, n: int) -> str:
    return (
        f"{label:34}: {m['seconds']:7.1f} s ({m['seconds'] / n * 1000:6.1f} ms/repo), "
        f"{m['requests'] / n:5.2f} requests/repo ({m['requests']} in all), {m['commits'] / n:4.2f} commits/repo"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=2000)
    parser.add_argument("--naive", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every answer of the loopback Hub")
    args = parser.parse_args()
    hf_logging.set_verbosity_error()
    cards, data = HOME / "cards", HOME / "data"
    print(f"seeding {args.repos} repos ...", flush=True)
    repos = seed(args.repos, cards)
    HUB.latency = args.latency
    print(f"loopback Hub latency: {args.latency * 1000:.0f} ms per request", flush=True)
    run = dict(cards_dir=cards, data_dir=data, jobs=args.jobs, max_commits_per_hour=0)
    n, ok = len(repos), True

    a = measure(lambda: republish(**run), repos)
    print(line("(a) nothing changed, hf-tweets", a, n))
    ok &= a["commits"] == 0 and a["requests"] <= n / 100

    folder = HOME / "templates"
    shutil.copytree(ROOT / "templates", folder)
    (folder / "partials" / "about.md.j2").write_text(
        "## About\n\nMaintained by the collection team.\n", encoding="utf-8"
    )
    os.environ["HF_TWEETS_TEMPLATES_DIR"] = str(folder)
    reload_templates()
    jinja2.defaults.DEFAULT_FILTERS.update(FILTERS)
    template = flat_template(folder)

    sample = repos[: args.naive]
    edited = repos[args.naive :: 10]  # 10% of the others, edited by hand before the change goes out
    api = HfApi()
    HUB.latency = 0.0  # the hand edits are set-up, not measured
    for repo in edited:
        api.upload_file(
            path_or_fileobj=b"---\nlanguage: en\n---\n# Edited by hand\n", path_in_repo="README.md", repo_id=repo
        )
    HUB.latency = args.latency
    b = measure(lambda: republish(**run), repos)
    report = b["result"]
    statuses = {o.repo_id: o.status for o in report.outcomes}
    clean = [r for r in repos if r not in edited]
    print(line("(b)+(c) template change, hf-tweets", b, n))
    print(
        f"    changed {sum(s == 'changed' for s in statuses.values())},"
        f" skipped {sum(s == 'skipped' for s in statuses.values())}"
        f" (hand-edited: {len(edited)}), failed {sum(s == 'failed' for s in statuses.values())}"
    )
    untouched = all(
        HUB.store.read_blob(HUB.repo(r).head.files["README.md"].sha256).startswith(b"---\nlanguage: en\n---\n# Edited")
        for r in edited
    )
    ok &= all(statuses[r] == "changed" for r in clean) and all(statuses[r] == "skipped" for r in edited) and untouched
    ok &= b["commits"] == len(clean) and (b["requests"] - 2) / len(clean) <= 3
    print(
        "    (c) every hand-edited card skipped and kept:"
        f" {untouched and all(statuses[r] == 'skipped' for r in edited)}"
    )

    os.environ["HF_TWEETS_TEMPLATES_DIR"] = str(ROOT / "templates")  # the naive loop pushes the old cards back first
    reload_templates()
    naive_a = measure(lambda: naive(cards, sample, flat_template(ROOT / "templates")), sample)
    naive_b = measure(lambda: naive(cards, sample, template), sample)
    print(line(f"(a) naive loop, {len(sample)} repos", naive_a, len(sample)))
    print(line(f"(b) naive loop, {len(sample)} repos", naive_b, len(sample)))
    speedup = (naive_b["seconds"] / len(sample)) / (b["seconds"] / n)
    print(f"(b) hf-tweets vs naive: {speedup:.1f}x faster per repo")
    ok &= speedup >= 10
    print(f"targets: {'met' if ok else 'MISSED'}")
    HUB.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
