"""Who is calling: the identity the edge established, carried to the services as signed gRPC metadata.

Envoy strips any incoming `x-cveval-identity` header, asks the auth service (ext_authz) to check the caller's
credential (API key or OIDC JWT), and forwards the identity that service returns. The token is signed with an
HMAC key shared by the auth service and the services (`CVEVAL_IDENTITY_SECRET`), so a service never trusts a
tenant id that did not come from the edge, even if something inside the mesh forwards a forged header.

Format: ``v1.<base64url(json payload)>.<base64url(hmac-sha256 of "v1." + payload part)>``, payload
``{"t": tenant, "p": principal, "r": [roles], "exp": unix seconds}``. A short expiry bounds replay.

Written here rather than taken from a JWT library: the token never leaves the mesh, has one fixed algorithm and
four fields, and verifying it is on every public call's path, so a few lines of hmac/json are both the smallest
and the fastest choice (no algorithm negotiation to get wrong).
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Final

from cveval_kit.errors import PermissionDenied, Unauthenticated

IDENTITY_METADATA_KEY: Final = "x-cveval-identity"
TOKEN_VERSION: Final = "v1"
DEFAULT_TTL_S: Final = 120

SUBMITTER: Final = "submitter"
REVIEWER: Final = "reviewer"
ADMIN: Final = "admin"
ROLES: Final = (SUBMITTER, REVIEWER, ADMIN)


@dataclass(frozen=True, slots=True)
class Identity:
    tenant: str
    principal: str  # "key:<key id>" for API keys, "oidc:<issuer>#<subject>" for JWTs
    roles: frozenset[str]

    def has_any(self, roles: frozenset[str]) -> bool:
        return ADMIN in self.roles or not self.roles.isdisjoint(roles)

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles

    @property
    def reads_whole_tenant(self) -> bool:
        """Reviewers and admins read every job, result and document of their tenant; a submitter only their own."""
        return ADMIN in self.roles or REVIEWER in self.roles


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, signed_part: str) -> bytes:
    return hmac.new(secret, signed_part.encode("ascii"), hashlib.sha256).digest()


def sign(identity: Identity, secret: bytes, *, ttl_s: int = DEFAULT_TTL_S, now: float | None = None) -> str:
    if not secret:
        raise ValueError("an identity secret is required to sign identities")
    payload = {
        "t": identity.tenant,
        "p": identity.principal,
        "r": sorted(identity.roles),
        "exp": int((time.time() if now is None else now) + ttl_s),
    }
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    signed_part = f"{TOKEN_VERSION}.{body}"
    return f"{signed_part}.{_b64(_mac(secret, signed_part))}"


def verify(token: str, secret: bytes, *, now: float | None = None) -> Identity:
    """The identity in `token`, or Unauthenticated when it is malformed, forged or expired."""
    if not secret:
        raise Unauthenticated("this service has no identity secret configured", code="IDENTITY_NOT_CONFIGURED")
    version, _, rest = token.partition(".")
    body, _, signature = rest.partition(".")
    if version != TOKEN_VERSION or not body or not signature:
        raise Unauthenticated("malformed caller identity", code="UNAUTHENTICATED")
    try:
        expected = _mac(secret, f"{version}.{body}")
        if not hmac.compare_digest(expected, _unb64(signature)):
            raise Unauthenticated("caller identity has a bad signature", code="UNAUTHENTICATED")
        payload = json.loads(_unb64(body))
        tenant, principal, roles, exp = payload["t"], payload["p"], payload["r"], payload["exp"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise Unauthenticated("malformed caller identity", code="UNAUTHENTICATED") from exc
    if not isinstance(tenant, str) or not tenant or not isinstance(principal, str) or not isinstance(roles, list):
        raise Unauthenticated("malformed caller identity", code="UNAUTHENTICATED")
    if (time.time() if now is None else now) > float(exp):
        raise Unauthenticated("caller identity expired", code="UNAUTHENTICATED")
    return Identity(tenant=tenant, principal=principal, roles=frozenset(str(r) for r in roles))


# The identity of the public call being served; set by the service interceptor (cveval_kit.interceptors).
_CURRENT: contextvars.ContextVar[Identity | None] = contextvars.ContextVar("cveval_identity", default=None)


def current_identity() -> Identity:
    """The verified caller of the public RPC in progress. Only public methods (those in the server's access policy)
    have one; calling this elsewhere is a programming error."""
    identity = _CURRENT.get()
    if identity is None:
        raise Unauthenticated("no caller identity", code="UNAUTHENTICATED")
    return identity


def bind(identity: Identity | None) -> contextvars.Token[Identity | None]:
    return _CURRENT.set(identity)


def unbind(token: contextvars.Token[Identity | None]) -> None:
    _CURRENT.reset(token)


def authorize(metadata_value: str | None, secret: bytes, allowed_roles: frozenset[str]) -> Identity:
    """Verify the edge's identity token and check the caller holds one of `allowed_roles` (admin holds all)."""
    if not metadata_value:
        raise Unauthenticated("a credential is required", code="UNAUTHENTICATED")
    identity = verify(metadata_value, secret)
    if not identity.has_any(allowed_roles):
        raise PermissionDenied("this credential's role may not do this", code="PERMISSION_DENIED")
    return identity
