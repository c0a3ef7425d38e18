"""Bluesky repo exports: peak memory of reading a .car, against decoding the whole file (the reader before).

    .venv/bin/python bench/car_memory.py [--posts 100000] [--padding-mb 200]

Two files, built first by a process of their own from made-up people (tests/bluesky_factory.py):

* export: a 100,000-post repo export (posts, replies, reposts, labelled posts, links, a profile);
* padded: the same export followed by ``--padding-mb`` MB of blocks its record tree never reaches
  (half small raw blocks of 100 bytes, half DAG-CBOR blocks of 4 kB), as a hostile or odd file may be.

Each is read by ``bluesky_car.read_export`` (the index of where blocks are, then only the blocks the
tree reaches, decoded as it reaches them) and, beside it in the same run, by
``libipld.decode_car`` of the whole file (what the reader did before: every block decoded at once;
the padded file's raw blocks are not DAG-CBOR, so that baseline reads the file without them).
Peak RSS is measured in a child process (``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` of a
process that runs only that child), and the floor beside them: the peak of reading a 10-post export
(the interpreter and the modules loaded, some 50 MB whatever the file). Targets: peak RSS above the
floor under 2x the file, and peak RSS under 500 MB for the 100,000-post export.
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


def build(posts: int, padding_mb: int, folder: Path) -> None:
    """export.car, padded.car (with raw padding) and padded-cbor.car (the DAG-CBOR padding only, for decode_car)."""
    from bluesky_factory import car, car_bytes, cid_of, person

    export = car_bytes(person(posts))
    (folder / "export.car").write_bytes(export)
    empty = len(car([], []))
    half = padding_mb * 1024**2 // 2
    raw = [(cid_of(b"pad %d" % i, 0x55), b"r" * 64) for i in range(half // 100)]
    cbor = [(cid_of(b"cbor %d" % i), b"\x59\x0f\xa0" + b"c" * 4000) for i in range(half // 4040)]  # a 4000-byte string
    (folder / "padded.car").write_bytes(export + car([], raw + cbor)[empty:])
    (folder / "padded-cbor.car").write_bytes(export + car([], cbor)[empty:])
    (folder / "floor.car").write_bytes(car_bytes(person(10)))


def child(case: str, path: Path) -> dict:
    start = time.perf_counter()
    if case == "read_export":
        from hf_tweets.sources import bluesky_car

        count = len(bluesky_car.read_export(path).posts)
    else:  # the reader before: the whole file decoded (the cycle collector paused, as it was)
        import gc

        import libipld

        gc.disable()
        count = len(libipld.decode_car(path.read_bytes())[1])
    return {"seconds": time.perf_counter() - start, "count": count}


def measure(case: str, path: Path) -> dict:
    """Run the case in a child of this process (its only one) and add its peak RSS."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", case, "--file", str(path)], capture_output=True, text=True, check=True
    )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return json.loads(out.stdout) | {"peak_mb": peak}


def run(case: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", case, "--file", str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--padding-mb", type=int, default=200)
    parser.add_argument("--child")
    parser.add_argument("--measure")
    parser.add_argument("--file", type=Path)
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    if args.child == "build":
        build(args.posts, args.padding_mb, args.folder)
        return 0
    if args.child or args.measure:
        print(json.dumps(child(args.child, args.file) if args.child else measure(args.measure, args.file)))
        return 0
    ok = True
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        subprocess.run(
            [sys.executable, __file__, "--child", "build", "--folder", name, "--posts", str(args.posts),
             "--padding-mb", str(args.padding_mb)],
            check=True,
        )  # fmt: skip
        floor = run("read_export", folder / "floor.car")["peak_mb"]
        print(f"floor  : read_export of a 10-post export (the interpreter, hf-tweets, libipld, numpy): {floor:.0f} MB")
        for label, file, baseline in (
            ("export", "export.car", "export.car"),
            ("padded", "padded.car", "padded-cbor.car"),
        ):
            path, size = folder / file, (folder / file).stat().st_size / 1024**2
            new, old = run("read_export", path), run("decode_car", folder / baseline)
            grown = new["peak_mb"] - floor
            print(
                f"{label:7}: {size:6.1f} MB file, {new['count']:,} posts; read_export peak RSS {new['peak_mb']:4.0f} MB"
                f" ({new['peak_mb'] / size:4.2f}x the file; {grown / size:4.2f}x above the floor) in"
                f" {new['seconds']:.2f} s; whole-file decode_car {old['peak_mb']:4.0f} MB"
                f" ({old['peak_mb'] / (folder / baseline).stat().st_size * 1024**2:4.2f}x its file) in"
                f" {old['seconds']:.2f} s; read_export / decode_car: {new['peak_mb'] / old['peak_mb']:.2f}"
            )
            ok &= grown < 2 * size and (label != "export" or new["peak_mb"] < 500)
    print(
        f"targets (peak RSS above the floor < 2x the file; < 500 MB for {args.posts:,} posts):"
        f" {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
