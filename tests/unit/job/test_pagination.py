from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cveval_job.domain.jobs import is_terminal, may_start
from cveval_job.domain.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    InvalidPageToken,
    clamp_page_size,
    decode_token,
    encode_token,
)


def test_token_round_trip() -> None:
    at = datetime(2026, 11, 26, 12, 30, 1, 123456, tzinfo=UTC)
    assert decode_token(encode_token(at, "job-1")) == (at, "job-1")


@pytest.mark.parametrize("token", ["garbage", "e30", "!!!", "WyJ4Il0"])
def test_bad_tokens_are_rejected(token: str) -> None:
    with pytest.raises(InvalidPageToken):
        decode_token(token)


def test_page_size_defaults_and_caps() -> None:
    assert clamp_page_size(0) == DEFAULT_PAGE_SIZE
    assert clamp_page_size(5) == 5
    assert clamp_page_size(10_000) == MAX_PAGE_SIZE
    with pytest.raises(ValueError):
        clamp_page_size(-1)


def test_state_rules() -> None:
    assert may_start("queued") and may_start("processing")
    assert not may_start("completed") and not may_start("failed")
    assert is_terminal("completed") and is_terminal("failed") and not is_terminal("queued")
