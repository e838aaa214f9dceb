# mathreel: the two front-door commands. Both set up what is missing first
# (Debian packages, .venv, the package, KaTeX) and are fast when nothing is.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-16)

.PHONY: site test bench bench-quick setup system assets lint clean help

help:
	@echo "make site   set up, then build the gallery into site/ (no API key needed)"
	@echo "make test   set up, then run the whole test suite"
	@echo "make lint   ruff and mypy --strict on builder/"
	@echo "make bench  set up, run every benchmark, write bench/results/ and bench/RESULTS.md (long)"
	@echo "make bench-quick  the quick benchmark subset (a few minutes)"

site: setup
	$(VENV)/bin/mathreel build

test: setup
	$(PY) -m pytest -n 2 --durations=15

# Benchmarks store raw numbers in bench/results/*.json and render bench/RESULTS.md from them.
bench: setup
	$(PY) -m bench

bench-quick: setup
	$(PY) -m bench --quick

setup: system $(STAMP) assets

system:
	@bash scripts/setup-system.sh

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

assets:
	@bash scripts/setup-assets.sh

lint: setup
	$(VENV)/bin/ruff check builder tests
	$(VENV)/bin/mypy

clean:
	rm -rf site .cache
