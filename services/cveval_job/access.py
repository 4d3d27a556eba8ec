"""The job service's public methods (JobService, VacancyService, AdminService) and the roles allowed to call them.
Every method not named here (GetTenantJob, PurgeExpired) is internal: the edge never routes it."""

from __future__ import annotations

from typing import Final

from cveval.job.v1 import admin_pb2, job_pb2, vacancy_pb2
from cveval_kit.identity import ADMIN, REVIEWER, SUBMITTER
from cveval_kit.interceptors import AccessPolicy

_JOBS: Final = job_pb2.DESCRIPTOR.services_by_name["JobService"].full_name
_VACANCIES: Final = vacancy_pb2.DESCRIPTOR.services_by_name["VacancyService"].full_name
_ADMIN: Final = admin_pb2.DESCRIPTOR.services_by_name["AdminService"].full_name

_ANYONE: Final = frozenset({SUBMITTER, REVIEWER})
_ADMINS: Final = frozenset({ADMIN})

POLICY: Final[AccessPolicy] = {
    f"/{_JOBS}/Evaluate": frozenset({SUBMITTER}),
    # A submitter reads its own jobs, a reviewer the tenant's (enforced in the service).
    f"/{_JOBS}/GetJob": _ANYONE,
    f"/{_JOBS}/ListJobs": _ANYONE,
    f"/{_JOBS}/DeleteCandidate": _ADMINS,
    # Replaying a failed job is an operator's act.
    f"/{_JOBS}/ReplayJob": _ADMINS,
    f"/{_JOBS}/CreateBatch": frozenset({SUBMITTER}),
    f"/{_JOBS}/GetBatch": _ANYONE,
    f"/{_JOBS}/WatchBatch": _ANYONE,
    f"/{_VACANCIES}/CreateVacancy": frozenset({SUBMITTER}),
    f"/{_VACANCIES}/GetVacancy": _ANYONE,
    f"/{_VACANCIES}/ListVacancies": _ANYONE,
    f"/{_ADMIN}/GetRetention": _ADMINS,
    f"/{_ADMIN}/SetRetention": _ADMINS,
    f"/{_ADMIN}/ListAuditEvents": _ADMINS,
}
