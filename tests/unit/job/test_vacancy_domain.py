"""Vacancy validation (field-named errors) and content-derived ids and versions."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cveval_job.scoring.rubrics import default_cv_rubric, default_project_rubric, default_vacancy
from cveval_job.vacancies.domain import (
    MAX_TEXT_CHARS,
    InvalidVacancy,
    ParameterDraft,
    RubricDraft,
    VacancyDraft,
    build_vacancy,
    with_content_version,
)

LEVELS = ((1, "poor"), (2, "weak"), (3, "fair"), (4, "good"), (5, "excellent"))


def rubric(weights: dict[str, float], stage: str = "", version: str = "") -> RubricDraft:
    return RubricDraft(
        stage=stage,
        version=version,
        parameters=tuple(ParameterDraft(key=k, label=k.title(), weight=w, guide=LEVELS) for k, w in weights.items()),
    )


def draft(**changes: object) -> VacancyDraft:
    base = VacancyDraft(title="Data Engineer", job_description="We need Spark.", study_case_brief="Build a pipeline.")
    return replace(base, **changes)  # type: ignore[arg-type]


def error_of(d: VacancyDraft) -> InvalidVacancy:
    with pytest.raises(InvalidVacancy) as err:
        build_vacancy(d)
    return err.value


def test_omitted_rubrics_are_the_defaults() -> None:
    vacancy = build_vacancy(draft())
    assert vacancy.cv_rubric == default_cv_rubric()
    assert vacancy.project_rubric == default_project_rubric()
    assert vacancy.id.startswith("vac-") and len(vacancy.version) == 16


def test_same_content_same_id_and_version_regardless_of_title_case_and_spacing() -> None:
    a = build_vacancy(draft(title="Data  Engineer", job_description="We need Spark.\r\n"))
    b = build_vacancy(draft(title="data engineer"))
    assert (a.id, a.version) == (b.id, b.version)
    assert a.title == "Data Engineer"


def test_other_content_is_another_vacancy_and_version() -> None:
    a = build_vacancy(draft())
    b = build_vacancy(draft(study_case_brief="Build a better pipeline."))
    c = build_vacancy(draft(cv_rubric=rubric({"python": 0.5, "sql": 0.5})))
    assert len({a.id, b.id, c.id}) == 3
    assert len({a.version, b.version, c.version}) == 3


def test_same_content_under_another_title_keeps_the_version() -> None:
    a = build_vacancy(draft())
    b = build_vacancy(draft(title="Platform Engineer"))
    assert a.version == b.version and a.id != b.id


def test_rubric_version_is_derived_when_omitted_and_kept_when_given() -> None:
    derived = build_vacancy(draft(cv_rubric=rubric({"python": 0.6, "sql": 0.4})))
    labelled = build_vacancy(draft(cv_rubric=rubric({"python": 0.6, "sql": 0.4}, stage="cv", version="2027-01")))
    assert len(derived.cv_rubric.version) == 12
    assert labelled.cv_rubric.version == "2027-01"
    assert derived.cv_rubric.stage == "cv"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"title": "  "}, "title", "empty"),
        ({"title": "x" * 201}, "title", "200"),
        ({"job_description": ""}, "job_description", "empty"),
        ({"study_case_brief": " \n"}, "study_case_brief", "empty"),
        ({"job_description": "x" * (MAX_TEXT_CHARS + 1)}, "job_description", "100000"),
        ({"cv_rubric": rubric({"a": 0.5, "b": 0.4})}, "cv_rubric.parameters", "sum to 1"),
        ({"project_rubric": rubric({"a": 1.5})}, "project_rubric.parameters[0].weight", "greater than 0"),
        ({"cv_rubric": rubric({"a": 0.0, "b": 1.0})}, "cv_rubric.parameters[0].weight", "greater than 0"),
        ({"cv_rubric": rubric({"a": float("nan"), "b": 1.0})}, "cv_rubric.parameters[0].weight", "greater"),
        ({"cv_rubric": rubric({"Bad Key": 1.0})}, "cv_rubric.parameters[0].key", "snake case"),
        ({"cv_rubric": rubric({}, stage="cv")}, "cv_rubric.parameters", "empty"),
        ({"cv_rubric": rubric({"a": 1.0}, stage="project")}, "cv_rubric.stage", "'cv'"),
        ({"cv_rubric": rubric({"a": 1.0}, version="v" * 65)}, "cv_rubric.version", "64"),
    ],
)
def test_invalid_input_names_the_field(changes: dict[str, object], field: str, words: str) -> None:
    err = error_of(draft(**changes))
    assert err.field == field
    assert str(err).startswith(f"{field}: ") and words in str(err)


def test_duplicate_keys_are_rejected() -> None:
    params = (ParameterDraft("a", "A", 0.5, LEVELS), ParameterDraft("a", "A again", 0.5, LEVELS))
    err = error_of(draft(cv_rubric=RubricDraft("", "", params)))
    assert err.field == "cv_rubric.parameters" and "duplicate keys: a" in str(err)


@pytest.mark.parametrize(
    ("guide", "field", "words"),
    [
        (LEVELS[:3], "guide", "lacks levels 4, 5"),
        ((*LEVELS, (3, "again")), "guide", "level 3 more than once"),
        ((*LEVELS, (6, "too high")), "guide", "outside 1..5: 6"),
        ((*LEVELS[:4], (5, "  ")), "guide[5]", "needs a description"),
        ((*LEVELS[:4], (5, "x" * 1001)), "guide[5]", "1000"),
    ],
)
def test_guide_needs_each_level_once(guide: tuple[tuple[int, str], ...], field: str, words: str) -> None:
    params = (ParameterDraft("skills", "Skills", 1.0, guide),)
    err = error_of(draft(project_rubric=RubricDraft("project", "", params)))
    assert err.field == f"project_rubric.parameters[0].{field}"
    assert words in str(err)


def test_missing_label_is_rejected() -> None:
    err = error_of(draft(cv_rubric=RubricDraft("", "", (ParameterDraft("a", " ", 1.0, LEVELS),))))
    assert err.field == "cv_rubric.parameters[0].label"


def test_weights_within_tolerance_pass() -> None:
    vacancy = build_vacancy(draft(cv_rubric=rubric({"a": 0.1, "b": 0.2, "c": 0.7000000001})))
    assert [p.key for p in vacancy.cv_rubric.parameters] == ["a", "b", "c"]


def test_default_vacancy_keeps_its_id_and_gets_a_content_version() -> None:
    shipped = with_content_version(default_vacancy())
    assert shipped.id == default_vacancy().id
    assert len(shipped.version) == 16 and shipped.version != default_vacancy().version
    assert with_content_version(shipped) == shipped


def test_degraded_scoring_policy_is_kept_and_part_of_the_identity_only_when_strict() -> None:
    lenient, strict = build_vacancy(draft()), build_vacancy(draft(allow_degraded_scoring=False))
    assert lenient.allow_degraded_scoring and not strict.allow_degraded_scoring
    # The strict variant is another vacancy (asking for it never returns the lenient one); the content is the same.
    assert strict.id != lenient.id and strict.version == lenient.version
    assert build_vacancy(draft(allow_degraded_scoring=True)).id == lenient.id  # ids minted before the policy stay


def test_redaction_switch_is_kept_and_part_of_the_identity_only_when_off() -> None:
    redacting, open_text = build_vacancy(draft()), build_vacancy(draft(redact_personal_data=False))
    assert redacting.redact_personal_data and not open_text.redact_personal_data
    assert open_text.id != redacting.id and open_text.version == redacting.version
    assert build_vacancy(draft(redact_personal_data=True)).id == redacting.id
