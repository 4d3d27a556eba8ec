"""API keys: how they are made, hashed and described. No I/O here.

A key is `cvk_` + 32 random bytes (256 bits, base64url). Only its hash is stored. The hash is HMAC-SHA256 keyed by
an optional server-side pepper: a fast hash is adequate because the secret is high-entropy random, not a
password a person chose, so there is no dictionary to try and 2^256 guesses are out of reach however fast each
one is. Slow password hashes (bcrypt, argon2) exist to stretch low-entropy secrets and would cost milliseconds on
every call, which the edge cannot afford. The pepper (CVEVAL_AUTH_KEY_PEPPER) adds that a copy of the table alone
cannot even confirm a leaked key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from cveval_kit.errors import InvalidArgument
from cveval_kit.identity import ROLES

KEY_PREFIX: Final = "cvk_"
SHOWN_PREFIX_CHARS: Final = 12
MAX_NAME_CHARS: Final = 100
MAX_TENANT_CHARS: Final = 64
_HASH_DOMAIN: Final = b"cveval-api-key-v1"


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    id: str
    name: str
    tenant: str
    roles: frozenset[str]
    requests_per_second: int
    evaluations_per_hour: int
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def new_key_id() -> str:
    return f"key-{uuid.uuid4().hex[:16]}"


def looks_like_key(credential: str) -> bool:
    return credential.startswith(KEY_PREFIX) and 20 <= len(credential) <= 200


def hash_secret(secret: str, pepper: bytes = b"") -> str:
    return hmac.new(_HASH_DOMAIN + pepper, secret.encode("utf-8"), hashlib.sha256).hexdigest()


def shown_prefix(secret: str) -> str:
    return secret[:SHOWN_PREFIX_CHARS]


def checked_roles(roles: list[str] | tuple[str, ...]) -> frozenset[str]:
    cleaned = frozenset(r.strip().lower() for r in roles if r.strip())
    if not cleaned:
        raise InvalidArgument("roles: name at least one of " + ", ".join(ROLES), code="INVALID_ROLES")
    unknown = sorted(cleaned.difference(ROLES))
    if unknown:
        raise InvalidArgument(f"roles: unknown role {unknown[0]!r}; known: {', '.join(ROLES)}", code="INVALID_ROLES")
    return cleaned


def checked_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > MAX_NAME_CHARS:
        raise InvalidArgument(f"name: 1 to {MAX_NAME_CHARS} characters", code="INVALID_NAME")
    return cleaned


def checked_tenant(tenant: str) -> str:
    cleaned = tenant.strip()
    if not cleaned or len(cleaned) > MAX_TENANT_CHARS or not all(c.isalnum() or c in "-_." for c in cleaned):
        raise InvalidArgument(
            f"tenant: 1 to {MAX_TENANT_CHARS} letters, digits, '-', '_' or '.'", code="INVALID_TENANT"
        )
    return cleaned


def checked_quota(value: int, default: int, what: str, maximum: int) -> int:
    if value == 0:
        return default
    if value < 0 or value > maximum:
        raise InvalidArgument(f"{what}: between 1 and {maximum}", code="INVALID_QUOTA")
    return value
