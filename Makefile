# The two commands a newcomer needs: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: audit translations demo test test-slow bench bench-intake bench-indicators setup jars lint down status clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools
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

# UI strings: extract from the web pages' templates and code, merge into every catalogue
translations: setup
	$(BIN)/pybabel extract -F services/web/babel.cfg -k N_ -k _t -k gettext -k ngettext:1,2 \
		--no-location --sort-output --project "ACT Now Monitoring Tool" \
		-o services/web/translations/messages.pot .
	for lang in mk sq sr_Cyrl bs cnr; do \
		if [ -f services/web/translations/$$lang/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update --no-fuzzy-matching -l $$lang \
				-i services/web/translations/messages.pot -d services/web/translations; \
		else \
			$(BIN)/pybabel init -l $$lang -i services/web/translations/messages.pot \
				-d services/web/translations; \
		fi; \
	done
	# Serbian Latin is Serbian Cyrillic, transliterated letter for letter
	$(BIN)/python -m services.web.transliteration

# supply chain: known vulnerabilities of the installed packages, and bandit's findings
audit: setup
	$(BIN)/pip-audit --skip-editable --strict || { echo "pip-audit failed (above):" \
		"auditing with PyPI's project documents (deploy/audit_packages.py)"; \
		$(BIN)/python deploy/audit_packages.py --accept-unaudited jsonschema-rs; }
	$(BIN)/bandit -q -r services shared --severity-level high

# issue 10: faults under a mixed load, and sustained intake (each on a stack of its own)
.PHONY: bench-faults bench-load
bench-faults: setup jars
	$(BIN)/python bench/faults.py $(ARGS)

bench-load: setup jars
	$(BIN)/python bench/load.py $(ARGS)
