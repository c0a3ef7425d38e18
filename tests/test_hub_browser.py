"""The loopback Hub as a page in a browser reaches it (transformers.js): CORS, preflights, byte ranges, Spaces."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download

DATA = bytes(range(256)) * 4  # 1024 bytes
REPO = "huggingtweets/r"


def raw(hub, method: str, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One request as a browser sends it: no token, the headers given."""
    parts = urlsplit(hub.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(
            method, path, headers={"Origin": "https://huggingtweets-try-the-bots.static.hf.space"} | (headers or {})
        )
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.fixture
def repo(hub):
    api = HfApi()
    api.create_repo(REPO)
    api.upload_file(path_or_fileobj=DATA, path_in_repo="onnx/model_quantized.onnx", repo_id=REPO)
    return REPO


@pytest.mark.parametrize(
    "range_, status, content_range, body",
    [
        (None, 200, None, DATA),
        ("bytes=0-0", 206, "bytes 0-0/1024", DATA[:1]),  # how transformers.js asks a file's size
        ("bytes=10-19", 206, "bytes 10-19/1024", DATA[10:20]),
        ("bytes=1000-", 206, "bytes 1000-1023/1024", DATA[1000:]),
        ("bytes=-4", 206, "bytes 1020-1023/1024", DATA[-4:]),
        ("bytes=1000-5000", 206, "bytes 1000-1023/1024", DATA[1000:]),
        ("bytes=1024-", 416, "bytes */1024", b""),
        ("bytes=-0", 416, "bytes */1024", b""),
        ("bytes=5-1", 200, None, DATA),  # not a valid range: ignored, as RFC 9110 says
        ("bytes=0-1,5-6", 200, None, DATA),  # several ranges: this server sends the whole file
        ("items=0-1", 200, None, DATA),
    ],
)
def test_resolve_serves_one_byte_range(repo, hub, range_, status, content_range, body):
    headers = {"Range": range_} if range_ else {}
    code, answer, data = raw(hub, "GET", f"/{repo}/resolve/main/onnx/model_quantized.onnx", headers)
    assert (code, answer.get("content-range"), data) == (status, content_range, body)
    assert answer["content-length"] == str(len(body)) and answer["accept-ranges"] == "bytes"
    assert answer["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    "path",
    [
        f"/{REPO}/resolve/main/onnx/model_quantized.onnx",
        f"/{REPO}/resolve/main/missing.json",  # a 404 a page reads too (X-Error-Code)
        "/api/models?author=huggingtweets",
        f"/api/models/{REPO}",
    ],
)
def test_what_a_page_reads_carries_cors_headers(repo, hub, path):
    _, answer, _ = raw(hub, "GET", path)
    assert answer["access-control-allow-origin"] == "*"
    exposed = {h.strip().lower() for h in answer["access-control-expose-headers"].split(",")}
    assert {"content-length", "content-range", "etag", "x-repo-commit", "x-linked-size", "x-error-code"} <= exposed


def test_a_preflight_is_answered(repo, hub):
    asked = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "range"}
    code, answer, data = raw(hub, "OPTIONS", f"/{repo}/resolve/main/onnx/model_quantized.onnx", asked)
    assert (code, data) == (204, b"")
    assert answer["access-control-allow-origin"] == "*"
    assert "GET" in answer["access-control-allow-methods"] and answer["access-control-allow-headers"] == "range"


def test_a_static_space_is_created_committed_to_and_resolved(hub, tmp_path):
    api = HfApi()
    url = api.create_repo("huggingtweets/s", repo_type="space", space_sdk="static", exist_ok=True)
    assert url == f"{hub.url}/spaces/huggingtweets/s"
    assert api.create_repo("huggingtweets/s", repo_type="space", space_sdk="static", exist_ok=True) == url
    api.create_commit(
        "huggingtweets/s", [CommitOperationAdd("index.html", b"<p>hi</p>")], commit_message="page", repo_type="space"
    )
    info = api.space_info("huggingtweets/s", files_metadata=True)
    assert (info.id, info.sdk, sorted(s.rfilename for s in info.siblings)) == (
        "huggingtweets/s",
        "static",
        [".gitattributes", "index.html"],
    )
    path = hf_hub_download("huggingtweets/s", "index.html", repo_type="space", cache_dir=tmp_path)
    assert open(path).read() == "<p>hi</p>"
    assert [m.id for m in api.list_models(author="huggingtweets")] == []  # a Space is no model
