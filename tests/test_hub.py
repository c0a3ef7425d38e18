"""The loopback Hub itself: the parts of the protocol the client relies on, and running it by hand."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

from conftest import REPO_ROOT


def test_listing_pages_through_link_headers(hub):
    api = HfApi()
    hub.page_size = 2
    try:
        for name in ("a", "b", "c", "d", "e"):
            api.create_repo(f"huggingtweets/{name}")
        api.create_repo("tester/mine")
        assert [m.id for m in api.list_models(author="huggingtweets")] == [f"huggingtweets/{n}" for n in "abcde"]
    finally:
        hub.page_size = 50
    assert hub.count("GET", "cursor=") == 2


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda api: api.model_info("huggingtweets/none"), RepositoryNotFoundError),
        (lambda api: hf_hub_download("huggingtweets/r", "missing.txt"), EntryNotFoundError),
        (lambda api: api.model_info("huggingtweets/r", revision="f" * 40), RevisionNotFoundError),
    ],
)
def test_not_found_answers_carry_error_codes(hub, call, error):
    HfApi().create_repo("huggingtweets/r")
    with pytest.raises(error):
        call(HfApi())


def test_tree_and_download_round_trip(hub, tmp_path):
    api = HfApi()
    api.create_repo("huggingtweets/r")
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "sub" / "a.txt").write_text("alpha")
    (tmp_path / "d" / "w.safetensors").write_bytes(b"\0" * 4096)
    api.upload_folder(repo_id="huggingtweets/r", folder_path=tmp_path / "d")
    assert sorted(api.list_repo_files("huggingtweets/r")) == [".gitattributes", "sub/a.txt", "w.safetensors"]
    top = {item.path for item in api.list_repo_tree("huggingtweets/r")}
    assert top == {".gitattributes", "sub", "w.safetensors"}
    assert open(hf_hub_download("huggingtweets/r", "sub/a.txt", cache_dir=tmp_path / "c")).read() == "alpha"
    assert (
        open(hf_hub_download("huggingtweets/r", "w.safetensors", cache_dir=tmp_path / "c"), "rb").read() == b"\0" * 4096
    )


def test_runs_by_hand_and_prints_url_and_token(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.hub", "--root", str(tmp_path / "hub")],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        url, token = proc.stdout.readline().strip(), proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and token.startswith("token: hf_loopback_")
        api = HfApi(endpoint=url, token=token.removeprefix("token: "))
        assert api.whoami()["name"] == "tester"
        api.create_repo("huggingtweets/by-hand")
        assert api.repo_exists("huggingtweets/by-hand")
    finally:
        proc.terminate()
        proc.wait(10)
    assert (tmp_path / "hub" / "state.json").exists()  # kept for the next run
