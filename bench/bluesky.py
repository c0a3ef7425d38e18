"""Bluesky: a repo export through fetch --archive + prepare, and API paging from a loopback AppView.

    .venv/bin/python bench/bluesky.py [--posts 100000] [--api-posts 3200]

Each case runs in its own process (the files are built by another one first) so its peak RSS is
its own; made-up people only (tests/bluesky_factory.py).

* export: a 100,000-post repo export (.car; posts, replies, reposts, self-labelled posts, links,
  as tests/bluesky_factory.py mixes them), read by fetch --archive (decode, walk the record tree,
  store as JSONL) and prepare (clean, count, split, write, fill the record); beside it the floor
  any reader pays, libipld.decode_car of the same file. Target: under 5 s and 500 MB peak RSS.
* API: 3,200 posts, 32 pages of 100, from a loopback HTTP server (in a process of its own,
  serving getProfile and getAuthorFeed with pages written in advance, and, as the PLC directory and
  the PDS, a DID document and no AI-preference records: the export asks it too), fetched by
  ``sources.bluesky.fetch`` through the atproto client; beside it the floor of the same 33 GETs
  with httpx and json.loads. Target: under 5 s of client time.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests")]


def build(posts: int, api_posts: int, folder: Path) -> None:
    """Write the export and the API's answers (in a process of their own: building them does not count)."""
    from bluesky_factory import feed_pages, person, profile_view, write_car

    write_car(folder / "export.car", person(posts))
    who = person(api_posts)
    pages = {cursor or "": page for cursor, page in feed_pages(who)}
    (folder / "api.json").write_text(json.dumps({"profile": profile_view(who), "pages": pages}))


def serve(folder: Path) -> None:
    """The loopback AppView: getProfile and getAuthorFeed (by cursor) from api.json; prints its port, then serves."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs, urlsplit

    answers = json.loads((folder / "api.json").read_text())
    profile = json.dumps(answers["profile"]).encode()
    pages = {cursor: json.dumps(page).encode() for cursor, page in answers["pages"].items()}

    class AppView(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real AppView

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            url, status = urlsplit(self.path), 200
            if url.path.endswith("getProfile"):
                body = profile
            elif url.path.startswith("/did:"):  # the PLC directory: a DID document naming this server as the PDS
                body = json.dumps(did_document(url.path[1:], self.server.server_address[1])).encode()
            elif url.path.endswith("getRecord"):  # the PDS: no AI-preference records
                status, body = 400, b'{"error": "RecordNotFound", "message": "Could not locate record"}'
            else:
                body = pages.get(parse_qs(url.query).get("cursor", [""])[0], b'{"feed": []}')
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), AppView)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def did_document(did: str, port: int) -> dict:
    """A DID document as plc.directory serves one, its PDS on 127.0.0.1:``port``."""
    key = {"id": f"{did}#atproto", "type": "Multikey", "controller": did, "publicKeyMultibase": "zQ3shXjHeiBuRCKm"}
    pds = {"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": f"http://127.0.0.1:{port}"}
    context = ["https://www.w3.org/ns/did/v1"]
    return {"@context": context, "id": did, "alsoKnownAs": [], "verificationMethod": [key], "service": [pds]}


def child(case: str, folder: Path, url: str) -> dict:
    start = time.perf_counter()
    posts, split = 0, None
    if case == "export":
        import os

        from hf_tweets.folders import Folders
        from hf_tweets.sources.fetch import fetch_archive
        from hf_tweets.training.prepare import PrepareConfig, prepare

        os.environ["HF_TWEETS_PLC_URL"] = url  # the loopback server answers for the handle (the DID document)
        folders = Folders.resolve(data=folder / "data", cards=folder / "cards")
        fetched = fetch_archive(folder / "export.car", folders)
        posts, split = fetched.new, time.perf_counter() - start
        prepare("bench", folders, [str(fetched.profile.account)], PrepareConfig(min_chars=0))
    elif case == "decode":  # the floor: decode the CAR, nothing else (the cycle collector paused, as the reader does)
        import gc

        import libipld

        gc.disable()
        posts = len(libipld.decode_car((folder / "export.car").read_bytes())[1])
    elif case == "api":
        import os

        from hf_tweets.folders import Folders
        from hf_tweets.sources import bluesky

        os.environ["HF_TWEETS_BLUESKY_APPVIEW"] = url
        os.environ["HF_TWEETS_PLC_URL"] = url  # the same server answers as the PLC directory and the PDS
        posts = bluesky.fetch("alice.bsky.social", Folders.resolve(data=folder / "api-data", cards=folder / "cards"))[1]
    elif case == "get":  # the floor: the same requests, parsed as plain JSON
        import httpx

        with httpx.Client(base_url=url) as client:
            client.get("/xrpc/app.bsky.actor.getProfile", params={"actor": "alice.bsky.social"}).json()
            cursor = None
            while True:
                query = {"actor": "alice.bsky.social", "limit": 100} | ({"cursor": cursor} if cursor else {})
                page = client.get("/xrpc/app.bsky.feed.getAuthorFeed", params=query).json()
                posts += len(page["feed"])
                cursor = page.get("cursor")
                if not page["feed"] or posts >= 3200:
                    break
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "posts": posts, "peak_mb": peak, "fetch_seconds": split}


def run(case: str, folder: Path, url: str = "") -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", case, "--folder", str(folder), "--url", url],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--api-posts", type=int, default=3_200)
    parser.add_argument("--child")
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    if args.child == "build":
        build(args.posts, args.api_posts, args.folder)
        return 0
    if args.child == "serve":
        serve(args.folder)
        return 0
    if args.child:
        print(json.dumps(child(args.child, args.folder, args.url)))
        return 0
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        subprocess.run(
            [sys.executable, __file__, "--child", "build", "--folder", name, "--posts", str(args.posts),
             "--api-posts", str(args.api_posts)],
            check=True,
        )  # fmt: skip
        size = (folder / "export.car").stat().st_size
        server = subprocess.Popen(
            [sys.executable, __file__, "--child", "serve", "--folder", name], stdout=subprocess.PIPE, text=True
        )
        try:
            url = f"http://127.0.0.1:{server.stdout.readline().strip()}"
            results = {"export": run("export", folder, url), "decode_car only": run("decode", folder)}
            results |= {"API pages": run("api", folder, url), "httpx + json only": run("get", folder, url)}
        finally:
            server.terminate()
            server.wait()
    for label, r in results.items():
        print(
            f"{label:18}: {r['posts']:7,} {'blocks' if 'decode' in label else 'posts '} in {r['seconds']:5.2f} s"
            f" = {r['posts'] / r['seconds']:9,.0f}/s, peak RSS {r['peak_mb']:4.0f} MB"
        )
    export, floor, api = results["export"], results["decode_car only"], results["API pages"]
    print(
        f"export file: {size / 1e6:.1f} MB; fetch --archive {export['fetch_seconds']:.2f} s of it (with the imports),"
        f" prepare the rest; ratio to the decode floor: {export['seconds'] / floor['seconds']:.1f}x"
    )
    print(f"API ratio to the httpx + json floor: {api['seconds'] / results['httpx + json only']['seconds']:.1f}x")
    ok = export["seconds"] < 5 and export["peak_mb"] < 500 and api["seconds"] < 5
    print(f"targets (export < 5 s and < 500 MB peak RSS; API pages < 5 s): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
