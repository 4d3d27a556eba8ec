# The two commands: `make run` starts the whole system on its embedded defaults, `make test` passes every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
GEN_STAMP := gen/.stamp
PROTOS := $(shell find protos -name '*.proto')

.PHONY: run test setup gen lint typecheck proto-lint unit integration e2e bench bench-quick bench-rest bench-auth bench-cli quality faults clean

run: setup gen
	$(PY) -m cveval_devstack

test: setup gen proto-lint lint typecheck
	$(PY) -m pytest

setup: $(STAMP)

$(STAMP): pyproject.toml clients/python/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check ".[dev]"
	# The SDK and its `cveval` command (clients/python), editable so the repository's copy is what runs.
	$(PY) -m pip install --quiet --disable-pip-version-check --no-build-isolation --no-deps -e clients/python
	$(PY) tools/write_pth.py
	touch $(STAMP)

gen: $(GEN_STAMP)

$(GEN_STAMP): $(PROTOS) tools/gen_protos.py $(STAMP)
	$(PY) tools/gen_protos.py
	touch $(GEN_STAMP)

proto-lint: gen
	$(VENV)/bin/buf lint

lint: setup
	$(VENV)/bin/ruff check .

typecheck: setup gen
	$(VENV)/bin/mypy libs services tools tests bench clients/python/cveval_client

unit: setup gen
	$(PY) -m pytest tests/unit

integration: setup gen
	$(PY) -m pytest tests/integration

e2e: setup gen
	$(PY) -m pytest tests/e2e

# Benchmarks print figures; they are never timed assertions in the tests.
bench: setup gen
	$(PY) -m bench.gateway_bench

bench-quick: setup gen
	$(PY) -m bench.gateway_bench --quick

# The original's load scenario through Envoy: upload, evaluate, follow the result.
bench-rest: setup gen
	$(PY) -m bench.rest_bench

# What authentication adds to a call through Envoy (p50/p99, with and without the edge's auth filters).
bench-auth: setup gen
	$(PY) -m bench.auth_bench

# `cveval screen` on 40 corpus-sized CVs against one vacancy, on a fresh stack (needs ../shared/corpus).
bench-cli: setup gen
	$(PY) -m bench.cli_screen_bench

# The scoring quality report: corpus ranking, format invariance, repeatability, project levels, injection.
quality: setup
	$(PY) -m tools.quality

# The fault drill on a make-run stack: per fault, sent / accepted / completed / lost / duplicated and recovery time.
faults: setup gen
	$(PY) -m tools.faults

clean:
	rm -rf gen build .mypy_cache .pytest_cache .ruff_cache
