"""Typed views of the API's JSON answers. Each keeps the whole answer in `raw` for fields not modelled here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Vacancy:
    id: str
    title: str
    version: str
    created_at: str
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Vacancy:
        return cls(str(data.get("id", "")), str(data.get("title", "")), str(data.get("version", "")),
                   str(data.get("created_at", "")), data)


@dataclass(frozen=True)
class Uploaded:
    cv_id: str
    project_id: str


@dataclass(frozen=True)
class VacancyDocuments:
    """Uploaded vacancy documents (PDF, DOCX or text) whose extracted text a new vacancy takes."""

    job_description_id: str = ""
    case_study_brief_id: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VacancyDocuments:
        return cls(str(data.get("job_description_id", "")), str(data.get("case_study_brief_id", "")))

    def request_fields(self) -> dict[str, str]:
        return {"job_description_document_id": self.job_description_id,
                "study_case_brief_document_id": self.case_study_brief_id}


@dataclass(frozen=True)
class Job:
    id: str
    status: str
    cv_id: str
    project_id: str
    vacancy_id: str
    batch_id: str
    error_code: str = ""
    error_message: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        error = data.get("error") or {}
        return cls(str(data.get("id", "")), str(data.get("status", "")), str(data.get("cv_id", "")),
                   str(data.get("project_id", "")), str(data.get("vacancy_id", "")), str(data.get("batch_id", "")),
                   str(error.get("code", "")), str(error.get("message", "")))


@dataclass(frozen=True)
class Progress:
    total: int = 0
    queued: int = 0
    processing: int = 0
    completed: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Batch:
    id: str
    vacancy_id: str
    progress: Progress
    done: bool

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Batch:
        p = data.get("progress") or {}
        progress = Progress(*(int(p.get(k, 0)) for k in ("total", "queued", "processing", "completed", "failed")))
        return cls(str(data.get("id", "")), str(data.get("vacancy_id", "")), progress, bool(data.get("done")))


@dataclass(frozen=True)
class CreatedBatch:
    batch: Batch
    jobs: list[Job]


@dataclass(frozen=True)
class Candidate:
    cv_id: str
    project_id: str
    idempotency_key: str = ""

    def to_json(self) -> dict[str, str]:
        body = {"cv_id": self.cv_id}
        if self.project_id:  # none: the CV alone is evaluated
            body["project_id"] = self.project_id
        if self.idempotency_key:
            body["idempotency_key"] = self.idempotency_key
        return body


@dataclass(frozen=True)
class RankedCandidate:
    rank: int
    job_id: str
    cv_id: str
    display_name: str
    cv_filename: str
    project_filename: str
    cv_match_rate: float
    project_score: float
    overall_score: float
    batch_id: str = ""
    cv_only: bool = False  # no project report: project_score is 0, overall_score the CV match rate

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RankedCandidate:
        who = data.get("candidate") or {}
        return cls(int(data.get("rank", 0)), str(data.get("job_id", "")), str(data.get("cv_id", "")),
                   str(who.get("display_name", "")), str(who.get("cv_filename", "")),
                   str(who.get("project_filename", "")), float(data.get("cv_match_rate", 0.0)),
                   float(data.get("project_score", 0.0)), float(data.get("overall_score", 0.0)),
                   str(data.get("batch_id", "")), bool(data.get("cv_only", False)))

    def to_json(self) -> dict[str, Any]:
        return {"rank": self.rank, "display_name": self.display_name, "overall_score": self.overall_score,
                "cv_match_rate": self.cv_match_rate, "project_score": self.project_score,
                "cv_filename": self.cv_filename, "project_filename": self.project_filename, "job_id": self.job_id,
                "cv_id": self.cv_id, "cv_only": self.cv_only}


@dataclass(frozen=True)
class Result:
    id: str
    status: str
    result: dict[str, Any] | None
    error: dict[str, Any] | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Result:
        return cls(str(data.get("id", "")), str(data.get("status", "")), data.get("result"), data.get("error"))
