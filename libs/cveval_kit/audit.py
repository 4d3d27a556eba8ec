"""The audit trail: who read or deleted which candidate's data, published by every service to one JetStream stream.

The stream is the tamper-resistant feed: retention by limits (not work-queue), and `deny_delete` / `deny_purge`
set, so no client can remove an event through the JetStream API once it is stored. The job service records the
feed into its append-only `audit_events` table (a trigger refuses UPDATE, DELETE and TRUNCATE), where admins
query it (AdminService.ListAuditEvents).

Publishing is awaited before the data it records is disclosed or erased: when the audit trail cannot be written
the read or the deletion fails (503) rather than happen unrecorded. The result service's read path queues its
events and publishes them in batches instead (cveval_kit.audit_batching, decision record 0027): a message of the
stream holds one event or a JSON array of them (`decode_events`).

Events name resources by pseudonyms (cveval_kit.tenancy.ref), never by id or content, so an erased candidate
leaves no personal data in the audit trail.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Final, Protocol

from nats.aio.client import Client as NatsClient
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from cveval_kit import errors
from cveval_kit.tenancy import ref

# The stream is a buffer in front of the table, not the record itself: events wait here at most this long for the
# recorder.
STREAM_MAX_AGE_S: Final = 30 * 24 * 3600.0

READ_DOCUMENT_TEXT: Final = "document.read_text"
READ_RESULT: Final = "result.read"
DELETE_DOCUMENT: Final = "document.delete"
DELETE_CANDIDATE: Final = "candidate.delete"
PURGE_EXPIRED: Final = "retention.purge"
SET_RETENTION: Final = "retention.set"


@dataclass(frozen=True)
class AuditEvent:
    tenant: str
    principal: str
    action: str
    resource_kind: str
    resource_ref: str
    candidate_ref: str
    service: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    @classmethod
    def about(
        cls, *, tenant: str, principal: str, action: str, kind: str, resource_id: str, candidate_id: str, service: str
    ) -> AuditEvent:
        """An event naming its resource and candidate by pseudonym."""
        return cls(
            tenant=tenant,
            principal=principal,
            action=action,
            resource_kind=kind,
            resource_ref=ref(tenant, resource_id) if resource_id else "",
            candidate_ref=ref(tenant, candidate_id) if candidate_id else "",
            service=service,
        )

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> AuditEvent:
        return cls(**json.loads(data))


def encode_batch(events: list[AuditEvent]) -> bytes:
    """Several events as one message of the audit stream: a JSON array of what `AuditEvent.to_json` writes."""
    return json.dumps([asdict(e) for e in events], separators=(",", ":")).encode()


def decode_events(data: bytes) -> list[AuditEvent]:
    """The events of one message of the audit stream: one event (an object) or a batch (an array of them)."""
    decoded = json.loads(data)
    if isinstance(decoded, list):
        return [AuditEvent(**item) for item in decoded]
    return [AuditEvent(**decoded)]


class AuditTrail(Protocol):
    async def record(self, event: AuditEvent) -> None: ...


async def ensure_stream(nc: NatsClient, stream: str, subject_prefix: str) -> None:
    js = nc.jetstream()
    try:
        await js.stream_info(stream)
    except NotFoundError:
        await js.add_stream(
            StreamConfig(
                name=stream,
                subjects=[f"{subject_prefix}.>"],
                retention=RetentionPolicy.LIMITS,
                storage=StorageType.FILE,
                max_age=STREAM_MAX_AGE_S,
                duplicate_window=120.0,
                deny_delete=True,
                deny_purge=True,
            )
        )


class JetStreamAuditTrail:
    def __init__(self, nc: NatsClient, stream: str, subject_prefix: str, service: str) -> None:
        self.js = nc.jetstream()
        self.nc = nc
        self.stream = stream
        self.subject = f"{subject_prefix}.{service}"
        self.prefix = subject_prefix
        self.service = service

    async def ensure(self) -> None:
        await ensure_stream(self.nc, self.stream, self.prefix)

    async def record(self, event: AuditEvent) -> None:
        try:
            await self.js.publish(
                self.subject, event.to_json(), timeout=5.0, stream=self.stream, headers={"Nats-Msg-Id": event.id}
            )
        except Exception as exc:
            raise errors.Unavailable("the audit trail is unavailable", code="AUDIT_UNAVAILABLE") from exc

    async def publish_batch(self, data: bytes, message_id: str) -> None:
        """One message of several events (`encode_batch`), for cveval_kit.audit_batching.BatchingAuditTrail."""
        await self.js.publish(self.subject, data, timeout=5.0, stream=self.stream, headers={"Nats-Msg-Id": message_id})
