"""Evidence in a project report: which of the brief's requirements it covers, and which quality, resilience,
documentation and bonus practices it describes.

Requirements come from the brief itself, so the same code works for any case study, not only the default one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from cveval_job.scoring.signals import find_signals
from cveval_job.scoring.skills import expand_skills, extract_skills
from cveval_job.scoring.text import content_stems, sentences, split_optional

__all__ = [
    "CODE_QUALITY",
    "CREATIVITY",
    "DOCUMENTATION",
    "RESILIENCE",
    "Coverage",
    "Requirement",
    "bonus_signals",
    "brief_requirements",
    "requirement_coverage",
    "signal_matches",
]


def _compile(table: dict[str, str]) -> dict[str, re.Pattern[str]]:
    return {name: re.compile(rf"\b(?:{p})", re.IGNORECASE) for name, p in table.items()}


CODE_QUALITY: Final = _compile(
    {
        "tests": r"unit\s+tests?|integration\s+tests?|end-to-end\s+tests?|e2e\s+tests?|test\s+suite|pytest|"
        r"go\s+test|jest|junit|tests?\s+(?:cover|for)|tested|testing|test\s+coverage",
        "structure": r"layers?\b|layered|modules?\b|packages?\b|clean\s+architecture|hexagonal|ports\s+and\s+adapters|"
        r"separation\s+of\s+concerns|domain\s+(?:layer|model)|repository\s+pattern|service\s+layer|handlers?\b",
        "typing": r"type\s+hints|typed\b|mypy|pyright|static\s+typing|pydantic|typescript|type[\s-]safe",
        "linting": r"lint\w*|ruff|flake8|pylint|eslint|golangci|black\b|prettier|formatter|static\s+analysis",
        "ci": r"ci/cd|ci\s+pipeline|github\s+actions|gitlab\s+ci|continuous\s+integration|jenkins|pre-commit",
        "dependency_injection": r"dependency\s+injection|interfaces?\b|protocols?\b|abstractions?\b|solid\b",
        "configuration": r"environment\s+variables|env\s+vars?|\.env\b|config(?:uration)?\s+(?:file|via|from)|"
        r"12-factor|twelve-factor",
        "migrations": r"migrations?\b|alembic|flyway|liquibase",
    }
)
RESILIENCE: Final = _compile(
    {
        "retries": r"retr(?:y|ies|ied|ying)|re-?tries",
        "backoff": r"back-?off|exponential",
        "timeouts": r"time-?outs?|deadlines?",
        "circuit_breaker": r"circuit[\s-]?breakers?",
        "idempotency": r"idempoten\w*|de-?duplicat\w*|exactly[\s-]once|at[\s-]least[\s-]once",
        "dead_letter": r"dead[\s-]?letter|dlq|poison\s+messages?",
        "error_handling": r"error\s+handling|exception\s+handling|handl\w+\s+(?:errors?|failures?|exceptions?)|"
        r"graceful\w*|fallbacks?",
        "rate_limits": r"rate[\s-]?limit\w*|throttl\w*|429",
        "output_validation": r"(?:json\s+)?schema\s+validation|validat\w+\s+(?:the\s+)?(?:model|llm|json)\s+output|"
        r"malformed|invalid\s+(?:json|output|responses?)|structured\s+output",
        "failure_states": r"(?:marked?|set)\s+(?:as\s+)?failed|failed\s+(?:status|state)|failure\s+states?|"
        r"error\s+(?:codes?|messages?)\s+(?:to|for)\s+(?:the\s+)?(?:client|user)",
        "health_checks": r"health[\s-]?checks?|liveness|readiness",
    }
)
DOCUMENTATION: Final = _compile(
    {
        "readme": r"readme",
        "setup": r"setup\s+(?:steps|instructions)|installation|install\b|getting\s+started|how\s+to\s+run|"
        r"docker\s+compose\s+up|make\s+run|quick\s*start|run\s+locally",
        "architecture": r"architecture|components?\s+overview|system\s+design|data\s+flow",
        "diagrams": r"diagrams?|mermaid|plantuml|flow\s*chart|sequence\s+diagram",
        "design_decisions": r"design\s+decisions?|trade-?offs?|decision\s+records?|\badrs?\b|rationale|"
        r"why\s+(?:we|i)\s+(?:chose|picked|used)|alternatives\s+considered",
        "api_docs": r"openapi|swagger|api\s+(?:docs|documentation|reference)|example\s+requests?|curl\b|postman",
        "limitations": r"limitations|known\s+issues|future\s+(?:work|improvements)|next\s+steps",
    }
)
CREATIVITY: Final = _compile(
    {
        "dashboard": r"dashboards?|web\s+ui|admin\s+(?:ui|panel)|frontend|front-end",
        "observability": r"observability|prometheus|grafana|opentelemetry|tracing|metrics",
        "caching": r"cach(?:e|es|ed|ing)|redis",
        "streaming": r"streaming|websockets?|server-sent\s+events|\bsse\b|push\s+notifications?|webhooks?",
        "deployment": r"kubernetes|k8s|helm|terraform|deployed\s+(?:to|on)|cloud\s+deployment",
        "load_testing": r"load[\s-]test\w*|k6\b|locust|benchmarks?|performance\s+tests?",
        "evaluation_harness": r"evaluation\s+(?:harness|set|suite)|golden\s+(?:set|dataset)|regression\s+set|"
        r"a/b\s+test\w*|offline\s+evaluation",
        "model_fallback": r"fallback\s+models?|model\s+fallback|multiple\s+(?:llm\s+)?providers|provider\s+fallback",
        "security": r"authentication|api\s+keys?|oauth|jwt|encryption|pii\s+redaction",
        "extras": r"bonus|extra\s+features?|beyond\s+the\s+(?:brief|requirements)|additionally\s+(?:i|we)\s+"
        r"(?:added|built|implemented)",
    }
)

@dataclass(frozen=True)
class Requirement:
    text: str
    terms: frozenset[str]  # content stems plus "skill:<name>" tokens


@dataclass(frozen=True)
class Coverage:
    met: tuple[Requirement, ...]
    missing: tuple[Requirement, ...]

    @property
    def share(self) -> float:
        total = len(self.met) + len(self.missing)
        return len(self.met) / total if total else 0.0


def _terms(text: str) -> frozenset[str]:
    return frozenset(content_stems(text) | {f"skill:{s}" for s in extract_skills(text)})


def brief_requirements(brief: str) -> list[Requirement]:
    """Requirement sentences of a brief, each with the terms a report must mention to cover it."""
    required, _ = split_optional(brief)
    out: dict[str, Requirement] = {}
    for sentence in sentences(required):
        if sentence.startswith("#") or sentence.endswith(":"):
            continue  # headings and lead-ins name a topic; the items under them are the requirements
        terms = _terms(sentence)
        if len(terms) >= 2 and sentence not in out:
            out[sentence] = Requirement(sentence, terms)
    return list(out.values())


def requirement_coverage(report: str, requirements: list[Requirement]) -> Coverage:
    """A requirement is covered when the report mentions at least half of its terms (skills count via aliases,
    so "retrieval-augmented generation" covers "RAG")."""
    stems = set(content_stems(report))
    skills = expand_skills(extract_skills(report))
    present = stems | {f"skill:{s}" for s in skills}
    met: list[Requirement] = []
    missing: list[Requirement] = []
    for req in requirements:
        hits = len(req.terms & present)
        (met if hits >= max(1, round(len(req.terms) * 0.5)) else missing).append(req)
    return Coverage(tuple(met), tuple(missing))


def signal_matches(report: str, table: dict[str, re.Pattern[str]]) -> dict[str, str]:
    """Signals of one family found in the report, ignoring negated mentions ("no tests yet")."""
    return find_signals(report, table, negation_aware=True)


def bonus_signals(report: str, brief: str) -> dict[str, str]:
    """Creativity signals that go beyond the brief: anything the brief requires is not a bonus."""
    required, _ = split_optional(brief)
    asked = {name for name, pattern in CREATIVITY.items() if pattern.search(required)}
    return {k: v for k, v in signal_matches(report, CREATIVITY).items() if k not in asked}
