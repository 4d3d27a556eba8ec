"""The tenant and the documents of the job being evaluated, for the adapters the worker's pipeline calls.

The pipeline (worker/evaluate.py, the scorers) has no business knowing about tenants; the adapters it calls do:
the upload client names the tenant in its internal ReadDocument call, and the gateway client tags embed and chat
requests with the documents whose text they carry, so the ai-gateway can forget its cached entries when those
documents are deleted. The worker's handler sets the scope around one evaluation.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from cveval_kit.tenancy import cache_owner


@dataclass(frozen=True)
class JobScope:
    tenant: str
    document_ids: tuple[str, ...]

    @property
    def cache_owners(self) -> list[str]:
        return [cache_owner(self.tenant, d) for d in self.document_ids]


_SCOPE: contextvars.ContextVar[JobScope | None] = contextvars.ContextVar("cveval_job_scope", default=None)


@contextlib.contextmanager
def job_scope(tenant: str, document_ids: Sequence[str]) -> Iterator[JobScope]:
    scope = JobScope(tenant, tuple(d for d in document_ids if d))
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


def current_scope() -> JobScope | None:
    return _SCOPE.get()
