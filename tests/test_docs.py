"""The docs: generated pages match the code, named tests exist, the README stays a short door to them."""

from __future__ import annotations

import importlib.util
import io
import re
import shlex

import pytest

from hf_tweets import settings
from hf_tweets.cards import yamlio
from hf_tweets.cards.record import validate_record
from hf_tweets.cli import cli

from conftest import REPO_ROOT

DOCS = REPO_ROOT / "docs"
README = REPO_ROOT / "README.md"
SETUP_AND_RUN = (
    "bash .ci/setup && .venv/bin/hf-tweets run --archive examples/sample-archive.zip --base-model tiny --epochs 40"
)
TESTS = ".venv/bin/python -m pytest"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_reference", DOCS / "gen_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _bash_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, re.S)]


def test_generated_pages_are_current():
    generator, out = _generator(), io.StringIO()
    code = generator.cog(check=True, stdout=out)
    print(out.getvalue())  # cog's diff, shown with the failure
    stale = [re.sub(r".*/docs/", "docs/", p) for p in re.findall(r"Checking (\S+)\s+\(changed\)", out.getvalue())]
    assert code == 0, f"generated docs out of date ({', '.join(stale)}): run {generator.REGENERATE}"


def test_every_generated_page_has_content():
    pages = {p.relative_to(DOCS).as_posix() for p in _generator().pages()}
    assert pages == {
        "concepts/architecture.md",
        "guides/accounts.md",
        "reference/commands.md",
        "reference/environment.md",
        "reference/errors.md",
        "reference/record.md",
    }
    commands = (DOCS / "reference" / "commands.md").read_text(encoding="utf-8")
    assert "## hf-tweets optout remove\n\n```text\nUsage: hf-tweets optout remove [OPTIONS] ACCOUNTS...\n" in commands


def test_the_readme_is_a_door():
    assert len(README.read_bytes()) < 8192


def test_the_readme_quickstart_is_what_ci_sets_up_and_runs():
    setup_and_run, tests = _bash_blocks(README.read_text(encoding="utf-8"))[:2]
    assert (setup_and_run, tests) == (SETUP_AND_RUN, TESTS)
    ci = [line for line in (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert "bash .ci/setup" in ci and ci[-1] == TESTS  # CI ends with the README's test command
    assert ".venv/bin/python" in (REPO_ROOT / ".ci" / "setup").read_text(encoding="utf-8")  # what .ci/setup makes
    args = shlex.split(setup_and_run.removeprefix("bash .ci/setup && .venv/bin/hf-tweets "))
    context = cli.make_context("hf-tweets", args)
    command = cli.get_command(context, args[0])
    assert command.make_context("run", args[1:], parent=context).params["archive"].name == "sample-archive.zip"
    assert (REPO_ROOT / "examples" / "sample-archive.zip").is_file()


def test_the_docs_quickstart_says_the_same():
    blocks = _bash_blocks((DOCS / "getting-started" / "quickstart.md").read_text(encoding="utf-8"))
    assert blocks[:2] == [SETUP_AND_RUN, TESTS]


def test_the_readme_links_resolve():
    links = re.findall(r"\]\(([^)#]+)[^)]*\)", README.read_text(encoding="utf-8"))
    local = [link for link in links if "://" not in link]
    assert local and [link for link in local if not (REPO_ROOT / link).exists()] == []


def test_the_example_record_validates():
    text = (DOCS / "reference" / "record.md").read_text(encoding="utf-8")
    record = validate_record(yamlio.load(re.search(r"```yaml\n(.*?)```", text, re.S).group(1)), "record.md")
    assert record.repo_id == "huggingtweets/pixel_poet" and record.users[0].counts.kept == 2429


def _named_tests() -> list[tuple[str, str, str]]:
    pages = [README, *DOCS.rglob("*.md")]
    return sorted(
        {
            (page.relative_to(REPO_ROOT).as_posix(), file, name)
            for page in pages
            for file, name in re.findall(r"\b(test_\w+\.py)(?:::(test_\w+))?", page.read_text(encoding="utf-8"))
        }
    )


@pytest.mark.parametrize("page, file, name", _named_tests())
def test_a_test_the_docs_name_exists(page, file, name):
    path = REPO_ROOT / "tests" / file
    assert path.is_file(), f"{page} names tests/{file}, which does not exist"
    if name:
        assert re.search(rf"^def {name}\(", path.read_text(encoding="utf-8"), re.M), f"{page}: no {file}::{name}"


def test_every_secret_is_documented():
    page = (DOCS / "reference" / "environment.md").read_text(encoding="utf-8")
    assert [name for name in settings.SECRET_ENVS if f"`{name}`" not in page] == []
