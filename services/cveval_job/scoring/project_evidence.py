"""Evidence in a project report: which of the brief's requirements it covers, and which quality, resilience,
documentation and bonus practices it describes.

Requirements come from the brief itself, so the same code works for any case study, not only the default one.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Final

from cveval_job.scoring.signals import find_signals
from cveval_job.scoring.skills import expand_skills, extract_skills
from cveval_job.scoring.text import content_stems, looks_like_heading, normalize, sentences, split_optional

__all__ = [
    "CODE_QUALITY",
    "CREATIVITY",
    "DOCUMENTATION",
    "RESILIENCE",
    "Coverage",
    "Requirement",
    "bonus_signals",
    "brief_requirements",
    "claims",
    "requirement_coverage",
    "signal_matches",
]


def _compile(table: dict[str, str]) -> dict[str, re.Pattern[str]]:
    return {name: re.compile(rf"\b(?:{p})", re.IGNORECASE) for name, p in table.items()}


CODE_QUALITY: Final = _compile(
    {
        # Automated tests only: "I tested it by uploading my resume" is not a test suite.
        "tests": r"unit\s+tests?|integration\s+tests?|end-to-end\s+tests?|e2e\s+tests?|test\s+suite|pytest|"
        r"go\s+test|jest|junit|vitest|mocha|tests?\s+(?:cover|for)|(?:wrote|write|added|automated)\s+(?:\w+\s+)?tests|"
        r"test\s+coverage|\d+\s+tests\b",
        "structure": r"layers?\b|layered|modules?\b|clean\s+architecture|hexagonal|ports\s+and\s+adapters|"
        r"separation\s+of\s+concerns|domain\s+(?:layer|model)|repository\s+pattern|service\s+layer|"
        r"(?:project|folder|directory|code)\s+(?:structure|layout)|split\s+into",
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
        "security": r"authentication|authori[sz]ation|oauth|jwt|encryption|pii\s+redaction|secrets?\s+management",
        "extras": r"bonus|extra\s+features?|beyond\s+the\s+(?:brief|requirements)|additionally\s+(?:i|we)\s+"
        r"(?:added|built|implemented)",
    }
)

# Weighted share of a requirement's terms in the report's claims: counted as covered from COVERED_SHARE (for the
# met/missing lists), and graded from nothing at UNCOVERED_SHARE to fully at FULLY_COVERED_SHARE (for the score).
COVERED_SHARE: Final = 0.5
UNCOVERED_SHARE: Final = 0.2
FULLY_COVERED_SHARE: Final = 0.6
_ABSENT: Final = re.compile(
    r"\b(?:not|no|without|didn'?t|don'?t|doesn'?t|haven'?t|hasn'?t|wasn'?t|weren'?t|isn'?t|aren'?t|couldn'?t|"
    r"cannot|can'?t|won'?t|lacks?|missing|ran\s+out\s+of\s+time|would\s+(?:like|add|improve|also)|could\s+add|"
    r"plan(?:ned)?\s+to|yet\s+to|todo|instead\s+of)\b",
    re.IGNORECASE,
)
_SCOPE_END: Final = re.compile(r",?\s+(?:but|so|because|although|though|however|whereas|while|and\s+then)\b|[;:]",
                               re.IGNORECASE)
_ABSENCE_HEADING: Final = re.compile(
    r"^\s*#*\s*(?:\d+[.)]\s*)?(?:future\s+(?:work|improvements?)|next\s+steps|what\s+(?:i|we)\s+would|"
    r"(?:possible\s+)?improvements?|problems|known\s+(?:issues|problems)|limitations|todo|to\s+do|not\s+done|"
    r"missing|if\s+(?:i|we)\s+had\s+more\s+time|with\s+more\s+time|trade-?offs?\s+and\s+(?:limitations|future))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Requirement:
    text: str
    terms: frozenset[str]  # content stems plus "skill:<name>" tokens


@dataclass(frozen=True)
class Coverage:
    met: tuple[Requirement, ...]
    missing: tuple[Requirement, ...]
    degree: float = 0.0  # mean of each requirement's graded coverage (0..1): what the correctness score uses

    @property
    def share(self) -> float:
        total = len(self.met) + len(self.missing)
        return len(self.met) / total if total else 0.0


def _terms(text: str) -> frozenset[str]:
    return frozenset(content_stems(text) | {f"skill:{s}" for s in extract_skills(text)})


def brief_requirements(brief: str) -> list[Requirement]:
    """Requirement sentences of a brief, each with the terms a report must mention to cover it."""
    return list(_requirements(brief))


@functools.lru_cache(maxsize=256)
def _requirements(brief: str) -> tuple[Requirement, ...]:
    required, _ = split_optional(brief)
    out: dict[str, Requirement] = {}
    for sentence in sentences(required):
        if sentence.startswith("#") or sentence.endswith(":"):
            continue  # headings and lead-ins name a topic; the items under them are the requirements
        terms = _terms(sentence)
        if len(terms) >= 2 and sentence not in out:
            out[sentence] = Requirement(sentence, terms)
    return tuple(out.values())


def _affirmed(sentence: str) -> str:
    """The sentence without its negated stretches: from a cue ("did not", "no", "could add") up to the next clause
    that turns away from it (", but", ", so", ";"), so "a poison message cannot loop forever" keeps its subject."""
    kept: list[str] = []
    pos = 0
    while cue := _ABSENT.search(sentence, pos):
        kept.append(sentence[pos : cue.start()])
        end = _SCOPE_END.search(sentence, cue.end())
        pos = end.start() if end else len(sentence)
    kept.append(sentence[pos:])
    return " ".join(" ".join(kept).split())


def claims(report: str) -> str:
    """What a report says was built: its sentences without negated stretches, and without the sections that list
    what is missing or planned ("Future work", "Problems", "What I would improve"). Coverage and practices are
    judged on this; naming a requirement in order to say it was not done must not cover it."""
    out: list[str] = []
    absent = False
    for line in normalize(report).split("\n"):
        if looks_like_heading(line):
            absent = bool(_ABSENCE_HEADING.match(line))
            continue
        if not absent:
            out.append(line)
    return "\n".join(_affirmed(s) for s in sentences("\n".join(out)))


def _term_weights(requirements: list[Requirement]) -> dict[str, float]:
    """Rarer terms weigh more: a word in every requirement ("project", "endpoint") says little about which one a
    report covers, a word in one requirement ("backoff", "embeddings") says a lot."""
    df = Counter(t for r in requirements for t in r.terms)
    n = len(requirements)
    return {t: math.log(1 + n / d) for t, d in df.items()}


def requirement_coverage(report: str, requirements: list[Requirement]) -> Coverage:
    """A requirement is covered when the report's claims carry at least half of its terms' weight (skills count via
    aliases, so "retrieval-augmented generation" covers "RAG")."""
    said = claims(report)
    present = set(content_stems(said)) | {f"skill:{s}" for s in expand_skills(extract_skills(said))}
    weights = _term_weights(requirements)
    met: list[Requirement] = []
    missing: list[Requirement] = []
    degrees: list[float] = []
    for req in requirements:
        total = sum(weights[t] for t in req.terms)
        share = sum(weights[t] for t in req.terms & present) / total if total else 0.0
        (met if share >= COVERED_SHARE else missing).append(req)
        # Graded, so "almost half the terms" is not worth the same as none: a linear ramp between the two bounds.
        degrees.append(min(1.0, max(0.0, (share - UNCOVERED_SHARE) / (FULLY_COVERED_SHARE - UNCOVERED_SHARE))))
    return Coverage(tuple(met), tuple(missing), sum(degrees) / len(degrees) if degrees else 0.0)


def signal_matches(report: str, table: dict[str, re.Pattern[str]]) -> dict[str, str]:
    """Signals of one family found in the report, ignoring negated mentions ("no tests yet")."""
    return find_signals(report, table, negation_aware=True)


def bonus_signals(report: str, brief: str) -> dict[str, str]:
    """Creativity signals that go beyond the brief: anything the brief requires is not a bonus."""
    required, _ = split_optional(brief)
    asked = {name for name, pattern in CREATIVITY.items() if pattern.search(required)}
    return {k: v for k, v in signal_matches(report, CREATIVITY).items() if k not in asked}
