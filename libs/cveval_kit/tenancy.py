"""Tenancy facts every service shares: the tenant of rows that predate tenancy, who may read what, and the
pseudonymous references the audit log and the gateway's cache tags use instead of ids."""

from __future__ import annotations

import hashlib
from typing import Final

from cveval_kit.identity import Identity

# Rows created before tenancy existed were migrated into this tenant.
DEFAULT_TENANT: Final = "default"
# The principal of work nobody asked for in person (the scheduled retention purge).
SYSTEM_RETENTION: Final = "system:retention"


def owner_filter(caller: Identity) -> str | None:
    """The principal whose rows a caller may read: None (the whole tenant) for reviewers and admins, else its own."""
    return None if caller.reads_whole_tenant else caller.principal


def may_read(caller: Identity, tenant: str, owner: str) -> bool:
    return tenant == caller.tenant and (caller.reads_whole_tenant or owner == caller.principal)


def ref(tenant: str, resource_id: str) -> str:
    """A stable pseudonym of a resource id within a tenant: the audit log names candidates by it, so it keeps no
    personal data once their data is erased. The ids are random UUIDs, so the hash cannot be reversed by guessing."""
    digest = hashlib.sha256(f"cveval-ref\x00{tenant}\x00{resource_id}".encode()).hexdigest()
    return digest[:32]


def cache_owner(tenant: str, document_id: str) -> str:
    """The tag the ai-gateway files cached entries under (ChatRequest.owners / EmbedRequest.owners)."""
    return f"{tenant}/{document_id}"
