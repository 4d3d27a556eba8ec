"""Async PostgreSQL access: one pooled engine per process, traced."""

from __future__ import annotations

import asyncio

from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

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


def create_engine(settings: Settings, application_name: str) -> AsyncEngine:
    engine = create_async_engine(
        database_url(settings),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_s,
        pool_pre_ping=True,
        pool_recycle=3600,
        # asyncpg waits 60 s for a connection by default: during a database outage that holds pool slots long
        # enough to starve every call after the database is back.
        connect_args={
            "server_settings": {"application_name": application_name},
            "timeout": settings.db_connect_timeout_s,
        },
    )
    opt_in_stable_conventions()  # db.query.text, db.namespace, server.address
    SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, enable_commenter=False)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine, timeout_s: float = 2.0) -> None:
    """Raise unless the database answers a trivial query within `timeout_s`."""
    async with asyncio.timeout(timeout_s), engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
