"""``hf-tweets demo``: try a local model folder in the browser, on the page a Space publishes, from 127.0.0.1.

The server answers the page (``page/``), a manifest of one bot (``bots.json``: the folder, with the card's words
when a record of that name is in the cards folder), the folder's files under ``/models/NAME/`` and, when
$HF_TWEETS_TRANSFORMERS_JS names a local folder, transformers.js under ``/transformers/`` and onnxruntime-web's
WebAssembly under ``/wasm/``. Unset, the page imports the pinned transformers.js from its CDN.

What it never does: answer a request whose ``Host`` is not 127.0.0.1, localhost or [::1] (a DNS-rebinding page
names its own host); serve a file outside those folders (no ``..``, no hidden file, no link that leads out);
write anything.
"""

from __future__ import annotations

import mimetypes
import shutil
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import unquote, urlsplit

from hf_tweets import settings
from hf_tweets.browser.manifest import FILE, TRANSFORMERS_JS_CDN, Bot, Manifest
from hf_tweets.browser.onnx import QUANTIZED
from hf_tweets.cards.preview import WRONG_HOST, PreviewServer, local_host, serve_until_stopped
from hf_tweets.errors import HfTweetsError, ModelFolderError
from hf_tweets.folders import Folders
from hf_tweets.fsutil import NAME_RE

PAGE = Path(__file__).parent / "page"
PAGE_FILES = {"/": "index.html", **{f"/{name}": name for name in ("index.html", "app.js", "worker.js", "style.css")}}
MODELS, LIBRARY, WASM = "/models/", "/transformers/", "/wasm/"
LIBRARY_FILE = "transformers.min.js"
WASM_FILE = "ort-wasm-simd-threaded.asyncify.wasm"  # what transformers.js 4.3.2 asks for with one thread
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json"}
TOKENIZER_FILES = ("tokenizer.json",)


@dataclass(frozen=True)
class Site:
    """What one demo serves: a model folder under ``/models/NAME/``, the page, and where transformers.js is."""

    name: str
    folder: Path
    manifest: Manifest
    library: Path | None = None  # a local transformers.js dist/ folder served at /transformers/
    wasm: Path | None = None  # a local onnxruntime-web dist/ folder served at /wasm/

    def roots(self) -> dict[str, Path]:
        """URL prefix -> the folder it serves, read-only."""
        roots = {f"{MODELS}{self.name}/": self.folder}
        if self.library:
            roots[LIBRARY] = self.library
        if self.wasm:
            roots[WASM] = self.wasm
        return roots


def model_folder(target: str, out_root: Path) -> Path:
    """The folder ``target`` names: a folder, else ``out_root``/NAME; ModelFolderError unless it holds a model."""
    folder = Path(target)
    if not folder.is_dir() and NAME_RE.fullmatch(target) and (out_root / target).is_dir():
        folder = out_root / target
    if not folder.is_dir():
        raise ModelFolderError(
            f"no folder {target} nor {out_root / target}",
            fix="give a model folder (one hf-tweets train wrote, such as out/NAME) or a bot's name after hf-tweets run",
        )
    missing = [name for name in ("config.json", *TOKENIZER_FILES) if not (folder / name).is_file()]
    if missing:
        raise ModelFolderError(
            f"holds no model (no {', '.join(missing)})",
            where=folder,
            fix="give the folder hf-tweets train wrote (out/NAME), with config.json and the tokenizer",
        )
    return folder


def library() -> tuple[str, Path | None, Path | None]:
    """(the URL folder the page imports transformers.js from, the local folder served for it, the local wasm
    folder), from $HF_TWEETS_TRANSFORMERS_JS."""
    chosen = settings.transformers_js()
    if chosen is None:
        return TRANSFORMERS_JS_CDN, None, None
    if chosen.startswith(("http://", "https://")):
        return chosen.rstrip("/") + "/", None, None
    folder = Path(chosen)
    if not (folder / LIBRARY_FILE).is_file():
        raise ModelFolderError(
            f"no {LIBRARY_FILE} in {folder}",
            where=settings.TRANSFORMERS_JS_ENV,
            fix="point it at the npm package's dist/ folder (npm ci --ignore-scripts --prefix web gives "
            "web/node_modules/@huggingface/transformers/dist) or at a URL folder, or unset it to use the CDN",
        )
    return LIBRARY, folder, _wasm_folder(folder)


