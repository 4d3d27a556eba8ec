"""Rubrics as JSON documents in the vacancies table."""

from __future__ import annotations

from typing import Any

from cveval_job.scoring.model import Rubric, RubricParameter


def rubric_to_json(rubric: Rubric) -> dict[str, Any]:
    return {
        "stage": rubric.stage,
        "version": rubric.version,
        "parameters": [
            {"key": p.key, "label": p.label, "weight": p.weight, "guide": {str(k): v for k, v in p.guide.items()}}
            for p in rubric.parameters
        ],
    }


def rubric_from_json(data: dict[str, Any]) -> Rubric:
    return Rubric(
        stage=data["stage"],
        version=data["version"],
        parameters=tuple(
            RubricParameter(
                key=p["key"],
                label=p["label"],
                weight=float(p["weight"]),
                guide={int(k): v for k, v in p["guide"].items()},
            )
            for p in data["parameters"]
        ),
    )
