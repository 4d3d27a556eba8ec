"""The edge's decision: method allowlist, API keys, roles, JWT claims."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from cveval_auth.domain.checks import Allowed, Denied, JwtRules, Quotas, bearer, decide
from cveval_auth.domain.keys import ApiKeyRecord, new_secret
from cveval_kit.identity import ADMIN, REVIEWER, SUBMITTER

EVALUATE = "/cveval.job.v1.JobService/Evaluate"
LIST_JOBS = "/cveval.job.v1.JobService/ListJobs"
CREATE_KEY = "/cveval.auth.v1.ApiKeyService/CreateApiKey"
RULES = JwtRules()
QUOTAS = Quotas(5, 50)


def record(roles: frozenset[str], revoked: bool = False) -> ApiKeyRecord:
    now = datetime.now(UTC)
    return ApiKeyRecord("key-1", "n", "team-a", roles, 10, 100, "cvk_abc", now, now if revoked else None)


class Keys:
    def __init__(self, known: dict[str, ApiKeyRecord]) -> None:
        self.known = known
        self.asked: list[str] = []

    async def find(self, secret: str) -> ApiKeyRecord | None:
        self.asked.append(secret)
        return self.known.get(secret)


def payload(**claims: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()


async def run(method: str, authorization: str | None, keys: Keys, jwt: str | None = None) -> Allowed | Denied:
    return await decide(method, authorization, jwt, keys, RULES, QUOTAS)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("Bearer", None), (None, None), ("", None)],
)
def test_bearer(header: str | None, expected: str | None) -> None:
    assert bearer(header) == expected


async def test_unknown_method_is_404_before_any_lookup() -> None:
    keys = Keys({})
    outcome = await run("/cveval.result.v1.ResultService/StoreResult", "Bearer " + new_secret(), keys)
    assert isinstance(outcome, Denied) and outcome.status == 404
    assert keys.asked == []


async def test_missing_and_malformed_credentials_are_401_without_a_lookup() -> None:
    keys = Keys({})
    for header in (None, "Basic x", "Bearer eyJhbGciOi.not.accepted", "Bearer cvk_short"):
        outcome = await run(LIST_JOBS, header, keys)
        assert isinstance(outcome, Denied) and outcome.status == 401, header
    assert keys.asked == []


async def test_unknown_and_revoked_keys_are_401() -> None:
    revoked = new_secret()
    keys = Keys({revoked: record(frozenset({ADMIN}), revoked=True)})
    for secret in (new_secret(), revoked):
        outcome = await run(LIST_JOBS, f"Bearer {secret}", keys)
        assert isinstance(outcome, Denied) and outcome.status == 401


@pytest.mark.parametrize(
    ("roles", "method", "allowed"),
    [
        ({SUBMITTER}, EVALUATE, True),
        ({REVIEWER}, EVALUATE, False),
        ({REVIEWER}, LIST_JOBS, True),
        ({SUBMITTER}, LIST_JOBS, True),
        ({SUBMITTER}, CREATE_KEY, False),
        ({REVIEWER}, CREATE_KEY, False),
        ({ADMIN}, CREATE_KEY, True),
        ({ADMIN}, EVALUATE, True),
    ],
)
async def test_role_matrix(roles: set[str], method: str, allowed: bool) -> None:
    secret = new_secret()
    outcome = await run(method, f"Bearer {secret}", Keys({secret: record(frozenset(roles))}))
    if allowed:
        assert isinstance(outcome, Allowed)
        assert outcome.identity.tenant == "team-a" and outcome.identity.principal == "key:key-1"
        assert (outcome.rate_key, outcome.requests_per_second, outcome.evaluations_per_hour) == ("key-1", 10, 100)
    else:
        assert isinstance(outcome, Denied) and outcome.status == 403


async def test_jwt_claims_map_to_the_identity() -> None:
    jwt = payload(iss="https://sso/", sub="alice", tenant="team-b", roles="reviewer unknown-role")
    outcome = await run(LIST_JOBS, None, Keys({}), jwt)
    assert isinstance(outcome, Allowed)
    assert outcome.identity.tenant == "team-b" and outcome.identity.roles == frozenset({REVIEWER})
    assert outcome.identity.principal == "oidc:https://sso/#alice"
    assert outcome.rate_key.startswith("jwt-") and outcome.requests_per_second == 5


async def test_jwt_payload_wins_over_a_leftover_authorization_header() -> None:
    jwt = payload(iss="i", sub="s", tenant="t", roles=["submitter"])
    outcome = await run(EVALUATE, "Bearer junk", Keys({}), jwt)
    assert isinstance(outcome, Allowed)


async def test_jwt_without_tenant_or_roles_is_403() -> None:
    no_tenant = await run(LIST_JOBS, None, Keys({}), payload(iss="i", sub="s", roles=["admin"]))
    no_roles = await run(LIST_JOBS, None, Keys({}), payload(iss="i", sub="s", tenant="t"))
    assert isinstance(no_tenant, Denied) and no_tenant.status == 403
    assert isinstance(no_roles, Denied) and no_roles.status == 403


async def test_configured_claims_and_default_roles() -> None:
    rules = JwtRules(tenant_claim="org", roles_claim="groups", default_roles=frozenset({REVIEWER}))
    jwt = payload(iss="i", sub="s", org="acme")
    outcome = await decide(LIST_JOBS, None, jwt, Keys({}), rules, QUOTAS)
    assert isinstance(outcome, Allowed) and outcome.identity.tenant == "acme"


async def test_malformed_jwt_payload_is_401() -> None:
    for bad in ("%%%", base64.urlsafe_b64encode(b"[1,2]").decode()):
        outcome = await run(LIST_JOBS, None, Keys({}), bad)
        assert isinstance(outcome, Denied) and outcome.status == 401
