"""Key management rules: tenant scoping, the operator tenant, the bootstrap key, pagination."""

from __future__ import annotations

from datetime import datetime

import pytest

from cveval_auth.domain.keys import ApiKeyRecord, hash_secret
from cveval_auth.service import ApiKeyApplication, KeyDefaults, NewKey
from cveval_kit.errors import InvalidArgument, NotFound, PermissionDenied
from cveval_kit.identity import ADMIN, Identity


class Store:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[ApiKeyRecord, str]] = {}

    async def add(self, record: ApiKeyRecord, secret_hash: str) -> bool:
        if any(h == secret_hash for _, h in self.rows.values()):
            return False
        self.rows[record.id] = (record, secret_hash)
        return True

    async def page(
        self, tenant: str, size: int, after: tuple[datetime, str] | None, include_revoked: bool
    ) -> list[ApiKeyRecord]:
        found = sorted(
            (r for r, _ in self.rows.values() if r.tenant == tenant and (include_revoked or r.active)),
            key=lambda r: (r.created_at, r.id),
            reverse=True,
        )
        if after is not None:
            found = [r for r in found if (r.created_at, r.id) < after]
        return found[:size]

    async def revoke(self, tenant: str, key_id: str, when: datetime) -> ApiKeyRecord | None:
        row = self.rows.get(key_id)
        if row is None or row[0].tenant != tenant:
            return None
        from dataclasses import replace

        updated = replace(row[0], revoked_at=row[0].revoked_at or when)
        self.rows[key_id] = (updated, row[1])
        return updated


DEFAULTS = KeyDefaults(20, 600, "default")
OPERATOR = Identity("default", "key:root", frozenset({ADMIN}))
TEAM_ADMIN = Identity("team-a", "key:a", frozenset({ADMIN}))


async def test_create_returns_the_secret_once_and_stores_only_its_hash() -> None:
    store = Store()
    app = ApiKeyApplication(store, DEFAULTS, b"pepper")
    record, secret = await app.create(TEAM_ADMIN, NewKey("ats", ("submitter",)))
    stored, digest = store.rows[record.id]
    assert digest == hash_secret(secret, b"pepper") and secret not in repr(stored)
    assert record.tenant == "team-a" and (record.requests_per_second, record.evaluations_per_hour) == (20, 600)


async def test_only_the_operator_tenant_creates_keys_for_other_tenants() -> None:
    app = ApiKeyApplication(Store(), DEFAULTS)
    record, _ = await app.create(OPERATOR, NewKey("onboard", ("admin",), tenant="team-b"))
    assert record.tenant == "team-b"
    with pytest.raises(PermissionDenied):
        await app.create(TEAM_ADMIN, NewKey("x", ("admin",), tenant="team-b"))


async def test_revoke_is_tenant_scoped_and_hides_existence() -> None:
    app = ApiKeyApplication(Store(), DEFAULTS)
    record, _ = await app.create(TEAM_ADMIN, NewKey("k", ("reviewer",)))
    with pytest.raises(NotFound):
        await app.revoke(OPERATOR, record.id)
    revoked = await app.revoke(TEAM_ADMIN, record.id)
    assert revoked.revoked_at is not None


async def test_bootstrap_key_is_created_once() -> None:
    app = ApiKeyApplication(Store(), DEFAULTS)
    secret = "cvk_" + "b" * 40
    assert await app.ensure_bootstrap(secret, "default") is True
    assert await app.ensure_bootstrap(secret, "default") is False
    with pytest.raises(InvalidArgument):
        await app.ensure_bootstrap("too-short", "default")


async def test_list_pages_newest_first() -> None:
    app = ApiKeyApplication(Store(), DEFAULTS)
    for i in range(5):
        await app.create(TEAM_ADMIN, NewKey(f"k{i}", ("reviewer",)))
    first, token = await app.list(TEAM_ADMIN, 2, "", False)
    second, token2 = await app.list(TEAM_ADMIN, 2, token, False)
    third, token3 = await app.list(TEAM_ADMIN, 2, token2, False)
    names = [r.name for r in (*first, *second, *third)]
    assert sorted(names) == [f"k{i}" for i in range(5)] and len(set(names)) == 5 and token3 == ""
    with pytest.raises(InvalidArgument):
        await app.list(TEAM_ADMIN, 2, "!!not-a-token", False)
