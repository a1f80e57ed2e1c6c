# FinBridge. Quick start: `make run` (serve with demo data on SQLite) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= config.settings.base

.PHONY: run serve test test-pg lint format check-migrations messages compilemessages system-deps venv dev-deps demo clean bench vendor

# ---- setup -------------------------------------------------------------------------------------
$(VENV)/.base-installed: requirements/base.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: on Debian run 'apt-get install -y python3-venv'"; exit 1; }
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements/base.txt
	@touch $@

$(VENV)/.dev-installed: $(VENV)/.base-installed requirements/dev.txt
	$(PIP) install --quiet -r requirements/dev.txt
	@touch $@

venv: $(VENV)/.base-installed
dev-deps: $(VENV)/.dev-installed

# Debian packages the test suite needs: Chromium for browser tests, CJK fonts for readable screenshots,
# gettext for message extraction. Installed only when missing (needs root or sudo).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v xgettext >/dev/null 2>&1 || missing="$$missing gettext"; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

compilemessages: venv
	$(VENV)/bin/pybabel compile --domain django --directory locale --statistics 2>&1 | grep -v "^$$" || true

# ---- run ---------------------------------------------------------------------------------------
demo: venv compilemessages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty

run: demo
	@echo "FinBridge on http://$(HOST):$(PORT)/  (demo logins: see README.md)"
	$(PY) manage.py runserver $(HOST):$(PORT)

# ---- quality -----------------------------------------------------------------------------------
test: dev-deps system-deps compilemessages
	$(VENV)/bin/pytest -n 2 --ds=config.settings.test

test-pg: dev-deps system-deps compilemessages
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/finbridge} $(VENV)/bin/pytest -n 2 --ds=config.settings.test

lint: dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: dev-deps
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check-migrations: venv
	$(PY) manage.py makemigrations --check --dry-run

messages: dev-deps
	$(PY) manage.py makemessages --locale zh_Hans --locale en --no-obsolete --ignore ".venv/*" --ignore "staticfiles/*" --ignore "tests/*" --ignore "node_modules/*" --ignore "media/*"

bench: dev-deps
	$(PY) -m bench.run_all

# ---- maintenance -------------------------------------------------------------------------------
vendor:
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent htmx.org@2.0.11 bootstrap@5.3.9 echarts@5.6.0 >/dev/null && \
	  for t in *.tgz; do mkdir -p "$${t%.tgz}" && tar xzf "$$t" -C "$${t%.tgz}"; done && \
	  cp htmx.org-2.0.11/package/dist/htmx.min.js $(CURDIR)/static/vendor/htmx/ && \
	  cp bootstrap-5.3.9/package/dist/css/bootstrap.min.css bootstrap-5.3.9/package/dist/js/bootstrap.bundle.min.js $(CURDIR)/static/vendor/bootstrap/ && \
	  mkdir -p $(CURDIR)/static/vendor/echarts && cp echarts-5.6.0/package/dist/echarts.min.js echarts-5.6.0/package/LICENSE $(CURDIR)/static/vendor/echarts/ && \
	  rm -rf $$tmp && echo "vendored htmx 2.0.11, bootstrap 5.3.9 and echarts 5.6.0 into static/vendor"

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
