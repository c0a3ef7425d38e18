"""preview: cards as the Hub shows them, sanitised, re-rendered on reload; checked in a real headless Chromium."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import threading
import urllib.request
from html.parser import HTMLParser

import pytest

from hf_tweets.cards.preview import card_page, index_page, sanitise, serve
from hf_tweets.cards.recordfile import save_record
from hf_tweets.cards.render import render
from hf_tweets.folders import Folders

from chromium import CHROMIUM, HEADLESS
from conftest import REPO_ROOT, SINGLE, THREE, TRAINING, make_record

HOSTILE = (
    "Evil <img src=x onerror=\"document.body.setAttribute('data-pwned', 1)\">"
    '<script>document.body.setAttribute("data-pwned", 2)</script>'
)


@pytest.mark.parametrize(
    "fragment, kept, gone",
    [
        (
            "<div style=\"width: 92px; border-radius: 50%; background-image: url('https://pbs.twimg.com/a.jpg')\""
            ' title="@a"></div>',
            ["border-radius:50%", "background-image:url", 'title="@a"'],
            [],
        ),
        ('<img src="https://a.example/x.png" onerror="alert(1)">', ['src="https://a.example/x.png"'], ["onerror"]),
        ("<script>alert(1)</script><b>ok</b>", ["<b>ok</b>"], ["<script", "alert(1)"]),
        ('<a href="javascript:alert(1)">x</a>', ["x"], ["javascript:"]),
        ('<iframe src="https://evil.example"></iframe>', [], ["iframe"]),
        ('<div style="position: fixed; top: 0">x</div>', ["x"], ["position"]),
    ],
)
def test_sanitise_keeps_layout_and_drops_active_content(fragment, kept, gone):
    clean = sanitise(fragment).replace(" ", "")
    assert all(k.replace(" ", "") in clean for k in kept) and not any(g in clean for g in gone)


def test_card_page_has_the_metadata_panel_and_tables():
    page = card_page(render(make_record(THREE)), "huggingtweets/alpha-mid_1-zeta_z")
    assert "<h3>Metadata</h3>" in page and '<span class="chip">huggingtweets</span>' in page
    assert "<table>" in page and "<td>Tweets kept</td>" in page


class _Aside(HTMLParser):
    """The metadata panel's rows (dt -> dd text) and the rows of its tables (cells' text), from a card page."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, str] = {}
        self.tables: list[list[list[str]]] = []
        self.tags: set[str] = set()
        self._in, self._key, self._text = False, None, None

    def handle_starttag(self, tag, attrs):
        self._in = self._in or tag == "aside"
        if not self._in:
            return
        self.tags.add(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("dt", "dd", "td", "th"):
            self._text = []
        elif tag in ("br", "li") and self._text is not None:
            self._text.append(" ")

    def handle_endtag(self, tag):
        if not self._in or self._text is None or tag not in ("dt", "dd", "td", "th"):
            self._in = self._in and tag != "aside"
            return
        text = " ".join("".join(self._text).split())
        if tag == "dt":
            self._key = text
        elif tag == "dd":
            self.rows[self._key] = text
        else:
            self.tables[-1][-1].append(text)
        self._text = None

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)


def aside(page: str) -> _Aside:
    parsed = _Aside()
    parsed.feed(page)
    return parsed


EVAL_TABLE = [
    ["Task", "Dataset", "Metric", "Value"],
    [
        "Text Generation text-generation",
        "Tweets of @pixel_poet hf-tweets:huggingtweets/pixel_poet eval",
        "Eval loss loss",
        "3.5 self-reported",
    ],
    [
        "Text Generation text-generation",
        "Tweets of @pixel_poet hf-tweets:huggingtweets/pixel_poet eval",
        "Eval perplexity perplexity",
        "33.12 self-reported",
    ],
]


def test_eval_results_show_as_the_hubs_table():
    """The model-index as the Hub's "Evaluation results": task, dataset, metric (name and type) and value."""
    page = card_page(render(make_record(training=TRAINING)), "huggingtweets/pixel_poet")
    panel = aside(page)
    assert "<h3>Evaluation results</h3>" in page
    assert panel.tables == [EVAL_TABLE]
    assert "model-index" not in panel.rows  # the table says it, not a repr of it
    assert not [text for text in panel.rows.values() if "{" in text or "[" in text]


def test_no_eval_results_no_table():
    page = card_page(render(make_record()), "huggingtweets/pixel_poet")
    assert "Evaluation results" not in page and aside(page).tables == []


NESTED = """---
language:
- en
- fr
tags:
- huggingtweets
datasets:
- tweets-a
- tweets-b
co2_eq_emissions:
  emissions: 12.5
  source: codecarbon
  hardware_used: [cpu, 2 cores]
widget:
- text: My dream is
- text: Je pense que
inference: false
---

# A card
"""


def test_nested_front_matter_reads_as_lists_not_reprs():
    panel = aside(card_page(NESTED, "someone/model"))
    assert panel.rows == {
        "language": "en, fr",
        "tags": "huggingtweets",
        "datasets": "tweets-a, tweets-b",
        "co2_eq_emissions": "emissions: 12.5 source: codecarbon hardware_used: cpu, 2 cores",
        "widget": "My dream is; Je pense que",
        "inference": "false",
    }
    assert {"ul", "li"} <= panel.tags  # the mapping as bullets


