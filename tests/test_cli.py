"""The command line: exit codes, exact output, files written, one-line errors, no secrets."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hf_tweets.cards.importer import import_card
from hf_tweets.cards.recordfile import load_record, save_record
from hf_tweets.cards.render import render

from conftest import SEED_CARDS, THREE, make_record

TOKEN = "hf_test_" + "q" * 24  # shaped so no secret scanner mistakes it for a real token


@pytest.fixture
def cards(tmp_path):
    folder = tmp_path / "cards"
    save_record(make_record(), folder / "pixel_poet.yaml")
    save_record(make_record(THREE), folder / "alpha-mid_1-zeta_z.yaml")
    return folder


def test_render_by_name_prints_the_card(run, cards):
    code, out, err = run("card", "render", "pixel_poet")
    assert (code, err) == (0, "")
    assert out == render(load_record(cards / "pixel_poet.yaml"))


def test_render_by_path_to_a_file(run, cards, tmp_path):
    code, out, err = run("card", "render", str(cards / "pixel_poet.yaml"), "-o", "out/README.md")
    assert (code, out) == (0, "")
    assert (tmp_path / "out" / "README.md").read_text(encoding="utf-8") == render(
        load_record(cards / "pixel_poet.yaml")
    )
    assert "wrote out/README.md" in err


def test_render_several_into_a_folder(run, cards, tmp_path):
    code, _, _ = run("card", "render", "pixel_poet", "alpha-mid_1-zeta_z", "-o", "out")
    assert code == 0
    assert sorted(p.parent.name for p in (tmp_path / "out").glob("*/README.md")) == ["alpha-mid_1-zeta_z", "pixel_poet"]


def test_render_writes_nothing_when_one_record_is_bad(run, cards, tmp_path):
    (cards / "bad.yaml").write_text("users: []\n", encoding="utf-8")
    code, out, err = run("card", "render", "pixel_poet", "bad", "-o", "out")
    assert code == 1
    assert err == "hf-tweets: error: cards/bad.yaml: users: needs at least one user; add one under users:\n"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("how", ["flag", "env"])
def test_cards_dir_flag_and_variable(run, tmp_path, monkeypatch, how):
    elsewhere = tmp_path / "elsewhere"
    save_record(make_record(), elsewhere / "pixel_poet.yaml")
    args = ["--cards-dir", str(elsewhere)] if how == "flag" else []
    if how == "env":
        monkeypatch.setenv("HF_TWEETS_CARDS_DIR", str(elsewhere))
    code, out, _ = run("card", "render", "pixel_poet", *args)
    assert code == 0 and "huggingtweets/pixel_poet" in out


def test_import_writes_records_and_reports(run, seed_cards, tmp_path):
    code, out, err = run("card", "import", *sorted(map(str, seed_cards.iterdir())))
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "cards").iterdir()) == [
        "dril-gnomeszs-s4m31p4n.yaml",
        "mike_massive.yaml",
        "the___missile.yaml",
    ]
    assert out.count("(written)") == 3
    code, out, _ = run("card", "import", str(seed_cards / "mike_massive.README.md"))
    assert "(unchanged)" in out


def test_import_keeps_publish_state(run, tmp_path):
    record = make_record(publish={"commit": "c" * 40})
    save_record(record, tmp_path / "cards" / "pixel_poet.yaml")
    (tmp_path / "README.md").write_text(render(make_record(license="apache-2.0")), encoding="utf-8")
    assert run("card", "import", "README.md")[0] == 0
    updated = load_record(tmp_path / "cards" / "pixel_poet.yaml")
    assert (updated.license, updated.published().commit) == ("apache-2.0", "c" * 40)


def test_import_failure_writes_no_record_and_goes_on(run, seed_cards, tmp_path):
    (tmp_path / "broken.md").write_text("# just a heading\n", encoding="utf-8")
    code, out, err = run("card", "import", "broken.md", str(seed_cards / "mike_massive.README.md"), "missing.md")
    assert code == 1
    assert err.splitlines() == [
        "hf-tweets: error: broken.md: has no YAML front matter (a --- block at the top); is it a model card README.md?",
        "hf-tweets: error: missing.md: No such file or directory",
    ]
    assert [p.name for p in (tmp_path / "cards").iterdir()] == ["mike_massive.yaml"]


def test_unknown_record_is_one_line_and_exit_1(run):
    code, out, err = run("card", "render", "nobody")
    assert (code, out) == (1, "")
    assert err == (
        "hf-tweets: error: nobody: no such record (looked for cards/nobody.yaml); pass a path,"
        " set --cards-dir, or create one with hf-tweets card import README.md\n"
    )


def test_secrets_never_reach_the_output(run, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    code, out, err = run("card", "render", TOKEN)
    assert code == 1
    assert TOKEN not in out + err and "***" in err


def test_unexpected_errors_are_one_line_unless_debugging(run, monkeypatch, cards):
    import hf_tweets.cards.commands

    def boom(*args, **kwargs):
        raise RuntimeError(f"disk on fire\nsecond line {TOKEN}")

    monkeypatch.setattr(hf_tweets.cards.commands, "render_records", boom)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    code, _, err = run("card", "render", "pixel_poet")
    assert code == 1
    assert (
        err
        == "hf-tweets: error: RuntimeError: disk on fire second line *** (set HF_TWEETS_DEBUG=1 for the traceback)\n"
    )
    monkeypatch.setenv("HF_TWEETS_DEBUG", "1")
    with pytest.raises(RuntimeError):
        run("card", "render", "pixel_poet")


def test_usage_errors_exit_2(run):
    code, _, err = run("card", "render")
    assert code == 2 and "Missing argument" in err


@pytest.mark.slow
def test_python_dash_m_and_console_script(cards, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HF_TOKEN"}
    by_module = subprocess.run(
        [sys.executable, "-m", "hf_tweets", "card", "render", "pixel_poet"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    script = os.path.join(os.path.dirname(sys.executable), "hf-tweets")
    by_script = subprocess.run(
        [script, "card", "render", "pixel_poet"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert by_module.returncode == by_script.returncode == 0
    assert by_module.stdout == by_script.stdout == render(load_record(cards / "pixel_poet.yaml"))
    version = subprocess.run([script, "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("hf-tweets, version ")


def test_seed_cards_render_and_reimport(run, seed_cards, tmp_path):
    run("card", "import", *map(str, seed_cards.iterdir()))
    code, _, _ = run("card", "render", "mike_massive", "the___missile", "dril-gnomeszs-s4m31p4n", "-o", "out")
    assert code == 0
    for readme in (tmp_path / "out").glob("*/README.md"):
        record = load_record(tmp_path / "cards" / f"{readme.parent.name}.yaml")
        assert import_card(readme.read_text(encoding="utf-8")) == record
    assert run("card", "check", "out", "cards")[0] == 0
    assert SEED_CARDS.exists()


@pytest.mark.parametrize("argv, frozen", [(None, True), (["--version"], False)], ids=["the process's own", "a call"])
def test_only_the_processs_own_command_skips_the_last_collection(monkeypatch, argv, frozen):
    """An interpreter that imported torch and transformers spends some 1.2 s of its end in a last garbage
    collection: the console script's main freezes what is left as it exits. A call with an argv (a test, a batch
    worker in a host) is one command of many: its garbage must stay collectable."""
    import gc

    from hf_tweets import cli

    calls = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(sys, "argv", ["hf-tweets", "--version"])
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 0
    assert calls == (["freeze"] if frozen else [])
