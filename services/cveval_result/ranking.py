"""The ranking's rules: which score orders it, its page tokens and its exports. No I/O here."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cveval_kit import errors

ORDERS = ("overall", "cv_match_rate", "project_score")
# The column each order reads (results' columns).
ORDER_COLUMNS = {"overall": "overall_score", "cv_match_rate": "cv_match_rate", "project_score": "project_score"}
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_EXPORT_ROWS = 10_000
CSV_COLUMNS = ("rank", "display_name", "overall_score", "cv_match_rate", "project_score", "cv_filename",
               "project_filename", "job_id", "cv_id", "batch_id", "completed_at", "cv_only")


def overall_score(cv_match_rate: float, project_score: float, *, cv_only: bool = False) -> float:
    """0..1: the mean of the CV match rate and the project score mapped from 1..5 onto 0..1; for a candidate
    without a project report (cv_only), the CV match rate alone: no project score is assumed, low or high."""
    if cv_only:
        return round(cv_match_rate, 6)
    return round((cv_match_rate + (project_score - 1.0) / 4.0) / 2.0, 6)


def order_column(order_by: str) -> str:
    order = order_by.strip().lower() or "overall"
    if order not in ORDER_COLUMNS:
        raise errors.InvalidArgument(f"order_by must be one of {', '.join(ORDERS)}")
    return ORDER_COLUMNS[order]


def check_status(status: str) -> None:
    """Results exist for completed evaluations only; the others are listed by GET /v1/jobs?vacancy_id=…&status=…"""
    if status.strip().lower() not in ("", "completed"):
        raise errors.InvalidArgument(
            "a ranking holds completed evaluations only; list the others with GET /v1/jobs?vacancy_id=…&status=…"
        )


def page_size(requested: int) -> int:
    if requested < 0:
        raise errors.InvalidArgument("page_size must not be negative")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last row's score and job id, and how many rows came before the next page."""

    score: float
    job_id: str
    ranked: int
    order: str


def encode_cursor(cursor: Cursor) -> str:
    raw = json.dumps([cursor.score, cursor.job_id, cursor.ranked, cursor.order], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, order: str) -> Cursor:
    try:
        score, job_id, ranked, token_order = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        cursor = Cursor(float(score), str(job_id), int(ranked), str(token_order))
    except (ValueError, TypeError) as exc:
        raise errors.InvalidArgument("page_token is not a token this service issued") from exc
    if cursor.order != order:
        raise errors.InvalidArgument("page_token belongs to a ranking in another order")
    return cursor


@dataclass(frozen=True)
class RankedRow:
    rank: int
    job_id: str
    cv_id: str
    batch_id: str
    display_name: str
    cv_filename: str
    project_filename: str
    cv_match_rate: float
    project_score: float
    overall_score: float
    completed_at: datetime
    cv_only: bool = False  # no project report: overall_score is the CV match rate

    def as_record(self) -> dict[str, object]:
        return {
            "rank": self.rank,
            "display_name": self.display_name,
            "overall_score": self.overall_score,
            "cv_match_rate": self.cv_match_rate,
            "project_score": self.project_score,
            "cv_filename": self.cv_filename,
            "project_filename": self.project_filename,
            "job_id": self.job_id,
            "cv_id": self.cv_id,
            "batch_id": self.batch_id,
            "completed_at": self.completed_at.isoformat(),
            "cv_only": self.cv_only,
        }


def to_csv(rows: Sequence[RankedRow]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_safe(v) for k, v in row.as_record().items()})
    return out.getvalue().encode("utf-8")


def to_json(vacancy_id: str, order: str, rows: Sequence[RankedRow]) -> bytes:
    body = {"vacancy_id": vacancy_id, "order_by": order, "ranking": [r.as_record() for r in rows]}
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


def _csv_safe(value: object) -> object:
    """A cell starting with =, +, - or @ is a formula in a spreadsheet (CSV injection): names come from CVs, so
    such a cell is quoted with a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
