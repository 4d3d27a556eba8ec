"""Data-protection orchestration with in-memory fakes: what a candidate's erasure deletes, in which order, and
what it keeps; the retention purge's cutoff."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cveval_job.protection.service import DataProtection
from cveval_kit import audit, errors
from cveval_kit.identity import ADMIN, Identity

ADMIN_A = Identity("a", "key:admin", frozenset({ADMIN}))
NOW = datetime(2026, 6, 1, tzinfo=UTC)


@dataclass
class World:
    """Documents (id → (kind, sha256, created)), jobs (id → (cv, project, created)), results, queue, log."""

    documents: dict[str, tuple[str, str, datetime]] = field(default_factory=dict)
    jobs: dict[str, tuple[str, str, datetime]] = field(default_factory=dict)
    results: set[str] = field(default_factory=set)
    queued: set[str] = field(default_factory=set)
    log: list[str] = field(default_factory=list)
    retention: int = 0

    # Documents
    async def kind_of(self, tenant: str, document_id: str, owner: str | None = None) -> str | None:
        found = self.documents.get(document_id)
        return None if found is None else found[0]

    async def erase(
        self,
        tenant: str,
        ids: Sequence[str],
        *,
        same_content: bool = False,
        created_before: datetime | None = None,
        dry_run: bool = False,
    ) -> list[str]:
        hashes = {self.documents[i][1] for i in ids if i in self.documents} if same_content else set()
        gone = [
            d for d, (_, sha, created) in self.documents.items()
            if d in ids or sha in hashes or (created_before is not None and created < created_before)
        ]
        if dry_run:
            return gone
        for d in gone:
            del self.documents[d]
        self.log.append(f"erase documents {sorted(gone)}")
        return gone

    # Results and queue
    async def delete(self, tenant: str, job_ids: Sequence[str]) -> int:
        deleted = self.results & set(job_ids)
        self.results -= deleted
        self.log.append(f"delete results {sorted(deleted)}")
        return len(deleted)

    async def discard(self, job_ids: Sequence[str]) -> int:
        self.queued -= set(job_ids)
        return 0

    # The job schema
    async def jobs_of_documents(
        self, tenant: str, document_ids: Sequence[str], *, created_before: datetime | None = None
    ) -> list[tuple[str, str]]:
        return [
            (j, p) for j, (c, p, created) in self.jobs.items()
            if c in document_ids or p in document_ids or (created_before is not None and created < created_before)
        ]

    async def delete_jobs(
        self, tenant: str, *, document_ids: Sequence[str] = (), created_before: datetime | None = None
    ) -> list[tuple[str, str]]:
        gone = [
            (j, p) for j, (c, p, created) in self.jobs.items()
            if c in document_ids or p in document_ids or (created_before is not None and created < created_before)
        ]
        for j, _ in gone:
            del self.jobs[j]
        self.log.append(f"delete jobs {sorted(j for j, _ in gone)}")
        return gone

    async def unreferenced_projects(self, tenant: str, project_ids: Sequence[str]) -> list[str]:
        used = {p for _, p, _ in self.jobs.values()}
        return sorted(set(project_ids) - used)

    async def delete_vacancies_before(self, tenant: str, cutoff: datetime) -> int:
        return 0

    async def retention_days(self, tenant: str) -> int:
        return self.retention

    async def set_retention_days(self, tenant: str, days: int, updated_by: str) -> None:
        self.retention = days

    async def tenants_with_retention(self) -> list[tuple[str, int]]:
        return [("a", self.retention)] if self.retention else []

    async def audit_page(self, tenant: str, **_: Any) -> list[Any]:
        return []

    # The audit trail
    async def record(self, event: audit.AuditEvent) -> None:
        self.log.append(f"audit {event.action}")


def protection(world: World) -> DataProtection:
    return DataProtection(world, world, world, world, world)


def populated() -> World:
    old = NOW - timedelta(days=40)
    world = World()
    world.documents = {
        "cv1": ("cv", "h1", old), "cv1-again": ("cv", "h1", NOW), "p1": ("project", "h2", old),
        "p-shared": ("project", "h3", NOW), "cv2": ("cv", "h4", NOW),
    }
    world.jobs = {"j1": ("cv1", "p1", old), "j2": ("cv1-again", "p-shared", NOW), "j3": ("cv2", "p-shared", NOW)}
    world.results = {"j1", "j2", "j3"}
    world.queued = {"j2"}
    return world


async def test_erasing_a_candidate_takes_every_copy_and_only_its_own_projects() -> None:
    world = populated()
    erasure = await protection(world).delete_candidate(ADMIN_A, "cv1")
    assert world.log[0] == f"audit {audit.DELETE_CANDIDATE}"  # recorded before anything is erased
    # The documents go last: a retry after any failure still finds the candidate by them.
    assert world.log[-1].startswith("erase documents") and "cv1" in world.log[-1]
    assert set(world.documents) == {"p-shared", "cv2"}  # p-shared is still used by cv2's job
    assert set(world.jobs) == {"j3"} and world.results == {"j3"} and not world.queued
    assert (erasure.documents, erasure.jobs, erasure.results) == (3, 2, 2)


async def test_erasing_needs_a_known_cv() -> None:
    world = populated()
    with pytest.raises(errors.NotFound):
        await protection(world).delete_candidate(ADMIN_A, "nobody")
    with pytest.raises(errors.InvalidArgument):
        await protection(world).delete_candidate(ADMIN_A, "p1")
    assert world.log == []


async def test_purge_erases_only_what_is_older_than_the_retention_period() -> None:
    world = populated()
    assert (await protection(world).purge_expired("a", NOW)).jobs == 0  # no retention period: keep everything
    world.retention = 30
    assert (await protection(world).purge_expired("a", NOW - timedelta(days=60))).jobs == 0
    assert world.log == []  # a run that finds nothing expired records nothing
    erasure = await protection(world).purge_expired("a", NOW)
    assert world.log[0] == f"audit {audit.PURGE_EXPIRED}"
    assert set(world.documents) == {"cv1-again", "p-shared", "cv2"}  # the fresh ones stay
    assert set(world.jobs) == {"j2", "j3"} and world.results == {"j2", "j3"}  # j1 expired with cv1 and p1
    assert (erasure.documents, erasure.jobs, erasure.results) == (2, 1, 1)


async def test_retention_bounds() -> None:
    with pytest.raises(errors.InvalidArgument):
        await protection(World()).set_retention(ADMIN_A, -1)
    assert await protection(World()).set_retention(ADMIN_A, 7) == 7
