"""CVEVAL_SCORER: validated when the settings are read, and "auto" resolved from the worker's own environment."""

from __future__ import annotations

from typing import cast

import pytest
from pydantic import ValidationError

from cveval_job.adapters.gateway_client import GatewayClient
from cveval_job.scoring.llm_scorer import LlmScorer
from cveval_job.scoring.offline_scorer import OfflineScorer
from cveval_job.worker.app import choose_scorer, degraded_scorer
from cveval_kit.settings import GATEWAY_PROVIDERS_ENV, Settings


def test_unknown_scorer_is_refused_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CVEVAL_SCORER", "gpt")
    with pytest.raises(ValidationError, match="CVEVAL_SCORER must be one of auto, offline, llm, got 'gpt'"):
        Settings()


def test_scorer_is_read_from_the_environment_case_insensitively(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CVEVAL_SCORER", " LLM ")
    assert Settings().scorer == "llm"


@pytest.mark.parametrize(
    ("scorer", "base_url", "environ", "expected"),
    [
        ("auto", "", {}, "offline"),
        ("auto", "http://127.0.0.1:1/v1", {}, "llm"),
        ("auto", "", {GATEWAY_PROVIDERS_ENV: "/etc/cveval/providers.yaml"}, "llm"),
        ("auto", "", {GATEWAY_PROVIDERS_ENV: "  "}, "offline"),
        ("offline", "http://127.0.0.1:1/v1", {GATEWAY_PROVIDERS_ENV: "x.yaml"}, "offline"),
        ("llm", "", {}, "llm"),
    ],
)
def test_auto_looks_at_both_ways_of_configuring_providers(
    scorer: str, base_url: str, environ: dict[str, str], expected: str
) -> None:
    assert Settings(scorer=scorer, llm_base_url=base_url).resolved_scorer(environ) == expected


def test_choose_scorer_and_its_fallback() -> None:
    gateway = cast(GatewayClient, object())
    llm = choose_scorer(Settings(scorer="auto"), gateway, {GATEWAY_PROVIDERS_ENV: "providers.yaml"})
    assert isinstance(llm, LlmScorer) and isinstance(degraded_scorer(llm), OfflineScorer)
    offline = choose_scorer(Settings(scorer="auto"), gateway, {})
    assert isinstance(offline, OfflineScorer) and degraded_scorer(offline) is None
