from __future__ import annotations

import pytest

from cveval_kit import identity
from cveval_kit.errors import PermissionDenied, Unauthenticated
from cveval_kit.identity import ADMIN, REVIEWER, SUBMITTER, Identity

SECRET = b"unit-test-secret"
ALICE = Identity(tenant="acme", principal="key:k1", roles=frozenset({SUBMITTER}))


def test_a_signed_identity_verifies_to_the_same_identity() -> None:
    token = identity.sign(ALICE, SECRET, now=1000)
    assert identity.verify(token, SECRET, now=1000) == ALICE


def test_a_token_signed_with_another_secret_is_refused() -> None:
    token = identity.sign(ALICE, b"other", now=1000)
    with pytest.raises(Unauthenticated, match="signature"):
        identity.verify(token, SECRET, now=1000)


def test_a_tampered_payload_is_refused() -> None:
    forged = identity.sign(Identity("evil", "key:k1", frozenset({ADMIN})), b"x", now=1000)
    genuine = identity.sign(ALICE, SECRET, now=1000)
    spliced = ".".join([*forged.split(".")[:2], genuine.split(".")[2]])
    with pytest.raises(Unauthenticated):
        identity.verify(spliced, SECRET, now=1000)


def test_an_expired_token_is_refused() -> None:
    token = identity.sign(ALICE, SECRET, ttl_s=10, now=1000)
    with pytest.raises(Unauthenticated, match="expired"):
        identity.verify(token, SECRET, now=1011)


@pytest.mark.parametrize("token", ["", "v1", "v1..", "v2.e30.AAAA", "v1.!!!.AAAA", "garbage"])
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(Unauthenticated):
        identity.verify(token, SECRET, now=1000)


def test_without_a_configured_secret_nothing_verifies() -> None:
    token = identity.sign(ALICE, SECRET, now=1000)
    with pytest.raises(Unauthenticated, match="secret"):
        identity.verify(token, b"", now=1000)


def test_authorize_checks_roles_and_admin_holds_every_role() -> None:
    token = identity.sign(ALICE, SECRET)
    assert identity.authorize(token, SECRET, frozenset({SUBMITTER})) == ALICE
    with pytest.raises(PermissionDenied):
        identity.authorize(token, SECRET, frozenset({REVIEWER}))
    admin = identity.sign(Identity("acme", "key:root", frozenset({ADMIN})), SECRET)
    assert identity.authorize(admin, SECRET, frozenset({REVIEWER})).is_admin
    with pytest.raises(Unauthenticated):
        identity.authorize(None, SECRET, frozenset({SUBMITTER}))


def test_current_identity_is_bound_for_the_call_only() -> None:
    with pytest.raises(Unauthenticated):
        identity.current_identity()
    token = identity.bind(ALICE)
    try:
        assert identity.current_identity() == ALICE
    finally:
        identity.unbind(token)
    with pytest.raises(Unauthenticated):
        identity.current_identity()
