"""The edge's decision for one request: which credential, whose identity, which quotas. No I/O here.

Envoy calls this for every public request (ext_authz) after its jwt_authn filter: a valid OIDC JWT arrives as
its verified payload (`x-jwt-payload`, base64url JSON; Envoy strips any copy the client sent and removes the
verified token itself), an API key as `Authorization: Bearer cvk_…`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Protocol

from cveval_auth.domain.keys import ApiKeyRecord, looks_like_key
from cveval_auth.domain.policy import PUBLIC_METHODS
from cveval_kit.identity import ROLES, Identity


class KeyLookup(Protocol):
    async def find(self, secret: str) -> ApiKeyRecord | None: ...


@dataclass(frozen=True, slots=True)
class JwtRules:
    tenant_claim: str = "tenant"
    roles_claim: str = "roles"
    default_roles: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Allowed:
    identity: Identity
    rate_key: str  # one token bucket per credential: the key id, or a digest of the JWT's issuer and subject
    requests_per_second: int
    evaluations_per_hour: int


@dataclass(frozen=True, slots=True)
class Denied:
    status: int  # 401, 403 or 404
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Quotas:
    requests_per_second: int
    evaluations_per_hour: int


def bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, credential = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return None
    return credential.strip()


async def decide(
    method: str,
    authorization: str | None,
    jwt_payload: str | None,
    keys: KeyLookup,
    rules: JwtRules,
    jwt_quotas: Quotas,
) -> Allowed | Denied:
    roles_needed = PUBLIC_METHODS.get(method)
    if roles_needed is None:
        return Denied(404, "NOT_FOUND", "no such method")
    if jwt_payload:
        outcome = _from_jwt(jwt_payload, rules, jwt_quotas)
    else:
        outcome = await _from_api_key(bearer(authorization), keys)
    if isinstance(outcome, Denied):
        return outcome
    if not outcome.identity.has_any(roles_needed):
        return Denied(403, "PERMISSION_DENIED", "this credential's role may not call this method")
    return outcome


async def _from_api_key(credential: str | None, keys: KeyLookup) -> Allowed | Denied:
    if credential is None:
        return Denied(401, "UNAUTHENTICATED", "a credential is required: Authorization: Bearer <API key or token>")
    if not looks_like_key(credential):
        # A JWT that jwt_authn did not accept (wrong issuer, audience, signature or expired) ends here too.
        return Denied(401, "UNAUTHENTICATED", "the credential is not a valid API key or accepted token")
    record = await keys.find(credential)
    if record is None or not record.active:
        return Denied(401, "UNAUTHENTICATED", "the API key is unknown or revoked")
    identity = Identity(tenant=record.tenant, principal=f"key:{record.id}", roles=record.roles)
    return Allowed(identity, record.id, record.requests_per_second, record.evaluations_per_hour)


def _from_jwt(encoded: str, rules: JwtRules, quotas: Quotas) -> Allowed | Denied:
    try:
        claims: Any = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, binascii.Error):
        return Denied(401, "UNAUTHENTICATED", "malformed token payload")
    if not isinstance(claims, dict):
        return Denied(401, "UNAUTHENTICATED", "malformed token payload")
    issuer, subject = str(claims.get("iss", "")), str(claims.get("sub", ""))
    tenant = claims.get(rules.tenant_claim)
    if not isinstance(tenant, str) or not tenant.strip():
        return Denied(403, "PERMISSION_DENIED", f"the token has no {rules.tenant_claim!r} claim naming a tenant")
    roles = _roles_of(claims.get(rules.roles_claim)) or rules.default_roles
    principal = f"oidc:{issuer}#{subject}"
    rate_key = "jwt-" + hashlib.sha256(principal.encode("utf-8")).hexdigest()[:16]
    identity = Identity(tenant=tenant.strip(), principal=principal, roles=roles)
    return Allowed(identity, rate_key, quotas.requests_per_second, quotas.evaluations_per_hour)


def _roles_of(value: object) -> frozenset[str]:
    """Known roles from a claim that is a list or a space/comma-separated string; unknown ones are ignored."""
    if isinstance(value, str):
        items = value.replace(",", " ").split()
    elif isinstance(value, list):
        items = [str(v) for v in value]
    else:
        return frozenset()
    return frozenset(r.strip().lower() for r in items).intersection(ROLES)
