"""The embedded PostgreSQL: a password over TCP, data kept across a stop and start (an outage), nothing left after."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import asyncpg
import pytest

from cveval_devstack.postgres import EmbeddedPostgres


async def _databases(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        return {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
    finally:
        await conn.close()


def test_password_required_data_survives_a_restart_and_the_cluster_can_go(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    server = EmbeddedPostgres(private / "postgres", durable=False)
    server.start()
    try:
        server.create_database("kept")
        with pytest.raises(asyncpg.InvalidPasswordError):
            asyncio.run(_databases(server.admin_url.replace(server.password, "wrong")))
        with pytest.raises(asyncpg.InvalidPasswordError):
            asyncio.run(_databases(f"postgresql://postgres@127.0.0.1:{server.port}/postgres"))
        server.stop()
        server.start()
        assert "kept" in asyncio.run(_databases(server.admin_url))
    finally:
        server.stop()
        server.remove_cluster()
    assert private.stat().st_mode & 0o777 == 0o700, "the private folder was opened"
    if os.geteuid() == 0:
        assert server.area is not None and not server.area.exists()
