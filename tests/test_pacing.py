"""Pacing: the hourly ceiling on commits (a bucket that bursts), and the Hub's quota read from its RateLimit headers."""

from __future__ import annotations

import functools
import threading
import time

import pytest
from huggingface_hub import HfApi
from huggingface_hub.utils import _http as hf_http

from hf_tweets.cards.templating import reload_templates
from hf_tweets.hub import client, pacing
from hf_tweets.hub import republish as republish_module
from hf_tweets.hub.pacing import CommitBucket, HubQuota

from conftest import REPO_ROOT, republish, seed_repos


class FakeClock:
    """Time that moves only when someone sleeps; each thread wakes at the time it asked for."""

    def __init__(self, start: float = 1000.0):
        self.now, self.sleeps, self.lock, self.seen = start, [], threading.Lock(), {}

    def clock(self) -> float:
        with self.lock:
            self.seen[threading.get_ident()] = self.now
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(seconds)
            woke = self.seen.get(threading.get_ident(), self.now) + seconds
            self.seen[threading.get_ident()] = woke
            self.now = max(self.now, woke)

    def local(self) -> float:
        """The time as the calling thread last saw it (after its own sleeps)."""
        with self.lock:
            return self.seen.get(threading.get_ident(), self.now)


def ratelimit(r: int, t: int, q: int | None = None, w: int | None = None) -> dict:
    headers = {"RateLimit": f'"api";r={r};t={t}'}
    if q is not None:
        headers["RateLimit-Policy"] = f'"fixed window";"api";q={q};w={w}'
    return headers


# -- the hourly ceiling ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("per_hour", "commits", "sleeps"),
    [
        (120, 30, []),  # the 30 cards of a small collection go at once
        (120, 120, []),  # a whole hour's allowance in one burst
        (120, 121, [3600.0]),  # the 121st waits for the first to be an hour old
        (3600, 3602, [3600.0]),  # by then the second is an hour old too: no more waiting
        (0.5, 2, [7200.0]),  # under one an hour: one every two hours
    ],
)
def test_the_bucket_bursts_up_to_the_hourly_allowance(per_hour, commits, sleeps):
    fake = FakeClock()
    bucket = CommitBucket(per_hour, clock=fake.clock, sleep=fake.sleep)
    for _ in range(commits):
        bucket.acquire()
    assert [round(s, 6) for s in fake.sleeps] == sleeps


def test_the_bucket_refills_at_the_quota_rate_and_never_passes_the_hourly_ceiling():
    fake, starts = FakeClock(), []
    bucket = CommitBucket(10, clock=fake.clock, sleep=fake.sleep)
    for i in range(35):
        bucket.acquire()
        starts.append(fake.local())
        fake.sleep(60.0 * (i % 3))  # commits that take a while, unevenly
    assert max(sum(1 for s in starts if start <= s < start + 3600) for start in starts) == 10
    assert len(starts) / ((starts[-1] - starts[0]) / 3600) == pytest.approx(10, rel=0.15)  # ~10 an hour overall


def test_no_pacing_never_sleeps():
    fake = FakeClock()
    bucket = CommitBucket(0, clock=fake.clock, sleep=fake.sleep)
    for _ in range(1000):
        bucket.acquire()
    assert fake.sleeps == [] and bucket.delay(500) == 0.0


@pytest.mark.parametrize(
    ("per_hour", "spent", "more", "delay"),
    [
        (120, 0, 30, 0.0),
        (120, 100, 20, 0.0),
        (120, 100, 21, 3600.0),
        (10, 10, 25, 3 * 3600.0),  # two more bursts of 10, then 5 in the third hour
    ],
)
def test_the_bucket_tells_how_long_more_commits_need(per_hour, spent, more, delay):
    fake = FakeClock()
    bucket = CommitBucket(per_hour, clock=fake.clock, sleep=fake.sleep)
    for _ in range(spent):
        bucket.acquire()
    assert bucket.delay(more) == pytest.approx(delay)


@pytest.mark.parametrize("more", range(1, 13))
def test_the_delay_is_when_the_last_of_that_many_commits_would_start(more):
    def used():
        fake = FakeClock()
        bucket = CommitBucket(5, clock=fake.clock, sleep=fake.sleep)
        for pause in (0, 0, 900, 1800):  # four commits spread over the first half hour
            fake.sleep(pause)
            bucket.acquire()
        fake.sleep(600)
        return fake, bucket

    fake, bucket = used()
    predicted = bucket.delay(more)
    fake, bucket = used()
    now = fake.clock()
    for _ in range(more):
        bucket.acquire()
    assert predicted == pytest.approx(fake.local() - now)


