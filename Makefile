# 亦城 platform: `make run` serves the demo, `make test` runs everything. `make help` lists the rest.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
export PICCOLO_CONF := piccolo_conf

.PHONY: help setup sysdeps sysdeps-test run migrate demo serve create-organizer test test-sqlite test-postgres \
	lint format bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-17s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed ## create the virtual environment and install the project

sysdeps: ## system packages the pages need (CJK font): apt-get installs them as root, else says what to install
	@sh scripts/sysdeps.sh run

sysdeps-test: ## the same, plus what the tests need (Chromium, poppler-utils)
	@sh scripts/sysdeps.sh test

# The local demo: debug (so the committed development key is accepted), the demo zone loaded if empty.
run: setup sysdeps ## the demo: migrate, load the demo zone if empty, serve on YICHENG_HOST:YICHENG_PORT
	YICHENG_DEBUG=$${YICHENG_DEBUG:-1} $(PY) cli.py run --demo

migrate: setup ## apply pending migrations
	$(PY) cli.py migrate

demo: setup ## load the demo data set into an empty database
	$(PY) cli.py demo

serve: setup ## serve without migrating (production settings: YICHENG_SECRET_KEY is required)
	$(PY) cli.py serve

create-organizer: setup ## create or reset an organizer: make create-organizer USERNAME=... NAME=...
	$(PY) cli.py create-organizer "$(USERNAME)" --name "$(NAME)"

lint: setup ## ruff: lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup ## ruff: fix and format
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test-sqlite: setup
	YICHENG_TEST_ENGINE=sqlite $(PY) -m pytest -p no:cacheprovider

test-postgres: setup
	YICHENG_TEST_ENGINE=postgres $(PY) -m pytest -p no:cacheprovider

test: sysdeps-test lint test-sqlite ## lint, then the whole suite on SQLite, and on PostgreSQL when YICHENG_TEST_POSTGRES_URL is set
	@if [ -n "$$YICHENG_TEST_POSTGRES_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "YICHENG_TEST_POSTGRES_URL not set: PostgreSQL run skipped"; fi

bench: setup ## benchmarks against a bare Litestar app on the same server, one `name: value` per line
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) -m bench

clean: ## remove the virtual environment and the local database
	rm -rf $(VENV) yicheng.sqlite3 yicheng.sqlite3-wal yicheng.sqlite3-shm
