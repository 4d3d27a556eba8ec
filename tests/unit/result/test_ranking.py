from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from cveval_kit import errors
from cveval_result.ranking import (
    Cursor,
    RankedRow,
    check_status,
    decode_cursor,
    encode_cursor,
    order_column,
    overall_score,
    page_size,
    to_csv,
)


def test_overall_score_maps_both_scores_onto_0_to_1() -> None:
    assert overall_score(1.0, 5.0) == 1.0
    assert overall_score(0.0, 1.0) == 0.0
    assert overall_score(0.5, 3.0) == 0.5


def test_orders_and_statuses() -> None:
    assert order_column("") == "overall_score"
    assert order_column("CV_MATCH_RATE") == "cv_match_rate"
    with pytest.raises(errors.InvalidArgument):
        order_column("luck")
    check_status("completed")
    with pytest.raises(errors.InvalidArgument, match="/v1/jobs"):
        check_status("failed")
    assert page_size(0) == 50 and page_size(10_000) == 200


def test_cursor_round_trip_and_tampering() -> None:
    cursor = Cursor(0.75, "job-1", 50, "overall_score")
    assert decode_cursor(encode_cursor(cursor), "overall_score") == cursor
    with pytest.raises(errors.InvalidArgument, match="another order"):
        decode_cursor(encode_cursor(cursor), "cv_match_rate")
    with pytest.raises(errors.InvalidArgument):
        decode_cursor("not-a-token", "overall_score")


def test_csv_quotes_formula_like_names() -> None:
    row = RankedRow(1, "j", "c", "b", "=HYPERLINK(\"x\")", "cv.pdf", "r.txt", 0.5, 3.0, 0.5,
                    datetime(2026, 1, 1, tzinfo=UTC))
    parsed = list(csv.DictReader(io.StringIO(to_csv([row]).decode())))
    assert parsed[0]["display_name"].startswith("'=")
    assert parsed[0]["rank"] == "1"
