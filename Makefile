# Two commands do all the set-up on a fresh machine:
#   make brief   creates .venv, installs reportgen, builds build/armenia-brief.pdf and .docx
#   make test    the same environment, then ruff, mypy and the test suite
#   make bench   the benchmark (bench/README.md)
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: brief test lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

brief: $(STAMP)
	$(VENV)/bin/reportgen build

lint: $(STAMP)
	$(VENV)/bin/ruff check reportgen tests scripts bench

# Strict on reportgen/ (pyproject.toml's [tool.mypy]).
typecheck: $(STAMP)
	$(VENV)/bin/mypy

test: lint typecheck
	$(VENV)/bin/python -m pytest -p no:cacheprovider

# The benchmark against Pandoc + WeasyPrint (several minutes; see bench/README.md).
bench: $(STAMP)
	$(VENV)/bin/pip install --quiet -e '.[test,bench]'
	$(VENV)/bin/python bench/run.py

clean:
	rm -rf build figures/*.svg figures/*.png
