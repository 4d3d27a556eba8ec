"""Data protection through the services' gRPC APIs against the real PostgreSQL and NATS: deleting a candidate
leaves no trace in any table of any schema nor in the ai-gateway's caches, every read and deletion is audited in
an append-only log, a document can be deleted on its own, and the retention purge erases what expired."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from prometheus_client import REGISTRY

from cveval.aigateway.v1 import aigateway_pb2
from cveval.job.v1 import admin_pb2, job_pb2
from cveval.result.v1 import result_pb2, result_pb2_grpc
from cveval.upload.v1 import upload_pb2
from cveval_devstack.procs import free_port
from cveval_job.domain.retrieval import query_windows
from cveval_job.scoring.candidate_text import clean_cv
from cveval_job.scoring.pipeline import CV_PASSAGES
from cveval_job.scoring.rubrics import default_vacancy
from cveval_kit import audit
from cveval_kit.tenancy import cache_owner
from cveval_result import app as result_app
from tests.support.flows import Team, code_of, evaluate, finished, new_team, upload_pair
from tests.support.mesh import Mesh, identity_channel

pytestmark = pytest.mark.integration

SCHEMAS = ("upload", "job", "result", "gateway")
NOT_FOUND, OK = grpc.StatusCode.NOT_FOUND, grpc.StatusCode.OK


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        yield connection
    finally:
        await connection.close()


async def rows_mentioning(db: asyncpg.Connection, needles: list[str]) -> dict[str, int]:
    """Per table of every service schema, how many rows hold any needle anywhere (each row as its text form, bytea
    columns as hex)."""
    tables = await db.fetch(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema = ANY($1::text[]) AND table_type = 'BASE TABLE'",
        list(SCHEMAS),
    )
    assert len(tables) >= 9, tables  # every schema's tables, so a new one cannot slip past this scan
    found: dict[str, int] = {}
    for table in tables:
        name = f'"{table["table_schema"]}"."{table["table_name"]}"'
        count = await db.fetchval(
            # The table names come from the catalogue, the needles are parameters.
            f"SELECT count(*) FROM {name} AS t WHERE t::text ILIKE ANY($1::text[])",
            [f"%{n}%" for n in needles],
        )
        if count:
            found[name] = count
    return found


async def reads(mesh: Mesh, team: Team, cv_id: str, project_id: str, job_id: str) -> list[grpc.StatusCode]:
    """What a reviewer of the tenant gets for the CV, the project report, the result and the job."""
    reader = team.reviewer()
    return [
        await code_of(mesh.upload(reader).GetDocument(upload_pb2.GetDocumentRequest(id=cv_id))),
        await code_of(mesh.upload(reader).GetDocument(upload_pb2.GetDocumentRequest(id=project_id))),
        await code_of(mesh.results(reader).GetResult(result_pb2.GetResultRequest(id=job_id))),
        await code_of(mesh.jobs(reader).GetJob(job_pb2.GetJobRequest(id=job_id))),
    ]


def memory_hits() -> float:
    return REGISTRY.get_sample_value(
        "cveval_ai_cache_requests_total", {"cache": "embedding_memory", "outcome": "hit"}
    ) or 0.0


async def audited(mesh: Mesh, team: Team, candidate_id: str, actions: set[str]) -> list[admin_pb2.AuditEvent]:
    """The candidate's audit events once every expected action is recorded (the feed is asynchronous)."""
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        page = await mesh.admin(team.admin()).ListAuditEvents(
            admin_pb2.ListAuditEventsRequest(candidate_id=candidate_id, page_size=100)
        )
        if actions <= {e.action for e in page.events} or asyncio.get_running_loop().time() > deadline:
            return list(page.events)
        await asyncio.sleep(0.1)


