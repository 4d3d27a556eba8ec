from __future__ import annotations

import pytest

from cveval_job.scoring.semantic import CALIBRATION, SemanticEvidence, semantic_evidence

MODEL = next(iter(CALIBRATION))
LO, HI = CALIBRATION[MODEL]


def _at(cosine: float, model: str = MODEL) -> SemanticEvidence:
    return SemanticEvidence(model, cosine, ())


def test_bands_cover_the_calibrated_range() -> None:
    assert _at(LO - 0.5).band == 1
    assert _at(HI + 0.5).band == 5
    assert [_at(LO + (HI - LO) * f).band for f in (0.1, 0.3, 0.5, 0.7, 0.9)] == [1, 2, 3, 4, 5]


def test_an_uncalibrated_model_gives_no_band_and_leaves_the_score() -> None:
    evidence = _at(0.9, model="some-other-model")
    assert evidence.band is None
    assert evidence.blend(2) == 2


@pytest.mark.parametrize(
    ("lexical", "cosine", "expected"),
    [(4, HI + 1, 4), (4, LO - 1, 3), (1, HI + 1, 2), (5, LO - 1, 3), (2, LO - 1, 2), (1, LO - 1, 1)],
)
def test_meaning_caps_the_named_skills(lexical: int, cosine: float, expected: int) -> None:
    assert _at(cosine).blend(lexical) == expected


def test_evidence_pairs_each_requirement_with_its_closest_passage() -> None:
    passages = [("built Java services", (1.0, 0.0, 0.0)), ("taught children", (0.0, 1.0, 0.0))]
    requirements = [("Java developer", (0.9, 0.1, 0.0)), ("school teacher", (0.1, 0.9, 0.0))]
    found = semantic_evidence(MODEL, passages, requirements)
    assert found is not None
    assert {(m.requirement, m.evidence) for m in found.matches} == {
        ("Java developer", "built Java services"),
        ("school teacher", "taught children"),
    }
    assert 0.0 < found.document_cosine <= 1.0


def test_no_evidence_without_vectors_or_across_spaces() -> None:
    assert semantic_evidence(MODEL, [], [("x", (1.0,))]) is None
    assert semantic_evidence(MODEL, [("a", (1.0, 0.0))], [("b", (1.0, 0.0, 0.0))]) is None


@pytest.mark.parametrize(
    ("lexical", "cosine", "expected"),
    [(4, HI + 1, 5), (4, LO - 1, 3), (1, HI + 1, 3), (5, LO - 1, 3), (2, LO - 1, 2), (1, LO - 1, 1), (3, HI + 1, 4)],
)
def test_without_recognised_skills_words_and_meaning_weigh_equally(lexical: int, cosine: float, expected: int) -> None:
    # The lexical score is then only the share of the job's own words in the CV: meaning may raise it, too.
    assert _at(cosine).blend(lexical, skills_recognised=False) == expected


def test_without_a_band_the_keyword_score_stays() -> None:
    assert _at(0.9, model="some-other-model").blend(3, skills_recognised=False) == 3
