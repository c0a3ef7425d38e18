"""preview under attack: hostile paths and Host headers, records that do not load, a burst of requests.

A victim record and a non-record file sit outside the cards folder, and a non-record file and two
records that fail inside the YAML parser sit inside it; no answer may carry any of their values.
"""

from __future__ import annotations

import copy
import html
import http.client
import shutil
import socketserver
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from hf_tweets.cards import preview
from hf_tweets.cards.preview import serve
from hf_tweets.cards.recordfile import load_record
from hf_tweets.errors import HfTweetsError, UnsafePathError
from hf_tweets.folders import Folders
from hf_tweets.fsutil import child

from conftest import REPO_ROOT, SINGLE, THREE

NON_RECORD = "secret: VICTIM-SECRET-5678\nusers: VICTIM-SECRET-5678\n"  # users: makes validation quote the value
HUGE = "7" * 5000
PLANTED = ["VICTIM-SECRET-1234", "VICTIM-SECRET-5678", "2021-02-30", "7" * 40]


def _write(path: Path, data: dict | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _victim() -> dict:
    data = copy.deepcopy(SINGLE)
    data["users"][0]["display_name"] = "VICTIM-SECRET-1234"
    return data


def _start(cards: Path, names: list[str] | None = None) -> int:
    started = threading.Event()
    found = {}
    threading.Thread(
        target=serve,
        args=(names or [], Folders.resolve(cards=cards)),
        kwargs={"ready": lambda url: (found.update(url=url), started.set())},
        daemon=True,
    ).start()
    assert started.wait(10), "the preview server did not start"
    return int(found["url"].rstrip("/").rsplit(":", 1)[1])


@pytest.fixture
def site(tmp_path, monkeypatch) -> tuple[int, Path]:
    """The preview server over cards/ with two good records and three that fail; victims in other/."""
    cards, other = tmp_path / "cards", tmp_path / "other"
    _write(cards / "pixel_poet.yaml", SINGLE)
    _write(cards / "alpha-mid_1-zeta_z.yaml", THREE)
    _write(cards / "secret.yaml", NON_RECORD)
    _write(cards / "baddate.yaml", yaml.safe_dump(SINGLE, sort_keys=False) + "training:\n  oldest_tweet: 2021-02-30\n")
    _write(
        cards / "bigcount.yaml",
        yaml.safe_dump(SINGLE, sort_keys=False).replace("downloaded: 3200", f"downloaded: {HUGE}"),
    )
    _write(other / "victim.yaml", _victim())
    _write(other / "secret.yaml", NON_RECORD)
    templates = tmp_path / "templates"
    shutil.copytree(REPO_ROOT / "templates", templates)
    monkeypatch.setenv("HF_TWEETS_TEMPLATES_DIR", str(templates))
    return _start(cards), other


def fetch(port: int, path: str, hosts: tuple[str, ...] | None = None) -> tuple[int, str, str]:
    """GET a raw path with exactly these Host headers (default: 127.0.0.1:PORT); (status, content type, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        for host in (f"127.0.0.1:{port}",) if hosts is None else hosts:
            conn.putheader("Host", host)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def assert_nothing_planted(body: str) -> None:
    leaked = [value for value in PLANTED if value in body]
    assert not leaked, f"the answer quotes {leaked}"
    assert "Traceback" not in body


@pytest.mark.parametrize(
    "path, status, shown",
    [
        ("/", 200, "Pixel Poet"),
        ("/card/pixel_poet", 200, "Pixel Poet"),
        ("/card/pixel_poet?x=1", 200, "Pixel Poet"),
        ("/card/pixel%5Fpoet", 200, "Pixel Poet"),  # percent-encoded letters of a good name are fine
        ("/card/nope", 404, "nope"),
        ("/card/pixel_poet.yaml", 404, "pixel_poet.yaml"),
        ("/elsewhere", 404, "not found"),
        ("/card/secret", 500, "hf-tweets card check"),  # a non-record in the folder: named, not quoted
        ("/card/baddate", 500, "hf-tweets card check"),  # 2021-02-30 fails inside the YAML parser
        ("/card/bigcount", 500, "hf-tweets card check"),  # so does a 5,000-digit number
        ("/card/../other/victim", 400, "bad name"),
        ("/card/..%2Fother%2Fvictim", 400, "bad name"),
        ("/card/%2E%2E%2Fother%2Fvictim", 400, "bad name"),
        ("/card/../other/secret", 400, "bad name"),
        ("/card/{other}/victim", 400, "bad name"),  # /card//tmp/...: an absolute path
        ("/card/{other_quoted}%2Fvictim", 400, "bad name"),
        ("/card/{other_quoted}%2Fsecret", 400, "bad name"),
        ("/card/%00", 400, "bad name"),
        ("/card/pixel_poet%00", 400, "bad name"),
        ("/card/" + "a" * 300, 400, "bad name"),
        ("/card/" + "a" * 97, 400, "bad name"),
        ("/card/", 400, "bad name"),
        ("/card/.hidden", 400, "bad name"),
        ("/card/a/b", 400, "bad name"),
        ("/card/%ff%fe", 400, "bad name"),
    ],
)
def test_a_hostile_path_gets_its_status_and_no_file_content(site, path, status, shown):
    port, other = site
    path = path.format(other=other, other_quoted=quote(str(other), safe=""))
    got, content_type, body = fetch(port, path)
    assert (got, content_type) == (status, "text/html; charset=utf-8")
    assert shown in body
    assert_nothing_planted(body)


def test_the_index_lists_good_records_beside_ones_that_do_not_load(site):
    port, _ = site
    status, _, body = fetch(port, "/")
    assert status == 200
    assert 'href="/card/pixel_poet"' in body and "Alpha &amp; Omega" in body and "hf-tweets cards (5)" in body
    for name in ("secret", "baddate", "bigcount"):
        assert f"<b>{name}</b><p>unreadable: does not load; run hf-tweets card check " in body
    assert_nothing_planted(body)


def test_the_index_lists_a_file_whose_name_is_no_record_name_without_a_link(site, tmp_path):
    port, _ = site
    _write(tmp_path / "cards" / "my card.yaml", SINGLE)
    status, _, body = fetch(port, "/")
    assert status == 200 and "hf-tweets cards (6)" in body
    assert "<b>my card</b><p>unreadable: " in body and 'href="/card/my' not in body


@pytest.mark.parametrize("page", ["/", "/card/pixel_poet"])
def test_an_unexpected_error_answers_500_without_its_text(site, monkeypatch, page):
    port, _ = site

    def broken(*args, **kwargs):
        raise RuntimeError("VICTIM-SECRET-1234 from deep inside")

    monkeypatch.setattr(preview, "index_page", broken)
    monkeypatch.setattr(preview, "card_page", broken)
    status, content_type, body = fetch(port, page)
    assert (status, content_type) == (500, "text/html; charset=utf-8")
    assert "RuntimeError" not in body and "deep inside" not in body
    assert_nothing_planted(body)
    monkeypatch.undo()
    assert fetch(port, "/card/pixel_poet")[0] == 200  # the server still answers


@pytest.mark.parametrize(
    "hosts, status",
    [
        (("127.0.0.1:{port}",), 200),
        (("127.0.0.1",), 200),
        (("localhost:{port}",), 200),
        (("localhost",), 200),
        (("[::1]:{port}",), 200),
        (("[::1]",), 200),
        (("evil.example",), 400),
        (("evil.example:{port}",), 400),
        (("127.0.0.1.evil.example:{port}",), 400),  # DNS rebinding names the attacker's host
        (("localhost.evil.example",), 400),
        (("evil.localhost",), 400),
        (("127.0.0.1:{port}@evil.example",), 400),
        (("127.0.0.1:http",), 400),
        (("::1",), 400),
        (("",), 400),
        ((), 400),  # no Host at all
        (("127.0.0.1:{port}", "evil.example"), 400),  # two of them
    ],
)
def test_only_loopback_host_names_are_served(site, hosts, status):
    port, _ = site
    got, content_type, body = fetch(port, "/card/pixel_poet", tuple(h.format(port=port) for h in hosts))
    assert got == status
    if status == 200:
        assert "Pixel Poet" in body
    else:
        assert content_type == "text/plain; charset=utf-8" and len(body) < 200
        assert "<" not in body and "Pixel Poet" not in body and "pixel_poet" not in body


def test_a_burst_of_200_requests_is_all_answered(site):
    """http.server's listen queue of 5 dropped some of these; every one must get its page."""
    port, _ = site
    count = 200
    go = threading.Barrier(count)
    statuses: list[object] = []

    def one() -> None:
        try:
            go.wait(timeout=60)
            statuses.append(fetch(port, "/card/pixel_poet")[0])
        except Exception as error:  # recorded, so the assertion shows what went wrong
            statuses.append(repr(error))

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * count, sorted({str(s) for s in statuses})


@pytest.fixture
def no_listening(monkeypatch) -> list:
    """serve_forever records that it was reached and returns at once."""
    reached: list = []
    monkeypatch.setattr(socketserver.BaseServer, "serve_forever", lambda self, *a, **k: reached.append(self))
    return reached


@pytest.mark.parametrize(
    "name", ["../other/victim", "/tmp/x", "a/b", "..", ".hidden", "", "a" * 300, "x\x00y", "my card"]
)
def test_a_bad_name_on_the_command_line_stops_before_the_server(run, tmp_path, no_listening, name):
    cards = tmp_path / "cards"
    with pytest.raises(UnsafePathError) as error:
        child(cards, name, ".yaml")
    code, _, err = run("preview", "pixel_poet", name, "--cards-dir", str(cards))
    assert (code, err) == (1, f"hf-tweets: error: {' '.join(error.value.line().split())}\n") and not no_listening


def test_a_good_name_on_the_command_line_starts_the_server(run, tmp_path, no_listening):
    code, _, err = run("preview", "pixel_poet", "a..b", "--cards-dir", str(tmp_path / "cards"))
    assert code == 0 and len(no_listening) == 1 and "previewing cards at http://127.0.0.1:" in err


def test_an_index_reason_is_the_errors_reason_not_a_piece_of_its_text(tmp_path):
    """A cards folder whose path holds ': ' kept only part of the path when the text was split."""
    cards = tmp_path / "a: b" / "cards"
    _write(cards / "pixel_poet.yaml", SINGLE)
    port = _start(cards, ["pixel_poet", "nope"])
    with pytest.raises(HfTweetsError) as error:
        load_record(cards / "nope.yaml")
    status, _, body = fetch(port, "/")
    assert status == 200 and "Pixel Poet" in body
    assert f"<b>nope</b><p>unreadable: {html.escape(error.value.reason())}</p>" in body
