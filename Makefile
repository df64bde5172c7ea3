# The two commands a newcomer needs: `make run` and `make test`.
# Everything they need is installed from here: Python packages into .venv,
# Bootstrap from the npm registry into static/vendor.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
# The demo data lies in 2015-2016; the demo's clock starts inside the programme.
DEMO_CLOCK ?= 2016-01-18T09:00

.PHONY: run test lint format install assets migrate demo serve bench messages clean

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c requirements.lock -e ".[dev]"
	touch $@

install: $(VENV)/.installed

static/vendor/.built: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor/bootstrap
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map static/vendor/bootstrap/
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map static/vendor/bootstrap/
	touch $@

assets: static/vendor/.built

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

# The import worker runs beside the server (HR's confirmed imports are written by it),
# and stops with it.
run: install assets demo
	@echo "Serving the portal at http://127.0.0.1:$(PORT) (demo clock: $(DEMO_CLOCK))"
	PORTAL_CLOCK=$(DEMO_CLOCK) $(PY) manage.py run_imports --loop & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  PORTAL_CLOCK=$(DEMO_CLOCK) $(PY) manage.py runserver 127.0.0.1:$(PORT)

# Production as it runs: gunicorn (gunicorn.conf.py), DEBUG off, whitenoise serving the
# collected, compressed and hashed static files, PostgreSQL from DATABASE_URL.
# Needs SECRET_KEY, DATABASE_URL and PORTAL_URL in the environment (docs/operations.md).
serve: install assets
	@case "$$DATABASE_URL" in postgres://*|postgresql://*) ;; \
	  *) echo "make serve needs DATABASE_URL=postgres://... (PostgreSQL)"; exit 2;; esac
	@test -n "$$SECRET_KEY" || { echo "make serve needs SECRET_KEY (50+ random characters)"; exit 2; }
	@test -n "$$PORTAL_URL" || { echo "make serve needs PORTAL_URL (https://the portal's address)"; exit 2; }
	DJANGO_ENV=production $(PY) manage.py check --deploy --fail-level WARNING
	DJANGO_ENV=production $(PY) manage.py migrate --noinput
	DJANGO_ENV=production $(PY) manage.py collectstatic --noinput --verbosity 0
	DJANGO_ENV=production $(VENV)/bin/gunicorn --config gunicorn.conf.py

# The load benchmark (docs/performance.md): seeds 30,000 leaders into a separate database.
bench: install assets
	$(PY) bench/load.py $(BENCH_ARGS)

# The suite runs in TEST_WORKERS processes at once (pytest-xdist), each with a test
# database of its own; TEST_WORKERS=0 runs it in this one process.
TEST_WORKERS ?= 2

test: install assets lint
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --maxschedchunk 1 $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Danish translations: extract new strings, then translate locale/da/LC_MESSAGES/django.po.
messages: install
	$(PY) manage.py makemessages --locale da --no-obsolete --ignore=.venv --ignore=node_modules --ignore=artifacts --ignore=staticfiles --ignore=bench --ignore=tests
	$(PY) manage.py compilemessages --locale da --ignore=.venv

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles var
