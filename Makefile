# Set-up contract: `make demo` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_SUBJECTS ?= 5000
DEMO_SEED ?= 2014
PORT ?= 8000

.PHONY: demo test test-pg test-browser ci lint bench serve clean venv

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/xinyong migrate --noinput
	$(BIN)/xinyong catalog sync
	$(BIN)/xinyong demo --subjects $(DEMO_SUBJECTS) --seed $(DEMO_SEED) --if-empty
	$(BIN)/xinyong serve --port $(PORT)

serve: $(STAMP)
	$(BIN)/xinyong serve --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest -m "not browser" -n 2

# the portal in Debian's Chromium (/usr/bin/chromium, Playwright), on a demo province; every
# browser test lives in tests/browser (docs/operations.md, "CI")
test-browser: $(STAMP)
	$(BIN)/python -m pytest -m browser tests/browser

# the suite on a throwaway PostgreSQL server that .ci/run starts and removes (see docs/operations.md)
test-pg: $(STAMP)
	bash .ci/run postgres

# everything CI runs: SQLite, PostgreSQL, the xinyong command on PostgreSQL, browser tests
ci:
	bash .ci/run

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var/test-*
