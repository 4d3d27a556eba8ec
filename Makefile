# The two commands: `make run` starts the whole system on its embedded defaults, `make test` passes every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
GEN_STAMP := gen/.stamp
PROTOS := $(shell find protos -name '*.proto')

.PHONY: run test setup gen lint typecheck proto-lint promtool browser bench-web unit integration e2e bench bench-quick bench-rest bench-auth bench-api bench-artillery bench-cli bench-llm-real quality faults clean

run: setup gen
	$(PY) -m cveval_devstack

test: setup gen proto-lint lint typecheck promtool browser
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

# promtool checks and unit-tests the Prometheus rules (tests/deploy/test_observability.py). Debian's `prometheus`
# package provides it: installed here when missing and apt-get is usable as root; otherwise that test skips.
promtool:
	@command -v promtool >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus \
		>/dev/null; } || echo "promtool not installed: the Prometheus rule tests will skip"

# The web app's browser tests (tests/browser) drive Debian's headless Chromium with chromium-driver: installed here
# when missing and apt-get is usable as root; otherwise those tests skip saying why.
browser:
	@{ command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } || { [ "$$(id -u)" = 0 ] && \
		command -v apt-get >/dev/null 2>&1 && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends chromium chromium-driver >/dev/null; } || \
		echo "chromium / chromium-driver not installed: the browser tests will skip"

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

# The LLM scorer against a real model server you started (docs/llm-local-models.md): the corpus resumes against their
# own postings and the English-teacher posting. LLM_URL is the server's OpenAI-compatible base URL.
bench-llm-real: setup gen
	@test -n "$(LLM_URL)" || { echo "bench-llm-real needs a model server: make bench-llm-real LLM_URL=http://127.0.0.1:8080/v1 [LLM_ARGS='--step-timeout 900 --resumes 2'] (docs/llm-local-models.md)"; exit 2; }
	$(PY) -m bench.llm_real_run --server-url "$(LLM_URL)" $(LLM_ARGS)

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

# Every common path through Envoy (wrk) and gRPC, 1,000 watchers; figures beside issue 13's targets (about 3 min).
# wrk is a Debian package: installed here when missing (root), or the message says how.
bench-api: setup gen
	@command -v wrk >/dev/null || apt-get install -y wrk >/dev/null 2>&1 || \
		{ echo "bench-api needs wrk: apt-get install -y wrk (as root)"; exit 2; }
	$(PY) -m bench.api_bench

# The original's Artillery scenario, shortened (bench/artillery/short.yml), against a fresh stack; npm installs Artillery.
bench-artillery: setup gen
	$(PY) -m bench.artillery_run

# `cveval screen` on 40 corpus-sized CVs against one vacancy, on a fresh stack (needs ../shared/corpus).
bench-cli: setup gen
	$(PY) -m bench.cli_screen_bench

# The web app's page weight (cold and warm cache) and time to first render in headless Chromium, on a fresh stack.
bench-web: setup gen browser
	$(PY) -m bench.web_bench

# The scoring quality report: corpus ranking, format invariance, repeatability, project levels, injection.
quality: setup
	$(PY) -m tools.quality

# The fault drill on a make-run stack: per fault, sent / accepted / completed / lost / duplicated and recovery time.
faults: setup gen
	$(PY) -m tools.faults

clean:
	rm -rf gen build .mypy_cache .pytest_cache .ruff_cache