def _wasm_folder(library_folder: Path) -> Path | None:
    """onnxruntime-web's dist/ beside the transformers.js package (node_modules), or the folder itself."""
    for candidate in (library_folder, library_folder.parent.parent.parent / "onnxruntime-web" / "dist"):
        if (candidate / WASM_FILE).is_file():
            return candidate
    return None


def bot(name: str, folder: Path, cards_dir: Path) -> Bot:
    """The demo's one bot: the folder, titled by the record of the same name when there is one."""
    has_onnx = (folder / "onnx" / QUANTIZED).is_file()
    record = _record(cards_dir, name)
    if record is None:
        return Bot.of_folder(name, onnx=has_onnx)
    return Bot.of_record(record, name, card="", onnx=has_onnx, bot=record.repo_id)  # as generate labels its texts


def _record(cards_dir: Path, name: str):
    from hf_tweets.cards.recordfile import load_record

    path = cards_dir / f"{name}.yaml"
    if not NAME_RE.fullmatch(name) or not path.is_file():
        return None
    try:
        return load_record(path)
    except HfTweetsError:  # the demo runs without the card's words; card check says what is wrong
        return None


def site(target: str, folders: Folders) -> Site:
    """Everything ``demo`` serves for ``target`` (NAME or DIR, a bot's model folder in ``folders.out``), checked before
    anything listens."""
    folder = model_folder(target, folders.out)
    name = folder.resolve().name if NAME_RE.fullmatch(folder.resolve().name) else "model"
    library_url, library_folder, wasm_folder = library()
    manifest = Manifest(
        bots=[bot(name, folder, folders.cards)],
        hub="",
        local_models=MODELS,
        library=library_url,
        wasm=WASM if wasm_folder else None,
        title=f"Try {name}",
    )
    return Site(name=name, folder=folder, manifest=manifest, library=library_folder, wasm=wasm_folder)


def missing_onnx_hint(site: Site) -> str | None:
    """The line ``demo`` prints when the folder has no browser copy, or None."""
    if site.manifest.bots[0].onnx:
        return None
    return f"{site.folder} has no onnx/{QUANTIZED}; add the browser copy with hf-tweets onnx {site.name}"


def resolve(site: Site, path: str) -> Path | None:
    """The file a request path names inside one of the site's folders, or None (never a file outside them)."""
    for prefix, root in site.roots().items():
        if not path.startswith(prefix):
            continue
        parts = path.removeprefix(prefix).split("/")
        if any(not part or part.startswith(".") or "\\" in part or "\0" in part for part in parts):
            return None
        top = root.resolve()
        candidate = top.joinpath(*parts).resolve()
        return candidate if candidate.is_relative_to(top) and candidate.is_file() else None
    return None


def _content_type(path: Path) -> str:
    return TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def make_handler(site: Site, log=None):
    """The request handler over ``site``; ``log(path, status)`` hears every answer (tests check where all went)."""
    manifest = site.manifest.to_json().encode("utf-8")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            self._answer(body=True)

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def _answer(self, *, body: bool) -> None:
            if not local_host(self.headers.get_all("Host") or []):
                return self._bytes(400, "text/plain; charset=utf-8", WRONG_HOST, body)
            path = unquote(urlsplit(self.path).path)
            if path == f"/{FILE}":
                return self._bytes(200, "application/json", manifest, body)
            file: Path | None
            if path in PAGE_FILES:
                file = PAGE / PAGE_FILES[path]
            else:
                file = resolve(site, path)
            if file is None:
                return self._bytes(404, "text/plain; charset=utf-8", b"not found; the page is at /\n", body)
            self._file(file, body)

        def _headers(self, status: int, content_type: str, length: int) -> None:
            if log:
                log(self.path, status)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(length))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()

        def _bytes(self, status: int, content_type: str, data: bytes, body: bool) -> None:
            self._headers(status, content_type, len(data))
            if body:
                self.wfile.write(data)

        def _file(self, file: Path, body: bool) -> None:
            with file.open("rb") as stream:
                self._headers(200, _content_type(file), file.stat().st_size)
                if body:
                    try:
                        shutil.copyfileobj(stream, self.wfile)
                    except (BrokenPipeError, ConnectionResetError):  # the page moved on (a reload, a new bot)
                        self.close_connection = True

    return Handler


def serve(site: Site, *, port: int = 0, open_browser: bool = False, ready=None, log=None) -> None:
    """Serve ``site`` on 127.0.0.1 until interrupted; ``ready(url)`` is called once it listens."""
    server = PreviewServer(("127.0.0.1", port), make_handler(site, log))
    serve_until_stopped(server, f"/?bot={site.name}", ready=ready, open_browser=open_browser)
