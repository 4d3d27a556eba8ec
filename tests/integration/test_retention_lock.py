"""The retention purge runs on one job replica at a time: its PostgreSQL advisory lock admits one holder, and a
holder that goes away (closed or crashed connection) frees it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from cveval_job.adapters.protection_repository import try_exclusive
from cveval_kit.db import create_engine
from tests.support.mesh import Mesh

pytestmark = pytest.mark.integration


@pytest.fixture
async def engines(mesh: Mesh) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """Two engines, as two replicas would have."""
    first, second = create_engine(mesh.settings, "replica-1"), create_engine(mesh.settings, "replica-2")
    try:
        yield first, second
    finally:
        await first.dispose()
        await second.dispose()


async def test_one_replica_at_a_time(engines: tuple[AsyncEngine, AsyncEngine]) -> None:
    first, second = engines
    holder = await try_exclusive(first)
    assert holder is not None
    assert await try_exclusive(second) is None  # the other replica skips this round
    await holder.close()
    successor = await try_exclusive(second)
    assert successor is not None
    await successor.close()