def test_the_bucket_is_shared_by_threads():
    fake, starts, lock = FakeClock(), [], threading.Lock()
    bucket = CommitBucket(20, clock=fake.clock, sleep=fake.sleep)

    def work():
        for _ in range(10):
            bucket.acquire()
            with lock:
                starts.append(fake.local())

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(starts) == [1000.0 + 3600.0 * (i // 20) for i in range(60)]


# -- the Hub's quota ------------------------------------------------------------------------------------


def quota():
    fake = FakeClock()
    return fake, HubQuota(clock=fake.clock, sleep=fake.sleep)


def exchange(hub_quota: HubQuota, headers: dict | None, kind: str = "api") -> None:
    """One request and its answer, in the calling thread."""
    hub_quota.before(kind)
    hub_quota.after(kind, headers or {})


def test_the_hub_quota_is_off_until_the_hub_sends_headers():
    fake, hub_quota = quota()
    for _ in range(1000):
        exchange(hub_quota, None)
    assert fake.sleeps == []


def test_never_more_requests_than_the_hub_says_remain():
    fake, hub_quota = quota()
    exchange(hub_quota, ratelimit(r=3, t=40))
    for _ in range(3):
        hub_quota.before("api")  # three sent, no answer yet
    assert fake.sleeps == []
    hub_quota.before("api")  # the fourth waits for the window to reset
    assert fake.sleeps == [40.0]


def test_remaining_zero_waits_for_the_reset():
    fake, hub_quota = quota()
    exchange(hub_quota, ratelimit(r=0, t=55))
    exchange(hub_quota, None)
    assert fake.sleeps == [55.0]


def test_a_lower_remaining_from_the_hub_wins_over_the_count():
    fake, hub_quota = quota()
    exchange(hub_quota, ratelimit(r=100, t=200))
    exchange(hub_quota, ratelimit(r=1, t=199))  # another client of the same account spent the rest
    exchange(hub_quota, None)
    assert fake.sleeps == []
    hub_quota.before("api")
    assert fake.sleeps == [200.0]  # the later of the two resets: never too early


def test_requests_in_flight_are_counted_against_the_remaining():
    fake, hub_quota = quota()
    started, go = threading.Barrier(3), threading.Event()

    def in_flight():
        hub_quota.before("api")
        started.wait()
        go.wait()

    threads = [threading.Thread(target=in_flight) for _ in range(2)]
    for thread in threads:
        thread.start()
    started.wait()  # two requests sent before ours, not answered yet: the Hub's r may not count them
    exchange(hub_quota, ratelimit(r=3, t=30))
    hub_quota.before("api")  # 3 - 2 in flight = 1 left
    assert fake.sleeps == []
    hub_quota.before("api")
    assert fake.sleeps == [30.0]
    go.set()
    for thread in threads:
        thread.join()


def test_after_the_reset_the_policy_gives_a_full_window():
    fake, hub_quota = quota()
    exchange(hub_quota, ratelimit(r=0, t=10, q=5, w=60))
    for _ in range(5):
        hub_quota.before("api")  # the first waits 10 s, then the window's 5
    assert fake.sleeps == [10.0]
    hub_quota.before("api")  # a sixth waits for the window after that
    assert fake.sleeps == [10.0, 60.0]


def test_without_a_policy_the_reset_lifts_the_limit_until_the_next_answer():
    fake, hub_quota = quota()
    exchange(hub_quota, ratelimit(r=0, t=10))
    for _ in range(20):
        hub_quota.before("api")
    assert fake.sleeps == [10.0]


def test_a_new_window_seen_in_an_answer_replaces_the_old_count():
    fake, hub_quota = quota()
    exchange(hub_quota, ratelimit(r=1, t=2, q=50, w=300))
    fake.sleep(3)  # the window ended
    exchange(hub_quota, ratelimit(r=49, t=299, q=50, w=300))
    for _ in range(49):
        hub_quota.before("api")
    assert fake.sleeps == [3]
    hub_quota.before("api")
    assert fake.sleeps == [3, 299.0]


def test_a_kind_of_request_counts_in_the_window_its_answers_name():
    fake, hub_quota = quota()
    exchange(hub_quota, ratelimit(r=2, t=30), kind="files")  # file downloads counted with the api requests
    hub_quota.before("api")
    hub_quota.before("files")
    assert fake.sleeps == []
    hub_quota.before("api")
    assert fake.sleeps == [30.0]


def test_each_kind_of_request_has_its_own_quota():
    fake, hub_quota = quota()
    exchange(hub_quota, ratelimit(r=0, t=30), kind="api")
    exchange(hub_quota, None, kind="files")
    assert fake.sleeps == []


# -- end to end: the real huggingface_hub client against the loopback Hub ----------------------------------


@pytest.fixture
def fake_hour(monkeypatch):
    """Commits paced by a fake clock (an hour passes in no time); returns it and the commits' start times."""
    fake, starts, lock = FakeClock(), [], threading.Lock()

    class Recording(CommitBucket):
        def acquire(self) -> float:
            waited = super().acquire()
            with lock:
                starts.append(fake.local())
            return waited

    monkeypatch.setattr(
        republish_module, "CommitBucket", functools.partial(Recording, clock=fake.clock, sleep=fake.sleep)
    )
    return fake, starts


@pytest.fixture
def changed(hub, cards, tmp_path, monkeypatch):
    """n repos as an earlier publish left them, then a template change that touches every card."""
    import shutil

    def make(n: int) -> list[str]:
        repos = seed_repos(hub, cards, n)
        folder = tmp_path / "templates"
        shutil.copytree(REPO_ROOT / "templates", folder)
        (folder / "partials" / "about.md.j2").write_text("## About\n\nMaintained by the collection team.\n")
        monkeypatch.setenv("HF_TWEETS_TEMPLATES_DIR", str(folder))
        reload_templates()
        return repos

    yield make
    reload_templates()


class _TimeWith:
    """The time module, but for its sleep."""

    def __init__(self, sleep):
        self.sleep = sleep

    def __getattr__(self, name):
        return getattr(time, name)


@pytest.fixture
def limited(hub, monkeypatch):
    """The loopback Hub with quotas allowed, its windows, the client's quota and its retries on one fake clock
    (a window of 2 s passes in no time); the client's picture of the Hub's windows is forgotten after."""
    pacing.QUOTA.clear()
    fake = FakeClock()
    hub.limits.clock = fake.clock
    monkeypatch.setattr(pacing.QUOTA, "clock", fake.clock)
    monkeypatch.setattr(pacing.QUOTA, "sleep", fake.sleep)
    monkeypatch.setattr(client, "sleep", fake.sleep)
    monkeypatch.setattr(hf_http, "time", _TimeWith(fake.sleep))  # huggingface_hub's own wait on a 429
    yield hub
    hub.limits.reset()
    pacing.QUOTA.clear()


def test_thirty_cards_with_the_quota_left_go_out_without_waiting(run, limited, changed, fake_hour):
    fake, starts = fake_hour
    changed(30)
    limited.limits.set(quota=500, window=300)  # the Hub's headers say most of the window is left
    code, out, err = run("republish", "--jobs", "4")  # the default ceiling, 120 an hour
    assert code == 0 and "30 changed" in out, out + err
    assert starts == [1000.0] * 30 and fake.sleeps == []  # no commit waited for the ceiling
    assert pacing.QUOTA.waits == [] and limited.limits.refused == []  # nor for the Hub
    assert limited.limits.used == 61  # the listing, then validate-yaml and the commit per card


def test_a_large_batch_under_a_small_quota_gets_no_429_and_stays_under_the_ceiling(run, limited, changed, fake_hour):
    fake, starts = fake_hour
    repos = changed(40)
    for repo in repos[::4]:  # edited on the Hub: their README is downloaded (a file request) before the commit
        HfApi().upload_file(path_or_fileobj=b"# Edited by hand\n", path_in_repo="README.md", repo_id=repo)
    limited.limits.set(quota=20, window=2)  # every request counts, in one window
    code, out, err = run("republish", "--jobs", "4", "--max-commits-per-hour", "15", "--force")
    assert code == 0 and "40 changed" in out, out + err
    assert limited.limits.refused == []  # no 429: the client waited for each reset instead
    assert limited.limits.used == 1 + 40 * 2 + 10 and limited.limits.windows >= 5  # 20 requests a window
    assert sorted(starts) == [1000.0] * 15 + [4600.0] * 15 + [8200.0] * 10  # 15 an hour, in bursts
    assert pacing.QUOTA.waits  # the Hub's windows were waited for ...
    assert "; waiting before the next window" in err  # ... and it was said


def test_a_429_the_hub_sends_anyway_is_waited_out(run, limited, cards, changed_template):
    limited.limits.set(quota=1000, window=2)
    limited.limits.spend(1000)  # another client of the account used the window up
    code, out, err = republish(run, "--jobs", "2")
    assert code == 0 and "6 changed" in out, out + err
    assert len(limited.limits.refused) == 1  # the listing, answered 429 before any header was seen