async def test_deleting_a_candidate_leaves_no_trace(mesh: Mesh, db: asyncpg.Connection) -> None:
    team = new_team()
    marker = f"zq{uuid.uuid4().hex[:12]}"  # a word no other test's text holds
    cv_id, project_id = await upload_pair(mesh, team.submitter(), marker)
    job_id = await evaluate(mesh, team.submitter(), cv_id, project_id)
    assert await finished(mesh, team.submitter(), job_id) == "completed"
    cv = (await mesh.upload(team.reviewer()).GetDocument(
        upload_pb2.GetDocumentRequest(id=cv_id, include_text=True)
    )).document
    await mesh.results(team.reviewer()).GetResult(result_pb2.GetResultRequest(id=job_id))
    needles = [cv_id, job_id, project_id, cv.sha256, marker, cache_owner(team.tenant, cv_id)]
    # The passages the pipeline embedded for this CV (the cleaned text, as the scorer reads it), found by their hashes
    # among the keys the gateway tagged with this candidate; others may equal another test's CV and stay its data.
    cleaned = clean_cv(cv.text, default_vacancy().job_description).text or cv.text
    windows = [w for w in query_windows(cleaned, CV_PASSAGES) if marker in w]
    assert windows
    window_keys = [hashlib.sha256(w.encode()).hexdigest() for w in windows]
    tagged = await db.fetch(
        "SELECT DISTINCT text_sha256 FROM gateway.cache_owners WHERE owner = $1", cache_owner(team.tenant, cv_id)
    )
    assert set(window_keys) <= {bytes(r["text_sha256"]).hex() for r in tagged}
    before = await rows_mentioning(db, [*needles, *window_keys])
    # The scan can fail: before the deletion it finds the candidate in each service's tables and the gateway cache.
    assert {'"upload"."documents"', '"upload"."contents"', '"job"."jobs"', '"result"."results"',
            '"gateway"."cache_owners"', '"gateway"."embeddings"'} <= set(before), before

    erased = await mesh.jobs(team.admin()).DeleteCandidate(job_pb2.DeleteCandidateRequest(cv_id=cv_id))
    assert (erased.deleted_documents, erased.deleted_jobs, erased.deleted_results) == (2, 1, 1)

    assert await rows_mentioning(db, [*needles, *window_keys]) == {}
    assert await reads(mesh, team, cv_id, project_id, job_id) == [NOT_FOUND] * 4
    # The gateway's memory cache forgot the CV's windows too: embedding them again hits nothing in memory.
    hits = memory_hits()
    await mesh.gateway().Embed(aigateway_pb2.EmbedRequest(texts=windows))
    assert memory_hits() == hits

    events = await audited(mesh, team, cv_id, {audit.READ_DOCUMENT_TEXT, audit.READ_RESULT, audit.DELETE_CANDIDATE})
    who = {(e.action, e.principal) for e in events}
    assert {
        (audit.READ_DOCUMENT_TEXT, "key:reviewer"),
        (audit.READ_RESULT, "key:reviewer"),
        (audit.READ_RESULT, "key:alice"),  # the submitter's WatchResult disclosed it first
        (audit.DELETE_CANDIDATE, "key:admin"),
    } <= who
    # The audit log names the candidate by pseudonym only: the scan above covered job.audit_events too.


