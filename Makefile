# Fakturera: `make run` and `make test` are the two set-up commands (see README.md).
# Both install everything they need on a fresh machine: uv (via pip), the locked
# Python dependencies, and for the browser tests Debian's chromium.
# DATABASE_URL=postgres://... runs them on PostgreSQL; without it the embedded
# SQLite database in var/ is used.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

UV := scripts/uv
RUN := $(UV) run --no-sync
FAKTURERA := $(RUN) fakturera
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
ONLY ?=
N ?=
WORKERS ?=
CHROMIUM ?= /usr/bin/chromium

.PHONY: help install translations chromium run test property bench restore-drill ha-drill chaos lint format

help:
	@echo "make run     install, migrate, load the demo data, serve http://$(HOST):$(PORT)/ with a task worker"
	@echo "make test    install and run the whole test suite, a process per core (PYTEST_WORKERS=0 for none; PYTEST_ARGS=... passes options to pytest)"
	@echo "make property  the Peppol property test with many examples (FAKTURERA_PROPERTY_EXAMPLES, default 1000)"
	@echo "make bench   performance measurements on PostgreSQL (ONLY=issue runs one; N=... its size; WORKERS=1,2,4 for month_end)"
	@echo "make restore-drill  pg_dump a live database, restore it into a fresh one, check documents, numbering, login"
	@echo "make ha-drill  lose the primary database (pg_auto_failover) while invoices are delivered; check nothing is lost"
	@echo "make chaos   a month-end while workers are killed and PostgreSQL restarts; checked (N=20000)"
	@echo "make lint    ruff check, ruff format --check and the import layering (lint-imports)"

install:
	@$(UV) sync --frozen

# The .mo files are build output (.gitignore); nothing to do before the first catalogue exists.
# Each catalogue compiled when its .po is newer, to a file beside it renamed over: CI's two suites
# run this side by side while the other's processes may be loading the catalogue.
translations: install
	@for po in fakturera/locale/*/LC_MESSAGES/django.po; do \
		[ -e "$$po" ] || continue; mo="$${po%.po}.mo"; \
		if [ ! "$$mo" -nt "$$po" ]; then \
			$(RUN) pybabel compile -i "$$po" -o "$$mo.$$$$" && mv -f "$$mo.$$$$" "$$mo" || { rm -f "$$mo.$$$$"; exit 1; }; \
		fi; \
	done

chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "Installing Debian's chromium for the browser tests ..."; \
		sudo=""; if [ "$$(id -u)" != 0 ]; then sudo="sudo"; fi; \
		export DEBIAN_FRONTEND=noninteractive; \
		if ! { $$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq && $$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null; }; then \
			echo "error: could not install chromium with apt-get; the browser tests need $(CHROMIUM)." >&2; \
			exit 1; \
		fi; \
	fi
	@test -x "$(CHROMIUM)" || { echo "error: $(CHROMIUM) is still missing." >&2; exit 1; }

# The local demo runs with DEBUG on (plain HTTP, the development SECRET_KEY); without
# FAKTURERA_DEBUG=1 the settings are production's (README, "Settings").
run: export FAKTURERA_DEBUG := 1
run: install translations
	@$(RUN) python scripts/ensure_database.py
	@$(FAKTURERA) migrate --noinput --verbosity 0
	@$(FAKTURERA) demo
	@$(FAKTURERA) collectstatic --noinput --verbosity 0
	@HOST=$(HOST) PORT=$(PORT) scripts/serve

# The suite runs in PYTEST_WORKERS processes (pytest-xdist; auto, or empty: one per core), each with a
# test database of its own; worksteal gives a process that ran out of tests some of another's.
PYTEST_WORKERS ?= auto
test: install translations chromium
	$(RUN) pytest -n $(or $(PYTEST_WORKERS),auto) --dist worksteal $(PYTEST_ARGS)

# Issue 13: every document the services accept is valid Peppol, tried on many more
# generated examples than the suite's 40 (about 0.6 s each, and one validator run).
FAKTURERA_PROPERTY_EXAMPLES ?= 1000
property: install translations
	FAKTURERA_PROPERTY_EXAMPLES=$(FAKTURERA_PROPERTY_EXAMPLES) $(RUN) pytest -s \
		fakturera/documents/tests/test_valid_everywhere.py $(PYTEST_ARGS)

bench: install
	@scripts/postgres-up
	$(RUN) python -m bench.run $(if $(ONLY),--only $(ONLY)) $(if $(N),--n $(N)) $(if $(WORKERS),--workers $(WORKERS))

# Issue 17: backup and restore, proven (drills/restore.py; README, "Backup and restore").
restore-drill: install translations
	@scripts/postgres-up
	$(RUN) python -m drills.restore

# Issue 17: database failover, proven (drills/ha.py; README, "Database failover"). Installs
# pg_auto_failover with apt-get when missing; runs its own PostgreSQL nodes on 55432-55434.
ha-drill: install translations
	$(RUN) python -m drills.ha $(HA_DRILL_ARGS)

# Issue 17: month-end proven under faults (drills/chaos.py; README, "Proven under faults").
# It restarts the PostgreSQL server once (CHAOS_ARGS=--no-postgres-restart leaves it alone).
CHAOS_ARGS ?=
chaos: install translations
	@scripts/postgres-up
	$(RUN) python -m drills.chaos $(if $(N),--n $(N)) $(CHAOS_ARGS)

lint: install
	$(RUN) ruff check
	$(RUN) ruff format --check
	$(RUN) lint-imports

format: install
	$(RUN) ruff format
	$(RUN) ruff check --fix
