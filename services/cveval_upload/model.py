"""What the upload service stores and returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# A candidate's documents, and a vacancy's (uploaded to create a vacancy from their text).
KINDS = ("cv", "project", "job_description", "case_study_brief")
VACANCY_KINDS = ("job_description", "case_study_brief")


@dataclass(frozen=True)
class StoredDocument:
    id: str
    kind: str
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    page_count: int
    char_count: int
    text: str
    created_at: datetime
    owner: str = ""  # the principal that uploaded it


@dataclass(frozen=True)
class Erased:
    """What an erasure removed: document ids, and the content hashes no document of the tenant uses any more."""

    ids: tuple[str, ...]
    sha256: tuple[str, ...]