async def test_the_audit_log_is_append_only(mesh: Mesh, db: asyncpg.Connection) -> None:
    team = new_team()
    cv_id, _ = await upload_pair(mesh, team.submitter(), f"audit {uuid.uuid4()}")
    await mesh.upload(team.reviewer()).GetDocument(upload_pb2.GetDocumentRequest(id=cv_id, include_text=True))
    (event, *_) = await audited(mesh, team, cv_id, {audit.READ_DOCUMENT_TEXT})
    for statement in (
        "UPDATE job.audit_events SET principal = 'someone-else' WHERE id = $1",
        "DELETE FROM job.audit_events WHERE id = $1",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await db.execute(statement, event.id)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await db.execute("TRUNCATE job.audit_events")
    assert await db.fetchval("SELECT principal FROM job.audit_events WHERE id = $1", event.id) == "key:reviewer"
    stream = await mesh_stream_config(mesh)
    assert stream["deny_delete"] and stream["deny_purge"]


async def mesh_stream_config(mesh: Mesh) -> dict[str, object]:
    import nats

    nc = await nats.connect(mesh.settings.nats_url)
    try:
        info = await nc.jetstream().stream_info(mesh.settings.audit_stream)
        return json.loads(json.dumps(info.config.as_dict()))
    finally:
        await nc.close()


async def test_audit_events_are_paged_newest_first(mesh: Mesh) -> None:
    team = new_team()
    cv_id, _ = await upload_pair(mesh, team.submitter(), f"paging {uuid.uuid4()}")
    for _ in range(3):
        await mesh.upload(team.reviewer()).GetDocument(upload_pb2.GetDocumentRequest(id=cv_id, include_text=True))
    deadline = asyncio.get_running_loop().time() + 20
    seen: list[admin_pb2.AuditEvent] = []
    while len(seen) < 3 and asyncio.get_running_loop().time() < deadline:
        seen, token = [], ""
        while True:
            page = await mesh.admin(team.admin()).ListAuditEvents(
                admin_pb2.ListAuditEventsRequest(page_size=2, page_token=token, action=audit.READ_DOCUMENT_TEXT)
            )
            seen.extend(page.events)
            token = page.next_page_token
            if not token:
                break
        await asyncio.sleep(0.1)
    assert len(seen) == 3 and len({e.id for e in seen}) == 3
    stamps = [e.occurred_at.ToDatetime() for e in seen]
    assert stamps == sorted(stamps, reverse=True)


async def test_deleting_a_document(mesh: Mesh) -> None:
    team = new_team()
    cv_id, project_id = await upload_pair(mesh, team.submitter(), f"document {uuid.uuid4()}")
    request = upload_pb2.DeleteDocumentRequest(id=project_id)
    assert await code_of(mesh.upload(team.submitter()).DeleteDocument(request)) == grpc.StatusCode.PERMISSION_DENIED
    await mesh.upload(team.admin()).DeleteDocument(request)
    lookup = upload_pb2.GetDocumentRequest(id=project_id)
    assert await code_of(mesh.upload(team.admin()).GetDocument(lookup)) == NOT_FOUND
    assert await code_of(mesh.upload(team.admin()).DeleteDocument(request)) == NOT_FOUND
    kept = mesh.upload(team.admin()).GetDocument(upload_pb2.GetDocumentRequest(id=cv_id))
    assert await code_of(kept) == OK


async def test_retention_purges_what_expired(mesh: Mesh) -> None:
    team, bystander = new_team(), new_team()
    cv_id, project_id = await upload_pair(mesh, team.submitter(), f"retention {uuid.uuid4()}")
    job_id = await evaluate(mesh, team.submitter(), cv_id, project_id)
    assert await finished(mesh, team.submitter(), job_id) == "completed"
    kept_cv, _ = await upload_pair(mesh, bystander.submitter(), f"bystander {uuid.uuid4()}")
    admin = mesh.admin(team.admin())
    assert (await admin.GetRetention(admin_pb2.GetRetentionRequest())).retention_days == 0
    negative = admin.SetRetention(admin_pb2.SetRetentionRequest(retention_days=-1))
    assert await code_of(negative) == grpc.StatusCode.INVALID_ARGUMENT
    await admin.SetRetention(admin_pb2.SetRetentionRequest(retention_days=30))
    assert (await admin.GetRetention(admin_pb2.GetRetentionRequest())).retention_days == 30

    purge = mesh.admin()  # internal: PurgeExpired is not in the access policy and names its tenant
    fresh = await purge.PurgeExpired(admin_pb2.PurgeExpiredRequest(tenant=team.tenant, as_of=_stamp(days=1)))
    assert (fresh.deleted_documents, fresh.deleted_jobs) == (0, 0)  # nothing is 30 days old yet
    later = await purge.PurgeExpired(admin_pb2.PurgeExpiredRequest(tenant=team.tenant, as_of=_stamp(days=31)))
    assert (later.deleted_documents, later.deleted_jobs, later.deleted_results) == (2, 1, 1)
    assert await reads(mesh, team, cv_id, project_id, job_id) == [NOT_FOUND] * 4
    # Another tenant (no retention set) keeps its data.
    other = mesh.upload(bystander.reviewer()).GetDocument(upload_pb2.GetDocumentRequest(id=kept_cv))
    assert await code_of(other) == OK


def _stamp(days: int) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(datetime.now(UTC) + timedelta(days=days))
    return stamp


async def test_an_erased_result_leaves_every_result_replica_at_once(mesh: Mesh) -> None:
    """A second replica of the result service holds the result in its cache (60 s TTL); the deletion, served by the
    first, reaches it over NATS, so it answers NOT_FOUND well before its cache entry would expire."""
    team = new_team()
    cv_id, project_id = await upload_pair(mesh, team.submitter(), f"zq{uuid.uuid4().hex[:12]}")
    job_id = await evaluate(mesh, team.submitter(), cv_id, project_id)
    assert await finished(mesh, team.submitter(), job_id) == "completed"
    port = free_port()
    # Its own name for the job service's address (the same server), so that stopping the replica closes only its own
    # shared channel, not the one the mesh's result service uses.
    own_job_addr = mesh.settings.model_copy(update={"job_addr": f"ipv4:{mesh.settings.job_addr}"})
    replica = await result_app.start(own_job_addr, port=port)
    channel = identity_channel(f"127.0.0.1:{port}", team.reviewer())
    try:
        other = result_pb2_grpc.ResultServiceStub(channel)
        request = result_pb2.GetResultRequest(id=job_id)
        assert (await other.GetResult(request)).status == "completed"  # now in the replica's cache

        await mesh.jobs(team.admin()).DeleteCandidate(job_pb2.DeleteCandidateRequest(cv_id=cv_id))

        deadline = asyncio.get_running_loop().time() + 20  # far below the cache's 60 s TTL
        while (code := await code_of(other.GetResult(request))) != NOT_FOUND:
            assert code == OK and asyncio.get_running_loop().time() < deadline, "the replica still serves it"
            await asyncio.sleep(0.05)
    finally:
        await channel.close()
        await replica.stop(0)
