"""API key management: create (secret shown once), list, revoke; scoped to the caller's tenant."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from cveval_auth import metrics
from cveval_auth.domain import keys
from cveval_auth.domain.keys import ApiKeyRecord
from cveval_kit.errors import InvalidArgument, NotFound, PermissionDenied
from cveval_kit.identity import ADMIN, Identity

MAX_PAGE_SIZE = 100
MAX_REQUESTS_PER_SECOND = 10_000
MAX_EVALUATIONS_PER_HOUR = 1_000_000


class KeyStore(Protocol):
    async def add(self, record: ApiKeyRecord, secret_hash: str) -> bool: ...
    async def page(
        self, tenant: str, size: int, after: tuple[datetime, str] | None, include_revoked: bool
    ) -> list[ApiKeyRecord]: ...
    async def revoke(self, tenant: str, key_id: str, when: datetime) -> ApiKeyRecord | None: ...


@dataclass(frozen=True)
class KeyDefaults:
    requests_per_second: int
    evaluations_per_hour: int
    operator_tenant: str  # its admins may create keys for other tenants (onboarding a hiring team)


@dataclass(frozen=True)
class NewKey:
    name: str
    roles: tuple[str, ...]
    requests_per_second: int = 0
    evaluations_per_hour: int = 0
    tenant: str = ""


class ApiKeyApplication:
    def __init__(self, store: KeyStore, defaults: KeyDefaults, pepper: bytes = b"") -> None:
        self.store = store
        self.defaults = defaults
        self.pepper = pepper

    async def create(self, caller: Identity, new: NewKey) -> tuple[ApiKeyRecord, str]:
        tenant = keys.checked_tenant(new.tenant) if new.tenant.strip() else caller.tenant
        if tenant != caller.tenant and caller.tenant != self.defaults.operator_tenant:
            raise PermissionDenied("only the operator tenant's admins create keys for other tenants")
        secret = keys.new_secret()
        record = ApiKeyRecord(
            id=keys.new_key_id(),
            name=keys.checked_name(new.name),
            tenant=tenant,
            roles=keys.checked_roles(new.roles),
            requests_per_second=keys.checked_quota(
                new.requests_per_second,
                self.defaults.requests_per_second,
                "requests_per_second",
                MAX_REQUESTS_PER_SECOND,
            ),
            evaluations_per_hour=keys.checked_quota(
                new.evaluations_per_hour,
                self.defaults.evaluations_per_hour,
                "evaluations_per_hour",
                MAX_EVALUATIONS_PER_HOUR,
            ),
            prefix=keys.shown_prefix(secret),
            created_at=datetime.now(UTC),
        )
        await self.store.add(record, keys.hash_secret(secret, self.pepper))
        metrics.KEYS_CREATED.inc()
        return record, secret

    async def ensure_bootstrap(self, secret: str, tenant: str) -> bool:
        """The first admin key, from CVEVAL_BOOTSTRAP_API_KEY; True when it was created now."""
        if not keys.looks_like_key(secret):
            raise InvalidArgument(f"CVEVAL_BOOTSTRAP_API_KEY must start with {keys.KEY_PREFIX!r} (20-200 chars)")
        record = ApiKeyRecord(
            id=keys.new_key_id(),
            name="bootstrap admin",
            tenant=keys.checked_tenant(tenant),
            roles=frozenset({ADMIN}),
            requests_per_second=self.defaults.requests_per_second,
            evaluations_per_hour=self.defaults.evaluations_per_hour,
            prefix=keys.shown_prefix(secret),
            created_at=datetime.now(UTC),
        )
        return await self.store.add(record, keys.hash_secret(secret, self.pepper))

    async def list(
        self, caller: Identity, page_size: int, page_token: str, include_revoked: bool
    ) -> tuple[list[ApiKeyRecord], str]:
        size = MAX_PAGE_SIZE if page_size <= 0 else min(page_size, MAX_PAGE_SIZE)
        after = _decode_token(page_token) if page_token else None
        records = await self.store.page(caller.tenant, size + 1, after, include_revoked)
        if len(records) <= size:
            return records, ""
        last = records[size - 1]
        return records[:size], _encode_token(last.created_at, last.id)

    async def revoke(self, caller: Identity, key_id: str) -> ApiKeyRecord:
        record = await self.store.revoke(caller.tenant, key_id.strip(), datetime.now(UTC))
        if record is None:
            raise NotFound(f"no API key {key_id!r}")  # another tenant's key answers the same: existence stays hidden
        metrics.KEYS_REVOKED.inc()
        return record


def _encode_token(created: datetime, key_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created.isoformat()}|{key_id}".encode()).decode("ascii")


def _decode_token(token: str) -> tuple[datetime, str]:
    try:
        created, _, key_id = base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8").partition("|")
        return datetime.fromisoformat(created), key_id
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise InvalidArgument("page_token: not a token this service issued", code="INVALID_PAGE_TOKEN") from exc
