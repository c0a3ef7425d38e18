"""Request quotas of the loopback Hub, and the RateLimit headers the real Hub sends.

Off unless a test sets a quota (``hub.limits.set(quota=20, window=2)``). The subset:

* a **fixed window**: the first counted request opens a window of ``window`` seconds in which
  ``quota`` requests are served; the window after it opens with the next counted request;
* which requests count: all of them (``only=None``, as the Hub counts its "api" requests), or those
  whose ``"METHOD path"`` matches the regex ``only`` (e.g. ``r"POST /api/models/.+/commit/"``);
* every answer to a counted request carries ``RateLimit: "api";r=R;t=T`` (R requests left in the
  window after this one, T whole seconds until it resets, rounded up) and
  ``RateLimit-Policy: "fixed window";"api";q=Q;w=W``, as parsed by huggingface_hub's
  ``parse_ratelimit_headers``; answers to uncounted requests carry neither;
* a request over the quota is answered 429 with those headers (``r=0``), ``Retry-After: T`` and the
  Hub's JSON error body, and is logged in ``refused`` ((method, path) pairs); it is not counted.

``spend(n)`` uses up part of the window as another client of the same account would; ``used`` is
the number of counted requests since ``set``, ``windows`` the number of windows opened. Windows
run on ``clock`` (``time.monotonic`` until a test gives a fake one; ``reset`` gives it back).
"""

from __future__ import annotations

import math
import re
import threading
import time


class State:
    """The quota in force (none by default)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.quota: int | None = None
            self.window, self.only, self.resource = 300, None, "api"
            self.ends, self.left = 0.0, 0  # the current window: when it ends, requests left in it
            self.used, self.windows = 0, 0
            self.refused: list[tuple[str, str]] = []
            self.clock = time.monotonic  # a test may give the Hub a fake clock (the client's quota with it)

    def set(self, quota: int, window: int = 300, only: str | None = None, resource: str = "api") -> None:
        """Serve at most ``quota`` counted requests per ``window`` seconds from now on."""
        with self.lock:
            self.quota, self.window, self.resource = quota, window, resource
            self.only = re.compile(only) if only else None
            self.ends, self.left, self.used, self.windows = 0.0, 0, 0, 0

    def spend(self, requests: int) -> None:
        """Count ``requests`` made by someone else in the current window (opening one if needed)."""
        with self.lock:
            self._roll(self.clock())
            self.left = max(0, self.left - requests)

    def _roll(self, now: float) -> None:
        if now >= self.ends:
            self.ends, self.left, self.windows = now + self.window, self.quota, self.windows + 1

    def refuse(self, handler, method: str) -> bool:
        """Answer the request with a 429 (and return True) when it is over the quota."""
        handler.ratelimit = None
        if self.quota is None or (self.only and not self.only.search(f"{method} {handler.raw_path}")):
            return False
        with self.lock:
            now = self.clock()
            self._roll(now)
            handler.ratelimit = (self.left - 1 if self.left else 0, self.ends)
            if self.left:
                self.left -= 1
                self.used += 1
                return False
            self.refused.append((method, handler.path))
        wait = self.headers(handler)["RateLimit"].rsplit("=", 1)[1]
        handler._json({"error": "You have exceeded our rate limits. Please retry later."}, 429, {"Retry-After": wait})
        return True

    def headers(self, handler) -> dict:
        """Headers every answer carries (RateLimit, RateLimit-Policy) while a quota is set."""
        counted = getattr(handler, "ratelimit", None)
        if self.quota is None or counted is None:
            return {}
        remaining, ends = counted
        reset = max(0, math.ceil(ends - self.clock()))
        return {
            "RateLimit": f'"{self.resource}";r={remaining};t={reset}',
            "RateLimit-Policy": f'"fixed window";"{self.resource}";q={self.quota};w={self.window}',
        }
