"""Signed caller identities for tests that call public RPCs straight on the services (bypassing Envoy)."""

from __future__ import annotations

from collections.abc import Generator

import httpx

from cveval_kit import identity
from cveval_kit.identity import SUBMITTER, Identity

TEST_IDENTITY_SECRET = "test-identity-secret-not-for-production"


def caller(
    tenant: str = "tenant-a", roles: tuple[str, ...] = (SUBMITTER,), principal: str = "key:test"
) -> tuple[tuple[str, str], ...]:
    """gRPC metadata carrying an identity as the edge would set it."""
    token = identity.sign(Identity(tenant, principal, frozenset(roles)), TEST_IDENTITY_SECRET.encode("utf-8"))
    return ((identity.IDENTITY_METADATA_KEY, token),)


class SignedIdentity(httpx.Auth):
    """Sends a freshly signed caller identity with each REST request, as Envoy forwards the one the auth service
    returns. Until the edge authenticates API keys itself, this is how tests reach the services through Envoy."""

    def __init__(self, tenant: str = "tenant-e2e", roles: tuple[str, ...] = (SUBMITTER,)) -> None:
        self.tenant = tenant
        self.roles = roles

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        ((_, token),) = caller(self.tenant, self.roles, "key:e2e")
        request.headers[identity.IDENTITY_METADATA_KEY] = token
        yield request
