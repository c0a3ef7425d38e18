"""The try-it page (browser/page/) and ``hf-tweets demo``: the server's answers, and the page in headless Chromium.

The browser tests share one exported tiny GPT-2 (2 layers, greedy generation_config.json) and one Chromium; each
page load checks several things. Chromium resolves no host but 127.0.0.1, and every request the demo servers get
is logged: the page reaches nothing else and fails to load nothing.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import quote

import pytest

from hf_tweets.browser import demo
from hf_tweets.browser.manifest import FILE
from hf_tweets.cards.recordfile import save_record
from hf_tweets.folders import Folders

from chromium import CHROMIUM, Browser
from conftest import REPO_ROOT, SINGLE, make_record
from tiny_model import build_tiny_model

DIST = REPO_ROOT / "web" / "node_modules" / "@huggingface" / "transformers" / "dist"
WASM = REPO_ROOT / "web" / "node_modules" / "onnxruntime-web" / "dist"
HOSTILE = (
    "Evil <img src=x onerror=\"document.body.setAttribute('data-pwned', 1)\">"
    "<script>document.body.dataset.pwned=2</script>"
)
STEPS = 12
STATES = ("done", "error", "refused", "unavailable", "listed")


def model_folder(folder: Path, *, onnx: bool = False) -> Path:
    """A tiny model folder (no export unless ``onnx``) with a greedy generation_config.json."""
    build_tiny_model(folder)
    config = folder / "generation_config.json"
    values = json.loads(config.read_text()) | {"do_sample": False, "max_new_tokens": STEPS}
    config.write_text(json.dumps({k: v for k, v in values.items() if k not in ("max_length", "top_p")}))
    if onnx:
        from transformers import AutoModelForCausalLM

        from hf_tweets.browser.onnx import export, quantize

        quantize(
            export(AutoModelForCausalLM.from_pretrained(folder), folder / "onnx"),
            folder / "onnx" / "model_quantized.onnx",
        )
    return folder


def start(site: demo.Site) -> tuple[str, list[tuple[str, int]]]:
    """``site`` served on a thread; its URL (with ?bot=) and the log of (path, status) it answered."""
    seen, found, ready = [], {}, threading.Event()
    threading.Thread(
        target=demo.serve,
        args=(site,),
        kwargs={"ready": lambda url: (found.update(url=url), ready.set()), "log": lambda *entry: seen.append(entry)},
        daemon=True,
    ).start()
    assert ready.wait(10)
    return found["url"], seen


def get(url: str, path: str, host: str | None = None) -> tuple[int, bytes]:
    """A raw GET (http.client sends ``path`` as it is: no client-side ``..`` folding)."""
    port = int(url.split(":")[2].split("/")[0])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Host": host} if host else {})
    answer = connection.getresponse()
    body = answer.read()
    connection.close()
    return answer.status, body


# -- the command and the server, without a browser ----------------------------------------------------------------


@pytest.mark.parametrize(
    "setup, target, message",
    [
        (lambda: None, "nope", "no folder nope nor out/nope; give a model folder"),
        (
            lambda: Path("empty").mkdir(),
            "empty",
            "empty: holds no model (no config.json, tokenizer.json)",
        ),
        (
            lambda: (Path("out/half").mkdir(parents=True), Path("out/half/config.json").write_text("{}")),
            "half",
            "out/half: holds no model (no tokenizer.json)",
        ),
    ],
)
def test_demo_refuses_what_is_not_a_model(run, setup, target, message):
    setup()
    code, out, err = run("demo", target)
    assert code == 1 and out == "" and message in err and len(err.strip().splitlines()) == 1


def test_demo_refuses_a_transformers_js_folder_without_the_bundle(run, tmp_path, monkeypatch):
    model_folder(tmp_path / "bot")
    monkeypatch.setenv("HF_TWEETS_TRANSFORMERS_JS", str(tmp_path))
    code, _, err = run("demo", str(tmp_path / "bot"))
    assert code == 1 and "HF_TWEETS_TRANSFORMERS_JS: no transformers.min.js in" in err and "unset it" in err


@pytest.fixture(scope="module")
def plain_site(tmp_path_factory):
    """A demo site over a model folder without onnx/ and with a card record of the same name."""
    root = tmp_path_factory.mktemp("plain")
    model_folder(root / "out" / "pixel_poet")
    save_record(make_record(SINGLE, consent="self"), root / "cards" / "pixel_poet.yaml")
    return demo.site("pixel_poet", Folders.resolve(cards=root / "cards", out=root / "out"))


def test_manifest_of_a_folder_without_onnx(plain_site):
    manifest = json.loads(plain_site.manifest.to_json())
    assert manifest["bots"] == [
        {
            "id": "pixel_poet",
            "title": "Pixel Poet",
            "accounts": ["@pixel_poet"],
            "card": "",
            "consent": "These tweets were shared by the account holder: they come from an export of their own account.",
            "onnx": False,
        }
    ]
    assert manifest["local_models"] == "/models/" and manifest["library"].startswith("https://cdn.jsdelivr.net/npm/")
    assert demo.missing_onnx_hint(plain_site) == (
        f"{plain_site.folder} has no onnx/model_quantized.onnx; add the browser copy with hf-tweets onnx pixel_poet"
    )


@pytest.mark.parametrize(
    "path, status",
    [
        ("/models/pixel_poet/config.json", 200),
        ("/models/pixel_poet/../pixel_poet/config.json", 404),
        ("/models/pixel_poet/../../cards/pixel_poet.yaml", 404),
        ("/models/pixel_poet/%2e%2e/%2e%2e/cards/pixel_poet.yaml", 404),
        ("/models/pixel_poet/..%2f..%2fcards/pixel_poet.yaml", 404),
        ("/models/pixel_poet//etc/passwd", 404),
        ("/models/pixel_poet/%00config.json", 404),
        ("/models/other/config.json", 404),
        ("/../../etc/passwd", 404),
        ("/app.js", 200),
        (f"/{FILE}", 200),
    ],
)
def test_the_server_serves_only_its_folders(plain_site, path, status):
    url, seen = start(plain_site)
    code, body = get(url, path)
    assert code == status and seen == [(path, status)]
    if path.endswith("config.json") and status == 200:
        assert body == (plain_site.folder / "config.json").read_bytes()


def test_the_server_answers_only_to_loopback_names(plain_site):
    url, _ = start(plain_site)
    assert get(url, "/", host="attacker.example:8080") == (400, demo.WRONG_HOST)
    assert get(url, "/", host="localhost:1")[0] == 200


# -- the page in Chromium --------------------------------------------------------------------------------------------

needs_chromium = pytest.mark.skipif(
    (CHROMIUM is None or not DIST.is_dir()) and os.environ.get("CI") != "true",
    reason="needs Chromium (.ci/run installs it) and web/node_modules (.ci/setup: npm ci --ignore-scripts)",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    assert CHROMIUM and DIST.is_dir(), "Chromium or web/node_modules is missing: run .ci/setup"
    chromium = Browser(tmp_path_factory.mktemp("chromium"))
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """Two demo servers using the npm install's transformers.js: a hostile-titled bot with its browser copy, and
    the same bot without one."""
    root = tmp_path_factory.mktemp("sites")
    folder = model_folder(root / "out" / "evil_bot", onnx=True)
    shutil.copytree(folder, root / "out" / "plain_bot", ignore=shutil.ignore_patterns("onnx"))
    record = make_record(SINGLE, consent="public")
    record.users[0].display_name = HOSTILE
    save_record(record, root / "cards" / "evil_bot.yaml")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_TWEETS_TRANSFORMERS_JS", str(DIST))
        made = {
            name: demo.site(name, Folders.resolve(cards=root / "cards", out=root / "out"))
            for name in ("evil_bot", "plain_bot")
        }
    assert made["evil_bot"].wasm == WASM.resolve() or made["evil_bot"].wasm == WASM
    return {name: (site, *start(site)) for name, site in made.items()}


def python_greedy(folder: Path, prompt: list[int]) -> list[int]:
    """ONNX Runtime's greedy continuation on the same file, cut after the first end-of-text as generate() stops."""
    from transformers import AutoConfig

    from hf_tweets.browser.onnx import Session, Shape

    shape = Shape.of(AutoConfig.from_pretrained(folder))
    tokens = Session(folder / "onnx" / "model_quantized.onnx", shape).greedy(prompt, STEPS)
    eos = json.loads((folder / "generation_config.json").read_text())["eos_token_id"]
    return tokens[: tokens.index(eos) + 1] if eos in tokens else tokens


