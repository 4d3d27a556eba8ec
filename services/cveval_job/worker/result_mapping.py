"""An evaluation and its provenance as the result service's message."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from cveval.result.v1 import result_pb2
from cveval_job.domain.jobs import Job
from cveval_job.worker.evaluate import Outcome


def step_latency(outcome: Outcome) -> dict[str, float]:
    """Pipeline steps as measured by the worker, and the scorer's own steps (the LLM chain's calls) under "score."."""
    return {**outcome.step_ms, **{f"score.{name}": ms for name, ms in outcome.evaluation.step_ms}}


def to_result(job: Job, outcome: Outcome, trace_id: str) -> result_pb2.EvaluationResult:
    e = outcome.evaluation
    completed = Timestamp()
    completed.GetCurrentTime()
    models = [outcome.embed_model, *e.models]
    vacancy = outcome.vacancy
    return result_pb2.EvaluationResult(
        cv_match_rate=e.cv_match_rate,
        cv_feedback=e.cv_feedback,
        project_score=e.project_score,
        project_feedback=e.project_feedback,
        overall_summary=e.overall_summary,
        breakdown=[
            result_pb2.ParameterScore(
                stage=p.stage,
                parameter=p.parameter,
                label=p.label,
                weight=p.weight,
                score=p.score,
                evidence=list(p.evidence),
            )
            for p in e.breakdown
        ],
        provenance=result_pb2.Provenance(
            scorer=e.scorer,
            scorer_version=e.scorer_version,
            models=list(dict.fromkeys(m for m in models if m)),
            prompt_version=e.prompt_version,
            rubric_version=f"cv:{vacancy.cv_rubric.version} project:{vacancy.project_rubric.version}",
            vacancy_id=vacancy.id,
            attempts=max(job.attempts, e.attempts),
            prompt_tokens=e.prompt_tokens,
            completion_tokens=e.completion_tokens,
            trace_id=trace_id,
            retrieved_chunk_ids=[r.chunk.id for r in outcome.retrieved],
            step_latency_ms=step_latency(outcome),
            flags=list(e.flags),
            completed_at=completed,
        ),
        cv_only=outcome.cv_only,
        candidate=result_pb2.Candidate(
            display_name=outcome.candidate_name,
            cv_filename=outcome.cv_filename,
            project_filename=outcome.project_filename,
        ),
    )
