"""A PLC directory and a PDS on 127.0.0.1, in one small server, answering as the real services do.

* ``GET /<did>``: the DID document, as plc.directory serves it (``@context``, ``id``, ``alsoKnownAs``,
  ``verificationMethod`` with the ``#atproto`` Multikey, ``service`` with the ``#atproto_pds``
  AtprotoPersonalDataServer endpoint); 404 ``{"message": "DID not registered: ..."}`` for a DID it does
  not know.
* ``GET /xrpc/com.atproto.repo.getRecord?repo=&collection=&rkey=``: ``{"uri", "cid", "value"}``, or 400
  ``{"error": "RecordNotFound", "message": "Could not locate record: at://..."}``, as a PDS answers.

Every DID is known unless ``forget`` says otherwise: with no ``alsoKnownAs`` and no records (so a test that
does not care fetches as before). ``person`` gives a DID a handle and records, ``pds_at`` points its document
at another PDS (a closed port: a PDS that cannot be reached), ``fail`` makes the next answers a 503.
``requests`` logs the paths asked for.
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

KEY = "zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF"  # a made-up secp256k1 Multikey, as PLC documents hold


class LoopbackAtproto:
    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.state = self
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.reset()

    def start(self) -> LoopbackAtproto:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def reset(self) -> None:
        self.handles: dict[str, str] = {}
        self.records: dict[tuple[str, str], dict] = {}
        self.unknown: set[str] = set()
        self.pds: dict[str, str] = {}
        self.failures = 0
        self.requests: list[str] = []

    def person(self, did: str, handle: str | None = None, **records: dict) -> None:
        """``did``'s handle (alsoKnownAs) and records (collection with dots as underscores -> value)."""
        if handle:
            self.handles[did] = handle
        for collection, value in records.items():
            self.records[(did, collection.replace("_", "."))] = value

    def record(self, did: str, collection: str, value: object) -> None:
        self.records[(did, collection)] = value

    def forget(self, did: str) -> None:
        self.unknown.add(did)

    def pds_at(self, did: str, url: str) -> None:
        self.pds[did] = url

    def fail(self, times: int) -> None:
        self.failures = times

    def document(self, did: str) -> dict:
        return {
            "@context": [
                "https://www.w3.org/ns/did/v1",
                "https://w3id.org/security/multikey/v1",
                "https://w3id.org/security/suites/secp256k1-2019/v1",
            ],
            "id": did,
            "alsoKnownAs": [f"at://{self.handles[did]}"] if did in self.handles else [],
            "verificationMethod": [
                {"id": f"{did}#atproto", "type": "Multikey", "controller": did, "publicKeyMultibase": KEY}
            ],
            "service": [
                {
                    "id": "#atproto_pds",
                    "type": "AtprotoPersonalDataServer",
                    "serviceEndpoint": self.pds.get(did, self.url),
                }
            ],
        }


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        state: LoopbackAtproto = self.server.state
        parts = urlsplit(self.path)
        state.requests.append(unquote(parts.path))
        if state.failures:
            state.failures -= 1
            return self._send(503, {"error": "InternalServerError", "message": "Internal Server Error"})
        if parts.path == "/xrpc/com.atproto.repo.getRecord":
            return self._get_record({k: v[0] for k, v in parse_qs(parts.query).items()})
        did = unquote(parts.path[1:])
        if did.startswith("did:") and did not in state.unknown:
            return self._send(200, state.document(did), "application/did+ld+json")
        self._send(404, {"message": f"DID not registered: {did}"})

    def _get_record(self, query: dict) -> None:
        state: LoopbackAtproto = self.server.state
        uri = f"at://{query.get('repo')}/{query.get('collection')}/{query.get('rkey')}"
        value = state.records.get((query.get("repo"), query.get("collection"))) if query.get("rkey") == "self" else None
        if value is None:
            return self._send(400, {"error": "RecordNotFound", "message": f"Could not locate record: {uri}"})
        cid = "bafyrei" + hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:52]
        self._send(200, {"uri": uri, "cid": cid, "value": value})

    def _send(self, status: int, body: dict, kind: str = "application/json") -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
