"""Rubrics and vacancies as data: the default set ships as files in data/, ad-hoc vacancies are built from texts.

Rubrics are versioned data, never strings inside prompts, so a stored score can name the rubric that produced it.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Final

import yaml

from cveval_job.scoring.errors import RubricError
from cveval_job.scoring.model import Rubric, RubricParameter, Vacancy
from cveval_job.scoring.text import collapse

__all__ = [
    "DEFAULT_VACANCY_ID",
    "DEFAULT_VACANCY_TITLE",
    "default_cv_rubric",
    "default_project_rubric",
    "default_vacancy",
    "load_rubric",
    "vacancy_from_texts",
]

DEFAULT_VACANCY_ID: Final = "default-backend-ai-engineer"
DEFAULT_VACANCY_TITLE: Final = "Backend Engineer (AI)"
DEFAULT_VACANCY_VERSION: Final = "2026-11-1"
MAX_TITLE_CHARS: Final = 120


def _data_text(name: str) -> str:
    return resources.files("cveval_job.scoring").joinpath(f"data/{name}").read_text(encoding="utf-8")


def _guide(raw: Any, key: str) -> dict[int, str]:
    if not isinstance(raw, Mapping):
        raise RubricError(f"rubric parameter {key!r}: guide must map scores 1..5 to descriptions")
    guide: dict[int, str] = {}
    for score, text in raw.items():
        try:
            level = int(score)
        except (TypeError, ValueError):
            raise RubricError(f"rubric parameter {key!r}: guide key {score!r} is not a score") from None
        guide[level] = str(text).strip() if text is not None else ""
    return guide


def _parameter(raw: Any) -> RubricParameter:
    if not isinstance(raw, Mapping):
        raise RubricError("each rubric parameter must be a mapping")
    key = raw.get("key")
    if not isinstance(key, str):
        raise RubricError("rubric parameter without a key")
    weight = raw.get("weight")
    if isinstance(weight, bool) or not isinstance(weight, int | float):
        raise RubricError(f"rubric parameter {key!r}: weight must be a number")
    return RubricParameter(
        key=key.strip(),
        label=str(raw.get("label") or "").strip(),
        weight=float(weight),
        guide=_guide(raw.get("guide"), key),
    )


def load_rubric(source: str | Path | Mapping[str, Any]) -> Rubric:
    """Load and validate a rubric from a YAML file path or an already parsed mapping; raises RubricError."""
    if not isinstance(source, str | Path):
        data: Any = source
    else:
        try:
            data = yaml.safe_load(Path(source).read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise RubricError(f"rubric file {source} is not valid YAML: {exc}") from None
    if not isinstance(data, Mapping):
        raise RubricError("a rubric must be a mapping with stage, version and parameters")
    params = data.get("parameters")
    if not isinstance(params, list):
        raise RubricError("rubric 'parameters' must be a list")
    return Rubric(
        stage=str(data.get("stage", "")).strip(),
        version=str(data.get("version", "")).strip(),
        parameters=tuple(_parameter(p) for p in params),
    )


@functools.cache
def default_cv_rubric() -> Rubric:
    return load_rubric(yaml.safe_load(_data_text("cv_rubric.yaml")))


@functools.cache
def default_project_rubric() -> Rubric:
    return load_rubric(yaml.safe_load(_data_text("project_rubric.yaml")))


@functools.cache
def default_vacancy() -> Vacancy:
    return Vacancy(
        id=DEFAULT_VACANCY_ID,
        title=DEFAULT_VACANCY_TITLE,
        job_description=_data_text("job_description.md").strip(),
        study_case_brief=_data_text("study_case_brief.md").strip(),
        cv_rubric=default_cv_rubric(),
        project_rubric=default_project_rubric(),
        version=DEFAULT_VACANCY_VERSION,
    )


def _title(job_description: str) -> str:
    for line in job_description.splitlines():
        # Markdown headings and bullets are layout, not part of the title.
        cleaned = collapse(line).lstrip("#*-•> ").strip()
        if cleaned:
            return cleaned[:MAX_TITLE_CHARS].rstrip()
    raise ValueError("job_description is empty")


def vacancy_from_texts(job_description: str, study_case_brief: str, scoring_rubric: str | None = None) -> Vacancy:
    """An ad-hoc vacancy for a request that carries its own texts.

    The id is a content hash, so the same texts always map to the same vacancy (and its cached embeddings). The
    weights stay the brief's defaults: free text cannot be turned into validated weights, so it is kept as
    scoring notes that the scorers see as extra context.
    """
    if not job_description or not job_description.strip():
        raise ValueError("job_description is empty")
    if not study_case_brief or not study_case_brief.strip():
        raise ValueError("study_case_brief is empty")
    notes = collapse(scoring_rubric) if scoring_rubric and scoring_rubric.strip() else ""
    # Layout (line breaks, indentation) must not change identity; the separator keeps field boundaries apart.
    normalized = "\x1f".join(collapse(t) for t in (job_description, study_case_brief, notes))
    digest = hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:16]
    cv_rubric, project_rubric = default_cv_rubric(), default_project_rubric()
    return Vacancy(
        id=f"adhoc-{digest}",
        title=_title(job_description),
        job_description=job_description.strip(),
        study_case_brief=study_case_brief.strip(),
        cv_rubric=cv_rubric,
        project_rubric=project_rubric,
        version=f"adhoc+{cv_rubric.version}",
        scoring_notes=scoring_rubric.strip() if scoring_rubric and scoring_rubric.strip() else "",
    )
