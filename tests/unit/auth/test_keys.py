"""API keys: format, hashing, validation, rate classes, the check's response headers."""

from __future__ import annotations

import pytest

from cveval_auth.adapters.check_http import allowed_headers
from cveval_auth.domain import keys
from cveval_auth.domain.checks import Allowed
from cveval_auth.domain.rates import EVALUATIONS_PER_HOUR_CLASSES, REQUESTS_PER_SECOND_CLASSES, rate_class
from cveval_kit import identity
from cveval_kit.errors import InvalidArgument


def test_secrets_are_random_prefixed_and_recognised() -> None:
    first, second = keys.new_secret(), keys.new_secret()
    assert first != second and first.startswith("cvk_") and len(first) >= 40
    assert keys.looks_like_key(first)
    assert not keys.looks_like_key("eyJhbGciOiJSUzI1NiJ9.e30.sig")


def test_hash_is_keyed_and_stable() -> None:
    secret = keys.new_secret()
    assert keys.hash_secret(secret) == keys.hash_secret(secret)
    assert keys.hash_secret(secret) != keys.hash_secret(secret, b"pepper")
    assert secret not in keys.hash_secret(secret) and len(keys.hash_secret(secret)) == 64


def test_validation() -> None:
    assert keys.checked_roles(["Reviewer", " admin "]) == frozenset({"reviewer", "admin"})
    for bad_roles in ([], ["root"], [" "]):
        with pytest.raises(InvalidArgument):
            keys.checked_roles(bad_roles)
    with pytest.raises(InvalidArgument):
        keys.checked_name("   ")
    with pytest.raises(InvalidArgument):
        keys.checked_tenant("a b")
    assert keys.checked_quota(0, 20, "rps", 100) == 20
    with pytest.raises(InvalidArgument):
        keys.checked_quota(101, 20, "rps", 100)


@pytest.mark.parametrize(("limit", "expected"), [(0, 1), (1, 1), (3, 2), (20, 20), (999, 500), (50_000, 1000)])
def test_rate_class_rounds_down(limit: int, expected: int) -> None:
    assert rate_class(limit, REQUESTS_PER_SECOND_CLASSES) == expected


def test_allowed_headers_carry_a_verifiable_identity_and_the_classes() -> None:
    secret = b"s" * 32
    who = identity.Identity("team-a", "key:key-1", frozenset({"submitter"}))
    headers = allowed_headers("/cveval.job.v1.JobService/Evaluate", Allowed(who, "key-1", 7, 45), secret)
    assert identity.verify(headers["x-cveval-identity"], secret) == who
    assert headers["x-cveval-rate-key"] == "key-1"
    assert headers["x-cveval-rps-class"] == "5"
    assert int(headers["x-cveval-eph-class"]) in EVALUATIONS_PER_HOUR_CLASSES
    assert headers["x-cveval-evaluation"] == "1"
    other = allowed_headers("/cveval.job.v1.JobService/ListJobs", Allowed(who, "key-1", 7, 45), secret)
    assert "x-cveval-evaluation" not in other
