"""The public REST API's calls, described once: the sync and async clients send the same descriptions."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from cveval_client.models import (
    Batch,
    Candidate,
    CreatedBatch,
    Job,
    RankedCandidate,
    Result,
    Uploaded,
    Vacancy,
    VacancyDocuments,
)

T = TypeVar("T")
FileArg = tuple[str, bytes, str]  # file name, content, media type


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    parse: Callable[[Any], T]
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    files: dict[str, FileArg] | None = None
    # Sent as the Idempotency-Key header; a call with one may be retried safely.
    idempotency_key: str = ""
    raw: bool = False  # the body is returned as bytes (exports)


def new_key() -> str:
    return str(uuid.uuid4())


def _params(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in ("", None, 0)}


def upload(cv: FileArg, project: FileArg | None = None) -> Call[Uploaded]:
    """A CV and, optionally, its project report (without one the CV alone is evaluated)."""
    # The server deduplicates identical bytes per tenant, so repeating an upload stores nothing twice.
    files = {"cv": cv, **({"project": project} if project is not None else {})}
    return Call("POST", "/v1/upload", lambda d: Uploaded(d["cv_id"], d.get("project_id", "")),
                files=files, idempotency_key=new_key())


def upload_vacancy_documents(job_description: FileArg | None,
                             study_case_brief: FileArg | None) -> Call[VacancyDocuments]:
    """A vacancy's texts as PDF, DOCX or text files; CreateVacancy then takes their extracted text by id."""
    files = {k: v for k, v in (("job_description", job_description), ("case_study_brief", study_case_brief)) if v}
    return Call("POST", "/v1/upload", lambda d: VacancyDocuments.from_json(d.get("vacancy_documents") or {}),
                files=files, idempotency_key=new_key())


def create_vacancy(title: str, job_description: str = "", study_case_brief: str = "", *,
                   documents: VacancyDocuments | None = None) -> Call[Vacancy]:
    body = {"title": title, "job_description": job_description, "study_case_brief": study_case_brief}
    if documents is not None:
        body.update({k: v for k, v in documents.request_fields().items() if v})
    # Creating the same content again returns the stored vacancy: safe to retry.
    return Call("POST", "/v1/vacancies", lambda d: Vacancy.from_json(d["vacancy"]), json=body,
                idempotency_key=new_key())


def get_vacancy(vacancy_id: str) -> Call[Vacancy]:
    return Call("GET", f"/v1/vacancies/{vacancy_id}", lambda d: Vacancy.from_json(d["vacancy"]))


def list_vacancies(title: str = "", page_size: int = 0, page_token: str = "") -> Call[tuple[list[Vacancy], str]]:
    return Call("GET", "/v1/vacancies",
                lambda d: ([Vacancy.from_json(v) for v in d.get("vacancies", [])], d.get("next_page_token", "")),
                params=_params(title=title, page_size=page_size, page_token=page_token))


def evaluate(cv_id: str, project_id: str, vacancy_id: str = "", idempotency_key: str = "") -> Call[Job]:
    body = {"cv_id": cv_id, "project_id": project_id, "vacancy_id": vacancy_id}
    return Call("POST", "/v1/evaluate", lambda d: Job(d["id"], d["status"], cv_id, project_id, vacancy_id, ""),
                json=body, idempotency_key=idempotency_key or new_key())


def create_batch(vacancy_id: str, candidates: Sequence[Candidate], idempotency_key: str = "") -> Call[CreatedBatch]:
    body = {"vacancy_id": vacancy_id, "candidates": [c.to_json() for c in candidates]}
    return Call("POST", "/v1/batches",
                lambda d: CreatedBatch(Batch.from_json(d["batch"]), [Job.from_json(j) for j in d.get("jobs", [])]),
                json=body, idempotency_key=idempotency_key or new_key())


def get_batch(batch_id: str) -> Call[Batch]:
    return Call("GET", f"/v1/batches/{batch_id}", lambda d: Batch.from_json(d["batch"]))


def watch_batch_path(batch_id: str) -> str:
    return f"/v1/batches/{batch_id}/watch"


def list_jobs(*, vacancy_id: str = "", batch_id: str = "", status: str = "", page_size: int = 0,
              page_token: str = "") -> Call[tuple[list[Job], str]]:
    return Call("GET", "/v1/jobs",
                lambda d: ([Job.from_json(j) for j in d.get("jobs", [])], d.get("next_page_token", "")),
                params=_params(vacancy_id=vacancy_id, batch_id=batch_id, status=status, page_size=page_size,
                               page_token=page_token))


def get_result(job_id: str) -> Call[Result]:
    return Call("GET", f"/v1/result/{job_id}", Result.from_json)


def ranking(vacancy_id: str, *, order_by: str = "", batch_id: str = "", page_size: int = 0,
            page_token: str = "") -> Call[tuple[list[RankedCandidate], str]]:
    return Call("GET", f"/v1/vacancies/{vacancy_id}/ranking",
                lambda d: ([RankedCandidate.from_json(c) for c in d.get("candidates", [])],
                           d.get("next_page_token", "")),
                params=_params(order_by=order_by, batch_id=batch_id, page_size=page_size, page_token=page_token))


def export_ranking(vacancy_id: str, fmt: str = "csv", *, order_by: str = "", batch_id: str = "") -> Call[bytes]:
    return Call("GET", f"/v1/vacancies/{vacancy_id}/ranking:export", lambda d: bytes(d),
                params=_params(format=fmt, order_by=order_by, batch_id=batch_id), raw=True)
