# The map of the data flow: raw/ → interim/{extract,clean,structure,merge} → processed/*.parquet
# Each stage is a target; it reruns only when its inputs or the pipeline code changed.
#   make all                      set up .venv if needed, then run every stage on raw/
#   make all RAW=dir INTERIM=dir PROCESSED=dir   the same on another folder of captures
#   make test                     run the test suite
#   make fetch                    download fresh captures into raw/ (network; see README "Fetching")
#   make all FETCH=1              fetch first, then run every stage (make all alone stays offline)
#   make all JOBS=n               per-capture stages on n worker processes (default 0: every core)
#   make all EXECUTOR=dask SCHEDULER=tcp://host:8786   per-capture stages on a Dask cluster, written as
#                                 Parquet parts of 256 captures (PARTS=n to change; PARTS=0: a file each)
#   make report                   draw processed/report.html from the published tables (part of make all)
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
CAPTURES := $(shell find $(RAW) -maxdepth 1 -type f ! -name '.*' 2>/dev/null)
CODE := $(shell find pipeline -name '*.py') $(VENV)/.installed

.PHONY: all setup fetch extract clean structure merge publish report browser test docs reset bench
.DELETE_ON_ERROR:
# No implicit rules: with thousands of captures as prerequisites, make would otherwise spend seconds
# looking for ways to rebuild each one.
MAKEFLAGS += --no-builtin-rules
.SUFFIXES:

all: $(if $(FETCH),fetch) publish report

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

# Polite, resumable download of the matrix pages into $(RAW); FETCH_ARGS="--base-url URL --contact ADDR ..."
fetch: setup
	$(RUN) fetch --raw $(RAW) --interim $(INTERIM) $(FETCH_ARGS)

extract: $(INTERIM)/extract/.done
$(INTERIM)/extract/.done: $(CAPTURES) $(CODE) $(if $(FETCH),fetch)
	$(RUN) extract $(DIRS) $(PAR)
	touch $@

clean: $(INTERIM)/clean/.done
$(INTERIM)/clean/.done: $(INTERIM)/extract/.done
	$(RUN) clean $(DIRS) $(PAR)
	touch $@

structure: $(INTERIM)/structure/.done
$(INTERIM)/structure/.done: $(INTERIM)/clean/.done
	$(RUN) structure $(DIRS) $(PAR)
	touch $@

merge: $(INTERIM)/merge/.done
$(INTERIM)/merge/.done: $(INTERIM)/structure/.done
	$(RUN) merge $(DIRS)
	touch $@

publish: $(PROCESSED)/.done
$(PROCESSED)/.done: $(INTERIM)/merge/.done
	$(RUN) publish $(DIRS)
	touch $@

# A one-page picture of the published tables (charts, counts, the run's quality); charts kept in $(INTERIM)/report
report: $(PROCESSED)/report.html
$(PROCESSED)/report.html: $(PROCESSED)/.done
	$(RUN) report $(DIRS)

# Debian's Chromium, for the test that opens the report in a real browser
browser:
	@command -v chromium >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: setup browser
	$(PY) -m pytest

# Speed, scaling, memory, incremental runs and the trafilatura comparison on synthetic corpora built
# from $(RAW); writes bench/results.json (several minutes; the corpora go to bench/work, not committed).
bench: $(VENV)/.bench-installed
	$(PY) -m bench.run --raw $(RAW)

$(VENV)/.bench-installed: $(VENV)/.installed
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,bench]'
	touch $@

docs: setup
	$(RUN) docs

# Remove everything derived from raw/ (the captures themselves are never touched).
reset:
	rm -rf $(INTERIM)/extract $(INTERIM)/clean $(INTERIM)/structure $(INTERIM)/merge $(INTERIM)/report $(INTERIM)/.done
	rm -f $(PROCESSED)/*.parquet $(PROCESSED)/report.json $(PROCESSED)/datapackage.json $(PROCESSED)/report.html \
		$(PROCESSED)/.done
