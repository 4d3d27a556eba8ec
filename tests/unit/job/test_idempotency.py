from __future__ import annotations

import pytest

from cveval_job.domain.idempotency import (
    IdempotencyConflict,
    InvalidIdempotencyKey,
    check_replay,
    normalize_key,
    request_hash,
)


def test_hash_ignores_field_order_whitespace_and_empty_fields() -> None:
    a = request_hash({"cv_id": "a", "project_id": "b", "job_title": ""})
    b = request_hash({"project_id": " b ", "cv_id": "a"})
    assert a == b


def test_hash_changes_with_the_body() -> None:
    assert request_hash({"cv_id": "a", "project_id": "b"}) != request_hash({"cv_id": "a", "project_id": "c"})


def test_same_hash_is_a_replay_other_hash_conflicts() -> None:
    h = request_hash({"cv_id": "a", "project_id": "b"})
    check_replay(h, h)
    with pytest.raises(IdempotencyConflict, match="different request"):
        check_replay(h, request_hash({"cv_id": "a", "project_id": "x"}))


@pytest.mark.parametrize("key", ["", "   "])
def test_blank_key_means_no_key(key: str) -> None:
    assert normalize_key(key) is None


@pytest.mark.parametrize("key", ["x" * 256, "bad\nkey", "tab\tkey"])
def test_invalid_keys_are_rejected(key: str) -> None:
    with pytest.raises(InvalidIdempotencyKey):
        normalize_key(key)


def test_key_is_trimmed() -> None:
    assert normalize_key("  abc-123 ") == "abc-123"
