"""Async PostgreSQL access: one pooled engine per process, traced."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from sqlalchemy import event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from cveval_kit.semconv import opt_in_stable_conventions
from cveval_kit.settings import Settings


class DatabaseNotConfigured(RuntimeError):
    pass


def database_url(settings: Settings) -> str:
    if not settings.database_url:
        raise DatabaseNotConfigured("CVEVAL_DATABASE_URL is not set (`make run` sets it for the embedded server)")
    return normalize_url(settings.database_url)


def normalize_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use the asyncpg driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


# A pooled connection idle this long is pinged before use. SQLAlchemy's pool_pre_ping pings on EVERY checkout, and
# asyncpg's ping is a transaction of its own (BEGIN, a query, ROLLBACK): three round trips before each use, a third
# of the job service's Evaluate samples. A connection in steady use has just proved itself; one that failed in use
# invalidates the whole pool (SQLAlchemy's disconnect handling), so the next checkouts connect afresh.
IDLE_PING_AFTER_S = 1.0


def create_engine(
    settings: Settings, application_name: str, idle_ping_after_s: float = IDLE_PING_AFTER_S
) -> AsyncEngine:
    engine = create_async_engine(
        database_url(settings),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_s,
        pool_recycle=3600,
        # asyncpg waits 60 s for a connection by default: during a database outage that holds pool slots long
        # enough to starve every call after the database is back.
        connect_args={
            "server_settings": {"application_name": application_name},
            "timeout": settings.db_connect_timeout_s,
        },
    )
    _ping_when_idle(engine, idle_ping_after_s)
    opt_in_stable_conventions()  # db.query.text, db.namespace, server.address
    SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, enable_commenter=False)
    return engine


def _ping_when_idle(engine: AsyncEngine, after_s: float) -> None:
    """SQLAlchemy's documented pessimistic disconnect handling, limited to connections that sat idle: raising
    DisconnectionError on checkout makes the pool replace that connection and retry."""

    def checkin(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def checkout(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection) -> None:
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None or time.monotonic() - idle_since < after_s:
            return  # a new connection, or one in steady use
        try:
            dbapi_connection.ping()
        except Exception as exc:
            raise DisconnectionError("a pooled connection did not answer its ping") from exc

    event.listen(engine.sync_engine, "checkin", checkin)
    event.listen(engine.sync_engine, "checkout", checkout)


_IDLE_SINCE = "cveval_idle_since"


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine, timeout_s: float = 2.0) -> None:
    """Raise unless the database answers a trivial query within `timeout_s`."""
    async with asyncio.timeout(timeout_s), engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
