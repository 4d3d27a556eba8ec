from __future__ import annotations

from collections.abc import Iterator

import pytest

from cveval_testing.mock_openai import MockOpenAI
from tests.support.infra import Infra, start_infra


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
