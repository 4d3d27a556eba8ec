"""The CV text as the scorers and the embeddings see it: without text addressed to the evaluator, without stuffing,
without personal details. One function, so the offline scorer and the pipeline's embeddings read the same text."""

from __future__ import annotations

from dataclasses import dataclass

from cveval_job.scoring.injection import strip_injections
from cveval_job.scoring.personal import drop_personal_details
from cveval_job.scoring.stuffing import HIDDEN_TEXT_FLAG, remove_hidden_text_marker, remove_stuffing

__all__ = ["CleanCv", "clean_cv"]


@dataclass(frozen=True)
class CleanCv:
    text: str
    injections: tuple[str, ...]
    stuffing_flags: frozenset[str]
    personal_lines: int


def clean_cv(text: str, job_description: str) -> CleanCv:
    visible, had_hidden = remove_hidden_text_marker(text)
    without_injections, injections = strip_injections(visible, "cv")
    without_stuffing, flags = remove_stuffing(without_injections, job_description)
    clean, personal = drop_personal_details(without_stuffing)
    return CleanCv(clean, injections, flags | ({HIDDEN_TEXT_FLAG} if had_hidden else set()), personal)
