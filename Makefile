# The project's tasks, each one line of what .ci/setup and .ci/run do (CI runs .ci/run itself).
.PHONY: setup test test-fast lint format docs docs-serve reference

setup:  ## .venv with hf-tweets (editable), its test, lint and docs tools, and transformers.js for the browser tests
	bash .ci/setup

test:  ## the whole suite: the README's test command, what CI runs
	.venv/bin/python -m pytest

test-fast:  ## the suite without the slow tests (kill -9 enumerations, trainings, Ray, jobs, browsers)
	.venv/bin/python -m pytest -m "not slow"

lint:  ## the lint gates of .ci/run: ruff, its format check, and mypy on src/
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

format:  ## fix what lint's format check finds
	.venv/bin/ruff format .

reference:  ## regenerate the docs' reference pages from the code (commands, variables, schema, errors)
	.venv/bin/python docs/gen_reference.py

docs:  ## build the docs site as CI does (a broken link fails it); the site goes to site/
	NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --quiet

docs-serve:  ## the docs site on http://127.0.0.1:8000, rebuilt as you edit
	.venv/bin/mkdocs serve
