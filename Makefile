# Gongzhi: `make run` serves the demo; `make test` is the one gate (local = CI).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/gongzhi
export GONGZHI_TEST_DATABASE_URL ?= $(PG_URL)
PYTEST_WORKERS ?= auto

.PHONY: run serve install install-dev test lint check test-sqlite test-postgres messages bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: install, migrate the embedded SQLite database, load the demo district once, then serve
## (uvicorn: pages, API, WebSocket) with the task worker beside it (imports run there).
run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) load_demo --if-empty
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) welcome --url http://$(HOST):$(PORT)/
	$(MANAGE) db_worker --no-startup-delay --interval 0.5 & worker=$$!; \
	(while sleep 300; do $(MANAGE) cases_sweep; done) & sweeper=$$!; \
	trap 'kill $$worker $$sweeper 2>/dev/null' EXIT INT TERM; \
	$(BIN)/uvicorn gongzhi.asgi:application --host $(HOST) --port $(PORT) --ws websockets

serve: install
	$(BIN)/uvicorn gongzhi.asgi:application --host $(HOST) --port $(PORT) --ws websockets

## test: lint, format, checks, migrations, then the suite on SQLite and on PostgreSQL.
test: install-dev
	bash scripts/ensure-test-services
	$(MAKE) --no-print-directory lint check test-sqlite test-postgres

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

check:
	DJANGO_SETTINGS_MODULE=gongzhi.settings.test $(MANAGE) check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=gongzhi.settings.test $(MANAGE) makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=gongzhi.settings.test $(MANAGE) spectacular --validate --fail-on-warn --file /dev/null

test-sqlite:
	GONGZHI_TEST_DB=sqlite $(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider

test-postgres:
	GONGZHI_TEST_DB=postgres $(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider -m "not browser"

## messages: re-extract the English catalogue and compile it (needs GNU gettext).
messages: install-dev
	$(MANAGE) makemessages --locale en --no-location --ignore ".venv/*" --ignore "staticfiles/*" --ignore "bench/*" --ignore "test-artifacts/*"
	$(MANAGE) compilemessages --locale en --ignore ".venv/*"

bench: install-dev
	$(BIN)/python bench/load_demo.py
	$(BIN)/python bench/territory_pages.py

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
