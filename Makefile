# Every target installs what it needs: uv (if missing) and the locked packages.
SHELL := /bin/bash
# Byte-compiled modules are part of the product's start-up time; never run without them.
unexport PYTHONDONTWRITEBYTECODE
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.synced

.PHONY: help setup run demo test lint fmt bench chaos fuzz adversarial clean deploy-check

help:
	@echo "make run    serve the gateway, embedded, on http://127.0.0.1:8420 ('vectimus server start')"
	@echo "make demo   evaluate the bundled example payloads through 'vectimus eval'"
	@echo "make test   run every test"
	@echo "make lint   ruff and mypy"
	@echo "make bench  run the benchmarks (tables printed, JSON in bench/results/)"
	@echo "make chaos  faults under load and the load knee (tables printed, bench/results/chaos.json)"
	@echo "make fuzz   the fuzz tests with 50x the examples (tests/fuzz, docs/adversarial.md)"
	@echo "make adversarial  the adversarial corpus's catch rate and the false-positive rate"

$(UV):
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

$(STAMP): uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml) | $(UV)
	$(UV) sync --locked --all-packages --compile-bytecode
	@touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/vectimus server start --host 127.0.0.1 --port 8420

demo: $(STAMP)
	@for source in $$(ls examples/payloads); do \
	  echo "== $$source"; \
	  $(PY) -c 'import json,sys; [print(json.dumps(json.load(open(p)))) for p in sys.argv[1:]]' examples/payloads/$$source/*.json \
	    | $(VENV)/bin/vectimus eval --source $$source --format text; \
	  status=$$?; [ $$status -le 1 ] || exit $$status; \
	done  # eval exits 1 when a call is denied, as the demo's are meant to be

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

fmt: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	@for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

# Every fault (SIGKILL of each process, a Redis restart and stall) under load on the
# distributed stack, then the load knee; loopback only, about 3 minutes (docs/chaos.md).
chaos: $(STAMP)
	$(PY) -m tests.chaos

# The properties of tests/fuzz with many more examples each (a few minutes).
fuzz: $(STAMP)
	VECTIMUS_FUZZ_EXAMPLES=3000 $(PY) -m pytest tests/fuzz -q

adversarial: $(STAMP)
	$(PY) -m tests.adversarial.report

# Where helm and a Docker engine exist: lint and render the chart, build the images (deploy/check.sh).
deploy-check:
	@bash deploy/check.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
