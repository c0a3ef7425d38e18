"""Posts per second and peak memory of fetch --archive + prepare, next to the bare JSON parse of the same archive.

    .venv/bin/python bench/prepare.py [--posts 100000]

Three cases, each in its own process (the archives are built by another one
first) so peak RSS is its own: a 100,000-post archive (one user, four parts),
the same in Japanese (made-up sentences and one-word reactions, which take the
word count for scripts written without spaces), and 3 users x 3,200 posts (a
cyborg). The baseline is the floor any reader
pays: json.loads of the same tweet parts. Timing covers fetch --archive (read,
store as JSONL) and prepare (clean, count, split, write, fill the record).
Target: the 100,000-post archive in under 5 s and under 500 MB peak RSS.
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


HANDLES = {
    "archive": ["pixel_poet"],
    "japanese": ["hoshi_yomi"],
    "baseline": ["pixel_poet"],
    "cyborg": ["alpha", "mid_1", "zeta_z"],
}
JAPANESE = [  # made up for this benchmark
    "今日は朝から雨が降っていて、駅まで歩くのが大変だった。",
    "新しいカフェのチーズケーキがとても美味しかったです。",
    "週末は友達と山に登る予定なので、天気が心配。",
    "猫が窓の外の鳥をずっと見ている。",
    "PythonでちょっとしたツールをGitHubに公開しました。",
    "草",
    "日曜日の朝は、ゆっくりコーヒーを飲むのが一番。",
    "駅前の本屋が閉店するらしくて、少し寂しい。",
    "まじか",
    "寝る前にスマホを見るのをやめたら、よく眠れるようになった。",
]


def japanese_tweets(n: int) -> list[dict]:
    """``n`` archive tweets of made-up Japanese posts, retweets and links mixed in as in made_up_tweets."""
    from archive_factory import tweet

    return [tweet(i, f"{JAPANESE[i % len(JAPANESE)]} (#{i})", retweet=i % 7 == 3, media=i % 5 == 1) for i in range(n)]


def build(case: str, posts: int, folder: Path) -> None:
    """Write the archives (in a process of their own, so building them does not count in the peak)."""
    from archive_factory import made_up_tweets, write_archive

    for handle in HANDLES[case]:
        tweets = japanese_tweets(posts) if case == "japanese" else made_up_tweets(posts)
        write_archive(folder / f"{handle}.zip", tweets, handle=handle, parts=max(1, posts // 25_000))


def child(case: str, folder: Path) -> dict:
    from hf_tweets.folders import Folders
    from hf_tweets.sources.fetch import fetch_archive
    from hf_tweets.training.prepare import PrepareConfig, prepare

    archives = [folder / f"{h}.zip" for h in HANDLES[case]]
    start = time.perf_counter()
    posts = 0
    if case == "baseline":  # the floor: parse the tweet parts, nothing else
        import re
        import zipfile

        for path in archives:
            with zipfile.ZipFile(path) as z:
                for name in z.namelist():
                    if re.search(r"tweets(-part\d+)?\.js$", name):
                        posts += len(json.loads(z.read(name).decode().split("=", 1)[1]))
    else:
        folders = Folders.resolve(data=folder / "data", cards=folder / "cards")
        for path in archives:
            posts += fetch_archive(path, folders).new
        prepare("-".join(HANDLES[case]), folders, config=PrepareConfig(min_chars=0))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "posts": posts, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run(case: str, posts: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        for step in ("build", case):
            out = subprocess.run(
                [sys.executable, __file__, "--child", step, "--case", case, "--posts", str(posts), "--folder", folder],
                capture_output=True,
                text=True,
                check=True,
            )
    return json.loads(out.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--child")
    parser.add_argument("--case")
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--x-only", action="store_true", help="Leave out the Bluesky and Mastodon exports.")
    args = parser.parse_args()
    if args.child == "build":
        build(args.case, args.posts, args.folder)
        return 0
    if args.child:
        print(json.dumps(child(args.child, args.folder)))
        return 0
    results = {
        "archive, 1 user": run("archive", args.posts),
        "Japanese archive": run("japanese", args.posts),
        "json.loads only": run("baseline", args.posts),
        "3 users x 3,200": run("cyborg", 3_200),
    }
    for label, r in results.items():
        print(
            f"{label:18}: {r['posts']:7,} posts in {r['seconds']:5.2f} s = {r['posts'] / r['seconds']:9,.0f} posts/s,"
            f" peak RSS {r['peak_mb']:4.0f} MB"
        )
    archive, floor = results["archive, 1 user"], results["json.loads only"]
    print(f"ratio to the parse floor: {archive['seconds'] / floor['seconds']:.1f}x the time")
    ok = archive["seconds"] < 5 and archive["peak_mb"] < 500
    print(f"target (100,000-post archive < 5 s and < 500 MB peak RSS): {'met' if ok else 'MISSED'}")
    if not args.x_only:  # the other platforms' exports (and their API paging), each against its own floor
        for script in ("bluesky.py", "mastodon.py"):
            print(f"\n$ bench/{script} --posts {args.posts}", flush=True)
            done = subprocess.run([sys.executable, str(Path(__file__).with_name(script)), "--posts", str(args.posts)])
            ok = ok and done.returncode == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
