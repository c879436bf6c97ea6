# One command to see the main job, one to run the tests; both install what they need first.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: install demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/huddlebot demo

test: install
	bash scripts/test_services.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	VENV=$(VENV) bash scripts/run_tests.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench: install
	$(PY) -m pip install -q -e '.[dev,bench]'
	$(PY) -m benchmarks.bench_converter

clean:
	rm -rf $(VENV) build *.egg-info huddlebot.db out
