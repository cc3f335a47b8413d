# Two commands: `make run` (everything up on embedded defaults) and `make test` (the whole suite on PostgreSQL).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ordermgmt
PYTEST_ARGS ?=

.PHONY: run test lint format install migrate seed bench vendor clean check-deploy schema

$(STAMP): pyproject.toml
	test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

migrate: install
	mkdir -p var
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# Web server, Celery worker and beat on the embedded defaults (SQLite + kombu filesystem broker). Ctrl-C stops all.
run: seed
	mkdir -p var/broker/out var/broker/processed var/celery-results
	@echo "Open http://127.0.0.1:$(PORT)/  (API docs: http://127.0.0.1:$(PORT)/api/docs/)"
	trap 'kill 0' INT TERM EXIT; \
	$(VENV)/bin/celery -A ordermgmt worker -l info --concurrency 2 --pool prefork & \
	$(VENV)/bin/celery -A ordermgmt beat -l info -s var/celerybeat-schedule & \
	$(PY) manage.py runserver 127.0.0.1:$(PORT) & \
	wait

# The whole suite against real PostgreSQL (DATABASE_URL, or the local server) and real Redis.
test: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(VENV)/bin/pytest --create-db -q $(PYTEST_ARGS)

# The committed OpenAPI schema (docs/openapi.yaml); tests/ordermgmt/test_schema.py fails when it differs from the code.
# Generated with the PostgreSQL backend, whose integer ranges the schema states (SQLite's differ).
schema: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) manage.py spectacular --file docs/openapi.yaml --validate

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check-deploy: install
	DJANGO_SETTINGS_MODULE=ordermgmt.settings.production DJANGO_SECRET_KEY=$$(python3 -c 'import secrets;print(secrets.token_urlsafe(50))') \
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \
	$(PY) manage.py check --deploy --fail-level WARNING

# Every benchmark, printing ratios measured side by side (see README, "Benchmarks").
bench: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) bench/run_all.py $(BENCH_ARGS)

# Copy the pinned npm front-end packages into static/vendor (the copies are committed).
vendor:
	npm install --no-audit --no-fund
	cp node_modules/bootstrap/dist/css/bootstrap.min.css* node_modules/bootstrap/dist/js/bootstrap.bundle.min.js* static/vendor/bootstrap/
	cp node_modules/bootstrap-icons/font/bootstrap-icons.min.css static/vendor/bootstrap-icons/
	cp node_modules/bootstrap-icons/font/fonts/* static/vendor/bootstrap-icons/fonts/
	cp node_modules/chart.js/dist/chart.umd.min.js* static/vendor/chartjs/
	mkdir -p static/vendor/axe-core
	cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE static/vendor/axe-core/  # the accessibility tests only

clean:
	rm -rf var/ staticfiles/ test-artifacts/