READ = """JSON.stringify({
  title: document.getElementById('bot-title').textContent,
  accounts: document.getElementById('bot-accounts').textContent,
  consent: document.getElementById('bot-consent').textContent,
  listed: Array.from(document.querySelectorAll('#bot-list strong'), e => e.textContent),
  label: document.querySelector('#output .label').textContent,
  text: document.getElementById('output-text').textContent,
  tokens: document.getElementById('output-text').dataset.tokens || '',
  prompt: document.getElementById('output-text').dataset.promptTokens || '',
  error: document.getElementById('error').hidden ? '' : document.getElementById('error').textContent,
  noOnnx: document.getElementById('no-onnx').hidden ? '' : document.getElementById('no-onnx').textContent,
  progress: document.getElementById('progress').textContent,
  pwned: document.body.hasAttribute('data-pwned'),
  images: document.images.length,
  formShown: !document.getElementById('prompt-form').hidden,
})"""


@needs_chromium
@pytest.mark.slow
def test_the_page_writes_what_onnx_runtime_writes_and_keeps_text_as_text(browser, sites):
    site, url, seen = sites["evil_bot"]
    prompt = "<img src=x onerror=document.body.dataset.pwned=3>"  # short: the tiny model has 64 positions
    assert browser.open(f"{url}&prompt={quote(prompt)}", STATES) == "done", browser.evaluate(READ)
    page = json.loads(browser.evaluate(READ))
    from transformers import AutoTokenizer

    ids = AutoTokenizer.from_pretrained(site.folder)(prompt)["input_ids"]
    assert page["prompt"] == ",".join(map(str, ids))
    expected = python_greedy(site.folder, ids)
    assert page["tokens"] == ",".join(map(str, expected)) and len(expected) > 0
    assert page["title"] == HOSTILE and page["listed"] == [HOSTILE] and not page["pwned"] and page["images"] == 0
    assert page["accounts"] == "@pixel_poet" and page["consent"].startswith("These are public tweets, read through")
    assert page["label"] == f"Machine-generated by {HOSTILE}; not written by the person."
    assert page["text"].startswith(prompt) and page["error"] == "" and page["noOnnx"] == ""
    assert page["progress"] == "The bot is ready."
    assert browser.failed == []  # nothing failed to load, nothing was blocked (every other host is unresolvable)
    assert all(status == 200 for _, status in seen) and any("model_quantized.onnx" in path for path, _ in seen)


@needs_chromium
@pytest.mark.slow
def test_a_bot_outside_the_manifest_is_refused_and_one_without_onnx_says_how(browser, sites):
    _, url, seen = sites["evil_bot"]
    before = len(seen)
    assert browser.open(url.replace("?bot=evil_bot", "?bot=someone%2Felse&prompt=hi"), STATES) == "refused"
    page = json.loads(browser.evaluate(READ))
    assert page["error"] == 'There is no bot "someone/else" on this page; pick one from the list.'
    assert page["title"] == "" and not page["formShown"]
    assert not any(path.startswith(("/models/", "/transformers/")) for path, _ in seen[before:])
    _, url, _ = sites["plain_bot"]
    assert browser.open(url + "&prompt=hi", STATES) == "unavailable"
    page = json.loads(browser.evaluate(READ))
    assert page["noOnnx"] == "This bot has no browser copy yet; its owner can add one with: hf-tweets onnx plain_bot"
    assert page["title"] == "plain_bot" and page["text"] == "" and not page["formShown"]
    assert browser.failed == []
