# Estuary Portal. `make run` serves the site on the embedded defaults; `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
# The newest Python 3.12+ on this machine: PATH first, then pyenv's installs (its shims answer
# "command not found" for versions that are not selected, so each candidate is tried for real).
PYTHON ?= $(shell for c in python3.14 python3.13 python3.12 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	if "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then command -v "$$c"; break; fi; done)

# Tests use the real services; each can be pointed elsewhere from the environment.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/estuary
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
# One test process per core (pytest-xdist), whole files to each: most tests wait on a worker, a
# browser or a subprocess, so two processes keep both cores busy. tests/testenv.py gives each
# process its own database, Redis db and var/ folder. `make test PYTEST_ARGS=` runs them in one.
# Files are handed out in the order tests/conftest.py sorts them (the longest first).
PYTEST_ARGS ?= -n 2 --dist loadfile --no-loadscope-reorder --durations=25
# Benchmarks get a Redis db of their own, far from the tests' (which flush theirs between tests,
# and use the next ones up under `pytest -n`).
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: help run test bench bench-tools audit lint format messages services test-tools clean

help:
	@echo "make run    serve the site on http://127.0.0.1:$(PORT)/ with a Celery worker and beat (embedded defaults)"
	@echo "make test   ruff, migrations check, deploy check, and the whole suite on PostgreSQL + Redis"
	@echo "make bench  benchmarks; results in bench/results/"
	@echo "make audit  bandit over the code, pip-audit over the pinned dependencies"

$(PY):
	@if [ -z "$(PYTHON)" ]; then \
		echo "Python 3.12 or newer is needed and none was found." >&2; \
		echo "Install one (e.g. 'pyenv install 3.13' or Debian's python3.13 package) or set PYTHON=/path/to/python3.12." >&2; \
		exit 1; fi
	@echo "Creating $(VENV) with $(PYTHON)"
	"$(PYTHON)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime

# Start PostgreSQL and Redis where they are installed but stopped.
services:
	@if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
		echo "Starting PostgreSQL"; \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -V | tail -n1) main start; \
		for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; fi
	@if command -v redis-server >/dev/null && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then \
		echo "Starting Redis"; \
		mkdir -p /var/lib/redis /var/log/redis; \
		redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
			--dir /var/lib/redis --logfile /var/log/redis/ci.log; \
		for i in $$(seq 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done; fi

# What the tests drive or call, from Debian's packages when missing: Chromium for the browser
# tests (and a Chinese font for their screenshots), gpg, sha256sum, curl, file, dtc, nginx;
# what the shipped build recipes run (builds/seeds.py: cpio, flock) and the QEMU that boot-tests
# their kernels (qemu-system-arm); then axe-core, pinned in package.json, into node_modules/
# with npm (the accessibility test).
test-tools:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v gpg >/dev/null || missing="$$missing gnupg"; \
	command -v sha256sum >/dev/null || missing="$$missing coreutils"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-wqy-zenhei"; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	command -v file >/dev/null || missing="$$missing file"; \
	command -v dtc >/dev/null || missing="$$missing device-tree-compiler"; \
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	command -v cpio >/dev/null || missing="$$missing cpio"; \
	command -v flock >/dev/null || missing="$$missing util-linux"; \
	command -v qemu-system-aarch64 >/dev/null || missing="$$missing qemu-system-arm"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else echo "Please install:$$missing (Debian packages)" >&2; exit 1; fi; fi
	@[ -f node_modules/axe-core/axe.min.js ] || npm ci --no-audit --no-fund --loglevel error

# ruff, and bandit over the site's own code: each finding it would report is explained where
# it stands, with # nosec and the reason (a finding left unexplained fails make test).
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -q -r $(APPS) -x '*/migrations/*'

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: $(VENV)/.dev services test-tools lint
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	DEBUG=0 HTTPS=1 SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
		ALLOWED_HOSTS=estuary.example.org EMAIL_URL=smtp+tls://mail.example.org:587 VAR_DIR=var/deploy-check \
		$(PY) manage.py check --deploy --fail-level WARNING
	DATABASE_URL="$(TEST_DATABASE_URL)" REDIS_URL="$(TEST_REDIS_URL)" $(PY) -m pytest $(PYTEST_ARGS)

run: $(VENV)/.runtime
	@mkdir -p var
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --no-input
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo
	@# Web server, Celery worker and Celery beat, each in its own process group; Ctrl-C or
	@# SIGTERM stops all three within seconds (portal/management/commands/runsite.py).
	DEBUG=$${DEBUG:-1} exec $(PY) manage.py runsite --port $(PORT)

# What the benches drive, from Debian's packages when missing: wrk (the load generator).
bench-tools:
	@if ! command -v wrk >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing: wrk"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
		else echo "Please install: wrk (Debian package)" >&2; exit 1; fi; fi

# BENCH_ARGS: names of benches, --scale small|full (the site bench), `load --minutes 10`.
bench: $(VENV)/.dev services bench-tools
	DATABASE_URL="$(TEST_DATABASE_URL)" REDIS_URL="$(BENCH_REDIS_URL)" $(PY) -m bench $(BENCH_ARGS)

# The sections: every folder with an apps.py.
APPS := $(patsubst %/apps.py,%,$(wildcard */apps.py))

# lint's bandit, then pip-audit over the pinned dependencies. --strict: a package whose
# vulnerability data cannot be fetched fails the audit instead of passing unchecked.
audit: lint
	$(VENV)/bin/pip-audit --strict --progress-spinner off -r requirements.txt

messages: $(VENV)/.dev
	DEBUG=1 $(PY) manage.py makemessages -l zh_Hans --ignore '.venv/*' --ignore 'var/*' --ignore 'node_modules/*'
	DEBUG=1 $(PY) manage.py compilemessages -l zh_Hans -l en --ignore '.venv/*' --ignore 'node_modules/*'

clean:
	rm -rf var/test var/screenshots .pytest_cache .ruff_cache node_modules
