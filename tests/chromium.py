"""Headless Chromium driven over the DevTools protocol: load a page, wait for a state, read values from it.

The try-it page's tests and bench/browser_speed.py use it. ``--dump-dom`` cannot wait for a state, and its
virtual time would make the page's own timings meaningless, so this waits on ``document.body.dataset.state``.
Every host name but 127.0.0.1 resolves to nothing (``--host-resolver-rules``): no request leaves loopback.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import time
from pathlib import Path

from websockets.sync.client import connect

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HEADLESS = [  # what every headless run here needs (test_preview's --dump-dom runs too)
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FLAGS = [
    *HEADLESS,
    "--disable-extensions",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--remote-debugging-port=0",
]


class Browser:
    """One Chromium with its own profile folder; ``open`` loads a URL in its page."""

    def __init__(self, profile: Path):
        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and port_file.read_text().count("\n") >= 1):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError("Chromium did not start")
            time.sleep(0.05)
        port = port_file.read_text().split("\n")[0]
        from urllib.request import urlopen

        with urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            page = next(target for target in json.load(answer) if target["type"] == "page")
        self.socket = connect(page["webSocketDebuggerUrl"], max_size=2**26, open_timeout=30).__enter__()
        self.ids = itertools.count(1)
        self.failed: list[str] = []  # requests that failed or were blocked, and console errors
        self.call("Network.enable")
        self.call("Runtime.enable")
        self.call("Page.enable")

    def call(self, method: str, **params):
        """Send one command and return its result; events that come before it are kept in ``failed``."""
        number = next(self.ids)
        self.socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=120))
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            self._event(message)

    def _event(self, message: dict) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.loadingFailed" and not params.get("canceled"):
            self.failed.append(f"request failed: {params.get('errorText')} ({params.get('blockedReason')})")
        elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
            self.failed.append(f"HTTP {params['response']['status']}: {params['response']['url']}")
        elif method == "Runtime.exceptionThrown":
            self.failed.append(f"exception: {params['exceptionDetails'].get('text')}")

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str, states: tuple[str, ...], timeout: float = 120) -> str:
        """Load ``url`` and wait until the body's data-state is one of ``states``; the state."""
        self.failed.clear()
        self.call("Page.navigate", url=url)
        return self.wait(states, timeout, url=url)

    def wait(self, states: tuple[str, ...], timeout: float = 120, *, url: str | None = None) -> str:
        """Wait until the body's data-state is one of ``states`` (on ``url``, when given)."""
        where = f"location.href === {json.dumps(url)}" if url else "true"
        deadline, state = time.monotonic() + timeout, ""
        while time.monotonic() < deadline:
            state = self.evaluate(f"{where} && document.body ? document.body.dataset.state || '' : ''")
            if state in states:
                return state
            time.sleep(0.05)
        raise TimeoutError(f"{url or 'the page'}: it stayed {state!r}, waiting for {states}")

    def close(self) -> None:
        if getattr(self, "socket", None):
            self.socket.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
