"""Convert the real Bluesky recordings (R's vcr format) into vcrpy cassettes for tests/test_bluesky.py.

    .venv/bin/python tests/cassettes/convert_bluesky.py [RECORDINGS_FOLDER]

The recordings (../shared/fixtures/bluesky/api-recordings, see SOURCES.md there) were made by an R
client against https://bsky.social. R's vcr stores what vcrpy stores, in another shape:

* ``http_interactions`` -> ``interactions`` (and ``version: 1``); ``recorded_at`` is dropped;
* ``status: 200`` -> ``status: {code: 200, message: OK}``; each header value -> a one-item list;
* bodies are stored decoded while ``Content-Encoding: gzip`` is kept: the header is dropped (vcrpy
  would hand httpx a "gzip" body that is not), with ``Transfer-Encoding`` (the body is whole here).

The host is kept: the replaying test points the client at https://bsky.social
($HF_TWEETS_BLUESKY_APPVIEW). Two cassettes are written:

* ``real_getProfiles.yaml``: the getProfiles recording, converted;
* ``real_fetch.yaml``: what ``hf-tweets fetch`` asks, in order: getProfile, whose answer is the
  recorded getProfiles' first profile (the lexicons give both the same ``ProfileViewDetailed``)
  at the getProfile address, then the getAuthorFeed recording, converted.

The recordings lack query parameters the atproto client sends (``filter``, ``includePins``,
``limit``), so the test replays them with a matcher that ignores parameters a recording lacks.
"""

from __future__ import annotations

import json
import sys
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import yaml

HERE = Path(__file__).parent / "bluesky"
RECORDINGS = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "bluesky" / "api-recordings"
DROPPED = {"content-encoding", "transfer-encoding", "content-length"}


def interaction(recorded: dict) -> dict:
    """One R vcr interaction as vcrpy's."""
    request, response = recorded["request"], recorded["response"]
    status = response["status"]
    code = status if isinstance(status, int) else status.get("status_code", status.get("code"))
    headers = {k: [str(v)] for k, v in (response.get("headers") or {}).items() if k.lower() not in DROPPED}
    return {
        "request": {
            "body": None,
            "headers": {k: [str(v)] for k, v in (request.get("headers") or {}).items()},
            "method": request["method"].upper(),
            "uri": request["uri"],
        },
        "response": {
            "body": {"string": response["body"]["string"]},
            "headers": headers,
            "status": {"code": int(code), "message": HTTPStatus(int(code)).phrase},
        },
    }


def load(path: Path) -> list[dict]:
    return [interaction(item) for item in yaml.safe_load(path.read_text(encoding="utf-8"))["http_interactions"]]


def as_get_profile(profiles: dict) -> dict:
    """getProfiles' interaction as getProfile's: the first profile, at app.bsky.actor.getProfile?actor=..."""
    answer = json.loads(profiles["response"]["body"]["string"])["profiles"][0]
    parts = urlsplit(profiles["request"]["uri"])
    actor = dict(parse_qsl(parts.query))["actors"]
    uri = urlunsplit(parts._replace(path="/xrpc/app.bsky.actor.getProfile", query=urlencode({"actor": actor})))
    return {
        "request": {**profiles["request"], "uri": uri},
        "response": {**profiles["response"], "body": {"string": json.dumps(answer, ensure_ascii=False)}},
    }


def dump(interactions: list[dict], path: Path) -> None:
    text = yaml.safe_dump({"interactions": interactions, "version": 1}, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")


def convert(recordings: Path = RECORDINGS, out: Path = HERE) -> list[Path]:
    """Write the two cassettes (module docstring) from ``recordings`` into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    profiles, feed = load(recordings / "getProfiles.yml"), load(recordings / "getAuthorFeed.yml")
    written = [out / "real_getProfiles.yaml", out / "real_fetch.yaml"]
    dump(profiles, written[0])
    dump([as_get_profile(profiles[0]), *feed], written[1])
    return written


if __name__ == "__main__":
    for path in convert(Path(sys.argv[1]) if len(sys.argv) > 1 else RECORDINGS):
        print(path)
