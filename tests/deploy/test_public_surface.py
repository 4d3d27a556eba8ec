"""The public surface cannot drift: Envoy's routes, the auth service's policy and the protos agree, internal
headers are stripped before anything reads them, admin stays on loopback, and both rate limiters know the same
rate classes as the auth service."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from cveval_auth.domain.policy import PUBLIC_METHODS
from cveval_auth.domain.rates import EVALUATIONS_PER_HOUR_CLASSES, REQUESTS_PER_SECOND_CLASSES
from cveval_devstack.edge import RATELIMIT_CONFIG, OidcOptions, local_rate_limit
from cveval_devstack.envoy import ENVOY_CONFIG, render_config, validate
from cveval_kit.identity import IDENTITY_METADATA_KEY
from tests.support import edge
from tests.support.edge import public_paths

CONFIG: dict[str, Any] = yaml.safe_load(ENVOY_CONFIG.read_text())


def manager(config: dict[str, Any] = CONFIG) -> dict[str, Any]:
    typed: dict[str, Any] = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0][
        "typed_config"
    ]
    return typed


def routes(config: dict[str, Any] = CONFIG) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = manager(config)["route_config"]["virtual_hosts"][0]["routes"]
    return found


def test_routes_are_exactly_the_public_methods() -> None:
    exact = [r["match"]["path"] for r in routes() if "path" in r["match"]]
    assert len(exact) == len(set(exact))
    assert set(exact) == public_paths()


def test_everything_else_is_a_json_404_without_auth() -> None:
    last = routes()[-1]
    assert last["match"] == {"prefix": "/"} and last["direct_response"]["status"] == 404
    assert last["typed_per_filter_config"]["envoy.filters.http.ext_authz"]["disabled"] is True
    assert all("prefix" not in r["match"] for r in routes()[:-1]), "no prefix route may open a whole service"


def test_auth_policy_names_the_same_methods() -> None:
    assert set(PUBLIC_METHODS) == public_paths()


def test_internal_headers_are_stripped_before_any_filter() -> None:
    mutations = manager()["early_header_mutation_extensions"][0]["typed_config"]["mutations"]
    removed = {m["remove"] for m in mutations}
    assert {IDENTITY_METADATA_KEY, "x-jwt-payload", "x-cveval-rate-key", "x-cveval-rps-class"} <= removed
    # The caller's credential stops at the edge: services get the signed identity instead.
    vhost = manager()["route_config"]["virtual_hosts"][0]
    assert {"authorization", "x-cveval-rate-key"} <= set(vhost["request_headers_to_remove"])
    filters = [f["name"] for f in manager()["http_filters"]]
    assert filters.index("envoy.filters.http.jwt_authn") < filters.index("envoy.filters.http.ext_authz")
    assert filters.index("envoy.filters.http.grpc_json_transcoder") < filters.index("envoy.filters.http.ext_authz")
    assert filters.index("envoy.filters.http.ext_authz") < filters.index("envoy.filters.http.ratelimit")


def test_admin_is_on_loopback_only() -> None:
    assert CONFIG["admin"]["address"]["socket_address"]["address"] == "127.0.0.1"
    health = CONFIG["static_resources"]["listeners"][1]
    assert health["name"] == "health"
    health_routes = manager({"static_resources": {"listeners": [health]}})["route_config"]["virtual_hosts"][0]
    assert [r["match"].get("path") for r in health_routes["routes"]] == ["/ready", "/stats/prometheus", None]


def test_local_replies_are_json_with_an_error_code() -> None:
    for mapper in manager()["local_reply_config"]["mappers"]:
        assert set(mapper["body_format_override"]["json_format"]) == {"code", "message"}
        assert mapper["headers_to_add"][0]["header"]["key"] == "x-cveval-error-code"
    statuses = {m["filter"]["status_code_filter"]["comparison"]["value"]["default_value"] for m in manager()[
        "local_reply_config"]["mappers"]}
    assert {401, 403, 404, 413, 429, 431, 503} <= statuses


def test_rate_classes_match_the_auth_service() -> None:
    config = yaml.safe_load(RATELIMIT_CONFIG.read_text())
    rps = sorted(int(d["value"]) for d in config["descriptors"] if d["key"] == "rps_class")
    (evaluation,) = [d for d in config["descriptors"] if d["key"] == "evaluation"]
    eph = sorted(int(d["value"]) for d in evaluation["descriptors"])
    assert tuple(rps) == REQUESTS_PER_SECOND_CLASSES
    assert tuple(eph) == EVALUATIONS_PER_HOUR_CLASSES
    local = local_rate_limit()["typed_config"]["descriptors"]
    assert len(local) == len(rps) + len(eph)
    hourly = next(d for d in local if d["entries"][-2] == {"key": "eph_class", "value": "1"})
    assert hourly["token_bucket"] == {"max_tokens": 1, "tokens_per_fill": 1, "fill_interval": "3600.000s"}


def test_rendered_config_with_a_local_jwks_validates(tmp_path: Path) -> None:
    jwks = json.dumps(edge.jwks())
    upstreams = {"upload": 1, "job": 2, "result": 3, "auth_grpc": 4, "auth": 5}
    config = render_config(
        upstreams, http_port=18080, admin_port=19901, health_port=18081, oidc=OidcOptions("https://i/", ("a",), jwks)
    )
    names = [f["name"] for f in manager(config)["http_filters"]]
    assert "envoy.filters.http.local_ratelimit" in names and "envoy.filters.http.ratelimit" not in names
    assert manager(config)["http_filters"][1]["typed_config"]["providers"]["oidc"]["local_jwks"] == {
        "inline_string": jwks
    }
    path = tmp_path / "envoy.yaml"
    path.write_text(yaml.safe_dump(config))
    result = validate(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_edge_and_the_services_allow_the_same_roles() -> None:
    """The edge refuses a role before the call reaches a service, and the service checks again with its own
    policy: both lists must say the same, or a caller would get 403 from one and not the other."""
    from cveval_auth import app as auth_app
    from cveval_job import access as job_access
    from cveval_result import access as result_access
    from cveval_upload import access as upload_access

    services: dict[str, frozenset[str]] = {}
    for policy in (job_access.POLICY, result_access.POLICY, upload_access.POLICY, auth_app.POLICY):
        services.update(policy)
    assert services == PUBLIC_METHODS
