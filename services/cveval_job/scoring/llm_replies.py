"""Validation of the LLM chain's replies: each step's JSON is checked in code, whatever the provider promised.

A reply that fails raises BadReply with a reason the scorer sends back to the model on its retry.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any, Final

from cveval_job.scoring import rubric_math
from cveval_job.scoring.errors import ScoreError
from cveval_job.scoring.model import Rubric

__all__ = [
    "BadReply",
    "CandidateProfile",
    "ProfileRole",
    "StageResult",
    "parse_profile",
    "parse_stage",
    "parse_summary",
]

MAX_EVIDENCE: Final = 3
MAX_EVIDENCE_CHARS: Final = 240
MAX_ITEM_CHARS: Final = 300
MAX_ITEMS: Final = 60  # per profile list: bounds the next prompt whatever the model returns
MAX_ROLES: Final = 25
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL | re.IGNORECASE)


class BadReply(ValueError):
    """A model reply that cannot be used; the message says why, and is sent back to the model on retry."""


@dataclass(frozen=True)
class StageResult:
    scores: dict[str, int]
    evidence: dict[str, tuple[str, ...]]
    feedback: str
    instructions: tuple[str, ...]  # candidate text the model saw addressing the evaluator


@dataclass(frozen=True)
class ProfileRole:
    title: str
    organisation: str
    start: str
    end: str
    highlights: tuple[str, ...]


@dataclass(frozen=True)
class CandidateProfile:
    headline: str
    skills: tuple[str, ...]
    roles: tuple[ProfileRole, ...]
    achievements: tuple[str, ...]
    collaboration: tuple[str, ...]
    instructions: tuple[str, ...]

    def to_json(self) -> str:
        """The profile as the next step reads it (the model's own instructions list is left out on purpose)."""
        data = asdict(self)
        data.pop("instructions")
        return json.dumps(data, ensure_ascii=False, indent=1)


def json_object(content: str) -> dict[str, Any]:
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadReply(f"the reply is not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise BadReply("the reply must be a JSON object")
    return data


def _clean(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


def _evidence(raw: Any) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw] if isinstance(raw, str) else []
    texts = [_clean(i, MAX_EVIDENCE_CHARS) for i in items if isinstance(i, str) and i.strip()]
    return tuple(texts[:MAX_EVIDENCE])


def _strings(data: dict[str, Any], key: str, *, required: bool = True) -> tuple[str, ...]:
    raw = data.get(key)
    if raw is None and not required:
        return ()
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise BadReply(f'"{key}" must be a list of strings')
    return tuple(_clean(v, MAX_ITEM_CHARS) for v in raw if v.strip())[:MAX_ITEMS]


def parse_stage(content: str, rubric: Rubric) -> StageResult:
    """Sub-scores, evidence and feedback from a stage reply; BadReply when any rubric score is missing or invalid."""
    data = json_object(content)
    raw_scores = data.get("scores")
    if not isinstance(raw_scores, dict):
        raise BadReply('the reply has no "scores" object')
    scores: dict[str, object] = {}
    evidence: dict[str, tuple[str, ...]] = {}
    for key in rubric.keys:
        entry = raw_scores.get(key)
        value = entry.get("score") if isinstance(entry, dict) else entry
        if value is not None:
            scores[key] = value
        evidence[key] = _evidence(entry.get("evidence")) if isinstance(entry, dict) else ()
    try:
        valid = rubric_math.validate_scores(scores, rubric)
    except ScoreError as exc:
        raise BadReply(str(exc)) from None
    unexplained = [key for key in rubric.keys if not evidence[key]]
    if unexplained:
        # A score nobody can point to is not one we show a hiring team: ask again rather than print it bare.
        raise BadReply(f"no evidence given for {', '.join(unexplained)}")
    feedback = data.get("feedback")
    if not isinstance(feedback, str) or not feedback.strip():
        raise BadReply('the reply has no "feedback" text')
    # Optional on purpose: it is a second opinion on injection, and its absence must not fail a good scoring.
    instructions = _strings(data, "instructions_to_evaluator", required=False)
    return StageResult(valid, evidence, " ".join(feedback.split()), instructions)


def _role(raw: Any, n: int) -> ProfileRole:
    if not isinstance(raw, dict):
        raise BadReply(f"roles[{n}] must be an object")
    fields = {}
    for key in ("title", "organisation", "start", "end"):
        value = raw.get(key, "")
        if not isinstance(value, str):
            raise BadReply(f"roles[{n}].{key} must be a string")
        fields[key] = _clean(value, MAX_ITEM_CHARS)
    highlights = raw.get("highlights", [])
    if not isinstance(highlights, list) or not all(isinstance(h, str) for h in highlights):
        raise BadReply(f"roles[{n}].highlights must be a list of strings")
    return ProfileRole(**fields, highlights=tuple(_clean(h, MAX_ITEM_CHARS) for h in highlights if h.strip())[:4])


def parse_profile(content: str) -> CandidateProfile:
    """The structured CV profile; BadReply when a list is missing or has the wrong shape."""
    data = json_object(content)
    headline = data.get("headline", "")
    if not isinstance(headline, str):
        raise BadReply('"headline" must be a string')
    roles = data.get("roles")
    if not isinstance(roles, list):
        raise BadReply('"roles" must be a list of objects')
    return CandidateProfile(
        headline=_clean(headline, MAX_ITEM_CHARS),
        skills=_strings(data, "skills"),
        roles=tuple(_role(r, n) for n, r in enumerate(roles[:MAX_ROLES])),
        achievements=_strings(data, "achievements"),
        collaboration=_strings(data, "collaboration", required=False),
        instructions=_strings(data, "instructions_to_evaluator", required=False),
    )


def parse_summary(content: str) -> str:
    summary = json_object(content).get("overall_summary")
    if not isinstance(summary, str) or not summary.strip():
        raise BadReply('the reply has no "overall_summary" text')
    return " ".join(summary.split())
