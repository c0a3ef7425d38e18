"""``hf-tweets preview``: look at cards the way the Hub shows them, before they go out.

A card page is the README rendered as the Hub does: the front matter as a
metadata panel, GitHub-flavoured Markdown to HTML, the card's inline HTML kept
but sanitised with an allow-list (nh3, as the Hub sanitises). The server on
127.0.0.1 reads records and templates on every request, so a reload shows an
edit. ``hf-tweets card render --html`` writes the same page to a file.

What the server answers, and what it never does:

* only requests whose ``Host`` is 127.0.0.1, localhost or [::1] (any port), so
  a web page that rebinds its own host name to 127.0.0.1 gets 400, not cards;
* ``/card/NAME`` only for a record name (``fsutil.child``), only from the cards
  folder: 400 for any other name, 404 for no such record;
* a record that does not load, or an error nobody expected, gets an error page
  that names the record and the command to run, never a value from the file
  nor a traceback; no request is left without an answer.
"""

from __future__ import annotations

import html
import re
import threading
import webbrowser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import nh3
from huggingface_hub import EvalResult, ModelCard, ModelCardData
from markdown_it import MarkdownIt

from hf_tweets import settings
from hf_tweets.cards import labels
from hf_tweets.cards.record import THUMBNAIL_FILE, CardRecord, thumbnail_url
from hf_tweets.cards.recordfile import load_record
from hf_tweets.cards.render import render
from hf_tweets.cards.templating import bundled_templates_dir, reload_templates
from hf_tweets.errors import HfTweetsError, RecordError, UnsafePathError
from hf_tweets.folders import Folders
from hf_tweets.fsutil import child
from hf_tweets.text import plural

