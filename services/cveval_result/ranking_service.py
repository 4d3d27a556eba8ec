"""The ranking use cases: a vacancy's evaluated candidates, best first, a page at a time or exported whole.

The ranking is computed here, where the scores are: each result row names its vacancy and batch and keeps its
overall score (migration 0003), so a page is one indexed query (decision 0023).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from cveval.result.v1 import result_pb2
from cveval_kit import audit, errors
from cveval_kit.identity import Identity
from cveval_kit.tenancy import owner_filter
from cveval_result.adapters.repository import RankingRow, ResultRepository
from cveval_result.ranking import (
    MAX_EXPORT_ROWS,
    Cursor,
    RankedRow,
    check_status,
    decode_cursor,
    encode_cursor,
    order_column,
    page_size,
    to_csv,
    to_json,
)

EXPORT_FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


class RankingApplication:
    def __init__(self, results: ResultRepository, trail: audit.AuditTrail) -> None:
        self.results = results
        self.trail = trail

    async def page(
        self,
        caller: Identity,
        vacancy_id: str,
        *,
        order_by: str = "",
        status: str = "",
        batch_id: str = "",
        size: int = 0,
        token: str = "",
    ) -> tuple[list[RankedRow], str]:
        column = order_column(order_by)
        check_status(status)
        limit = page_size(size)
        cursor = decode_cursor(token, column) if token else None
        rows = await self.results.ranking(
            tenant=caller.tenant,
            vacancy_id=vacancy_id.strip(),
            column=column,
            limit=limit + 1,
            submitted_by=owner_filter(caller),
            batch_id=batch_id.strip(),
            after=None if cursor is None else (cursor.score, cursor.job_id),
        )
        ranked_before = 0 if cursor is None else cursor.ranked
        page = [_ranked(ranked_before + i + 1, row) for i, row in enumerate(rows[:limit])]
        await self._audit(caller, page)
        if len(rows) <= limit:
            return page, ""
        last = rows[limit - 1]
        return page, encode_cursor(Cursor(last.order_value, last.job_id, ranked_before + limit, column))

    async def export(
        self, caller: Identity, vacancy_id: str, fmt: str, *, order_by: str = "", batch_id: str = ""
    ) -> tuple[bytes, str]:
        """The whole ranking (at most MAX_EXPORT_ROWS) as CSV or JSON, and its media type."""
        fmt = fmt.strip().lower() or "csv"
        if fmt not in EXPORT_FORMATS:
            raise errors.InvalidArgument(f"format must be one of {', '.join(EXPORT_FORMATS)}")
        column = order_column(order_by)
        rows = await self.results.ranking(
            tenant=caller.tenant,
            vacancy_id=vacancy_id.strip(),
            column=column,
            limit=MAX_EXPORT_ROWS,
            submitted_by=owner_filter(caller),
            batch_id=batch_id.strip(),
        )
        ranked = [_ranked(i + 1, row) for i, row in enumerate(rows)]
        await self._audit(caller, ranked)
        body = to_csv(ranked) if fmt == "csv" else to_json(vacancy_id.strip(), column, ranked)
        return body, EXPORT_FORMATS[fmt]

    async def _audit(self, caller: Identity, rows: Sequence[RankedRow]) -> None:
        """A ranking discloses each candidate's scores: one read per result, as GetResult records."""
        await asyncio.gather(
            *(
                self.trail.record(
                    audit.AuditEvent.about(
                        tenant=caller.tenant,
                        principal=caller.principal,
                        action=audit.READ_RESULT,
                        kind="result",
                        resource_id=row.job_id,
                        candidate_id=row.cv_id,
                        service="result",
                    )
                )
                for row in rows
            )
        )


def _ranked(rank: int, row: RankingRow) -> RankedRow:
    result = result_pb2.EvaluationResult.FromString(row.payload)
    candidate = result.candidate
    return RankedRow(
        rank=rank,
        job_id=row.job_id,
        cv_id=row.cv_id,
        batch_id=row.batch_id,
        display_name=candidate.display_name or candidate.cv_filename or row.cv_id,
        cv_filename=candidate.cv_filename,
        project_filename=candidate.project_filename,
        cv_match_rate=row.cv_match_rate,
        project_score=row.project_score,
        overall_score=row.overall_score,
        completed_at=row.created_at,
        cv_only=result.cv_only,
    )
