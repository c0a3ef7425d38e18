"""Pacing Hub calls: an hourly ceiling on commits, and the Hub's own request quota read from its answers.

Two gates, each thread-safe, with an injectable clock and sleep:

* ``CommitBucket``: at most ``per_hour`` commits in any rolling hour (``--max-commits-per-hour``).
  It is a bucket of ``per_hour`` tokens, each coming back an hour after it was spent: a batch
  with the hour's allowance left goes out at once, a longer one in bursts, on average at the
  quota's rate. (A bucket refilled continuously could not be a hard ceiling: it allows its
  burst plus an hour of refill within one hour.)
* ``HubQuota`` (one per process, ``QUOTA``): the Hub counts requests per fixed window (5 minutes)
  and says where each answer stands: ``RateLimit: "api";r=R;t=T`` (R left, reset in T s) and
  ``RateLimit-Policy: "fixed window";"api";q=Q;w=W``, read with huggingface_hub's
  ``parse_ratelimit_headers``. Before each request to the Hub, the gate counts it against what
  the Hub last said remains, less what was sent since and what was in flight then (so
  answers arriving out of order never let it overspend); at 0 it waits for the reset, after
  which the policy's Q is available (or, with no policy, nothing is assumed until the next
  answer). Each window is the resource the headers name ("api", "resolvers"); a kind of request
  (``/api/...``, files) counts in the one its answers named (its own until they say).

``install`` hooks ``QUOTA`` into huggingface_hub's shared HTTP session (event hooks on the
client ``get_session`` returns; ``hub.client`` calls it), so every Hub call of hf-tweets, its
own and those huggingface_hub makes for it, is seen. Only the RateLimit headers are read:
nothing here sees, logs or keeps the token.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from huggingface_hub.utils import get_session, parse_ratelimit_headers

from hf_tweets import settings

HOUR = 3600.0
ROUNDING = 1.0  # the Hub's T is in whole seconds: two answers of one window differ by up to this
log = logging.getLogger("hf_tweets.hub")


class CommitBucket:
    """At most ``per_hour`` commits in any rolling hour, in bursts (0: no limit); shared by the worker threads."""

    def __init__(
        self,
        per_hour: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        # fractional quotas: n tokens per n/per_hour hours (0.5 an hour: one every two hours)
        self.size = max(1, int(per_hour)) if per_hour > 0 else 0
        self.period = HOUR * self.size / per_hour if per_hour > 0 else 0.0
        self.spent: deque[float] = deque(maxlen=self.size or 1)  # when the last `size` tokens were spent
        self.clock, self.sleep, self.lock = clock, sleep, threading.Lock()

    def acquire(self) -> float:
        """Wait for a token (the ceiling's turn); return the seconds waited."""
        if not self.size:
            return 0.0
        with self.lock:
            now = self.clock()
            start = self._next(self.spent, now)
            self.spent.append(start)  # reserved now, so the threads never take the same token
        if start > now:
            self.sleep(start - now)
        return max(0.0, start - now)

    def _next(self, spent: deque[float], now: float) -> float:
        """When the next token is free: now while fewer than `size` were spent in the last period."""
        return now if len(spent) < self.size else max(now, spent[0] + self.period)

    def delay(self, commits: int) -> float:
        """Seconds until ``commits`` more could have started (for an ETA)."""
        if not self.size or commits <= 0:
            return 0.0
        with self.lock:
            now, spent = self.clock(), list(self.spent)
        # the last of them takes the token of the `size`-th commit before it, `cycles` periods on
        cycles, position = divmod(commits - 1, self.size)
        unspent = self.size - len(spent)  # tokens never spent: free now
        first = now if position < unspent else max(now, spent[position - unspent] + self.period)
        return first + cycles * self.period - now


@dataclass
class _Window:
    """What the gate knows of one of the Hub's windows (one resource: "api", "resolvers")."""

    remaining: int | None = None  # a count the Hub will accept for sure; None: unknown (no limit assumed)
    reset_at: float = 0.0
    limit: int | None = None  # the policy's Q and W, once the Hub said them
    seconds: int | None = None
    sent: int = 0  # requests sent, ever
    in_flight: dict[int, tuple[int, int]] = field(default_factory=dict)  # thread -> (its request's number, others then)
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))  # when the last requests were sent
    announced: float = 0.0  # the reset whose wait was last announced


