from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.infra import Infra, start_infra


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infra]:
    started = start_infra(tmp_path_factory.mktemp("infra"))
    try:
        yield started
    finally:
        started.stop()
