"""Resource ids: UUIDs in any of their spellings are ids; anything else is not, without a query."""

from __future__ import annotations

import uuid

import pytest

from cveval_kit.ids import is_uuid


def test_a_uuid_is_an_id() -> None:
    value = uuid.uuid4()
    assert is_uuid(str(value)) and is_uuid(value.hex)


@pytest.mark.parametrize("value", ["", "job-1", "../etc/passwd", "1234", str(uuid.uuid4())[:-1]])
def test_anything_else_is_not(value: str) -> None:
    assert not is_uuid(value)
