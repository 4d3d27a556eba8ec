"""The strict-JSON check in deploy/envoy/envoy.yaml: before the transcoder, with the body, never for uploads,
gRPC or calls without a body (decision 0009)."""

from __future__ import annotations

from typing import Any

import yaml

from cveval_devstack.envoy import ENVOY_CONFIG

FILTERS: list[dict[str, Any]] = yaml.safe_load(ENVOY_CONFIG.read_text())["static_resources"]["listeners"][0][
    "filter_chains"
][0]["filters"][0]["typed_config"]["http_filters"]
NAMES = [f["name"] for f in FILTERS]
CHECK = next(f for f in FILTERS if f["name"] == "cveval.json_fields")["typed_config"]


def test_bodies_are_checked_after_the_cap_and_before_the_transcoder() -> None:
    assert NAMES.index("cveval.body_cap") < NAMES.index("cveval.json_fields")
    assert NAMES.index("cveval.json_fields") < NAMES.index("envoy.filters.http.grpc_json_transcoder")


def test_the_check_gets_the_whole_body_within_the_cap_and_fails_closed() -> None:
    ext_authz = CHECK["extension_config"]["typed_config"]
    cap = next(f for f in FILTERS if f["name"] == "cveval.body_cap")
    assert (
        ext_authz["with_request_body"]["max_request_bytes"]
        == (cap["typed_config"]["extension_config"]["typed_config"]["max_request_bytes"])
    )
    assert ext_authz["with_request_body"]["allow_partial_message"] is False
    assert ext_authz["failure_mode_allow"] is False
    assert ext_authz["http_service"]["path_prefix"] == "/fields"  # services/cveval_auth/adapters/check_http.py
    assert ext_authz["http_service"]["server_uri"]["cluster"] == "auth"


def test_uploads_grpc_and_bodiless_methods_skip_the_check() -> None:
    matcher = CHECK["xds_matcher"]["matcher_list"]["matchers"][0]
    assert matcher["on_match"]["action"]["name"] == "skip"
    skipped = matcher["predicate"]["or_matcher"]["predicate"]
    methods = skipped[0]["not_matcher"]["single_predicate"]
    assert methods["input"]["typed_config"]["header_name"] == ":method"
    assert methods["value_match"]["safe_regex"]["regex"] == "POST|PUT|PATCH"
    rest = {
        (p["single_predicate"]["input"]["typed_config"]["header_name"], p["single_predicate"]["value_match"]["prefix"])
        for p in skipped[1:]
    }
    assert rest == {("content-type", "application/grpc"), (":path", "/v1/upload")}
