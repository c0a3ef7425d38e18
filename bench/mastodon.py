"""Mastodon: a 100,000-post archive through fetch --archive + prepare, and API paging of 3,200 posts on loopback.

    .venv/bin/python bench/mastodon.py [--posts 100000] [--api-posts 3200]

Archive cases, each in its own process (the archive is built by another one first) so peak RSS is
its own: a 100,000-post outbox.json (boosts, replies, every visibility, content warnings, HTML
content, every field of a real export; tests/mastodon_factory.py) as a .zip and as a .tar.gz,
through fetch --archive (read, store as JSONL) and prepare (clean, count, split, write, fill the
record). The floor is json.loads of the same outbox.json, as one document.

API case: a loopback http.server in a process of its own serves the account lookup and 80 pages of
40 statuses with Link headers, as Mastodon does; the client time is hf-tweets' fetch of @alice
(lookup, paging with Mastodon.py's fetch_next, saving page by page).

Targets: the archive in under 5 s and under 500 MB peak RSS; 3,200 posts from the API in under 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file's folder leaves the path: its name would hide Mastodon.py's package, "mastodon".
sys.path = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "cassettes" / "mastodon")]
PER_PAGE = 40


def build(kind: str, posts: int, folder: Path) -> None:
    """Write the archive (in a process of its own, so building it does not count in the peak)."""
    from mastodon_factory import made_up_activities, write_archive

    activities = made_up_activities(posts)
    (folder / "activities").write_text(str(len(activities)))
    if kind == "baseline":
        (folder / "outbox.json").write_text(json.dumps({"type": "OrderedCollection", "orderedItems": activities}))
    else:
        write_archive(folder / f"archive.{kind}", activities, kind=kind)


def child(kind: str, folder: Path) -> dict:
    from hf_tweets.folders import Folders
    from hf_tweets.sources.fetch import fetch_archive
    from hf_tweets.training.prepare import PrepareConfig, prepare

    start = time.perf_counter()
    if kind == "baseline":  # the floor: parse the outbox, nothing else
        posts, stored = len(json.loads((folder / "outbox.json").read_bytes())["orderedItems"]), None
    else:
        folders = Folders.resolve(data=folder / "data", cards=folder / "cards")
        stored = fetch_archive(folder / f"archive.{kind}", folders).new
        prepare("alice-at-example-social", folders, ["@alice@example.social"], config=PrepareConfig(min_chars=0))
        posts = int((folder / "activities").read_text())  # what the archive holds, followers-only and direct too
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "posts": posts, "stored": stored, "peak_mb": peak}


def run_archive(kind: str, posts: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        for step in ("build", "measure"):
            out = subprocess.run(
                [sys.executable, __file__, "--child", step, "--case", kind, "--posts", str(posts), "--folder", folder],
                capture_output=True,
                text=True,
                check=True,
            )
    return json.loads(out.stdout)


def serve(pages: int) -> None:
    """Serve @alice's lookup and ``pages`` pages of statuses on 127.0.0.1 (answers built before the first request);
    print the port, then serve until killed."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs, urlsplit

    from make_cassettes import ALICE_ID, account, status

    statuses = [status(n) for n in range(pages * PER_PAGE)]
    bodies = {"lookup": json.dumps(account()).encode()}
    for number in range(pages):
        bodies[number] = json.dumps(statuses[number * PER_PAGE : (number + 1) * PER_PAGE]).encode()
    ids = {s["id"]: n // PER_PAGE + 1 for n, s in enumerate(statuses) if n % PER_PAGE == PER_PAGE - 1}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 (http.server's name)
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/api/v1/accounts/lookup":
                self.answer(bodies["lookup"])
            elif url.path == f"/api/v1/accounts/{ALICE_ID}/statuses":
                number = ids.get(query.get("max_id"), 0)
                following = statuses[(number + 1) * PER_PAGE - 1]["id"] if number + 1 < pages else None
                self.answer(bodies[number], following)
            else:
                self.send_error(404)

        def answer(self, body: bytes, following: str | None = None) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            if following:
                base = f"http://{self.headers['Host']}/api/v1/accounts/{ALICE_ID}/statuses"
                self.send_header("Link", f'<{base}?limit={PER_PAGE}&max_id={following}>; rel="next"')
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def run_api(posts: int) -> dict:
    """hf-tweets' fetch of ``posts`` posts from the loopback server (in a process of its own)."""
    server = subprocess.Popen(
        [sys.executable, __file__, "--child", "serve", "--posts", str(posts)], stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(server.stdout.readline())
        with tempfile.TemporaryDirectory() as folder:
            env = os.environ | {"HF_TWEETS_MASTODON_BASE_URL": f"http://127.0.0.1:{port}"}
            out = subprocess.run(
                [sys.executable, __file__, "--child", "api", "--posts", str(posts), "--folder", folder],
                capture_output=True,
                text=True,
                check=True,
                env=env,
            )
        return json.loads(out.stdout)
    finally:
        server.kill()
        server.wait()


def api_child(posts: int, folder: Path) -> dict:
    from hf_tweets.folders import Folders
    from hf_tweets.sources.mastodon import fetch

    start = time.perf_counter()
    _, new, _ = fetch(
        "alice@example.social", Folders.resolve(data=folder / "data", cards=folder / "cards"), limit=posts
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "posts": new, "stored": new, "peak_mb": peak}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--api-posts", type=int, default=3_200)
    parser.add_argument("--child")
    parser.add_argument("--case")
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    if args.child == "build":
        build(args.case, args.posts, args.folder)
        return 0
    if args.child == "serve":
        serve(args.posts // PER_PAGE)
        return 0
    if args.child in ("measure", "api"):
        result = child(args.case, args.folder) if args.child == "measure" else api_child(args.posts, args.folder)
        print(json.dumps(result))
        return 0
    results = {
        "archive .zip": run_archive("zip", args.posts),
        "archive .tar.gz": run_archive("tar.gz", args.posts),
        "json.loads only": run_archive("baseline", args.posts),
        f"API, {args.api_posts // PER_PAGE} pages": run_api(args.api_posts),
    }
    for label, r in results.items():
        stored = "   none" if r["stored"] is None else f"{r['stored']:7,}"
        print(
            f"{label:16}: {r['posts']:7,} posts ({stored} stored) in {r['seconds']:5.2f} s ="
            f" {r['posts'] / r['seconds']:7,.0f} posts/s, peak RSS {r['peak_mb']:4.0f} MB"
        )
    archives, floor = [results["archive .zip"], results["archive .tar.gz"]], results["json.loads only"]
    print(f"ratio to the parse floor: {archives[0]['seconds'] / floor['seconds']:.1f}x the time (.zip)")
    ok = all(a["seconds"] < 5 and a["peak_mb"] < 500 for a in archives)
    api = results[f"API, {args.api_posts // PER_PAGE} pages"]
    ok_api = api["seconds"] < 5 and api["posts"] == args.api_posts
    print(f"target (100,000-post archive < 5 s and < 500 MB peak RSS): {'met' if ok else 'MISSED'}")
    print(f"target (3,200 posts from the API < 5 s): {'met' if ok_api else 'MISSED'}")
    return 0 if ok and ok_api else 1


if __name__ == "__main__":
    sys.exit(main())
