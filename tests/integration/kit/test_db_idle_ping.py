"""The pool pings only connections that sat idle: a stale idle connection is replaced before use, a busy one is not
pinged, and one that fails in use invalidates the pool so the next call connects afresh."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from cveval_kit.db import create_engine
from cveval_kit.settings import Settings
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


@pytest.fixture
async def admin(infra: Infra) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(infra.admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    yield connection
    await connection.close()


async def _backend(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(admin: asyncpg.Connection, pid: int) -> None:
    assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)


async def test_an_idle_connection_is_pinged_and_replaced_when_its_backend_is_gone(
    infra: Infra, admin: asyncpg.Connection
) -> None:
    engine = create_engine(Settings(database_url=infra.admin_url, db_pool_size=1), "idle-ping", idle_ping_after_s=0)
    try:
        first = await _backend(engine)
        await _terminate(admin, first)
        assert await _backend(engine) != first  # no error: the ping found it dead and the pool reconnected
    finally:
        await engine.dispose()


async def test_a_connection_in_steady_use_is_not_pinged_and_a_failure_in_use_resets_the_pool(
    infra: Infra, admin: asyncpg.Connection
) -> None:
    engine = create_engine(Settings(database_url=infra.admin_url, db_pool_size=1), "busy", idle_ping_after_s=3600)
    try:
        first = await _backend(engine)
        await _terminate(admin, first)
        with pytest.raises(DBAPIError):  # not pinged: the call meets the dead connection (the service answers 503)
            await _backend(engine)
        assert await _backend(engine) != first  # the pool was invalidated: a fresh connection
    finally:
        await engine.dispose()
