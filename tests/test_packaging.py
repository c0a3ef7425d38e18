"""A normal (non-editable) wheel install carries the templates and renders cards."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from conftest import REPO_ROOT


@pytest.mark.slow
def test_wheel_install_finds_its_templates(tmp_path):
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(REPO_ROOT),
        ],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("hf_tweets-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "hf_tweets/templates/card.md.j2" in names
    assert "hf_tweets/templates/partials/header_multi.html.j2" in names

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)], check=True
    )
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "x.yaml").write_text(
        "users:\n- handle: x\n  display_name: Ex\n  counts: {downloaded: 3, retweets: 1, short: 1, kept: 1}\n",
        encoding="utf-8",
    )
    script = (
        "import hf_tweets, sys; from hf_tweets.cli import main;"
        "print(hf_tweets.__file__, file=sys.stderr); main(['card', 'render', 'x'])"
    )
    # -I: isolated, so neither the source checkout nor the editable install is on the path;
    # PYTHONPATH is re-added by hand.
    ran = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path[:0] = [{str(target)!r}] + {sys.path[1:]!r}; {script}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stderr.startswith(str(target))  # the installed copy, not src/
    assert "model='huggingtweets/x'" in ran.stdout and "🤖 AI BOT 🤖" in ran.stdout
