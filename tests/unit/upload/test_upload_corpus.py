"""Real-world documents from the shared corpus (resumes and job descriptions) must all extract cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from cveval_upload.domain.document import prepare_document
from cveval_upload.domain.sniff import DOCX, PDF
from tests.fixtures.documents import corpus_dir

_MEDIA_TYPES = {".pdf": PDF, ".docx": DOCX}


def _documents(sub: str, suffixes: tuple[str, ...]) -> list[Path]:
    root = corpus_dir()
    if root is None or not (root / sub).is_dir():
        pytest.skip(f"no shared corpus at ../shared/corpus/{sub} (set CVEVAL_CORPUS_DIR to use another copy)")
    files = sorted(path for path in (root / sub).iterdir() if path.suffix.lower() in suffixes)
    if not files:
        pytest.skip(f"the corpus folder {sub} has no {'/'.join(suffixes)} files")
    return files


def _check(path: Path) -> None:
    prepared = prepare_document(path.read_bytes(), max_bytes=10 * 1024 * 1024)
    assert prepared.media_type == _MEDIA_TYPES[path.suffix.lower()], path.name
    assert prepared.char_count > 500, path.name
    words = prepared.text.split()
    assert len(words) > 100, path.name
    # Extraction that went wrong (wrong encoding, glyph soup) shows up as few real words.
    alphabetic = sum(1 for word in words if any(ch.isalpha() for ch in word))
    assert alphabetic / len(words) > 0.7, path.name


def test_every_resume_extracts() -> None:
    for path in _documents("resumes", (".pdf",)):
        _check(path)


def test_every_job_description_extracts() -> None:
    for path in _documents("job_descriptions", (".pdf", ".docx")):
        _check(path)
