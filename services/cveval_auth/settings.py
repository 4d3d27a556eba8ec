"""The auth service's own settings (`CVEVAL_AUTH_*`, plus the kit's shared ones it inherits)."""

from __future__ import annotations

from pydantic import Field

from cveval_kit.settings import Settings


class AuthSettings(Settings):
    auth_check_port: int = Field(default=9002, description="HTTP port of the ext_authz check Envoy calls")
    auth_cache_ttl_s: float = Field(
        default=2.0, description="how long a key lookup is cached; a revoked key stops working within this"
    )
    auth_cache_size: int = 10_000
    auth_default_requests_per_second: int = 20
    auth_default_evaluations_per_hour: int = 600
    auth_default_tenant: str = Field(default="default", description="tenant of the bootstrap admin key")
    auth_key_pepper: str = Field(
        default="", description="optional server-side key mixed into the API key hash", repr=False
    )
    auth_jwt_tenant_claim: str = Field(default="tenant", description="JWT claim naming the caller's tenant")
    auth_jwt_roles_claim: str = Field(default="roles", description="JWT claim listing the caller's roles")
    auth_jwt_default_roles: str = Field(default="", description="comma-separated roles for a JWT with no roles claim")
    # Read without the AUTH_ prefix: it is the name `make run`, compose and the Kubernetes Secret share.
    bootstrap_api_key: str = Field(default="", description="admin key created at start-up when absent", repr=False)
