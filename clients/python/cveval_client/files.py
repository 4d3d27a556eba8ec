"""The files the CLI sends: which it accepts, and which project report goes with which CV."""

from __future__ import annotations

from pathlib import Path

# What the upload service reads (it decides by content; the extension only lets the CLI fail early and clearly).
DOCUMENT_TYPES = {".pdf": "application/pdf",
                  ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                  ".txt": "text/plain", ".md": "text/plain"}
# A vacancy's texts in these are sent as text; a PDF or DOCX is uploaded and the vacancy takes its extracted text.
TEXT_TYPES = (".txt", ".md", ".text", "")


FileArg = tuple[str, bytes, str]


class UnsupportedFile(ValueError):
    pass


def document(path: Path) -> tuple[str, bytes, str]:
    if not path.is_file():
        raise UnsupportedFile(f"{path}: no such file")
    media_type = DOCUMENT_TYPES.get(path.suffix.lower())
    if media_type is None:
        raise UnsupportedFile(f"{path}: unsupported file type {path.suffix or '(none)'}; use PDF, DOCX or text")
    return path.name, path.read_bytes(), media_type


def is_text(path: Path) -> bool:
    return path.suffix.lower() in TEXT_TYPES


def text_of(path: Path) -> str:
    if not path.is_file():
        raise UnsupportedFile(f"{path}: no such file")
    if not is_text(path):
        raise UnsupportedFile(f"{path}: not a text file (.txt or .md)")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnsupportedFile(f"{path}: not UTF-8 text") from exc


def reports_for(cvs: list[Path], reports: Path | None) -> list[Path | None]:
    """The project report of each CV: none at all without `reports` (the CVs alone are evaluated); a single file is
    everyone's; in a directory the file with the CV's name (any extension), else the directory's only file."""
    if reports is None:
        return [None] * len(cvs)
    if reports.is_file():
        return [reports] * len(cvs)
    if not reports.is_dir():
        raise UnsupportedFile(f"{reports}: no such file or directory")
    files = sorted(p for p in reports.iterdir() if p.is_file() and p.suffix.lower() in DOCUMENT_TYPES)
    by_stem = {p.stem.lower(): p for p in files}
    out: list[Path | None] = []
    for cv in cvs:
        match = by_stem.get(cv.stem.lower()) or (files[0] if len(files) == 1 else None)
        if match is None:
            raise UnsupportedFile(f"{cv.name}: no report named {cv.stem}.* in {reports}")
        out.append(match)
    return out