_MD = MarkdownIt("commonmark", {"html": True}).enable("table")
TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "details",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ATTRIBUTES = {"*": {"title", "class", "style", "align"}, "a": {"href"}, "img": {"src", "alt", "width", "height"}}
CSS = {
    "display",
    "margin-left",
    "margin-right",
    "margin-top",
    "width",
    "height",
    "border-radius",
    "background-size",
    "background-image",
    "background-color",
    "text-align",
    "font-size",
    "font-weight",
    "line-height",
    "overflow-wrap",
}
STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#111827;background:#fff}
main{display:flex;gap:2rem;max-width:1100px;margin:1.5rem auto;padding:0 1rem}
.card{flex:1;min-width:0}
aside{width:340px;font-size:14px}
aside dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem .8rem}
aside dt{color:#6b7280}
aside dd{margin:0;overflow-wrap:anywhere}
aside ul{margin:0;padding-left:1rem}
aside .evals{font-size:12px;width:100%;overflow-wrap:break-word;word-break:normal}
aside .evals td,aside .evals th{padding:.25rem .35rem;vertical-align:top;text-align:left}
aside .evals code{font-size:11px;word-break:break-all}
.muted{color:#6b7280}
.chip{display:inline-block;background:#f3f4f6;border-radius:6px;padding:0 .4rem;margin:0 .2rem .2rem 0}
table{border-collapse:collapse}
td,th{border:1px solid #e5e7eb;padding:.3rem .6rem}
pre{background:#f9fafb;padding:.8rem;overflow:auto}
.flex{display:flex}
.inline-flex{display:inline-flex}
.flex-col{flex-direction:column}
header{padding:.8rem 1rem;border-bottom:1px solid #e5e7eb}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:1rem;max-width:1100px;
margin:1rem auto;padding:0 1rem}
.tile{border:1px solid #e5e7eb;border-radius:10px;padding:.8rem;text-decoration:none;color:inherit}
.tile img{width:100%;border-radius:6px}"""


def sanitise(fragment: str) -> str:
    """Keep the layout HTML a card may use; drop scripts, handlers and foreign URL schemes."""
    return nh3.clean(
        fragment,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        filter_style_properties=CSS,
        link_rel="noopener noreferrer nofollow",
    )


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )


def _metadata_panel(data: ModelCardData) -> str:
    """The front matter as the Hub's side panel: one row a key, and the model-index as "Evaluation results"."""
    rows = []
    for key, value in data.to_dict().items():
        if key == "model-index":
            continue  # shown as its table, below
        if key == "tags" and isinstance(value, list):
            shown = "".join(f'<span class="chip">{_text(t)}</span>' for t in value)
        elif key == "widget" and isinstance(value, list):
            shown = html.escape("; ".join(str(w.get("text", "")) for w in value if isinstance(w, dict)))
        else:
            shown = _value(value)
        rows.append(f"<dt>{html.escape(key)}</dt><dd>{shown}</dd>")
    return f"<aside><h3>Metadata</h3><dl>{''.join(rows)}</dl>{_eval_results(data.eval_results or [])}</aside>"


_DEEPEST = 8  # levels of nesting shown; front matter deeper than a card's is cut with "…", never recursed into


def _value(value: object, depth: int = 0) -> str:
    """A front-matter value as readable HTML, every text escaped: a list of scalars as "a, b", a mapping or a list
    of mappings as bullets."""
    if depth >= _DEEPEST:
        return "…"
    if isinstance(value, dict):
        items = (f"<li>{_text(key)}: {_value(item, depth + 1)}</li>" for key, item in value.items())
        return f"<ul>{''.join(items)}</ul>"
    if isinstance(value, list):
        if all(not isinstance(item, (dict, list)) for item in value):
            return ", ".join(_text(item) for item in value)
        return f"<ul>{''.join(f'<li>{_value(item, depth + 1)}</li>' for item in value)}</ul>"
    return _text(value)


def _text(value: object) -> str:
    """A scalar as YAML wrote it (true, not True; nothing for null), escaped."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else html.escape(str(value))


def _named(name: object, kind: object) -> str:
    """A model-index name with its type under it, as the Hub shows a task, dataset or metric."""
    return f"{_text(name)}<br><code>{_text(kind)}</code>" if name is not None else f"<code>{_text(kind)}</code>"


def _eval_results(results: list[EvalResult]) -> str:
    """The model-index as the Hub's "Evaluation results" table, parsed by huggingface_hub (its EvalResult)."""
    if not results:
        return ""
    rows = []
    for result in results:
        split = f'<br><span class="muted">{_text(result.dataset_split)}</span>' if result.dataset_split else ""
        source = "verified" if result.verified else "self-reported"
        rows.append(
            f"<tr><td>{_named(result.task_name, result.task_type)}</td>"
            f"<td>{_named(result.dataset_name, result.dataset_type)}{split}</td>"
            f"<td>{_named(result.metric_name, result.metric_type)}</td>"
            f'<td>{_text(result.metric_value)}<br><span class="muted">{source}</span></td></tr>'
        )
    head = "<tr><th>Task</th><th>Dataset</th><th>Metric</th><th>Value</th></tr>"
    return (
        f'<h3>Evaluation results</h3><table class="evals"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
    )


def card_page(readme: str, title: str) -> str:
    """A README as the Hub shows it, as one HTML page."""
    card = ModelCard(readme)
    assert isinstance(card.data, ModelCardData)  # ModelCard's card_data_class
    body = sanitise(_MD.render(card.text))
    return _page(
        title,
        f'<header><a href="/">cards</a> / {html.escape(title)}</header>'
        f'<main><article class="card">{body}</article>{_metadata_panel(card.data)}</main>',
    )


def index_page(
    records: list[tuple[str, CardRecord | None, str]], thumbnails: dict[str, str | None] | None = None
) -> str:
    """Every card: thumbnail (``thumbnails``: name -> where the picture is), names, counts, last published."""
    tiles = []
    for name, record, error in records:
        if record is None:
            tiles.append(f'<div class="tile"><b>{html.escape(name)}</b><p>unreadable: {html.escape(error)}</p></div>')
            continue
        src = (thumbnails or {}).get(name)
        thumb = f'<img src="{html.escape(src)}" alt="">' if src else ""
        names = " &amp; ".join(html.escape(u.display_name) for u in record.users)
        handles = " ".join(map(str, record.accounts))
        kept = sum(u.counts.kept for u in record.users)
        word = labels.words_of(a.platform for a in record.accounts).post  # "tweet" is X's word, as on the card
        state = record.published()
        published = state.commit[:7] if state and state.commit else "not published"
        tiles.append(
            f'<a class="tile" href="/card/{html.escape(name)}">{thumb}<b>{names}</b><div>{handles}</div>'
            f"<div>{plural(kept, word)} kept</div><div>published: {published}</div></a>"
        )
    return _page(
        "hf-tweets cards", f'<header>hf-tweets cards ({len(records)})</header><div class="grid">{"".join(tiles)}</div>'
    )


class _TemplateWatch:
    """Reload compiled templates when any template file changed since the last page."""

    def __init__(self):
        self.seen: tuple | None = None
        self.lock = threading.Lock()

    def check(self) -> None:
        folder = settings.templates_dir_override() or bundled_templates_dir()
        signature = tuple(sorted((str(p), p.stat().st_mtime_ns) for p in folder.rglob("*.j2")))
        with self.lock:
            if self.seen is not None and signature != self.seen:
                reload_templates()
            self.seen = signature


HTML = "text/html; charset=utf-8"
_LOCAL_HOST = re.compile(r"(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?", re.IGNORECASE)
WRONG_HOST = b"this server answers only to 127.0.0.1, localhost and [::1]\n"
UNEXPECTED = "this page could not be made; run hf-tweets card check and hf-tweets card render on the record to see why"


class PreviewServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer whose listen queue holds a burst: http.server's 5 dropped 6 of 200 requests."""

    request_queue_size = 128


def local_host(hosts: list[str]) -> bool:
    """Whether a request's Host headers name this machine; a DNS-rebinding page names its own host."""
    return len(hosts) == 1 and _LOCAL_HOST.fullmatch(hosts[0].strip()) is not None


def _message(title: str, text: str) -> str:
    return _page(
        title, f'<header><a href="/">cards</a> / {html.escape(title)}</header><main><p>{html.escape(text)}</p></main>'
    )


def _does_not_load(path: Path) -> str:
    return f"does not load; run hf-tweets card check {path}"


def _load(path: Path) -> tuple[CardRecord | None, str]:
    """The record, or None and why not, in words that quote nothing from the file."""
    try:
        return load_record(path), ""
    except RecordError:  # its problems quote the file's values ("got '...'")
        return None, _does_not_load(path)
    except HfTweetsError as error:
        return None, error.reason()
    except Exception:  # a date such as 2021-02-30, or a 5,000-digit number, fails inside the YAML parser
        return None, _does_not_load(path)


def _card(raw_name: str, cards_dir: Path) -> tuple[int, str]:
    """The status and page for ``/card/NAME``; the name is percent-decoded here, and only here."""
    name = unquote(raw_name)  # %2F becomes "/" and %00 a NUL, and child() refuses both
    try:
        path = child(cards_dir, name, ".yaml")
    except UnsafePathError:
        return 400, _message("bad name", "a card name is letters, digits, '.', '_' and '-'; pick a card from the index")
    record, problem = _load(path)
    if record is not None:
        return 200, card_page(render(record), record.repo_id)
    if not path.is_file():
        return 404, _message(name, f"no record {name} in the cards folder; pick a card from the index")
    return 500, _message(name, f"this record {problem}")


def _thumbnail(name: str, record: CardRecord, out_root: Path) -> str | None:
    """Where the index finds a card's picture: its own URL, else the one `run` drew, else the repo's on the Hub."""
    if record.thumbnail and not THUMBNAIL_FILE.fullmatch(record.thumbnail):
        return record.thumbnail
    if (child(out_root, name) / "predictions.png").is_file():
        return f"/thumb/{name}"
    return thumbnail_url(record)


def _answer(target: str, folders: Folders, names: list[str]) -> tuple[int, str, bytes]:
    """Status, content type and body for a request target such as ``/``, ``/card/NAME?x=1``, ``/thumb/NAME``."""
    path = target.split("?", 1)[0].split("#", 1)[0]
    if path == "/":
        records = _records(folders.cards, names)
        thumbnails = {name: _thumbnail(name, record, folders.out) for name, record, _ in records if record is not None}
        return 200, HTML, index_page(records, thumbnails).encode("utf-8")
    if path.startswith("/card/"):
        status, page = _card(path.removeprefix("/card/"), folders.cards)
        return status, HTML, page.encode("utf-8")
    if path.startswith("/thumb/"):
        return _picture(unquote(path.removeprefix("/thumb/")), folders.out)
    return 404, HTML, _message("not found", "not found; the cards are listed at /").encode("utf-8")


def _picture(name: str, out_root: Path) -> tuple[int, str, bytes]:
    try:
        picture = child(out_root, name) / "predictions.png"
    except UnsafePathError:
        return 400, HTML, _message("bad name", "a card name is letters, digits, '.', '_' and '-'").encode("utf-8")
    if not picture.is_file():
        return 404, HTML, _message(name, f"no picture for {name}").encode("utf-8")
    return 200, "image/png", picture.read_bytes()


def serve(names: list[str], folders: Folders, *, port: int = 0, open_browser: bool = False, ready=None) -> None:
    """Serve the index and the card pages of ``folders.cards`` on 127.0.0.1 until interrupted (pictures `run` drew
    come from out/NAME/predictions.png)."""
    names = [name.removesuffix(".yaml") for name in names]  # NAME or NAME.yaml, as card render takes them
    for name in names:  # a bad name stops here, as one line from the CLI, before anything listens
        child(folders.cards, name, ".yaml")
    watch = _TemplateWatch()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            if not local_host(self.headers.get_all("Host") or []):
                self._send(400, "text/plain; charset=utf-8", WRONG_HOST)
                return
            try:
                watch.check()
                status, content_type, body = _answer(self.path, folders, names)
            except HfTweetsError as error:  # a template that does not load or render; says which and why
                status, content_type, body = 500, HTML, _message("error", error.reason()).encode("utf-8")
            except Exception:  # no traceback, no file content, and never a request left without an answer
                status, content_type, body = 500, HTML, _message("error", UNEXPECTED).encode("utf-8")
            self._send(status, content_type, body)

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("X-Content-Type-Options", "nosniff")
            # Card pages are sanitised already; this also stops any script a sanitiser bug let through.
            self.send_header(
                "Content-Security-Policy", "default-src 'none'; img-src http: https: data:; style-src 'unsafe-inline'"
            )
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = PreviewServer(("127.0.0.1", port), Handler)
    serve_until_stopped(server, "/", ready=ready, open_browser=open_browser)


def serve_until_stopped(server: PreviewServer, path: str, *, ready=None, open_browser: bool = False) -> None:
    """Serve until interrupted; ``ready(url)`` is told the page's URL (``path`` on the server) once it listens."""
    url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    if ready:
        ready(url)
    if open_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def _records(cards_dir: Path, names: list[str]) -> list[tuple[str, CardRecord | None, str]]:
    """The named records, else every ``*.yaml`` in the folder; one that does not load is listed with why."""
    out = []
    for name in names or [p.stem for p in sorted(cards_dir.glob("*.yaml"))]:
        try:
            record, problem = _load(child(cards_dir, name, ".yaml"))
        except UnsafePathError as error:  # a file whose name is no record name (a space, a leading dot)
            record, problem = None, error.reason()
        out.append((name, record, problem))
    return out
