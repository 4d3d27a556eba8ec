"""The shared corpus (../shared/corpus from the repository root) and the harness's own data files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cveval_upload.domain.document import prepare_document
from tools.quality import REPO_ROOT

DATA = Path(__file__).resolve().parent / "data"
MAX_BYTES = 20 * 1024 * 1024
REPORT_LEVELS = ("strong", "average", "weak")


@dataclass(frozen=True)
class Corpus:
    resumes: dict[str, str]  # stem without "rm_" → extracted text
    jobs: dict[str, str]  # stem without "rm_jd_" → extracted text
    own_role: dict[str, str]
    unrelated: str
    formats: dict[str, str]  # resume stem → the format it ships in (pdf, docx, txt)


def corpus_dir(override: str | None) -> Path | None:
    candidate = Path(override or os.environ.get("CVEVAL_CORPUS_DIR") or REPO_ROOT.parent / "shared" / "corpus")
    return candidate if (candidate / "resumes").is_dir() and (candidate / "job_descriptions").is_dir() else None


def extract(data: bytes) -> str:
    """Text as the upload service would store it: content sniffing, then PDF/DOCX/TXT extraction."""
    return prepare_document(data, max_bytes=MAX_BYTES).text


def _load_dir(folder: Path, prefix: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in (".pdf", ".docx", ".txt"):
            out[path.stem.removeprefix(prefix)] = extract(path.read_bytes())
    return out


def data_yaml(name: str) -> Any:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


def load_corpus(root: Path) -> Corpus:
    roles = data_yaml("roles.yaml")
    return Corpus(
        resumes=_load_dir(root / "resumes", "rm_"),
        jobs=_load_dir(root / "job_descriptions", "rm_jd_"),
        own_role={str(k): str(v) for k, v in roles["own_role"].items()},
        unrelated=str(roles["unrelated"]),
        formats={p.stem.removeprefix("rm_"): p.suffix.lstrip(".").lower() for p in (root / "resumes").iterdir()},
    )


def project_reports() -> dict[str, str]:
    return {level: (DATA / f"report_{level}.md").read_text(encoding="utf-8") for level in REPORT_LEVELS}
