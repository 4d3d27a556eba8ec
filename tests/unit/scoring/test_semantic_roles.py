from __future__ import annotations

from datetime import date

import pytest

from cveval_job.scoring.semantic_roles import (
    PARAGRAPH_CHARS,
    ROLE_CALIBRATION,
    RoleEvidence,
    achievement_band,
    best_role_band,
    experience_band,
    match_band,
    paragraph_texts,
    role_evidence,
    role_texts,
    weighted_relevant_years,
)

MODEL = next(iter(ROLE_CALIBRATION))
CAL = ROLE_CALIBRATION[MODEL]
TODAY = date(2026, 11, 15)
CV = """Projekte
01/2020 - 12/2023
Java backend services for a bank
Spring Boot, Oracle
01/2016 - 12/2019
Primary school teacher
Taught English to children
Education
2010 - 2014 Bachelor of Science
"""


def test_role_texts_are_the_dated_roles_and_projects_not_education() -> None:
    texts = role_texts(CV, TODAY)
    assert len(texts) == 2
    assert "Java backend" in texts[0] and "teacher" in texts[1]


def test_each_role_is_compared_with_the_job_and_coverage_reads_the_closest_role() -> None:
    roles = [("java role", (1.0, 0.0)), ("teacher role", (0.0, 1.0))]
    requirements = [("Java", (1.0, 0.0)), ("Oracle", (0.9, 0.1))]
    found = role_evidence(MODEL, roles, [], requirements)
    assert found is not None
    cosines = dict(found.role_cosines)
    assert cosines["java role"] > 0.9 > cosines["teacher role"]
    assert found.coverage > 0.9


def test_passages_stand_in_when_the_cv_has_no_dated_roles() -> None:
    found = role_evidence(MODEL, [], [("passage", (1.0, 0.0))], [("req", (1.0, 0.0))])
    assert found is not None and found.role_cosines == () and found.coverage == pytest.approx(1.0)
    assert role_evidence(MODEL, [], [], [("req", (1.0, 0.0))]) is None


def test_years_count_only_as_far_as_the_role_is_relevant_by_meaning() -> None:
    texts = role_texts(CV, TODAY)
    relevant_java = RoleEvidence(MODEL, ((texts[0], CAL.relevance_hi), (texts[1], CAL.relevance_lo)), 0.5)
    assert weighted_relevant_years(relevant_java, CV, TODAY) == pytest.approx(4.0)
    relevant_teacher = RoleEvidence(MODEL, ((texts[0], CAL.relevance_lo), (texts[1], CAL.relevance_hi)), 0.5)
    assert weighted_relevant_years(relevant_teacher, CV, TODAY) == pytest.approx(4.0)
    neither = RoleEvidence(MODEL, ((texts[0], CAL.relevance_lo), (texts[1], CAL.relevance_lo)), 0.5)
    assert weighted_relevant_years(neither, CV, TODAY) == 0.0
    assert weighted_relevant_years(RoleEvidence("other-model", (), 0.5), CV, TODAY) is None


@pytest.mark.parametrize(("years", "required", "band"), [(0, 3, 2), (1, 3, 2), (2, 3, 3), (3, 3, 4), (5, 3, 5)])
def test_experience_bands_follow_the_required_years(years: float, required: float, band: int) -> None:
    assert experience_band(years, required) == band


def test_achievement_bands_cover_the_calibrated_coverage() -> None:
    lo, hi = CAL.coverage_lo, CAL.coverage_hi
    assert achievement_band(RoleEvidence(MODEL, (), lo - 0.1)) == 1
    assert achievement_band(RoleEvidence(MODEL, (), hi + 0.1)) == 5
    assert achievement_band(RoleEvidence("other-model", (), hi)) is None


def test_the_best_role_band_reads_the_most_relevant_block_with_the_relevance_edges() -> None:
    lo, hi = CAL.relevance_lo, CAL.relevance_hi
    weak_and_strong = RoleEvidence(MODEL, (("teacher", lo - 0.1), ("java", hi + 0.1)), 0.5)
    assert best_role_band(weak_and_strong) == 5
    assert best_role_band(RoleEvidence(MODEL, (("teacher", lo - 0.1),), 0.5)) == 1
    assert best_role_band(RoleEvidence(MODEL, (), 0.5)) is None  # no dated blocks: nothing to read
    assert best_role_band(RoleEvidence("other-model", (("java", hi),), 0.5)) is None


def test_the_match_band_reads_the_best_met_requirements_with_the_coverage_edges() -> None:
    lo, hi = CAL.coverage_lo, CAL.coverage_hi
    assert match_band(RoleEvidence(MODEL, (), 0.5, hi + 0.1)) == 5
    assert match_band(RoleEvidence(MODEL, (), 0.5, lo - 0.1)) == 1
    assert match_band(RoleEvidence(MODEL, (), 0.5, (lo + hi) / 2)) == 3
    assert match_band(RoleEvidence(MODEL, (), 0.5)) is None  # no paragraphs
    assert match_band(RoleEvidence("other-model", (), 0.5, hi)) is None


def test_the_strongest_matches_are_the_best_met_requirements_against_paragraphs() -> None:
    requirements = [("Java", (1.0, 0.0)), ("Oracle", (0.8, 0.6)), ("Kotlin", (0.0, 1.0)), ("Go", (0.6, 0.8))]
    paragraphs = [("java paragraph", (1.0, 0.0))]
    found = role_evidence(MODEL, [("java role", (1.0, 0.0))], [], requirements, paragraphs)
    assert found is not None and found.strongest == pytest.approx((1.0 + 0.8 + 0.6) / 3)
    without = role_evidence(MODEL, [("java role", (1.0, 0.0))], [], requirements)
    assert without is not None and without.strongest is None


def test_paragraphs_follow_blank_lines_pack_short_ones_and_cut_long_ones() -> None:
    text = "Name Surname\nTitle\n\nSummary line\n\n" + "x" * (PARAGRAPH_CHARS + 10) + "\n\nLast"
    found = paragraph_texts(text)
    assert found[0] == "Name Surname Title Summary line"
    assert found[1] == "x" * PARAGRAPH_CHARS and found[2] == "x" * 10 + " Last"
    # A line added inside one paragraph changes that paragraph only.
    again = paragraph_texts(text.replace("Title", "Title\nAnother line"))
    assert again[1:] == found[1:]
