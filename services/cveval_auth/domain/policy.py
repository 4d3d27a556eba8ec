"""The public API: every method Envoy routes and the roles that may call it.

The edge refuses a caller without one of these roles (403) before the call reaches a service; each service
checks again with its own access policy (cveval_kit.interceptors), so the edge is not the only guard. A method
that is not listed is internal: Envoy has no route for it and this check answers 404 for it too.
`tests/deploy/test_public_surface.py` keeps this list, Envoy's routes and the protos' HTTP bindings equal.
"""

from __future__ import annotations

from typing import Final

from cveval_kit.identity import ADMIN, REVIEWER, SUBMITTER

_SUBMIT: Final = frozenset({SUBMITTER})
_READ: Final = frozenset({SUBMITTER, REVIEWER})
_ADMIN: Final = frozenset({ADMIN})

PUBLIC_METHODS: Final[dict[str, frozenset[str]]] = {
    "/cveval.upload.v1.UploadService/Upload": _SUBMIT,
    "/cveval.upload.v1.UploadService/UploadForm": _SUBMIT,
    "/cveval.upload.v1.UploadService/GetDocument": _READ,
    "/cveval.upload.v1.UploadService/DeleteDocument": _ADMIN,
    "/cveval.job.v1.JobService/Evaluate": _SUBMIT,
    "/cveval.job.v1.JobService/GetJob": _READ,
    "/cveval.job.v1.JobService/ListJobs": _READ,
    "/cveval.job.v1.JobService/DeleteCandidate": _ADMIN,
    "/cveval.job.v1.JobService/ReplayJob": _ADMIN,
    "/cveval.job.v1.JobService/CreateBatch": _SUBMIT,
    "/cveval.job.v1.JobService/GetBatch": _READ,
    "/cveval.job.v1.JobService/WatchBatch": _READ,
    "/cveval.job.v1.VacancyService/CreateVacancy": _SUBMIT,
    "/cveval.job.v1.VacancyService/GetVacancy": _READ,
    "/cveval.job.v1.VacancyService/ListVacancies": _READ,
    "/cveval.job.v1.AdminService/GetRetention": _ADMIN,
    "/cveval.job.v1.AdminService/SetRetention": _ADMIN,
    "/cveval.job.v1.AdminService/ListAuditEvents": _ADMIN,
    "/cveval.result.v1.ResultService/GetResult": _READ,
    "/cveval.result.v1.ResultService/WatchResult": _READ,
    "/cveval.result.v1.ResultService/ListRanking": _READ,
    "/cveval.result.v1.ResultService/ExportRanking": _READ,
    "/cveval.auth.v1.ApiKeyService/CreateApiKey": _ADMIN,
    "/cveval.auth.v1.ApiKeyService/ListApiKeys": _ADMIN,
    "/cveval.auth.v1.ApiKeyService/RevokeApiKey": _ADMIN,
}

# Calls that queue an evaluation: they also count against the key's evaluations-per-hour quota.
# A batch counts once: its size is bounded (500 candidates) and the per-second limit still applies to each call.
EVALUATION_METHODS: Final = frozenset({"/cveval.job.v1.JobService/Evaluate", "/cveval.job.v1.JobService/CreateBatch"})
