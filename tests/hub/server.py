"""A Hub-compatible HTTP server on 127.0.0.1 for the parts of the Hub API hf-tweets uses.

It speaks the protocol huggingface_hub 2.4 and transformers 5.23 use with
HF_HUB_DISABLE_XET=1 (see ../shared/docs/hub-api-subset.md): whoami, repo
create/delete/info/exists (siblings, sha), model listing by author with Link
pagination, tree listing, preupload, the NDJSON commit (parent_commit checks,
deletions, pull requests), discussions and pull requests in one numbering
(list, details, create, comment, close: discussions.py), the LFS batch API with
basic transfer, validate-yaml (with the Hub's metadata rules for what cards
use, metadata.py), and resolve HEAD/GET with the headers the client
checks. Every 404 carries an X-Error-Code, as the real Hub's do. Dataset
repos (``repo_type="dataset"``) can be created (private), uploaded to,
downloaded from and deleted, nothing more: they are kept under the key
``datasets/<id>`` (store.repo_key) and never listed as models. Spaces
(``repo_type="space"``, with their ``sdk``) are kept under ``spaces/<id>``
the same way: created, committed to, read (``space_info``, the tree) and
resolved at ``/spaces/NS/NAME/resolve/REV/PATH``. The jobs endpoints are in
jobs.py.

A page in a browser fetches from it as from the Hub (transformers.js): every
answer carries CORS headers (any origin; the headers a script must read are
exposed), an OPTIONS preflight is answered, and resolve serves one HTTP range
(``Range: bytes=0-0`` is how transformers.js asks a file's size): 206 with
Content-Range, 416 when the range starts past the end; a range it cannot parse
(or several) is ignored, as RFC 9110 says, and the whole file sent.

Tests add faults (``hub.fail(...)``: an error status, a dropped connection
before the request is served, or a lost answer after it was) and read the
request log (``hub.requests``).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

from . import collections, discussions, jobs, metadata, ratelimit
from .store import Entry, Repo, Store, git_blob_sha, is_lfs, is_model, namespace_of, repo_id_of, repo_key

ORG = "huggingtweets"
NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*"
REPO = rf"(?P<repo>{NAME}/{NAME})"
DATASET = rf"(?P<repo>datasets/{NAME}/{NAME})"  # a dataset's key in the store, as its URLs spell it
SPACE = rf"(?P<repo>spaces/{NAME}/{NAME})"  # a Space's
# What a page's script may read of an answer (beyond the CORS-safelisted ones), as the Hub exposes them.
EXPOSED = (
    "Content-Length, Content-Range, Accept-Ranges, ETag, Link, X-Repo-Commit, X-Linked-Size, X-Linked-Etag,"
    " X-Error-Code, X-Error-Message, X-Request-Id"
)
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": EXPOSED}


@dataclass
class Fault:
    """Answer ``times`` matching requests with ``status`` (and headers) instead of serving them."""

    method: str
    path: re.Pattern
    status: int
    times: int
    headers: dict
    body: dict


class HubError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.headers = status, code, headers or {}


class LoopbackHub:
    """The server: ``with LoopbackHub(root) as hub: ... hub.url, hub.token``."""

    def __init__(self, root: str | Path, port: int = 0, page_size: int = 50, latency: float = 0.0):
        self.store = Store(Path(root))
        self.page_size = page_size
        self.latency = latency  # seconds added to every answer, to model the round trip to a remote Hub
        self.users: dict[str, tuple[str, set[str]]] = {}  # token -> (user, orgs)
        self.roles: dict[str, str] = {}  # token -> "write" or "read"
        self.token = self.add_user("tester", orgs={ORG})
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []
        self.validate_yaml_calls = 0
        self.limits = ratelimit.State()  # request quotas and the RateLimit headers (off unless a test sets one)
        self.collections = collections.State()
        self.jobs = jobs.State()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread: threading.Thread | None = None

    # -- set-up, for tests ---------------------------------------------------------------------
    def add_user(self, name: str, orgs: set[str] | frozenset = frozenset(), role: str = "write") -> str:
        """A user (member of ``orgs``) and a token for them; a "read" token may not write anywhere."""
        token = "hf_loopback_" + secrets.token_hex(12)
        self.users[token] = (name, set(orgs))
        self.roles[token] = role
        return token

    LOSE = -1  # a fault status: serve the request, then drop the connection instead of answering

    def fail(
        self, method: str, path: str, status: int, times: int = 1, headers: dict | None = None, body: dict | None = None
    ) -> None:
        """Make the next ``times`` requests whose path matches the regex ``path`` fail with ``status``
        (0: drop the connection without serving it, as a reset would; ``LOSE``: serve it, then drop the
        connection, as when the answer is lost on the way back)."""
        self.faults.append(
            Fault(method, re.compile(path), status, times, headers or {}, body or {"error": f"injected {status}"})
        )

    def reset(self) -> None:
        """Forget every repo, fault and logged request (the users and their tokens stay)."""
        with self.store.lock:
            self.store.repos.clear()
            self.store.save()
            self.faults.clear()
            self.requests.clear()
            self.validate_yaml_calls = 0
            self.limits.reset()
            self.collections.reset()
            self.jobs.reset()

    def snapshot(self) -> dict[str, Repo]:
        """The repos as they are now (blobs are content-addressed and kept), for ``restore``."""
        import copy

        with self.store.lock:
            return copy.deepcopy(self.store.repos)

    def restore(self, repos: dict[str, Repo]) -> None:
        """Put the repos back as a snapshot had them; forget faults and the request log."""
        import copy

        with self.store.lock:
            self.store.repos.clear()
            self.store.repos.update(copy.deepcopy(repos))
            self.faults.clear()
            self.requests.clear()

    def repo(self, repo_id: str) -> Repo | None:
        return self.store.repos.get(repo_id)

    def count(self, method: str | None = None, path: str = "") -> int:
        """How many requests were logged, optionally of one method and containing ``path``."""
        return sum(1 for m, p in self.requests if (method is None or m == method) and path in p)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> LoopbackHub:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="loopback-hub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.store.flush()

    def __enter__(self) -> LoopbackHub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- helpers for handlers ------------------------------------------------------------------
    def user_of(self, authorization: str | None) -> tuple[str, set[str]] | None:
        if not authorization:
            return None
        token = authorization.removeprefix("Bearer ").strip()
        if token not in self.users:
            raise HubError(401, "Invalid credentials in Authorization header")
        return (*self.users[token], self.roles[token])

    def can_write(self, who, namespace: str) -> bool:
        return who is not None and who[2] == "write" and (namespace == who[0] or namespace in who[1])

    def readable(self, repo_id: str, who) -> Repo:
        repo = self.repo(repo_id)
        if repo is None or (repo.private and not self.can_write(who, namespace_of(repo_id))):
            raise HubError(404, f"Repository {repo_id} not found", "RepoNotFound")
        return repo

    def writable(self, repo_id: str, who) -> Repo:
        repo = self.readable(repo_id, who)
        if who is None:
            raise HubError(401, "You must be authenticated to write to this repo")
        if not self.can_write(who, namespace_of(repo_id)):
            raise HubError(403, f"You don't have the rights to write to {repo_id}")
        return repo


def _handler(hub: LoopbackHub):
    class Handler(_Handler):
        pass

    Handler.hub = hub
    return Handler


class _Handler(collections.Routes, discussions.Routes, jobs.Routes, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms delayed-ACK stalls
    hub: LoopbackHub

    def log_message(self, *args) -> None:  # quiet; the request log is hub.requests
        pass

    # -- plumbing --------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_OPTIONS(self) -> None:
        """A browser's CORS preflight: any origin, the methods a page uses, the headers it asked to send."""
        self.hub.requests.append(("OPTIONS", self.path))
        asked = self.headers.get("Access-Control-Request-Headers") or "Range, Authorization, Content-Type"
        self.lose_answer = False
        self._send(
            204,
            b"",
            {
                "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
                "Access-Control-Allow-Headers": asked,
                "Access-Control-Max-Age": 86400,
            },
        )

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        self.raw_path, self.query = parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        self.hub.requests.append((method, self.path))
        if self.hub.latency:
            time.sleep(self.hub.latency)
        self.lose_answer = False
        try:
            if self._fault(method) or self.hub.limits.refuse(self, method):
                return
            for route_method, pattern, name in ROUTES:
                match = pattern.fullmatch(self.raw_path)
                if match and (route_method == method or (route_method == "GET" and method == "HEAD")):
                    self.who = self.hub.user_of(self.headers.get("Authorization"))
                    with self.hub.store.lock:
                        getattr(self, name)(**{k: unquote(v) for k, v in match.groupdict().items() if v is not None})
                    return
            raise HubError(404, f"no route for {method} {self.raw_path}", "EntryNotFound")
        except HubError as error:
            headers = {"X-Error-Message": str(error), **error.headers}
            if error.code:
                headers["X-Error-Code"] = error.code
            self._json({"error": str(error)}, error.status, headers)

    def _fault(self, method: str) -> bool:
        for fault in self.hub.faults:
            if fault.times > 0 and fault.method == method and fault.path.search(self.raw_path):
                fault.times -= 1
                if fault.status == LoopbackHub.LOSE:
                    self.lose_answer = True
                    return False
                if fault.status == 0:
                    self.close_connection = True
                    self.connection.shutdown(2)
                else:
                    self._json(fault.body, fault.status, fault.headers)
                return True
        return False

    def _send(
        self, status: int, body: bytes, headers: dict | None = None, content_type: str = "application/json"
    ) -> None:
        if self.lose_answer:  # the work is done; the answer never reaches the client
            self.close_connection = True
            self.connection.shutdown(2)
            return
        headers = {**CORS, **self.hub.limits.headers(self), **(headers or {})}
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, str(value))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, data, status: int = 200, headers: dict | None = None) -> None:
        self._send(status, json.dumps(data).encode(), headers)

    def _body_json(self):
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            raise HubError(400, "body is not JSON") from None

    # -- account ---------------------------------------------------------------------------------
    def agent_harnesses(self) -> None:
        self._json({"standardEnvVars": [], "harnesses": {}})

    def whoami(self) -> None:
        if self.who is None:
            raise HubError(401, "Invalid user token")
        name, orgs, role = self.who
        self._json(
            {
                "type": "user",
                "name": name,
                "orgs": [{"name": o, "type": "org", "roleInOrg": "write"} for o in sorted(orgs)],
                "auth": {"type": "access_token", "accessToken": {"displayName": "loopback", "role": role}},
            }
        )

    def validate_yaml(self) -> None:
        """The README's metadata checked as the Hub checks it (metadata.py): 400 with the problems, else 200."""
        self.hub.validate_yaml_calls += 1
        content = self._body_json().get("content", "")
        match = re.match(r"^---\n(.*?)\n---", content, re.S)
        try:
            data = (yaml.safe_load(match.group(1)) if match else None) or {}
            if not isinstance(data, dict):
                raise ValueError("metadata is not a mapping")
        except (yaml.YAMLError, ValueError) as error:
            self._invalid_yaml([f"Invalid metadata in README.md: {error}"])
            return
        found = metadata.problems(data)
        if found:
            self._invalid_yaml(found)
            return
        self._json({"errors": [], "warnings": []})

    def _invalid_yaml(self, messages: list[str]) -> None:
        # RepoCard.validate asks for text/plain and raises the answer's text; HfApi._validate_yaml reads the JSON's
        # errors[].message and raises "Invalid metadata in README.md." followed by "- <message>" for each.
        if "text/plain" in (self.headers.get("Accept") or ""):
            self._send(400, "\n".join(messages).encode(), content_type="text/plain; charset=utf-8")
        else:
            self._json({"errors": [{"message": m} for m in messages], "warnings": []}, 400)

    # -- repos -----------------------------------------------------------------------------------
    def create_repo(self) -> None:
        body = self._body_json()
        if body.get("type", "model") not in ("model", "dataset", "space"):
            raise HubError(400, "only model, dataset and space repos here")
        if body.get("type") == "space" and not body.get("sdk"):
            raise HubError(400, "a Space needs an sdk")
        namespace = body.get("organization") or (self.who[0] if self.who else None)
        repo_id = repo_key(f"{namespace}/{body.get('name')}", body.get("type"))
        if self.who is None:
            raise HubError(401, "You must be authenticated to create a repo")
        if not self.hub.can_write(self.who, namespace):
            raise HubError(403, f'You don\'t have the rights to create a model under the namespace "{namespace}"')
        url = f"{self.hub.url}/{repo_id}"
        if self.hub.repo(repo_id):  # the client reads "url" even from the 409
            self._json(
                {"error": "You already created this model repo", "url": url},
                409,
                {"X-Error-Message": "You already created this model repo"},
            )
            return
        self.hub.store.create(repo_id, body.get("visibility") == "private", body.get("sdk"))
        self._json({"url": url, "name": repo_id, "id": repo_id})

    def delete_repo(self) -> None:
        body = self._body_json()
        repo_id = repo_key(f"{body.get('organization') or self.who[0]}/{body.get('name')}", body.get("type"))
        self.hub.writable(repo_id, self.who)
        del self.hub.store.repos[repo_id]
        self.hub.store.save()
        self._json({})

    def update_settings(self, repo: str) -> None:
        """PUT /api/models/{repo}/settings: {"visibility": "private"|"public"}, as update_repo_settings sends it."""
        body = self._body_json()
        r = self.hub.writable(repo, self.who)
        if body.get("visibility") not in (None, "private", "public") or not body:
            raise HubError(400, "visibility must be private or public")
        if "visibility" in body:
            r.private = body["visibility"] == "private"
            self.hub.store.save()
        self._json({})

    def model_info(self, repo: str, rev: str = "main") -> None:
        r = self.hub.readable(repo, self.who)
        commit = self._commit(r, rev)
        card = self._card_data(commit)
        siblings = [
            self._sibling(path, e, self.query.get("blobs") == "true") for path, e in sorted(commit.files.items())
        ]
        self._json(
            {
                "id": repo_id_of(repo),
                "modelId": repo_id_of(repo),
                "sha": commit.sha,
                "private": r.private,
                "lastModified": commit.date,
                "createdAt": r.commits[0].date,
                "siblings": siblings,
                "cardData": card,
                "tags": card.get("tags", []),
                "pipeline_tag": card.get("pipeline_tag"),
                "library_name": card.get("library_name"),
                "author": namespace_of(repo),
                "downloads": 0,
                "likes": 0,
                **({"sdk": r.sdk} if r.sdk else {}),
            }
        )

    def list_models(self) -> None:
        author = self.query.get("author")
        ids = sorted(
            i
            for i, r in self.hub.store.repos.items()
            if is_model(i)
            and (author is None or i.split("/")[0] == author)
            and (not r.private or self.hub.can_write(self.who, i.split("/")[0]))
        )
        start = int(self.query.get("cursor", 0))
        page = ids[start : start + self.hub.page_size]
        items = [
            {
                "id": i,
                "modelId": i,
                "sha": self.hub.repo(i).head.sha,
                "private": self.hub.repo(i).private,
                "lastModified": self.hub.repo(i).head.date,
            }
            for i in page
        ]
        headers = {}
        if start + self.hub.page_size < len(ids):
            query = "&".join(f"{k}={v}" for k, v in self.query.items() if k != "cursor")
            headers["Link"] = f'<{self.hub.url}/api/models?{query}&cursor={start + self.hub.page_size}>; rel="next"'
        self._json(items, headers=headers)

    def tree(self, repo: str, rev: str, path: str = "") -> None:
        commit = self._commit(self.hub.readable(repo, self.who), rev)
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        names = [p for p in sorted(commit.files) if p.startswith(prefix)]
        if prefix and not names:
            raise HubError(404, f"{path} does not exist at {rev}", "EntryNotFound")
        recursive = self.query.get("recursive") == "true"
        items, folders = [], set()
        for name in names:
            rest = name[len(prefix) :]
            if not recursive and "/" in rest:
                folders.add(prefix + rest.split("/")[0])
                continue
            items.append({"type": "file", **self._sibling(name, commit.files[name], True, tree=True)})
        items += [{"type": "directory", "path": f, "oid": git_blob_sha(f.encode())} for f in sorted(folders)]
        self._json(items)

    # -- uploads ---------------------------------------------------------------------------------
    def preupload(self, repo: str, rev: str) -> None:
        r = self.hub.writable(repo, self.who)
        commit = self._commit(r, rev)
        files = []
        for item in self._body_json().get("files", []):
            lfs = is_lfs(item["path"], item["size"])
            existing = commit.files.get(item["path"])
            oid = (existing.sha256 if existing.lfs else existing.git_sha) if existing else None
            files.append(
                {
                    "path": item["path"],
                    "uploadMode": "lfs" if lfs else "regular",
                    "shouldIgnore": False,
                    **({"oid": oid} if oid else {}),
                }
            )
        self._json({"files": files, "commitOid": commit.sha})

    def lfs_batch(self, repo: str) -> None:
        self.hub.writable(repo, self.who)
        objects = []
        for obj in self._body_json().get("objects", []):
            item = {"oid": obj["oid"], "size": obj["size"]}
            if not self.hub.store.has_blob(obj["oid"]):
                item["actions"] = {
                    "upload": {"href": f"{self.hub.url}/_lfs/{obj['oid']}"},
                    "verify": {"href": f"{self.hub.url}/_lfs/{obj['oid']}/verify"},
                }
            objects.append(item)
        self._send(
            200,
            json.dumps({"transfer": "basic", "objects": objects}).encode(),
            content_type="application/vnd.git-lfs+json",
        )

    def lfs_upload(self, oid: str) -> None:
        if self.hub.store.put_blob(self.body) != oid:
            raise HubError(400, "uploaded bytes do not match the oid")
        self._json({})

    def lfs_verify(self, oid: str) -> None:
        if not self.hub.store.has_blob(oid):
            raise HubError(404, f"object {oid} was not uploaded", "EntryNotFound")
        self._json({})

    def commit(self, repo: str, rev: str) -> None:
        r = self.hub.writable(repo, self.who)
        lines = [json.loads(line) for line in self.body.decode().splitlines() if line.strip()]
        header = next((line["value"] for line in lines if line["key"] == "header"), {})
        base = self._commit(r, rev)
        parent = header.get("parentCommit")
        if parent and parent != base.sha:
            raise HubError(
                412,
                "A commit has happened since. Please refresh and try again."
                f" (parent {parent} is not the head {base.sha})",
            )
        files = dict(base.files)
        for line in lines:
            value = line["value"]
            if line["key"] == "file":
                data = base64.b64decode(value["content"])
                files[value["path"]] = Entry(self.hub.store.put_blob(data), len(data), git_blob_sha(data), False)
            elif line["key"] == "lfsFile":
                if not self.hub.store.has_blob(value["oid"]):
                    raise HubError(400, f"LFS object {value['oid']} was not uploaded")
                data = self.hub.store.read_blob(value["oid"])
                files[value["path"]] = Entry(value["oid"], value["size"], git_blob_sha(data), True)
            elif line["key"] == "deletedFile":
                if value["path"] not in files:
                    raise HubError(404, "A file with this name doesn't exist", "EntryNotFound")
                del files[value["path"]]
            elif line["key"] == "deletedFolder":
                prefix = value["path"].rstrip("/") + "/"
                files = {p: e for p, e in files.items() if not p.startswith(prefix)}
        create_pr = self.query.get("create_pr") == "1"
        new = self.hub.store.commit(r, base, header.get("summary", ""), files, pr=create_pr, author=self.who[0])
        result = {"commitUrl": f"{self.hub.url}/{repo}/commit/{new.sha}", "commitOid": new.sha, "success": True}
        if create_pr:
            result["pullRequestUrl"] = f"{self.hub.url}/{repo}/discussions/{r.threads[-1].num}"
        self._json(result)

    # -- downloads -------------------------------------------------------------------------------
    def resolve(self, repo: str, rev: str, path: str) -> None:
        r = self.hub.readable(repo, self.who)
        commit = self._commit(r, rev)
        entry = commit.files.get(path)
        if entry is None:
            raise HubError(404, f"{path} does not exist at {rev}", "EntryNotFound", {"X-Repo-Commit": commit.sha})
        headers = {
            "X-Repo-Commit": commit.sha,
            "ETag": f'"{entry.sha256 if entry.lfs else entry.git_sha}"',
            "Accept-Ranges": "bytes",
        }
        if entry.lfs:
            headers |= {"X-Linked-Etag": f'"{entry.sha256}"', "X-Linked-Size": entry.size}
        data = self.hub.store.read_blob(entry.sha256)
        span = _byte_range(self.headers.get("Range"), len(data))
        if span is None:
            self._send(200, data, headers, "application/octet-stream")
        elif span == ():
            self._send(416, b"", headers | {"Content-Range": f"bytes */{len(data)}"}, "application/octet-stream")
        else:
            first, last = span
            headers["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
            self._send(206, data[first : last + 1], headers, "application/octet-stream")

    # -- shared ----------------------------------------------------------------------------------
    def _commit(self, repo: Repo, rev: str):
        commit = self.hub.store.resolve(repo, rev)
        if commit is None:
            raise HubError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        return commit

    def _sibling(self, path: str, entry: Entry, blobs: bool, tree: bool = False) -> dict:
        key = "path" if tree else "rfilename"
        item = {key: path}
        if blobs or tree:
            item |= {"size": entry.size, ("oid" if tree else "blobId"): entry.git_sha}
            if entry.lfs:
                item["lfs"] = {("oid" if tree else "sha256"): entry.sha256, "size": entry.size, "pointerSize": 134}
        return item

    def _card_data(self, commit) -> dict:
        entry = commit.files.get("README.md")
        if entry is None:
            return {}
        match = re.match(r"^---\n(.*?)\n---", self.hub.store.read_blob(entry.sha256).decode("utf-8", "replace"), re.S)
        try:
            data = yaml.safe_load(match.group(1)) if match else {}
        except yaml.YAMLError:
            return {}
        return data if isinstance(data, dict) else {}


def _byte_range(header: str | None, size: int) -> tuple[int, int] | tuple[()] | None:
    """(first, last) byte of the one range ``header`` asks for; () when it cannot be satisfied (416); None to send
    the whole file (no header, or one this server does not take: several ranges, another unit, bad syntax)."""
    match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header or "")
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # bytes=-N: the last N bytes
        return () if int(last) == 0 or size == 0 else (max(size - int(last), 0), size - 1)
    if last and int(last) < int(first):
        return None
    if int(first) >= size:
        return ()
    return int(first), min(int(last), size - 1) if last else size - 1


