"""A vacancy with its own rubrics: the offline scorer scores any parameter, from its own guide where no built-in
measure fits, with the rubric's own keys, labels and weights, and says how each score was made."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from fractions import Fraction

import pytest

from cveval_job.scoring.cv_scoring import CV_ALIASES, CV_NOT_BUILT_IN
from cveval_job.scoring.errors import ScoringError
from cveval_job.scoring.generic_scoring import generic_flag
from cveval_job.scoring.model import Chunk, Evaluation, Rubric, RubricParameter, ScoringInput, Vacancy
from cveval_job.scoring.offline_scorer import OfflineScorer
from cveval_job.scoring.parameter_mapping import known_key, resolve_parameters
from cveval_job.scoring.project_scoring import PROJECT_ALIASES, PROJECT_NOT_BUILT_IN
from cveval_job.scoring.rubrics import default_vacancy

TODAY = date(2026, 11, 15)


def _param(key: str, label: str, weight: float, *levels: str) -> RubricParameter:
    return RubricParameter(key, label, weight, dict(enumerate(levels, start=1)))


CV_RUBRIC = Rubric("cv", "team-1", (
    _param("leadership", "Leadership", 0.3,
           "No sign of leading people or work.",
           "Led small tasks or informal efforts only.",
           "Led a project or a small group of people.",
           "Led a team, mentored engineers and owned delivery of a product area.",
           "Led several teams, mentored and hired engineers, set the technical roadmap and drove decisions with "
           "stakeholders."),
    _param("domain_knowledge", "Payments domain knowledge", 0.3,
           "No exposure to payments or financial services.",
           "Some exposure to payments, for example as a user of payment APIs.",
           "Worked on payment features such as checkout or invoicing.",
           "Built payment systems: card processing, reconciliation and fraud checks.",
           "Deep payments expertise: card processing, PCI DSS compliance, fraud detection, settlement and ledgers."),
    _param("communication", "Communication", 0.2,
           "No evidence of communicating with others.",
           "Communication mentioned only as a listed skill.",
           "Writes documentation or presents work to the team.",
           "Presents designs to stakeholders and writes clear technical documentation.",
           "Gives talks at conferences or meetups, publishes articles or blog posts, presents to executives."),
    _param("education", "Education", 0.2,
           "No formal education listed.",
           "Vocational training or an unrelated diploma.",
           "A bachelor's degree in a related field.",
           "BSc in computer science or software engineering.",
           "MSc or PhD in computer science or machine learning, or professional certifications."),
))  # fmt: skip
PROJECT_RUBRIC = Rubric("project", "team-1", (
    _param("testing", "Testing", 0.3,
           "No tests.",
           "A few manual checks; no automated tests.",
           "Unit tests for the main functions.",
           "Unit and integration tests run in CI, with fixtures and mocks for external services.",
           "Unit, integration and end-to-end tests in CI with coverage reports, property-based or load tests."),
    _param("security", "Security", 0.25,
           "Security is not considered.",
           "Secrets are kept out of the code.",
           "Input validation and secrets in environment variables.",
           "Authentication, input validation, rate limiting and secrets management.",
           "Authentication and authorization, input validation, rate limiting, encryption of stored data, PII "
           "redaction and a threat model."),
    _param("performance", "Performance", 0.25,
           "Performance is not considered.",
           "Works on small inputs; no measurements.",
           "Some caching or async processing.",
           "Caching, async workers and batching, with latency measured.",
           "Load tests with p95 latency targets, caching, batching, connection pooling and profiling of hot paths."),
    _param("documentation", "Documentation", 0.2,
           "No usable documentation.",
           "Minimal notes; hard to run or understand.",
           "A README with setup steps and a basic explanation.",
           "Clear README, setup instructions and an architecture explanation.",
           "Excellent documentation with architecture, diagrams, design decisions and trade-offs."),
))  # fmt: skip
VACANCY = replace(
    default_vacancy(), id="vac-payments", title="Payments Backend Lead", version="v1",
    job_description="Payments Backend Lead. Python and Go services for card payments on PostgreSQL and Kafka.",
    cv_rubric=CV_RUBRIC, project_rubric=PROJECT_RUBRIC,
)  # fmt: skip

STRONG_CV = """Dana Kim - Staff Backend Engineer
Summary
Backend engineer with 9 years in payments: card processing, PCI DSS compliance, fraud detection and settlement.
Experience
Staff Engineer, Example Pay, Jan 2021 - Present
- Led a team of 6 engineers and mentored four of them into senior roles; hired three engineers.
- Set the technical roadmap for card processing and drove build-vs-buy decisions with stakeholders.
- Built the reconciliation service and the settlement ledgers; cut fraud losses by 30% with fraud checks.
- Presented designs to stakeholders and wrote the technical documentation of the payments API.
Senior Backend Engineer, Sample Bank, Mar 2016 - Dec 2020
- Owned delivery of the payment gateway, a product area shared by three teams.
- Gave talks at two conferences and at local meetups; published blog posts and articles on payment systems.
Education
MSc Computer Science, 2015; BSc Computer Science, 2013
"""
WEAK_CV = """Alex Doe - Junior Developer
Experience
Junior Developer, Web Shop, 2024 - Present
- Fixed bugs in the online shop and updated product pages.
Education
Coding bootcamp, 2023
"""
STRONG_REPORT = """# Project report
## Testing
Unit and integration tests run in CI with pytest fixtures and mocks for external services; end-to-end tests and
coverage reports; property-based tests; load tests with k6.
## Security
Authentication with OAuth and authorization per role, input validation, rate limiting, secrets management through
environment variables, encryption of stored data, PII redaction and a threat model.
## Performance
Caching of embeddings, async workers and batching of model calls; p95 latency measured in load tests against
targets; connection pooling and profiling of hot paths.
## Documentation
The README has setup instructions, an architecture section with diagrams, design decisions and trade-offs.
"""
WEAK_REPORT = """My project
I made a Python script that reads a CV and sends it to a chatbot and prints what it says. It works on my laptop.
There are no tests yet and I did not have time for a README.
"""
GENERIC = ("meets level 1", "meets level 2", "meets level 3", "meets level 4", "meets level 5")


def _score(cv: str, report: str, vacancy: Vacancy = VACANCY, cv_context: tuple[Chunk, ...] = ()) -> Evaluation:
    return OfflineScorer(TODAY).score_sync(ScoringInput(cv, report, vacancy, cv_context=cv_context))


def _evidence(ev: Evaluation, stage: str, key: str) -> str:
    return " | ".join(next(p.evidence for p in ev.breakdown if (p.stage, p.parameter) == (stage, key)))


def test_strong_documents_beat_weak_ones_on_every_custom_parameter() -> None:
    strong, weak = _score(STRONG_CV, STRONG_REPORT), _score(WEAK_CV, WEAK_REPORT)
    for stage in ("cv", "project"):
        for key, score in strong.scores(stage).items():
            assert score > weak.scores(stage)[key], f"{stage}.{key}"
    assert min(strong.scores("cv").values()) >= 4 and min(strong.scores("project").values()) >= 4
    assert max(weak.scores("cv").values()) <= 2 and max(weak.scores("project").values()) <= 2


def test_breakdown_has_the_rubrics_own_keys_labels_and_weights() -> None:
    ev = _score(STRONG_CV, STRONG_REPORT)
    expected = [(r.stage, p.key, p.label, p.weight) for r in (CV_RUBRIC, PROJECT_RUBRIC) for p in r.parameters]
    assert [(p.stage, p.parameter, p.label, p.weight) for p in ev.breakdown] == expected
    assert all(1 <= len(p.evidence) <= 3 for p in ev.breakdown)


@pytest.mark.parametrize(
    ("cv", "report"), [(STRONG_CV, STRONG_REPORT), (WEAK_CV, WEAK_REPORT), (STRONG_CV, WEAK_REPORT)]
)
def test_results_are_the_rubrics_weighted_averages(cv: str, report: str) -> None:
    ev = _score(cv, report)

    def average(rubric: Rubric, stage: str) -> Fraction:
        return sum((Fraction(str(p.weight)) * ev.scores(stage)[p.key] for p in rubric.parameters), Fraction(0))

    assert ev.cv_match_rate == round(float(average(CV_RUBRIC, "cv") * Fraction(1, 5)), 2)
    assert ev.project_score == round(float(average(PROJECT_RUBRIC, "project")), 2)


def test_provenance_flags_each_generically_scored_parameter() -> None:
    ev = _score(STRONG_CV, STRONG_REPORT)
    generic = ["leadership", "domain_knowledge", "communication", "education", "testing", "security", "performance"]
    assert {generic_flag(k) for k in generic} <= set(ev.flags)
    assert generic_flag("documentation") not in ev.flags  # clearly the built-in documentation measure
    assert "found: readme" in _evidence(ev, "project", "documentation")


def test_same_input_gives_identical_output() -> None:
    assert _score(STRONG_CV, STRONG_REPORT) == _score(STRONG_CV, STRONG_REPORT)


def test_evidence_quotes_what_was_found_and_names_what_was_not() -> None:
    ev = _score(STRONG_CV, STRONG_REPORT)
    leadership = _evidence(ev, "cv", "leadership")
    assert "guide terms found: led, mentored" in leadership and "not found:" in leadership
    quote = next(p.evidence[-1] for p in ev.breakdown if p.parameter == "leadership")
    assert quote.startswith('"') and quote.strip('"…') in " ".join(STRONG_CV.split())  # a sentence of the CV
    weak = _evidence(_score(WEAK_CV, WEAK_REPORT), "project", "testing")
    assert "found: none" in weak and "unit" in weak  # "no tests yet" is not a test


def test_default_rubrics_still_use_the_built_in_measures() -> None:
    ev = _score(STRONG_CV, STRONG_REPORT, default_vacancy())
    assert not [f for f in ev.flags if f.startswith("custom_parameter")]
    assert ev.breakdown[0].evidence[0].startswith("found ")  # technical skills, the built-in wording


def test_a_guide_that_only_grades_falls_back_to_the_vacancys_context() -> None:
    cloud = _param("cloud_infrastructure", "Cloud infrastructure", 1.0, *GENERIC)
    vacancy = replace(VACANCY, cv_rubric=Rubric("cv", "t", (cloud,)))
    context = (Chunk("c1", "job_description", "Cloud infrastructure on AWS with Terraform, Kubernetes and Helm."),)
    ops_cv = "Platform engineer. Ran cloud infrastructure on AWS: Terraform modules, Kubernetes clusters, Helm charts."
    with_cloud = _score(ops_cv, STRONG_REPORT, vacancy, context)
    without = _score(WEAK_CV, STRONG_REPORT, vacancy, context)
    assert with_cloud.scores("cv")["cloud_infrastructure"] >= 4 > without.scores("cv")["cloud_infrastructure"]
    assert "vacancy's context" in _evidence(with_cloud, "cv", "cloud_infrastructure")
    assert "terraform" in _evidence(with_cloud, "cv", "cloud_infrastructure").lower()


def test_a_parameter_with_nothing_specific_is_scored_not_refused() -> None:
    odd = _param("misc", "Misc", 1.0, *GENERIC)
    ev = _score(STRONG_CV, STRONG_REPORT, replace(VACANCY, cv_rubric=Rubric("cv", "t", (odd,))))
    assert ev.scores("cv") == {"misc": 1} and generic_flag("misc") in ev.flags
    assert "label only" in _evidence(ev, "cv", "misc")


def test_empty_texts_still_raise() -> None:
    with pytest.raises(ScoringError, match="no usable text"):
        _score(" ", STRONG_REPORT)


@pytest.mark.parametrize(
    ("key", "label", "expected"),
    [
        ("technical_skills", "Anything", "technical_skills"),  # the exact key wins
        ("python_stack", "Python stack", "technical_skills"),
        ("years_of_experience", "Years of experience", "experience_level"),
        ("teamwork", "Teamwork and collaboration", "cultural_fit"),
        ("impact", "Measured impact", "relevant_achievements"),
        ("communication_skills", "Communication skills", None),  # not the job's technical skills
        ("team_leadership", "Team leadership", None),  # one signal of ten in cultural_fit
        ("education", "Education and degrees", None),
        ("benefits", "Benefits awareness", None),  # "fit" is a word, not a substring
        ("skills_and_experience", "Skills and experience", None),  # a tie is not clear
    ],
)
def test_cv_keys_map_to_a_built_in_only_when_they_clearly_name_it(key: str, label: str, expected: str | None) -> None:
    assert known_key(key, label, CV_ALIASES, CV_NOT_BUILT_IN) == expected


@pytest.mark.parametrize(
    ("key", "label", "expected"),
    [
        ("docs", "Docs", "documentation"),
        ("docker_usage", "Docker usage", None),  # "doc" is a whole word, not a prefix
        ("reliability", "Reliability", "resilience"),
        ("performance_reliability", "Performance and reliability", None),
        ("code_quality_docs", "Code quality and documentation", None),
        ("data_extraction", "Data extraction", None),
    ],
)
def test_project_keys_map_only_when_clear(key: str, label: str, expected: str | None) -> None:
    assert known_key(key, label, PROJECT_ALIASES, PROJECT_NOT_BUILT_IN) == expected


def test_a_built_in_measure_scores_at_most_one_parameter() -> None:
    guide = dict(enumerate(GENERIC, start=1))
    rubric = Rubric("cv", "t", (
        RubricParameter("backend_skills", "Backend skills", 0.4, guide),
        RubricParameter("frontend_skills", "Frontend skills", 0.3, guide),
        RubricParameter("technical_skills", "Technical skills", 0.3, guide),
    ))  # fmt: skip
    mapping = resolve_parameters(rubric, CV_ALIASES, CV_NOT_BUILT_IN)
    assert mapping == {"backend_skills": None, "frontend_skills": None, "technical_skills": "technical_skills"}


def test_feedback_speaks_of_the_rubrics_own_parameters() -> None:
    strong, weak = _score(STRONG_CV, STRONG_REPORT), _score(WEAK_CV, WEAK_REPORT)
    assert "strong leadership" in strong.cv_feedback and "missing python" not in strong.cv_feedback
    assert "little evidence of testing" in weak.project_feedback
    assert "not recommended" in weak.overall_summary and "recommend for" in strong.overall_summary
