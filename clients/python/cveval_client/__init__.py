"""cveval's Python SDK: the public REST API, sync (`Client`) and async (`AsyncClient`).

gRPC callers inside the mesh use the generated stubs instead (`cveval_client.grpc`).
"""

from cveval_client.client import AsyncClient, Client
from cveval_client.errors import (
    AuthenticationFailed,
    Conflict,
    ConnectionFailed,
    CvevalError,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
)
from cveval_client.models import (
    Batch,
    Candidate,
    CreatedBatch,
    Job,
    Progress,
    RankedCandidate,
    Result,
    Vacancy,
    VacancyDocuments,
)
from cveval_client.retry import RetryPolicy

__all__ = [
    "AsyncClient",
    "AuthenticationFailed",
    "Batch",
    "Candidate",
    "Client",
    "Conflict",
    "ConnectionFailed",
    "CreatedBatch",
    "CvevalError",
    "InvalidRequest",
    "Job",
    "NotFound",
    "PermissionDenied",
    "Progress",
    "RankedCandidate",
    "RateLimited",
    "Result",
    "RetryPolicy",
    "Unavailable",
    "Vacancy",
    "VacancyDocuments",
]
