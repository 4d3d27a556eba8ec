"""Rubric validation, the shipped default rubrics and vacancies, and ad-hoc vacancies built from texts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cveval_job.scoring.errors import RubricError
from cveval_job.scoring.model import Rubric, RubricParameter
from cveval_job.scoring.rubrics import (
    default_cv_rubric,
    default_project_rubric,
    default_vacancy,
    load_rubric,
    vacancy_from_texts,
)

GUIDE = {1: "poor", 2: "weak", 3: "fair", 4: "good", 5: "excellent"}


def _param(key: str, weight: float, guide: dict[int, str] | None = None) -> RubricParameter:
    return RubricParameter(key=key, label=key.title(), weight=weight, guide=dict(guide or GUIDE))


def _raw(weights: dict[str, float]) -> dict[str, Any]:
    return {
        "stage": "cv",
        "version": "t1",
        "parameters": [{"key": k, "label": k, "weight": w, "guide": dict(GUIDE)} for k, w in weights.items()],
    }


def test_default_rubrics_match_the_brief() -> None:
    cv = default_cv_rubric()
    assert cv.stage == "cv"
    assert {p.key: p.weight for p in cv.parameters} == {
        "technical_skills": 0.40,
        "experience_level": 0.25,
        "relevant_achievements": 0.20,
        "cultural_fit": 0.15,
    }
    project = default_project_rubric()
    assert {p.key: p.weight for p in project.parameters} == {
        "correctness": 0.30,
        "code_quality": 0.25,
        "resilience": 0.20,
        "documentation": 0.15,
        "creativity": 0.10,
    }
    assert cv.version and project.version
    assert all(set(p.guide) == {1, 2, 3, 4, 5} for p in (*cv.parameters, *project.parameters))


def test_weights_must_sum_to_one() -> None:
    with pytest.raises(RubricError, match="sum to 1"):
        Rubric("cv", "t1", (_param("a", 0.5), _param("b", 0.4)))
    # Within the 1e-6 tolerance is fine.
    Rubric("cv", "t1", (_param("a", 0.5), _param("b", 0.5000001)))


def test_keys_must_be_unique() -> None:
    with pytest.raises(RubricError, match="duplicate"):
        Rubric("cv", "t1", (_param("a", 0.5), _param("a", 0.5)))


def test_guide_must_cover_one_to_five() -> None:
    with pytest.raises(RubricError, match="guide"):
        _param("a", 1.0, {1: "x", 2: "x", 3: "x", 4: "x"})
    with pytest.raises(RubricError, match="guide"):
        _param("a", 1.0, {0: "x", 1: "x", 2: "x", 3: "x", 4: "x", 5: "x"})
    with pytest.raises(RubricError, match="description"):
        _param("a", 1.0, {**GUIDE, 3: "  "})


def test_stage_and_weight_are_checked() -> None:
    with pytest.raises(RubricError, match="stage"):
        Rubric("interview", "t1", (_param("a", 1.0),))
    with pytest.raises(RubricError, match="weight"):
        _param("a", 0.0)
    with pytest.raises(RubricError, match="weight"):
        _param("a", 1.5)


def test_load_rubric_from_mapping_and_file(tmp_path: Path) -> None:
    rubric = load_rubric(_raw({"a": 0.25, "b": 0.75}))
    assert rubric.keys == ("a", "b")
    path = tmp_path / "rubric.yaml"
    path.write_text(
        "stage: project\nversion: v9\nparameters:\n"
        "  - key: only\n    label: Only\n    weight: 1.0\n"
        "    guide: {1: a, 2: b, 3: c, 4: d, 5: e}\n",
        encoding="utf-8",
    )
    loaded = load_rubric(path)
    assert (loaded.stage, loaded.version, loaded.keys) == ("project", "v9", ("only",))
    assert loaded.parameters[0].guide[5] == "e"


@pytest.mark.parametrize(
    "raw",
    [
        [],
        {"stage": "cv", "version": "1"},
        {"stage": "cv", "version": "1", "parameters": [{"label": "no key", "weight": 1.0, "guide": GUIDE}]},
        {"stage": "cv", "version": "1", "parameters": [{"key": "a", "label": "A", "weight": "heavy", "guide": GUIDE}]},
        {"stage": "cv", "version": "1", "parameters": [{"key": "a", "label": "A", "weight": 1.0, "guide": {"x": 1}}]},
        _raw({"a": 0.3, "b": 0.3}),
    ],
)
def test_load_rubric_rejects_malformed_data(raw: Any) -> None:
    with pytest.raises(RubricError):
        load_rubric(raw)


def test_default_vacancy() -> None:
    vacancy = default_vacancy()
    assert vacancy.id == "default-backend-ai-engineer"
    assert vacancy.title == "Backend Engineer (AI)"
    assert "PostgreSQL" in vacancy.job_description and "gRPC" in vacancy.job_description
    assert "asynchronous" in vacancy.study_case_brief.lower()
    assert vacancy.cv_rubric == default_cv_rubric()


def test_vacancy_from_texts_is_content_addressed() -> None:
    a = vacancy_from_texts("\n  Data Engineer  \nWe need Spark.", "Build a pipeline.")
    b = vacancy_from_texts("Data Engineer\n\nWe   need Spark.", "Build a  pipeline.")
    c = vacancy_from_texts("Data Engineer\nWe need Flink.", "Build a pipeline.")
    assert a.id == b.id != c.id
    assert a.id.startswith("adhoc-") and len(a.id) == len("adhoc-") + 16
    assert a.title == "Data Engineer"
    assert a.cv_rubric == default_cv_rubric() and a.project_rubric == default_project_rubric()


def test_vacancy_from_texts_keeps_rubric_text_as_notes_only() -> None:
    plain = vacancy_from_texts("# Platform Engineer\nKubernetes.", "Build it.")
    noted = vacancy_from_texts("# Platform Engineer\nKubernetes.", "Build it.", "Weigh testing heavily (50%).")
    assert noted.scoring_notes == "Weigh testing heavily (50%)."
    assert noted.id != plain.id
    assert noted.cv_rubric == plain.cv_rubric  # weights stay the brief's
    assert noted.title == "Platform Engineer"


def test_vacancy_title_is_trimmed_to_120_chars() -> None:
    vacancy = vacancy_from_texts("x" * 300, "brief")
    assert len(vacancy.title) == 120


def test_vacancy_from_texts_rejects_empty_texts() -> None:
    with pytest.raises(ValueError, match="job_description"):
        vacancy_from_texts("  \n", "brief")
    with pytest.raises(ValueError, match="study_case_brief"):
        vacancy_from_texts("Engineer", "")
