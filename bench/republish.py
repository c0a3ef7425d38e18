"""Republishing a collection: 2,000 repos on the loopback Hub, hf-tweets against the naive loop, and its pacing.

    .venv/bin/python bench/republish.py [--repos 2000] [--naive 200] [--jobs 4] [--latency 0.05] [--pacing-only]

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

Pacing (--pacing-only runs just these): republish with the commit ceiling on and the loopback
Hub enforcing a request quota with RateLimit headers (tests/hub/ratelimit.py). (d) 30 cards at
the default 120 commits an hour, with the Hub's window ("api": 1,000 requests per 300 s) left,
against the old even spacing computed from its rule (29 x 30 s, plus the same work).
(e) every repo, with time compressed 1,000x so that the ceiling, not the round trips, sets the
pace and the run takes about a minute: an hour is 3.6 s (--max-commits-per-hour 120000 is the
real 120 an hour), no added latency, and the Hub's window is 2 s with 200 requests (the headers
count whole seconds, so 300 s cannot shrink to 0.3 s), smaller than a burst of 120 commits
(about 250 requests). Run twice: the bucket with the RateLimit headers read, and the old even
spacing with a client that reads none (it met 429s and waited out Retry-After). Prints wall
time, 429s, windows waited out and the ratios; checks no 429 for the bucket, (d) >= 10x faster.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
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
from hf_tweets.folders import Folders  # noqa: E402
from hf_tweets.hub import pacing  # noqa: E402
from hf_tweets.hub import republish as republish_module  # noqa: E402
from hf_tweets.hub.pacing import CommitBucket  # noqa: E402
from hf_tweets.hub.republish import RepublishOptions, republish  # noqa: E402

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


def change_template(text: str) -> Path:
    """A copy of the bundled templates whose About section says ``text``, in force from now on."""
    folder = HOME / f"templates-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
    shutil.copytree(ROOT / "templates", folder)
    (folder / "partials" / "about.md.j2").write_text(f"## About\n\n{text}\n", encoding="utf-8")
    os.environ["HF_TWEETS_TEMPLATES_DIR"] = str(folder)
    reload_templates()
    jinja2.defaults.DEFAULT_FILTERS.update(FILTERS)
    return folder


class EvenSpacing(CommitBucket):
    """The old Pacer: commit i starts at i * 3600/per_hour, whatever the hour's allowance left."""

    def acquire(self) -> float:
        with self.lock:
            now = self.clock()
            start = max(now, getattr(self, "next", now))
            self.next = start + self.period / self.size
        if start > now:
            self.sleep(start - now)
        return start - now


class Blind:
    """The old client: it read no RateLimit header (so 429s came, and were waited out with Retry-After)."""

    waits: list[float] = []
    exhausted = 0

    def before(self, kind: str) -> None:
        pass

    def after(self, kind: str, headers) -> None:
        pass

    def clear(self) -> None:
        pass


def paced(cards: Path, data: Path, repos: list[str], options: RepublishOptions, hub: tuple[int, int], old=False):
    """One republish under the loopback Hub's quota (requests, window): its figures, the 429s and the waits."""
    bucket, quota = republish_module.CommitBucket, pacing.QUOTA
    if old:
        republish_module.CommitBucket, pacing.QUOTA = EvenSpacing, Blind()
    pacing.QUOTA.clear()
    HUB.limits.set(quota=hub[0], window=hub[1])
    try:
        m = measure(lambda: republish(Folders.resolve(data=data, cards=cards), options), repos)
        m["refused"], m["exhausted"] = len(HUB.limits.refused), pacing.QUOTA.exhausted
    finally:
        republish_module.CommitBucket, pacing.QUOTA = bucket, quota
    HUB.limits.reset()
    return m


def pacing_line(label: str, m: dict, n: int) -> str:
    return (
        f"{label:34}: {m['seconds']:7.1f} s, {m['commits']} commits, {m['requests']} requests,"
        f" {m['refused']} 429s, {m['exhausted']} Hub windows waited out"
    )


def pacing_cases(cards: Path, data: Path, repos: list[str], jobs: int, latency: float) -> bool:
    ok, n = True, len(repos)
    names = frozenset(r.split("/")[1] for r in repos[:30])
    HUB.latency = latency
    change_template("Maintained by the collection team (pacing, small batch).")
    d = paced(cards, data, repos, RepublishOptions(only=names, jobs=jobs, force=True), hub=(1000, 300))
    base = 29 * 3600 / 120 + d["seconds"]  # the old Pacer: 30 s between commits, then the same work
    print(pacing_line("(d) 30 cards, 120/h, bucket", d, 30))
    print(f"    even spacing (computed): {base:.0f} s; bucket {base / d['seconds']:.0f}x faster")
    ok &= d["commits"] == 30 and d["refused"] == 0 and base / d["seconds"] >= 10

    k = 1000  # time compression: an hour is 3.6 s
    HUB.latency = 0.0  # the pace, not the round trips, should set the time
    rounds = []
    for old in (False, True):
        change_template(f"Maintained by the collection team (pacing, whole collection, {'old' if old else 'new'}).")
        options = RepublishOptions(jobs=jobs, force=True, max_commits_per_hour=120 * k)
        rounds.append(paced(cards, data, repos, options, hub=(200, 2), old=old))
    e, even = rounds
    print(pacing_line(f"(e) {n} cards, 120/3.6 s, bucket", e, n))
    print(pacing_line(f"(e) {n} cards, 120/3.6 s, even", even, n))
    print(f"    bucket / even spacing: {e['seconds'] / even['seconds']:.2f} of the time")
    hours = (e["commits"] - 1) // 120, (e["commits"] - 1) * 30 / 3600
    print(
        f"    at the real 120/h: the last of {e['commits']} commits starts after {hours[0]} h with the bucket,"
        f" {hours[1]:.2f} h evenly spaced"
    )
    ok &= d["refused"] == 0 and e["commits"] == n and e["refused"] == 0
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=2000)
    parser.add_argument("--naive", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every answer of the loopback Hub")
    parser.add_argument("--pacing-only", action="store_true", help="only the pacing cases (d) and (e)")
    args = parser.parse_args()
    hf_logging.set_verbosity_error()
    logging.getLogger("hf_tweets").setLevel(logging.ERROR)  # the waits are counted, not announced
    cards, data = HOME / "cards", HOME / "data"
    print(f"seeding {args.repos} repos ...", flush=True)
    repos = seed(args.repos, cards)
    HUB.latency = args.latency
    print(f"loopback Hub latency: {args.latency * 1000:.0f} ms per request", flush=True)
    if args.pacing_only:
        ok = pacing_cases(cards, data, repos, args.jobs, args.latency)
        print(f"targets: {'met' if ok else 'MISSED'}")
        HUB.stop()
        return 0 if ok else 1
    options = RepublishOptions(jobs=args.jobs, max_commits_per_hour=0)
    n, ok = len(repos), True

    a = measure(lambda: republish(Folders.resolve(data=data, cards=cards), options), repos)
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
    b = measure(lambda: republish(Folders.resolve(data=data, cards=cards), options), repos)
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
    ok &= pacing_cases(cards, data, repos, args.jobs, args.latency)
    print(f"targets: {'met' if ok else 'MISSED'}")
    HUB.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