ROUTES = [
    (m, re.compile(p), n)
    for m, p, n in [
        ("GET", r"/api/agent-harnesses", "agent_harnesses"),
        ("GET", r"/api/whoami-v2", "whoami"),
        ("POST", r"/api/validate-yaml", "validate_yaml"),
        ("POST", r"/api/repos/create", "create_repo"),
        ("DELETE", r"/api/repos/delete", "delete_repo"),
        ("GET", r"/api/models", "list_models"),
        ("GET", rf"/api/models/{REPO}", "model_info"),
        ("GET", rf"/api/models/{REPO}/revision/(?P<rev>[^/]+)", "model_info"),
        ("GET", rf"/api/models/{REPO}/tree/(?P<rev>[^/]+)(?:/(?P<path>.+))?", "tree"),
        ("POST", rf"/api/models/{REPO}/preupload/(?P<rev>[^/]+)", "preupload"),
        ("POST", rf"/api/models/{REPO}/commit/(?P<rev>[^/]+)", "commit"),
        *((m, rf"/api/models/{REPO}/{p}", n) for m, p, n in discussions.ROUTES),
        ("PUT", rf"/api/models/{REPO}/settings", "update_settings"),
        ("POST", rf"/{REPO}\.git/info/lfs/objects/batch", "lfs_batch"),
        ("PUT", r"/_lfs/(?P<oid>[0-9a-f]{64})", "lfs_upload"),
        ("POST", r"/_lfs/(?P<oid>[0-9a-f]{64})/verify", "lfs_verify"),
        ("GET", rf"/{REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)", "resolve"),
        # dataset repos: the handlers above, on the store key "datasets/<id>" their URLs hold
        ("POST", rf"/api/{DATASET}/preupload/(?P<rev>[^/]+)", "preupload"),
        ("POST", rf"/api/{DATASET}/commit/(?P<rev>[^/]+)", "commit"),
        ("POST", rf"/{DATASET}\.git/info/lfs/objects/batch", "lfs_batch"),
        ("GET", rf"/{DATASET}/resolve/(?P<rev>[^/]+)/(?P<path>.+)", "resolve"),
        # Spaces: the same, on the store key "spaces/<id>"
        ("GET", rf"/api/{SPACE}", "model_info"),
        ("GET", rf"/api/{SPACE}/revision/(?P<rev>[^/]+)", "model_info"),
        ("GET", rf"/api/{SPACE}/tree/(?P<rev>[^/]+)(?:/(?P<path>.+))?", "tree"),
        ("POST", rf"/api/{SPACE}/preupload/(?P<rev>[^/]+)", "preupload"),
        ("POST", rf"/api/{SPACE}/commit/(?P<rev>[^/]+)", "commit"),
        ("POST", rf"/{SPACE}\.git/info/lfs/objects/batch", "lfs_batch"),
        ("GET", rf"/{SPACE}/resolve/(?P<rev>[^/]+)/(?P<path>.+)", "resolve"),
        *collections.ROUTES,
        *jobs.ROUTES,
    ]
]
