# Fresh machine: `make extract` and `make test` set up .venv/ themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RAW ?= raw
OUT ?= outputs

BENCH_MB ?= 10
BENCH_SMALL ?= 10000
BENCH_REPEAT ?= 2

.PHONY: extract test rules-check setup bench review clean web-score

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# the tests also run the Ray engine, so they install the optional [ray] extra
$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev,ray]'
	touch $@

setup: $(VENV)/.installed

extract: $(VENV)/.installed
	$(PY) -m pipeline extract $(RAW) $(OUT)

rules-check: $(VENV)/.installed
	$(PY) -m pipeline rules check

test: $(VENV)/.installed-test
	$(PY) -m pipeline rules check
	$(PY) -m pytest

# reviews the tables already in OUT (run `make extract` first); never re-extracts
review: $(VENV)/.installed
	$(PY) -m pipeline review $(OUT)

bench: $(VENV)/.installed
	$(PY) -m pipeline bench --mb $(BENCH_MB) --small $(BENCH_SMALL) --repeat $(BENCH_REPEAT)

# body vs chrome on ../shared/web, side by side with trafilatura in the same run
web-score: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[web-peer]'
	rm -rf $(OUT)/.web-score && $(PY) -m pipeline extract ../shared/web/pages $(OUT)/.web-score --quiet
	$(PY) ../shared/eval/score_web.py --outputs $(OUT)/.web-score --segments ../shared/web/segments.json \
		--pages ../shared/web/pages --peer trafilatura

clean:
	rm -rf $(VENV) $(OUT)/*.parquet