class HubQuota:
    """What the Hub's RateLimit headers said remains in each window; requests wait rather than overspend."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.clock, self.sleep, self.lock = clock, sleep, threading.Lock()
        self.windows: dict[str, _Window] = {}  # by resource
        self.resource_of: dict[str, str] = {}  # kind of request -> the resource its answers named
        self.waits: list[float] = []  # every thread's every wait, in seconds (for reports and tests)
        self.exhausted = 0  # windows that ran out before they reset

    def clear(self) -> None:
        """Forget what the Hub said (tests, a new account)."""
        with self.lock:
            self.windows.clear()
            self.resource_of.clear()
            self.waits.clear()
            self.exhausted = 0

    def before(self, kind: str) -> None:
        """Count one request of ``kind`` about to be sent, waiting first for the reset if none remains."""
        while (wait := self._take(kind)) > 0:
            self.sleep(wait)

    def _take(self, kind: str) -> float:
        with self.lock:
            resource = self.resource_of.get(kind, kind)
            window, now = self.windows.setdefault(resource, _Window()), self.clock()
            if window.remaining is not None and now >= window.reset_at:
                self._roll(window, now)
            if window.remaining is not None and window.remaining <= 0:
                wait = window.reset_at - now
                self.waits.append(wait)
                if window.announced != window.reset_at:
                    window.announced, self.exhausted = window.reset_at, self.exhausted + 1
                    log.warning(
                        "the Hub's %s request quota is spent%s; waiting before the next window (%.0f s)",
                        resource,
                        f" ({window.limit} every {window.seconds} s)" if window.limit else "",
                        wait,
                    )
                return wait
            window.sent += 1
            me, alive = threading.get_ident(), {thread.ident for thread in threading.enumerate()}
            for thread in [t for t in window.in_flight if t not in alive]:  # a thread that died mid-request
                del window.in_flight[thread]
            others = sum(1 for thread in window.in_flight if thread != me)  # (a thread sends one request at a time)
            window.in_flight[me] = (window.sent, others)
            window.recent.append(now)
            if window.remaining is not None:
                window.remaining -= 1
            return 0.0

    @staticmethod
    def _roll(window: _Window, now: float) -> None:
        """The window has reset: the policy's allowance, less what may already count in the new window."""
        if window.limit is None or not window.seconds:
            window.remaining = None  # nothing assumed until the next answer says
            return
        opened = window.reset_at - ROUNDING  # the true reset may have come up to a rounding earlier
        window.remaining = window.limit - sum(1 for sent in window.recent if sent >= opened)
        window.reset_at += window.seconds * max(1, math.ceil((now - window.reset_at) / window.seconds))

    def after(self, kind: str, headers: Mapping[str, str]) -> None:
        """Take in an answer's RateLimit headers (an answer without them changes nothing)."""
        info = parse_ratelimit_headers(headers)
        with self.lock:
            sent_in = self.windows.setdefault(self.resource_of.get(kind, kind), _Window())
            number, others = sent_in.in_flight.pop(threading.get_ident(), (sent_in.sent, len(sent_in.in_flight)))
            if info is None:
                return
            self.resource_of[kind] = info.resource_type
            window, now = self.windows.setdefault(info.resource_type, _Window()), self.clock()
            if window is not sent_in:  # first answer of this kind: its number in its new window is unknown
                number, others = window.sent, len(window.in_flight)
            if info.limit is not None:
                window.limit, window.seconds = info.limit, info.window_seconds
            # the Hub's count, less what it may not have seen yet: sent after this request, or in flight then
            certain = max(0, info.remaining - (window.sent - number) - others)
            reset_at = now + info.reset_in_seconds
            if window.remaining is None or now >= window.reset_at or reset_at > window.reset_at + ROUNDING:
                window.remaining, window.reset_at = certain, reset_at  # a new window
            else:
                window.remaining = min(window.remaining, certain)
                window.reset_at = max(window.reset_at, reset_at)


QUOTA = HubQuota()
_install_lock = threading.Lock()


def _kind(url) -> str | None:
    """The window a request to the Hub counts in ("api" or "files"); None for other hosts (LFS storage)."""
    hub = urlsplit(settings.hub_endpoint())
    if (url.scheme, url.host, url.port or None) != (hub.scheme, hub.hostname, hub.port or None):
        return None
    return "api" if url.path.startswith("/api/") else "files"


def _on_request(request) -> None:
    if (kind := _kind(request.url)) is not None:
        QUOTA.before(kind)


def _on_response(response) -> None:
    if (kind := _kind(response.request.url)) is not None:
        QUOTA.after(kind, response.headers)


def install() -> None:
    """Pace every request of huggingface_hub's shared session by ``QUOTA`` (idempotent; again after a new session)."""
    with _install_lock:
        session = get_session()
        hooks = session.event_hooks
        if _on_request not in hooks["request"]:
            session.event_hooks = {
                "request": [*hooks["request"], _on_request],
                "response": [*hooks["response"], _on_response],
            }
