"""Vacancy rules without I/O: what a caller may send, and the content hash that gives a vacancy its id and version.

Vacancies are immutable. The version is a hash of the texts and rubrics and the id a hash of the title and that
content, so creating the same vacancy twice is naturally idempotent (one row, race-free) and any change of content
is a new vacancy that older jobs never see.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

from cveval_job.scoring.errors import RubricError
from cveval_job.scoring.model import SCORE_RANGE, Rubric, RubricParameter, Vacancy
from cveval_job.scoring.rubrics import default_cv_rubric, default_project_rubric

MAX_TEXT_CHARS: Final = 100_000
MAX_TITLE_CHARS: Final = 200  # the column's width
MAX_LABEL_CHARS: Final = 200
MAX_GUIDE_CHARS: Final = 1_000
MAX_PARAMETERS: Final = 20
MAX_VERSION_CHARS: Final = 64
WEIGHT_TOLERANCE: Final = 1e-6  # as the scoring model allows
# Keys become JSON property names in the model's answer schema and labels in stored breakdowns: keep them plain.
KEY_PATTERN: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")
VERSION_CHARS: Final = 16
ID_PREFIX: Final = "vac-"


class InvalidVacancy(ValueError):
    """The caller's vacancy is unusable; the message starts with the offending field's path."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


@dataclass(frozen=True)
class ParameterDraft:
    key: str
    label: str
    weight: float
    # (score, description) pairs as sent, so duplicates and gaps can be reported rather than silently merged.
    guide: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class RubricDraft:
    stage: str
    version: str
    parameters: tuple[ParameterDraft, ...]


@dataclass(frozen=True)
class VacancyDraft:
    title: str
    job_description: str
    study_case_brief: str
    cv_rubric: RubricDraft | None = None  # None: the default rubric
    project_rubric: RubricDraft | None = None
    allow_degraded_scoring: bool = True
    redact_personal_data: bool = True


@dataclass(frozen=True)
class StoredVacancy:
    vacancy: Vacancy
    created_at: datetime


def normalize_title(title: str) -> str:
    return " ".join(title.split())