def test_card_render_html_writes_the_page(run, tmp_path):
    save_record(make_record(), tmp_path / "cards" / "pixel_poet.yaml")
    save_record(make_record(training=TRAINING), tmp_path / "cards" / "trained.yaml")
    code, _, _ = run("card", "render", "pixel_poet", "--html", "-o", "page.html")
    assert code == 0 and "<h3>Metadata</h3>" in (tmp_path / "page.html").read_text()
    code, _, _ = run("card", "render", "trained", "--html", "-o", "trained.html")
    assert code == 0 and aside((tmp_path / "trained.html").read_text()).tables == [EVAL_TABLE]


@pytest.fixture
def server(tmp_path, monkeypatch):
    """The preview server on a free port, over a cards folder with a one-user and a three-user card."""
    cards = tmp_path / "cards"
    hostile = copy.deepcopy(THREE)
    hostile["users"][1]["display_name"] = HOSTILE
    save_record(make_record(training=TRAINING), cards / "pixel_poet.yaml")
    save_record(make_record(hostile), cards / "alpha-mid_1-zeta_z.yaml")
    templates = tmp_path / "templates"
    shutil.copytree(REPO_ROOT / "templates", templates)
    monkeypatch.setenv("HF_TWEETS_TEMPLATES_DIR", str(templates))
    started = threading.Event()
    found = {}
    threading.Thread(
        target=serve,
        args=([], Folders.resolve(cards=cards)),
        kwargs={"ready": lambda url: (found.update(url=url), started.set())},
        daemon=True,
    ).start()
    started.wait(10)
    return found["url"], cards, templates


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def test_index_and_reload_show_edits(server):
    url, cards, templates = server
    index = get(url)
    assert 'href="/card/pixel_poet"' in index and "Pixel Poet" in index and "2,500 tweets kept" in index
    assert "not published" in index
    assert "Pixel Poet" in get(url + "card/pixel_poet")
    record = make_record(SINGLE | {"users": [SINGLE["users"][0] | {"display_name": "Renamed Poet"}]})
    save_record(record, cards / "pixel_poet.yaml")
    assert "Renamed Poet" in get(url + "card/pixel_poet")  # a record edit shows on reload
    about = templates / "partials" / "about.md.j2"
    about.write_text("## About\n\nPreviewed by the collection team.\n", encoding="utf-8")
    os.utime(about, ns=(about.stat().st_mtime_ns + 10**9,) * 2)
    assert "Previewed by the collection team." in get(url + "card/pixel_poet")  # so does a template edit


class _Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.avatars = 0
        self.cells: list[str] = []
        self.body_attrs: dict = {}
        self.texts: list[str] = []
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.body_attrs = attrs
        if tag == "div" and "border-radius:50%" in (attrs.get("style") or "").replace(" ", ""):
            self.avatars += 1
        if tag in ("td", "th"):
            self._cell = []
        if tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        self.texts.append(data)
        if self._cell is not None:
            self._cell.append(data)


FLAGS = HEADLESS


@pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("CI") != "true", reason="Chromium is not installed (.ci/run installs it)"
)
@pytest.mark.parametrize(
    "name, avatars, header_cells, evals",
    [
        ("pixel_poet", 1, ["Data", "Pixel Poet"], EVAL_TABLE),
        ("alpha-mid_1-zeta_z", 3, ["Data", "Zeta", HOSTILE, "Mid 🌙"], []),
    ],
)
@pytest.mark.slow
def test_in_a_real_browser(server, tmp_path, name, avatars, header_cells, evals):
    assert CHROMIUM, "Chromium is missing: .ci/run installs the Debian packages chromium and chromium-driver"
    url, _, _ = server
    profile = tmp_path / f"chromium-{name}"
    common = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=3000"]
    dom = subprocess.run(
        [*common, "--dump-dom", url + f"card/{name}"], capture_output=True, text=True, timeout=120
    ).stdout
    shot = tmp_path / f"{name}.png"
    subprocess.run(
        [*common, "--window-size=1200,1600", f"--screenshot={shot}", url + f"card/{name}"],
        capture_output=True,
        timeout=120,
    )
    parsed = _Dom()
    parsed.feed(dom)
    assert parsed.avatars == avatars
    page_text = " ".join(" ".join(parsed.texts).split())
    assert ("AI CYBORG" if avatars > 1 else "AI BOT") in page_text
    assert all(" ".join(name.split()) in page_text for name in header_cells[1:])  # the names, as text
    assert parsed.cells[: len(header_cells)] == header_cells  # the data table's header row, hostile name as text
    assert "Tweets kept" in parsed.cells
    assert "data-pwned" not in parsed.body_attrs  # no script from a display name ran
    shown = [" ".join(cell.split()) for cell in parsed.cells]
    cells = [cell for row in evals for cell in row]
    assert ("Evaluation results" in page_text) == bool(evals) and shown[len(shown) - len(cells) :] == cells
    assert shot.exists() and shot.stat().st_size > 10_000


@pytest.mark.parametrize(
    "platforms, words",
    [
        (["x"], "tweets kept"),
        (["bluesky"], "posts kept"),
        (["mastodon"], "posts kept"),
        (["x", "bluesky"], "posts kept"),
    ],
)
def test_the_index_counts_posts_in_the_platforms_words(platforms, words):
    """A Bluesky card's tile says "posts kept", as its card does: "tweets" is X's word."""
    handles = {"x": "pixel_poet", "bluesky": "pixel.bsky.social", "mastodon": "pixel@mastodon.social"}
    users = [SINGLE["users"][0] | {"handle": handles[p], "platform": p} for p in platforms]
    record = make_record(SINGLE | {"users": users})
    index = index_page([("pixel_poet", record, "")])
    kept = sum(u.counts.kept for u in record.users)
    assert f"{kept:,} {words}" in index and ("tweets kept" in index) == (words == "tweets kept")
