"""Display names come from strangers: whatever they hold, every context of the card stays well-formed."""

from __future__ import annotations

import copy
from html.parser import HTMLParser

import pytest
import yaml
from huggingface_hub import ModelCard
from markdown_it import MarkdownIt

from hf_tweets.cards.check import check_readme_text
from hf_tweets.cards.importer import import_card
from hf_tweets.cards.preview import card_page
from hf_tweets.cards.recordfile import dump_record
from hf_tweets.cards.render import render

from conftest import THREE, TRAINING, make_record

HOSTILE = [
    "</div><script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<style>body{display:none}</style>",
    "a | b | c",
    "`code` and ``` fence",
    "*bold* _em_ **strong** ~~gone~~",
    "[x](javascript:alert(1))",
    "![img](https://evil.example/x.png)",
    "<https://evil.example>",
    "line\nbreak\n\n## heading",
    "key: value # comment",
    "- leading dash",
    "&amp; &lt;b&gt; &#x3C;",
    "\\ backslash \\| escaped pipe",
    "$x^2$ and $$y$$",
    "\u202eevil override\u202c and \u2066isolate\u2069",
    "zero\u200bwidth\u200djoiner\u200c",
    "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
    "👩‍💻 🏳️‍🌈 👼🏻",
    "W" * 200,  # the longest display name a record takes (MAX_NAME)
    "{{ jinja }} {% raw %}",
    "'single' \"double\"",
    "@someone #tag",
]


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((k, v or "") for k, v in attrs)


def rendered_html(text: str) -> _Tags:
    parser = _Tags()
    body = ModelCard(text).text  # the Hub renders the body; the front matter becomes a metadata panel
    parser.feed(MarkdownIt("commonmark", {"html": True}).enable("table").render(body))
    return parser


def hostile_record(name: str):
    data = copy.deepcopy(THREE)
    data["users"][1]["display_name"] = name
    return make_record(data)


@pytest.mark.parametrize("name", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_display_name_stays_inert_and_round_trips(name):
    record = hostile_record(name)
    text = render(record, endpoint="https://huggingface.co")  # the Hub's links, not the loopback Hub's http://
    html = rendered_html(text)
    assert set(html.tags) <= {"div", "p", "h2", "a", "table", "thead", "tbody", "tr", "th", "td", "pre", "code"}
    assert not [k for k, _ in html.attrs if k.startswith("on")]
    assert not [v for k, v in html.attrs if k in ("href", "src") and not v.startswith("https://")]
    assert ModelCard(text).data.to_dict()["tags"][0] == "huggingtweets"  # YAML intact
    assert html.tags.count("th") == 4 and html.tags.count("td") == 5 * 4  # the data table keeps its shape
    assert check_readme_text(text, "README.md") == []
    assert import_card(text) == record
    assert yaml.safe_load(dump_record(record))["users"][1]["display_name"] == record.users[1].display_name


def test_hostile_widget_prompt_stays_in_its_string():
    prompt = "'); import os; os.system('rm -rf /') #"
    text = render(make_record(widget_prompt=prompt))
    assert f"generator({prompt!r}, num_return_sequences=5)" in text
    assert ModelCard(text).data.widget == [{"text": prompt}]
    compile(text.split("```python\n")[1].split("```")[0], "snippet", "exec")  # still valid Python


class _Panel(_Tags):
    """The tags, attributes and text of a preview page's metadata panel."""

    def __init__(self):
        super().__init__()
        self.text: list[str] = []

    def handle_data(self, data):
        self.text.append(data)


def hostile_model_index(value: str) -> str:
    """A card whose model-index holds ``value`` in every text the Hub shows, and in nested front matter too."""
    front, body = render(make_record(training=TRAINING)).split("---\n", 2)[1:]
    meta = yaml.safe_load(front)
    entry = meta["model-index"][0]
    entry["name"] = value
    for result in entry["results"]:
        result["task"] = {"type": value, "name": value}
        result["dataset"] = {"type": value, "name": value, "split": value}
        result["metrics"] = [{"type": value, "name": value, "value": value}]
    meta["datasets"] = [value, "tweets"]
    meta["co2_eq_emissions"] = {value: [{"source": value}]}
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n" + body


PANEL_TAGS = {"h3", "dl", "dt", "dd", "span", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "code", "br"}


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_model_index_is_text_in_the_preview(value):
    """The preview's "Evaluation results" and other nested front matter: whatever they hold is shown as text."""
    page = card_page(hostile_model_index(value), "huggingtweets/pixel_poet")
    panel = _Panel()
    panel.feed(page.split("<aside>", 1)[1])
    assert set(panel.tags) <= PANEL_TAGS
    assert panel.tags.count("table") == 1 and panel.tags.count("tr") == 2  # the header row and one result
    assert [k for k, _ in panel.attrs] == ["class"] * len(panel.attrs)
    text = "".join(panel.text)
    assert text.count(value) >= 8  # task, dataset and metric (name and type), split, value; datasets; the mapping
