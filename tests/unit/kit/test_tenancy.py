"""Who reads what within a tenant, and the pseudonyms the audit log and the gateway's cache tags use."""

from __future__ import annotations

from cveval_kit.identity import ADMIN, REVIEWER, SUBMITTER, Identity
from cveval_kit.tenancy import cache_owner, may_read, owner_filter, ref


def who(*roles: str, tenant: str = "t1", principal: str = "key:alice") -> Identity:
    return Identity(tenant, principal, frozenset(roles))


def test_submitters_read_their_own_reviewers_and_admins_the_tenant() -> None:
    assert owner_filter(who(SUBMITTER)) == "key:alice"
    assert owner_filter(who(REVIEWER)) is None and owner_filter(who(ADMIN)) is None
    assert may_read(who(SUBMITTER), "t1", "key:alice")
    assert not may_read(who(SUBMITTER), "t1", "key:bob")
    assert may_read(who(REVIEWER), "t1", "key:bob")


def test_no_role_reads_another_tenant() -> None:
    for roles in ((SUBMITTER,), (REVIEWER,), (ADMIN,)):
        assert not may_read(who(*roles), "t2", "key:alice")


def test_refs_are_stable_per_tenant_and_hide_the_id() -> None:
    document = "3f2b1c4e-0000-4000-8000-000000000001"
    assert ref("t1", document) == ref("t1", document)
    assert ref("t1", document) != ref("t2", document)
    assert document not in ref("t1", document) and len(ref("t1", document)) == 32
    assert cache_owner("t1", document) == f"t1/{document}"
