"""card check: one line per problem, exit 1; clean cards and records pass."""

from __future__ import annotations

import pytest

from hf_tweets.cards.check import check_readme_text
from hf_tweets.cards.recordfile import save_record
from hf_tweets.cards.render import render

from conftest import SEED_CARDS, THREE, TRAINING, WANDB, make_record

GOOD = render(make_record(THREE, training=TRAINING, wandb=WANDB))

BAD = [
    ("script tag", lambda t: t + "\n<script>alert(1)</script>\n", "html: <script> is not allowed"),
    (
        "event handler",
        lambda t: t + '\n<img src="https://a.example/x.png" onerror="alert(1)">\n',
        "html: <img onerror=...> is an event handler",
    ),
    (
        "javascript link",
        lambda t: t + "\n[click](javascript:alert(1))\n",
        "link: 'javascript:alert(1)': URL must start with http",
    ),
    (
        "html javascript href",
        lambda t: t + '\n<a href="javascript:alert(1)">x</a>\n',
        "html: <a href='javascript:alert(1)'>",
    ),
    (
        "css url",
        lambda t: t.replace("url('https://pbs.twimg.com/z_400x400.jpg')", "url('javascript:alert(1)')"),
        "style url()",
    ),
    ("empty link", lambda t: t + "\n[nothing]()\n", "a link has no URL"),
    ("iframe", lambda t: t + '\n<iframe src="https://evil.example"></iframe>\n', "<iframe> is not allowed"),
    (
        "table sum",
        lambda t: t.replace("| Tweets kept | 7 | 10 | 30 |", "| Tweets kept | 7 | 11 | 30 |"),
        "column 2: Tweets kept is 11, but Tweets downloaded - Retweets - Short tweets = 10",
    ),
    (
        "None in a row",
        lambda t: t.replace("| Eval loss | 3.5 |", "| Eval loss | None |"),
        "row 'Eval loss' has no values",
    ),
    (
        "broken front matter",
        lambda t: t.replace("language: en", "language: [en"),
        "front matter: does not load with huggingface_hub ModelCard",
    ),
]


def test_good_cards_have_no_problems():
    assert check_readme_text(GOOD, "README.md") == []
    for seed in SEED_CARDS.iterdir():
        assert check_readme_text(seed.read_text(encoding="utf-8"), seed.name) == []


@pytest.mark.parametrize("what, breakage, expected", BAD, ids=[b[0] for b in BAD])
def test_problems_are_found(what, breakage, expected):
    problems = [str(p) for p in check_readme_text(breakage(GOOD), "README.md")]
    assert any(expected in p for p in problems), problems


def test_cli_reports_one_line_per_problem(run, tmp_path):
    (tmp_path / "bad.md").write_text(GOOD + "\n<script>x</script>\n[a](javascript:x)\n", encoding="utf-8")
    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    cards = tmp_path / "cards"
    save_record(make_record(), cards / "ok.yaml")
    (cards / "broken.yaml").write_text("users:\n- handle: no-dash\n", encoding="utf-8")
    code, out, err = run("card", "check", str(tmp_path / "bad.md"), str(tmp_path / "good.md"), str(cards))
    assert code == 1
    lines = out.splitlines()
    assert all(line.startswith(str(tmp_path)) for line in lines)
    assert any("bad.md: html: <script>" in line for line in lines)
    assert any("bad.md: link: 'javascript:x'" in line for line in lines)
    assert any("broken.yaml: users[0].handle:" in line for line in lines)
    assert any("broken.yaml: users[0].display_name: is missing; add it" in line for line in lines)
    assert not any("good.md" in line or "ok.yaml" in line for line in lines)


def test_cli_all_clean_exits_zero(run, tmp_path):
    save_record(make_record(), tmp_path / "cards" / "ok.yaml")
    code, out, err = run("card", "check", "cards")
    assert (code, out) == (0, "")
    assert "1 file checked, no problems" in err
