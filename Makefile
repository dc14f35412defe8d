# Two commands do all the set-up on a fresh machine:
#   make brief   creates .venv, installs reportgen, builds build/armenia-brief.pdf and .docx
#   make test    the same environment, then ruff and the test suite
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: brief test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

brief: $(STAMP)
	$(VENV)/bin/reportgen build

lint: $(STAMP)
	$(VENV)/bin/ruff check reportgen tests scripts

test: lint
	$(VENV)/bin/python -m pytest -p no:cacheprovider

clean:
	rm -rf build figures/*.svg figures/*.png
