# The map of the data flow: raw/ → interim/{extract,clean,structure,merge} → processed/*.parquet
# One target per stage of the registry (pipeline/runtime/registry.py; a test checks they agree). Every
# target asks the orchestrator to run its stage, which redoes only what changed, by content hash:
# make keeps no stamps of its own, so nothing it remembers can disagree with raw/.
#   make all                      set up .venv if needed, then run every stage on raw/ (one process)
#   make all RAW=dir INTERIM=dir PROCESSED=dir   the same on another folder of captures
#   make test                     add the test stack to .venv, then run the test suite
#   make lint                     ruff (lint and format) and mypy
#   make fetch                    download fresh captures into raw/ (network; see README "Fetching")
#   make all FETCH=1              fetch first, then run every stage (make all alone stays offline)
#   make all JOBS=n               per-capture stages on n worker processes (default 0: every core)
#   make all EXECUTOR=dask SCHEDULER=tcp://host:8786   per-capture stages on a Dask cluster, written as
#                                 Parquet parts of 256 captures (PARTS=n to change; PARTS=0: a file each)
#   make csv | database | serve   the tables as CSV, as a DuckDB file, or browsed in Datasette
#   make clean                    delete everything derived from raw/ (the captures are never touched)
#   make bench                    measure speed, scaling and memory (bench/results.json)
RAW ?= raw
INTERIM ?= interim
PROCESSED ?= processed
VENV ?= .venv
PYTHON ?= python3

FETCH ?=
FETCH_ARGS ?=
JOBS ?= 0
EXECUTOR ?= local
SCHEDULER ?=
PARTS ?=

PY := $(VENV)/bin/python
RUN := $(PY) -m pipeline
DIRS := --raw $(RAW) --interim $(INTERIM) --processed $(PROCESSED)
PAR := --jobs $(JOBS) --executor $(EXECUTOR) $(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(if $(PARTS),--part-size $(PARTS))
PIP := $(VENV)/bin/pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: all setup fetch extract clean-stage structure merge publish report csv database serve browser test lint docs \
	clean bench
MAKEFLAGS += --no-builtin-rules
.SUFFIXES:

# --- the data flow -------------------------------------------------------------------------------
all: setup $(if $(FETCH),fetch)
	$(RUN) all $(DIRS) $(PAR)

# Polite, resumable download of the matrix pages into $(RAW); FETCH_ARGS="--base-url URL --contact ADDR ..."
fetch: setup
	$(RUN) fetch --raw $(RAW) --interim $(INTERIM) $(FETCH_ARGS)

extract: setup                    # raw/*            → interim/extract    blocks, one record per capture
	$(RUN) extract $(DIRS) $(PAR)

clean-stage: extract              # interim/extract  → interim/clean      furniture, pull quotes marked
	$(RUN) clean $(DIRS) $(PAR)

structure: clean-stage            # interim/clean    → interim/structure  cell, entries, references, bite
	$(RUN) structure $(DIRS) $(PAR)

merge: structure                  # interim/structure → interim/merge     captures of one cell become one
	$(RUN) merge $(DIRS)

publish: merge                    # interim/merge    → processed/         tables, report.json, report.html
	$(RUN) publish $(DIRS)

report: setup                     # processed/*.parquet → processed/report.html, drawn again
	$(RUN) report $(DIRS)

# --- other forms of the published tables (each rebuilt from processed/*.parquet) ---------------------
csv: all                          # processed/csv/<table>.csv, lists joined as the data dictionary says
	$(PY) -m pipeline.export.csv --processed $(PROCESSED)

database: all $(VENV)/.analysis-installed   # processed/findings.duckdb: keys, column comments, views
	$(PY) -m pipeline.export.duckdb --processed $(PROCESSED)

PORT ?= 8001
serve: all $(VENV)/.serve-installed        # Datasette on http://127.0.0.1:$(PORT) (SQLite build of the tables)
	$(PY) -m pipeline.export.serve --processed $(PROCESSED) --port $(PORT)

# --- the environment -----------------------------------------------------------------------------
# What running needs; `make test`, `make lint` and `make bench` add their own tools.
setup: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(PIP) -e '.[dev]'
	touch $@

$(VENV)/.analysis-installed: $(VENV)/.installed
	$(PIP) -e '.[analysis]'
	touch $@

$(VENV)/.serve-installed: $(VENV)/.installed
	$(PIP) -e '.[serve]'
	touch $@

# Debian's Chromium, for the tests that open the report in a real browser
browser:
	@command -v chromium >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: $(VENV)/.dev-installed browser
	$(PY) -m pytest

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

docs: setup
	$(RUN) docs

# Speed, scaling, memory, incremental runs and the comparison with other extractors on synthetic
# corpora built from $(RAW); writes bench/results.json (several minutes; corpora go to bench/work).
bench: $(VENV)/.bench-installed
	$(PY) -m bench.run --raw $(RAW)

$(VENV)/.bench-installed: $(VENV)/.dev-installed
	$(PIP) -e '.[dev,bench]'
	touch $@

# Everything derived from raw/ (the captures themselves are never touched).
clean:
	rm -rf $(INTERIM)/extract $(INTERIM)/clean $(INTERIM)/structure $(INTERIM)/merge $(INTERIM)/report
	rm -rf $(INTERIM)/publish
	rm -f $(PROCESSED)/*.parquet $(PROCESSED)/report.json $(PROCESSED)/datapackage.json $(PROCESSED)/report.html
	rm -rf $(PROCESSED)/.staging-* $(PROCESSED)/csv
	rm -f $(PROCESSED)/findings.duckdb $(PROCESSED)/findings.db $(PROCESSED)/findings-metadata.json
