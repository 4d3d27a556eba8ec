"""The evaluation deadline and the reconciler's stuck threshold follow from the LLM step budgets."""

from __future__ import annotations

import pytest

from cveval_job.adapters.gateway_client import DEADLINE_GRACE_S
from cveval_job.scoring.budgets import StepTimeouts, chain_worst_case_s
from cveval_job.time_budgets import (
    DEFAULT_STUCK_AFTER_S,
    EMBED_CALLS,
    EVALUATION_MARGIN_S,
    BudgetConflict,
    job_time_budget,
    llm_evaluation_s,
)
from cveval_kit.settings import Settings

LLM = {"CVEVAL_SCORER": "llm"}


def settings(**values: object) -> Settings:
    return Settings(scorer="llm", **values)  # type: ignore[arg-type]


def test_the_chain_waits_for_the_longer_branch_then_the_summary() -> None:
    timeouts = StepTimeouts(10.0, {"cv_profile": 100.0, "project_scores": 50.0, "summary": 20.0})
    # CV branch 100 + 10 beside project 50, then summary 20; every step twice, each call with 1 s of grace.
    assert chain_worst_case_s(timeouts, attempts=1) == 110.0 + 20.0
    assert chain_worst_case_s(timeouts, attempts=2, per_call_grace_s=1.0) == 2 * 101 + 2 * 11 + 2 * 21
    project_bound = StepTimeouts(10.0, {"project_scores": 500.0})
    assert chain_worst_case_s(project_bound, attempts=1) == 500.0 + 10.0


def test_a_local_models_budgets_give_the_evaluation_deadline() -> None:
    s = settings(llm_timeout_s=900.0, llm_step_timeouts="summary=300")
    step = 2 * (900.0 + DEADLINE_GRACE_S)
    chain = step + step + 2 * (300.0 + DEADLINE_GRACE_S)
    assert llm_evaluation_s(s) == EMBED_CALLS * (900.0 + DEADLINE_GRACE_S) + chain + EVALUATION_MARGIN_S


def test_unset_stuck_threshold_is_derived_above_the_evaluation_and_a_redelivery() -> None:
    s = settings(llm_timeout_s=900.0)
    budget = job_time_budget(s, LLM)
    assert budget.evaluation_s == llm_evaluation_s(s)
    expected = budget.evaluation_s + s.worker_ack_wait_s + s.worker_max_retry_delay_s + s.reconcile_interval_s
    assert budget.stuck_after_s == expected
    assert budget.stuck_after_s > 6 * 900  # far above the former fixed 600 s


def test_a_hosted_models_budgets_keep_the_former_default() -> None:
    budget = job_time_budget(settings(), LLM)  # 60 s steps: an evaluation fits well within 600 s
    assert budget.evaluation_s is not None and budget.evaluation_s < DEFAULT_STUCK_AFTER_S
    assert budget.stuck_after_s == DEFAULT_STUCK_AFTER_S


def test_an_explicit_threshold_below_the_derived_minimum_is_refused_at_start_up() -> None:
    with pytest.raises(BudgetConflict, match=r"CVEVAL_RECONCILE_STUCK_AFTER_S \(600\) is shorter"):
        job_time_budget(settings(llm_timeout_s=900.0, reconcile_stuck_after_s=600.0), LLM)
    accepted = job_time_budget(settings(llm_timeout_s=900.0, reconcile_stuck_after_s=20_000.0), LLM)
    assert accepted.stuck_after_s == 20_000.0


def test_the_offline_scorer_derives_nothing() -> None:
    s = Settings(scorer="offline", reconcile_stuck_after_s=50.0)
    budget = job_time_budget(s, {})
    assert budget.evaluation_s is None and budget.stuck_after_s == 50.0


def test_a_step_budget_above_the_gateways_cap_is_refused() -> None:
    with pytest.raises(BudgetConflict, match=r"summary=1200.*CVEVAL_LLM_TIMEOUT_S \(900\)"):
        job_time_budget(settings(llm_timeout_s=900.0, llm_step_timeouts="summary=1200"), LLM)


def test_the_threshold_set_through_the_environment_counts_as_explicit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CVEVAL_RECONCILE_STUCK_AFTER_S", "700")
    monkeypatch.setenv("CVEVAL_LLM_TIMEOUT_S", "900")
    monkeypatch.setenv("CVEVAL_SCORER", "llm")
    with pytest.raises(BudgetConflict):
        job_time_budget(Settings(), LLM)


def test_a_deadline_shorter_than_every_attempt_is_refused() -> None:
    s = settings(llm_timeout_s=900.0, worker_max_deliver=5, reconcile_deadline_s=3 * 3600.0)
    with pytest.raises(BudgetConflict, match="CVEVAL_RECONCILE_DEADLINE_S"):
        job_time_budget(s, LLM)
    roomy = settings(llm_timeout_s=900.0, worker_max_deliver=5)  # the default day holds 5 x ~1.7 h
    assert job_time_budget(roomy, LLM).evaluation_s is not None
