"""Run the loopback Hub by hand: python -m tests.hub --root DIR --port N"""

import argparse
import time

from .server import LoopbackHub

parser = argparse.ArgumentParser(prog="python -m tests.hub", description=__doc__)
parser.add_argument("--root", required=True, help="folder for the repos (kept between runs)")
parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
args = parser.parse_args()
with LoopbackHub(args.root, args.port) as hub:
    print(hub.url, flush=True)
    print(f"token: {hub.token}", flush=True)
    print(f"use: HF_ENDPOINT={hub.url} HF_HUB_DISABLE_XET=1 HF_TOKEN={hub.token} hf-tweets publish ...", flush=True)
    try:
        while True:
            time.sleep(1)
            hub.store.flush()  # keep state.json current for the next run
    except KeyboardInterrupt:
        pass
