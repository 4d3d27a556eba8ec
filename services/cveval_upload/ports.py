"""What the upload service needs from the outside world besides its own tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class CacheForgetter(Protocol):
    async def forget(self, owners: Sequence[str]) -> None:
        """Make the ai-gateway drop every cached entry derived from these owners' texts."""
