"""Resource ids: every stored resource is named by a UUID, so any other string is not found without a query."""

from __future__ import annotations

import uuid


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
