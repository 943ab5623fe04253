# The two commands a newcomer needs: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: demo test test-slow bench bench-intake bench-indicators setup jars lint down status clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

jars:
	deploy/kafka/fetch.sh >/dev/null

demo: setup jars
	$(BIN)/actnow stack up
	$(BIN)/actnow demo load
	$(BIN)/actnow demo urls

test: setup jars
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

test-slow: setup jars
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

bench: setup jars
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/backbone.py $(ARGS)

bench-intake: setup jars
	$(BIN)/python bench/intake_http.py --batch 10 $(ARGS)

bench-indicators: setup jars
	$(BIN)/python bench/indicators_rebuild.py $(ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

status: setup
	$(BIN)/actnow stack status

down: setup
	$(BIN)/actnow stack down

clean: down
	rm -rf .local
