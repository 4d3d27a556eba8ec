"""One evaluation: fetch the texts and the vacancy, then run the evaluation pipeline (scoring/pipeline.py)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from opentelemetry import trace

from cveval_job.adapters.gateway_client import GatewayClient
from cveval_job.adapters.upload_client import UploadClient
from cveval_job.adapters.vacancy_repository import VacancyRepository
from cveval_job.domain.candidate import display_name
from cveval_job.domain.jobs import Job
from cveval_job.domain.retrieval import STAGE_SOURCES, RetrievalEmpty, Retrieved
from cveval_job.metrics import DEGRADED
from cveval_job.scoring import pipeline
from cveval_job.scoring.model import Evaluation, Vacancy
from cveval_job.scoring.pipeline import EvaluationPipeline
from cveval_job.scoring.ports import Scorer
from cveval_job.worker.cv_only import cv_part

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

TOP_K: Final = pipeline.TOP_K
DEGRADED_FLAG: Final = pipeline.DEGRADED_FLAG
DEGRADED_REASON_PREFIX: Final = pipeline.DEGRADED_REASON_PREFIX
MAX_REASON_CHARS: Final = pipeline.MAX_REASON_CHARS


class PermanentFailure(Exception):
    """The job cannot succeed by retrying (missing document, empty text, unusable vacancy, invalid scores)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Outcome:
    evaluation: Evaluation
    vacancy: Vacancy
    embed_model: str
    retrieved: list[Retrieved]
    step_ms: dict[str, float] = field(default_factory=dict)
    # Who was evaluated: the name found at the top of the CV (else its file name) and both files' names.
    candidate_name: str = ""
    cv_filename: str = ""
    project_filename: str = ""
    cv_only: bool = False  # no project report: the evaluation is the CV part alone (worker/cv_only.py)


class Evaluator:
    """`fallback` scores instead of `scorer` when the model provider stays unavailable (DEGRADED_FLAG); None never."""

    def __init__(
        self,
        documents: UploadClient,
        vacancies: VacancyRepository,
        gateway: GatewayClient,
        scorer: Scorer,
        fallback: Scorer | None = None,
    ) -> None:
        self.documents = documents
        self.vacancies = vacancies
        self.fallback = fallback
        self.pipeline = EvaluationPipeline(gateway, vacancies, scorer, today=date.today)

    async def run(self, job: Job, *, last_attempt: bool = False) -> Outcome:
        """On earlier deliveries an unavailable provider raises errors.Unavailable (the job is retried); only the last
        one may degrade, so a short outage costs a retry rather than the model's judgement."""
        started = time.perf_counter()
        with tracer.start_as_current_span("evaluate.fetch_documents"):
            cv_only = not job.project_id
            (cv_text, cv_filename), (project_text, project_filename) = await asyncio.gather(
                self._text(job.cv_id, "cv"),
                self._no_report() if cv_only else self._text(job.project_id, "project"),
            )
            vacancy = await self.vacancies.get(job.vacancy_id)
            if vacancy is None:
                raise PermanentFailure("VACANCY_NOT_FOUND", f"vacancy {job.vacancy_id!r} no longer exists")
        fetched = round((time.perf_counter() - started) * 1000, 2)
        fallback = self.fallback if last_attempt and vacancy.allow_degraded_scoring else None
        try:
            run = await self.pipeline.evaluate(cv_text, project_text, vacancy, fallback=fallback)
        except RetrievalEmpty as exc:
            raise PermanentFailure("RETRIEVAL_EMPTY", str(exc)) from exc
        if run.outage is not None:
            DEGRADED.labels(run.outage.code).inc()
        timings = {"fetch_documents": fetched, **run.step_ms}
        evaluation = cv_part(run.evaluation) if cv_only else run.evaluation
        retrieved = [r for r in run.retrieved if r.chunk.source in STAGE_SOURCES["cv"]] if cv_only else run.retrieved
        return Outcome(
            evaluation, vacancy, run.embed_model, retrieved, timings,
            candidate_name=display_name(cv_text, cv_filename),
            cv_filename=cv_filename,
            project_filename=project_filename,
            cv_only=cv_only,
        )

    async def _no_report(self) -> tuple[None, str]:
        return None, ""

    async def _text(self, document_id: str, expected_kind: str) -> tuple[str, str]:
        """The document's text and file name."""
        found = await self.documents.text_of(document_id)
        if found is None:
            raise PermanentFailure("DOCUMENT_NOT_FOUND", f"{expected_kind} document {document_id!r} not found")
        kind, text, filename = found
        if kind != expected_kind:
            raise PermanentFailure("WRONG_KIND", f"document {document_id!r} is a {kind} document")
        if not text.strip():
            raise PermanentFailure("EMPTY_TEXT", f"the {expected_kind} document has no usable text")
        return text, filename
