"""The tenancy migrations on a database with data from before tenancy: every row goes to the `default` tenant with
an unknown owner, the shipped default vacancy becomes global, and the new keys hold (per-tenant dedup and
idempotency)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from cveval_kit.migrations import upgrade
from tests.support.infra import MIGRATIONS, Infra

pytestmark = pytest.mark.integration

BEFORE = {"upload": "0001", "job": "0003", "result": "0001", "gateway": "0001"}
DEFAULT_VACANCY = "default-backend-ai-engineer"


def plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _create(infra: Infra) -> str:
    name = f"cveval_migr_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(infra.admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    infra.created = (*infra.created, name)
    return infra.database_url(name)


async def _seed(url: str) -> None:
    now = datetime.now(UTC)
    db = await asyncpg.connect(plain(url))
    try:
        await db.execute(
            "INSERT INTO upload.contents VALUES ('h1', 'text/plain', 3, 1, 3, 'cv!', $1)", now
        )
        await db.execute("INSERT INTO upload.documents VALUES ('d1', 'h1', 'cv', 'cv.txt', $1)", now)
        for vacancy in (DEFAULT_VACANCY, "vac-old"):
            await db.execute(
                "INSERT INTO job.vacancies (id, title, job_description, study_case_brief, cv_rubric, project_rubric,"
                " version, created_at) VALUES ($1, 'T', 'jd', 'b', '{}', '{}', 'v', $2)",
                vacancy, now,
            )
        await db.execute(
            "INSERT INTO job.jobs (id, status, cv_id, project_id, vacancy_id, idempotency_key, request_hash,"
            " created_at, updated_at) VALUES ('j1', 'completed', 'd1', 'p1', 'vac-old', 'k1', 'h', $1, $1)",
            now,
        )
        await db.execute(
            "INSERT INTO result.results VALUES ('j1', '\\x00'::bytea, 0.5, 3.0, 'offline', $1)", now
        )
    finally:
        await db.close()


async def _check(url: str) -> None:
    now = datetime.now(UTC)
    db = await asyncpg.connect(plain(url))
    try:
        assert await db.fetchrow("SELECT tenant, owner FROM upload.documents") == ("default", "")
        assert await db.fetchval("SELECT tenant FROM upload.contents") == "default"
        assert await db.fetchrow("SELECT tenant, submitted_by FROM job.jobs") == ("default", "")
        assert await db.fetchrow("SELECT tenant, submitted_by, cv_id FROM result.results") == ("default", "", "")
        tenants = dict(await db.fetch("SELECT id, tenant FROM job.vacancies"))
        assert tenants == {DEFAULT_VACANCY: None, "vac-old": "default"}
        # Per-tenant content and idempotency keys: the same hash and key in another tenant are new rows.
        await db.execute(
            "INSERT INTO upload.contents (tenant, sha256, media_type, size_bytes, page_count, char_count, text,"
            " created_at) VALUES ('other', 'h1', 'text/plain', 3, 1, 3, 'cv!', $1)",
            now,
        )
        await db.execute(
            "INSERT INTO job.jobs (id, status, cv_id, project_id, vacancy_id, idempotency_key, request_hash,"
            " created_at, updated_at, tenant, submitted_by)"
            " VALUES ('j2', 'queued', 'd9', 'p9', 'vac-old', 'k1', 'h', $1, $1, 'other', 'key:x')",
            now,
        )
        with pytest.raises(asyncpg.UniqueViolationError):
            await db.execute(
                "INSERT INTO job.jobs (id, status, cv_id, project_id, vacancy_id, idempotency_key, request_hash,"
                " created_at, updated_at, tenant, submitted_by)"
                " VALUES ('j3', 'queued', 'd9', 'p9', 'vac-old', 'k1', 'h', $1, $1, 'other', 'key:x')",
                now,
            )
    finally:
        await db.close()


def test_existing_rows_move_to_the_default_tenant(infra: Infra) -> None:
    url = asyncio.run(_create(infra))
    for service, path in MIGRATIONS.items():
        if service in BEFORE:  # services that existed before tenancy; the others start at their first revision
            upgrade(path, url, BEFORE[service])
    asyncio.run(_seed(url))
    for path in MIGRATIONS.values():
        upgrade(path, url)
    asyncio.run(_check(url))
