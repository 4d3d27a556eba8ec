"""Real PostgreSQL and NATS for the suite: started from the wheels unless CVEVAL_DATABASE_URL / CVEVAL_NATS_URL
point at servers, in which case only a uniquely named database and uniquely named streams are created there."""

from __future__ import annotations

import asyncio
import os
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from cveval_devstack import nats_users
from cveval_devstack.nats_server import EmbeddedNats
from cveval_devstack.postgres import EmbeddedPostgres
from cveval_kit.db import normalize_url
from cveval_kit.migrations import upgrade

REPO_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = {
    "upload": REPO_ROOT / "services" / "cveval_upload" / "migrations",
    "job": REPO_ROOT / "services" / "cveval_job" / "migrations",
    "result": REPO_ROOT / "services" / "cveval_result" / "migrations",
    "gateway": REPO_ROOT / "services" / "cveval_gateway" / "migrations",
    "auth": REPO_ROOT / "services" / "cveval_auth" / "migrations",
}


@dataclass
class Infra:
    admin_url: str  # postgresql:// URL of a database to issue CREATE DATABASE from
    nats_url: str
    postgres: EmbeddedPostgres | None = None
    nats: EmbeddedNats | None = None
    created: tuple[str, ...] = ()

    def database_url(self, name: str) -> str:
        base = self.admin_url.rsplit("/", 1)[0]
        return normalize_url(f"{base}/{name}")

    def create_database(self, prefix: str) -> str:
        """A fresh, migrated database owned by this test run."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"

        async def create() -> None:
            conn = await asyncpg.connect(self.admin_url)
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        asyncio.run(create())
        self.created = (*self.created, name)
        url = self.database_url(name)
        for path in MIGRATIONS.values():
            upgrade(path, url)
        return url

    def drop_created(self) -> None:
        async def drop() -> None:
            conn = await asyncpg.connect(self.admin_url)
            try:
                for name in self.created:
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()

        if self.created:
            asyncio.run(drop())
            self.created = ()

    def stop(self) -> None:
        if self.postgres is None:
            self.drop_created()  # an external server keeps nothing of ours
        if self.nats is not None:
            self.nats.stop()
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres.remove_cluster()


def start_infra(data_dir: Path) -> Infra:
    db_url = os.environ.get("CVEVAL_DATABASE_URL", "")
    nats_url = os.environ.get("CVEVAL_NATS_URL", "")
    postgres = nats = None
    if db_url:
        admin_url = db_url.replace("postgresql+asyncpg://", "postgresql://")
    else:
        postgres = EmbeddedPostgres(data_dir / "postgres", durable=False)
        postgres.start()
        admin_url = postgres.admin_url
    if not nats_url:
        # Credentials required here too, one user allowed everything (tests use their own subject names); the URL
        # carries them, so every client of the suite proves credentials in CVEVAL_NATS_URL work.
        password = secrets.token_urlsafe(16)
        everything = nats_users.Permissions(publish=(">",), subscribe=(">",))
        authorization = nats_users.render_authorization({"suite": everything}, {"suite": password})
        nats = EmbeddedNats(data_dir / "nats", authorization=authorization)
        nats.start()
        nats_url = f"nats://suite:{password}@127.0.0.1:{nats.port}"
    return Infra(admin_url=admin_url, nats_url=nats_url, postgres=postgres, nats=nats)


def unique_names() -> dict[str, str]:
    """Stream, subjects and consumer names no one else uses, so a shared NATS server keeps its own data."""
    tag = uuid.uuid4().hex[:8]
    return {
        "jobs_stream": f"CVEVAL_TEST_{tag}",
        "jobs_subject": f"cveval.test.{tag}.jobs.evaluate",
        "events_subject_prefix": f"cveval.test.{tag}.events.jobs",
        "worker_durable": f"worker-{tag}",
        "audit_stream": f"CVEVAL_TEST_AUDIT_{tag}",
        "audit_subject_prefix": f"cveval.test.{tag}.audit",
        "audit_durable": f"audit-{tag}",
        "dead_letter_stream": f"CVEVAL_TEST_DEAD_{tag}",
        "dead_letter_subject": f"cveval.test.{tag}.dead.jobs.evaluate",
        "results_erased_subject": f"cveval.test.{tag}.events.results.erased",
    }
