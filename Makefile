# Between: `make run` starts everything on the embedded default (SQLite + file-system broker);
# `make test` runs the whole test suite. Both create .venv and install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
export TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
export REDIS_URL_FOR_TESTS ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/0)

.PHONY: run test install install-dev lint typecheck format bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(RUN_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt package-lock.json | $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt
	@# axe-core for the browser tests' accessibility checks (pinned in package-lock.json).
	@if command -v npm > /dev/null; then npm ci --no-audit --no-fund --silent; \
	  else echo "npm not found: the browser tests will skip (axe-core missing)"; fi
	touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)
install-dev: $(DEV_STAMP)

run: $(RUN_STAMP)
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py loaddemo
	DEBUG=1 $(PY) manage.py vapid_keys --embedded
	@echo
	@echo "Between is starting at http://127.0.0.1:8000/ (web, Celery worker and beat; Ctrl-C stops all three)."
	@echo "Demo logins (password between-demo): therapist@example.com, therapist2@example.com, client@example.com, staff@example.com"
	@echo
	DEBUG=1 PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho -f Procfile start

test: $(DEV_STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash tests/run.sh

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy with django-stubs and djangorestframework-stubs (configured in pyproject.toml); the
# settings need DEBUG or a SECRET_KEY to load, and nothing else.
typecheck: $(DEV_STAMP)
	DEBUG=1 $(VENV)/bin/mypy

format: $(DEV_STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(DEV_STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash bench/run.sh

clean:
	rm -rf var/ .pytest_cache .ruff_cache
