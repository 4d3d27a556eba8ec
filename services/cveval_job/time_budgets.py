"""How long one evaluation may take, and the thresholds that must follow from it.

With the LLM scorer an evaluation is bounded by its step budgets (CVEVAL_LLM_TIMEOUT_S, CVEVAL_LLM_STEP_TIMEOUTS):
the chain's worst case (scoring.budgets.chain_worst_case_s, each call allowed its budget plus the gateway client's
deadline grace, twice), the retrieval's embedding calls, and a margin for reading the documents and storing the
result. Whatever decides that a job is stuck must wait longer than that:

- the worker gives an evaluation up after `evaluation_s` (retried or failed like an outage), so no worker holds a
  job past it;
- JetStream does not redeliver meanwhile: the worker's in-progress pings (every ack_wait/4) last as long as the
  evaluation does, so ack_wait stays short and only detects a dead worker;
- the reconciler publishes a `processing` job again only after `stuck_after_s`: the evaluation budget, plus one
  ack_wait (a dead worker's message comes back by redelivery first), the longest redelivery delay and one pass.

CVEVAL_RECONCILE_STUCK_AFTER_S left unset is derived from these (never below its former fixed 600 s). Set below the
derived minimum, start-up refuses it: a slow but healthy model's job would be published again and evaluated twice
while its worker still waits for the model. CVEVAL_RECONCILE_DEADLINE_S must leave room for every attempt
(CVEVAL_WORKER_MAX_DELIVER evaluations and their redelivery delays), or a job still being retried would be failed.
The offline scorer makes no model calls: nothing is derived for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from cveval_job.adapters.gateway_client import DEADLINE_GRACE_S
from cveval_job.scoring.budgets import StepTimeouts, chain_worst_case_s
from cveval_job.scoring.llm_scorer import STEP_ATTEMPTS, STEPS
from cveval_kit.settings import Settings

__all__ = ["DEFAULT_STUCK_AFTER_S", "EVALUATION_MARGIN_S", "BudgetConflict", "JobTimeBudget", "job_time_budget"]

DEFAULT_STUCK_AFTER_S: Final = 600.0  # the setting's default, and the floor of a derived threshold
EVALUATION_MARGIN_S: Final = 30.0  # documents read, vacancy loaded, result stored, events published
# The retrieval embeds the passages and queries in one call, and a vacancy whose reference chunks were never
# embedded (the gateway was down when it was created) once more.
EMBED_CALLS: Final = 2
STUCK_AFTER_SETTING: Final = "reconcile_stuck_after_s"


class BudgetConflict(ValueError):
    """Configured time budgets that contradict each other; raised at start-up, before any job is taken."""


@dataclass(frozen=True)
class JobTimeBudget:
    evaluation_s: float | None  # the worker's deadline for one evaluation; None: the offline scorer, unbounded
    stuck_after_s: float  # the reconciler's threshold for publishing a queued/processing job again


def step_timeouts(settings: Settings) -> StepTimeouts:
    """The worker's per-step budgets; an override above CVEVAL_LLM_TIMEOUT_S is refused, since the gateway caps
    every chat call at that and would cut the step short with a provider timeout."""
    timeouts = StepTimeouts.parse(settings.llm_timeout_s, settings.llm_step_timeouts, STEPS)
    too_long = {step: s for step, s in timeouts.per_step.items() if s > settings.llm_timeout_s}
    if too_long:
        listed = ", ".join(f"{step}={s:g}" for step, s in too_long.items())
        raise BudgetConflict(
            f"CVEVAL_LLM_STEP_TIMEOUTS ({listed}) exceeds CVEVAL_LLM_TIMEOUT_S ({settings.llm_timeout_s:g}), the "
            "ai-gateway's cap on every call: raise CVEVAL_LLM_TIMEOUT_S to the longest step budget"
        )
    return timeouts


def llm_evaluation_s(settings: Settings) -> float:
    """The longest an evaluation with the LLM scorer may take while every call keeps to its budget."""
    embeds = EMBED_CALLS * (settings.llm_timeout_s + DEADLINE_GRACE_S)  # the worker's embed deadline
    chain = chain_worst_case_s(step_timeouts(settings), STEP_ATTEMPTS, DEADLINE_GRACE_S)
    return embeds + chain + EVALUATION_MARGIN_S


def job_time_budget(settings: Settings, environ: Mapping[str, str]) -> JobTimeBudget:
    """The evaluation deadline and the reconciler's threshold, derived or checked (BudgetConflict)."""
    explicit = STUCK_AFTER_SETTING in settings.model_fields_set
    if settings.resolved_scorer(environ) != "llm":
        return JobTimeBudget(None, settings.reconcile_stuck_after_s)
    evaluation_s = llm_evaluation_s(settings)
    every_attempt = settings.worker_max_deliver * (evaluation_s + settings.worker_max_retry_delay_s)
    if settings.reconcile_deadline_s < every_attempt:
        raise BudgetConflict(
            f"CVEVAL_RECONCILE_DEADLINE_S ({settings.reconcile_deadline_s:g}) is shorter than "
            f"CVEVAL_WORKER_MAX_DELIVER ({settings.worker_max_deliver}) evaluations may take with the LLM step "
            f"budgets ({every_attempt:g} s): a job still being retried would fail DEADLINE_EXCEEDED"
        )
    minimum = (
        evaluation_s + settings.worker_ack_wait_s + settings.worker_max_retry_delay_s + settings.reconcile_interval_s
    )
    if not explicit:
        return JobTimeBudget(evaluation_s, max(DEFAULT_STUCK_AFTER_S, minimum))
    if settings.reconcile_stuck_after_s < minimum:
        raise BudgetConflict(
            f"CVEVAL_RECONCILE_STUCK_AFTER_S ({settings.reconcile_stuck_after_s:g}) is shorter than an evaluation "
            f"may take with the LLM step budgets ({evaluation_s:g} s, plus ack wait, redelivery delay and one "
            f"reconciler pass: {minimum:g} s): a job would be published again while its worker still waits for the "
            "model. Raise it, lower the step budgets, or leave it unset to derive it"
        )
    return JobTimeBudget(evaluation_s, settings.reconcile_stuck_after_s)
