"""Signed caller identities for tests that call public RPCs straight on the services (bypassing Envoy)."""

from __future__ import annotations

from cveval_kit import identity
from cveval_kit.identity import SUBMITTER, Identity

TEST_IDENTITY_SECRET = "test-identity-secret-not-for-production"


def caller(
    tenant: str = "tenant-a", roles: tuple[str, ...] = (SUBMITTER,), principal: str = "key:test"
) -> tuple[tuple[str, str], ...]:
    """gRPC metadata carrying an identity as the edge would set it."""
    token = identity.sign(Identity(tenant, principal, frozenset(roles)), TEST_IDENTITY_SECRET.encode("utf-8"))
    return ((identity.IDENTITY_METADATA_KEY, token),)
