from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cveval_devstack.procs import free_port
from cveval_devstack.stack import Stack
from cveval_testing.mock_openai import MockOpenAI
from tests.support.edge import GENEROUS_QUOTAS, admin_headers, oidc_env
from tests.support.infra import Infra, start_infra, unique_names
from tests.support.stack_settings import E2E_KEY_CACHE_TTL_S, E2E_MAX_UPLOAD_BYTES


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infra]:
    started = start_infra(tmp_path_factory.mktemp("infra"))
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def mock() -> Iterator[MockOpenAI]:
    """A mock OpenAI-compatible server on loopback, one per test module (libs/cveval_testing/mock_openai.py)."""
    server = MockOpenAI()
    server.start()
    try:
        yield server
    finally:
        server.stop()


# The whole stack through Envoy, started once per run for tests/e2e and tests/browser alike.
@pytest.fixture(scope="session")
def stack(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {f"CVEVAL_{k.upper()}": v for k, v in unique_names().items()}
    env.update(
        {
            "CVEVAL_DATABASE_URL": infra.create_database("cveval_e2e"),
            "CVEVAL_NATS_URL": infra.nats_url,
            "CVEVAL_MAX_UPLOAD_BYTES": str(E2E_MAX_UPLOAD_BYTES),
            "CVEVAL_LLM_BASE_URL": "",
            **GENEROUS_QUOTAS,
            # A short key cache keeps the revocation test quick.
            "CVEVAL_AUTH_CACHE_TTL_S": str(E2E_KEY_CACHE_TTL_S),
            **oidc_env(tmp_path_factory.mktemp("oidc")),
            # Small extraction budgets keep the hostile corpus fast (tests/e2e/test_hostile_inputs.py); a byte
            # budget of two full forms makes concurrent uploads meet it.
            "CVEVAL_UPLOAD_EXTRACT_CPU_S": "3",
            "CVEVAL_UPLOAD_EXTRACT_TIMEOUT_S": "8",
            "CVEVAL_UPLOAD_INFLIGHT_BYTES": str(4 * E2E_MAX_UPLOAD_BYTES),
        }
    )
    running = Stack(data_dir=tmp_path_factory.mktemp("stack"), http_port=free_port(), workers=2, extra_env=env)
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def http(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.rest_url, timeout=30, headers=admin_headers(stack)) as client:
        yield client