def normalize_text(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def check_text(field: str, text: str, *, required: bool = True) -> str:
    """The text normalized, or InvalidVacancy naming the field when it is empty (if required) or oversize."""
    value = normalize_text(text)
    if required and not value:
        raise InvalidVacancy(field, "must not be empty")
    if len(value) > MAX_TEXT_CHARS:
        raise InvalidVacancy(field, f"must be at most {MAX_TEXT_CHARS} characters, got {len(value)}")
    return value


def _check_title(title: str) -> str:
    value = normalize_title(title)
    if not value:
        raise InvalidVacancy("title", "must not be empty")
    if len(value) > MAX_TITLE_CHARS:
        raise InvalidVacancy("title", f"must be at most {MAX_TITLE_CHARS} characters, got {len(value)}")
    return value


def _guide(field: str, key: str, levels: tuple[tuple[int, str], ...]) -> dict[int, str]:
    counts = Counter(score for score, _ in levels)
    outside = sorted(s for s in counts if s not in SCORE_RANGE)
    if outside:
        raise InvalidVacancy(field, f"{key!r} has levels outside 1..5: {', '.join(map(str, outside))}")
    duplicated = sorted(s for s, n in counts.items() if n > 1)
    if duplicated:
        raise InvalidVacancy(field, f"{key!r} describes level {', '.join(map(str, duplicated))} more than once")
    missing = [s for s in SCORE_RANGE if s not in counts]
    if missing:
        raise InvalidVacancy(field, f"{key!r} lacks levels {', '.join(map(str, missing))} (each of 1..5 is needed)")
    guide: dict[int, str] = {}
    for score, description in sorted(levels):
        text = " ".join(description.split())
        if not text:
            raise InvalidVacancy(f"{field}[{score}]", f"{key!r} level {score} needs a description")
        if len(text) > MAX_GUIDE_CHARS:
            raise InvalidVacancy(f"{field}[{score}]", f"must be at most {MAX_GUIDE_CHARS} characters")
        guide[score] = text
    return guide


def _parameter(field: str, draft: ParameterDraft) -> RubricParameter:
    key = draft.key.strip()
    if not KEY_PATTERN.fullmatch(key):
        raise InvalidVacancy(f"{field}.key", f"{key!r} must be lower snake case (a-z, 0-9, _), at most 64 characters")
    label = " ".join(draft.label.split())
    if not label:
        raise InvalidVacancy(f"{field}.label", f"{key!r} needs a label")
    if len(label) > MAX_LABEL_CHARS:
        raise InvalidVacancy(f"{field}.label", f"must be at most {MAX_LABEL_CHARS} characters")
    if not math.isfinite(draft.weight) or not 0 < draft.weight <= 1:
        raise InvalidVacancy(f"{field}.weight", f"{key!r} must be greater than 0 and at most 1, got {draft.weight}")
    return RubricParameter(key=key, label=label, weight=draft.weight, guide=_guide(f"{field}.guide", key, draft.guide))


def build_rubric(field: str, stage: str, draft: RubricDraft) -> Rubric:
    """A validated rubric for `stage`; its version is the caller's label or, when omitted, a hash of its content."""
    if draft.stage.strip() and draft.stage.strip().lower() != stage:
        raise InvalidVacancy(f"{field}.stage", f"must be {stage!r} (or omitted), got {draft.stage.strip()!r}")
    if not draft.parameters:
        raise InvalidVacancy(f"{field}.parameters", "must not be empty")
    if len(draft.parameters) > MAX_PARAMETERS:
        raise InvalidVacancy(f"{field}.parameters", f"at most {MAX_PARAMETERS} parameters, got {len(draft.parameters)}")
    params = tuple(_parameter(f"{field}.parameters[{i}]", p) for i, p in enumerate(draft.parameters))
    keys = Counter(p.key for p in params)
    duplicated = sorted(k for k, n in keys.items() if n > 1)
    if duplicated:
        raise InvalidVacancy(f"{field}.parameters", f"duplicate keys: {', '.join(duplicated)}")
    total = math.fsum(p.weight for p in params)
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        weights = ", ".join(f"{p.key}={p.weight:g}" for p in params)
        raise InvalidVacancy(f"{field}.parameters", f"weights must sum to 1, got {total:.6g} ({weights})")
    version = draft.version.strip()
    if len(version) > MAX_VERSION_CHARS or not version.isprintable():
        raise InvalidVacancy(f"{field}.version", f"must be at most {MAX_VERSION_CHARS} printable characters")
    if not version:
        version = _digest({"stage": stage, "parameters": [_parameter_json(p) for p in params]})[:12]
    try:
        return Rubric(stage=stage, version=version, parameters=params)
    except RubricError as exc:  # the model's own checks, should a rule here ever lag behind them
        raise InvalidVacancy(field, str(exc)) from exc


def build_vacancy(draft: VacancyDraft) -> Vacancy:
    """Validate a caller's vacancy; raises InvalidVacancy naming the first offending field."""
    title = _check_title(draft.title)
    job_description = check_text("job_description", draft.job_description)
    brief = check_text("study_case_brief", draft.study_case_brief)
    cv = build_rubric("cv_rubric", "cv", draft.cv_rubric) if draft.cv_rubric else default_cv_rubric()
    project = (
        build_rubric("project_rubric", "project", draft.project_rubric)
        if draft.project_rubric
        else default_project_rubric()
    )
    content = Vacancy(
        id="pending",
        title=title,
        job_description=job_description,
        study_case_brief=brief,
        cv_rubric=cv,
        project_rubric=project,
        version="pending",
        allow_degraded_scoring=draft.allow_degraded_scoring,
        redact_personal_data=draft.redact_personal_data,
    )
    digest = content_digest(content)
    identity_parts: dict[str, Any] = {"title": title.casefold(), "content": digest}
    if not draft.allow_degraded_scoring:
        # Part of the identity, so asking for the strict variant of an existing vacancy never silently returns the
        # lenient one; only the non-default value is added, so every id minted before this policy existed stays.
        # Not part of the version: that names what is scored against, and the texts and rubrics are the same.
        identity_parts["allow_degraded_scoring"] = False
    if not draft.redact_personal_data:
        # The same reasoning: a vacancy that sends personal data out is never the one that redacts it.
        identity_parts["redact_personal_data"] = False
    identity = _digest(identity_parts)
    return replace(content, id=f"{ID_PREFIX}{identity[:24]}", version=digest[:VERSION_CHARS])


def tenant_scoped(vacancy: Vacancy, tenant: str, default_tenant: str) -> Vacancy:
    """The vacancy with an id of its tenant's own, so two tenants storing the same content get two vacancies. The
    `default` tenant (where every vacancy made before tenancy went) keeps the plain content id, so those stay."""
    if tenant == default_tenant:
        return vacancy
    prefix = vacancy.id.split("-", 1)[0] + "-"
    scoped = _digest({"tenant": tenant, "id": vacancy.id})
    return replace(vacancy, id=f"{prefix}{scoped[:24]}")


def with_content_version(vacancy: Vacancy) -> Vacancy:
    """The vacancy with its version set to its content hash; the id is kept (the default and ad-hoc vacancies)."""
    return replace(vacancy, version=content_digest(vacancy)[:VERSION_CHARS])


def content_digest(vacancy: Vacancy) -> str:
    """sha256 of the texts and rubrics (not the title: a version says what is scored against, not its name)."""
    return _digest(
        {
            "job_description": normalize_text(vacancy.job_description),
            "study_case_brief": normalize_text(vacancy.study_case_brief),
            "scoring_notes": normalize_text(vacancy.scoring_notes),
            "cv_rubric": _rubric_json(vacancy.cv_rubric),
            "project_rubric": _rubric_json(vacancy.project_rubric),
        }
    )


def _parameter_json(p: RubricParameter) -> dict[str, Any]:
    return {"key": p.key, "label": p.label, "weight": p.weight, "guide": [[s, p.guide[s]] for s in sorted(p.guide)]}


def _rubric_json(rubric: Rubric) -> dict[str, Any]:
    parameters = [_parameter_json(p) for p in rubric.parameters]
    return {"stage": rubric.stage, "version": rubric.version, "parameters": parameters}


def _digest(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
