"""Alembic, run programmatically: each service owns one PostgreSQL schema and keeps its version table there."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from cveval_kit.db import normalize_url


def upgrade(script_location: Path, url: str, revision: str = "head") -> None:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    command.upgrade(config, revision)


def run_env(metadata: MetaData, schema: str) -> None:
    """Body of a service's alembic env.py (online mode only: migrations always run against a server)."""
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("sqlalchemy.url is not configured")

    def do_run(connection: Connection) -> None:
        # Several replicas may migrate at once (init containers): one at a time, per schema.
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:schema))"), {"schema": f"cveval:{schema}"})
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.begin() as conn:
            await conn.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run())
