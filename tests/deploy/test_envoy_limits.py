"""The resource limits of the REST bridge (decision 0014) stay in the deployable config and its loopback copy."""

from __future__ import annotations

from typing import Any

import yaml

from cveval_devstack.envoy import ENVOY_CONFIG, render_config


def _manager(config: dict[str, Any]) -> dict[str, Any]:
    listener = config["static_resources"]["listeners"][0]
    return dict(listener["filter_chains"][0]["filters"][0]["typed_config"])


def test_timeouts_and_header_limits_are_set() -> None:
    for config in (
        yaml.safe_load(ENVOY_CONFIG.read_text()),
        render_config({"upload": 1, "job": 2, "result": 3, "auth": 6, "auth_grpc": 7}, http_port=4, admin_port=5),
    ):
        manager = _manager(config)
        assert manager["request_headers_timeout"] == "10s"
        assert manager["max_request_headers_kb"] == 16
        assert manager["common_http_protocol_options"]["idle_timeout"]
        assert config["static_resources"]["listeners"][0]["per_connection_buffer_limit_bytes"] <= 65536
        monitors = {m["name"] for m in config["overload_manager"]["resource_monitors"]}
        assert "envoy.resource_monitors.global_downstream_max_connections" in monitors


def test_non_upload_bodies_are_capped_small_and_uploads_skip_the_cap() -> None:
    manager = _manager(yaml.safe_load(ENVOY_CONFIG.read_text()))
    cap = next(f for f in manager["http_filters"] if f["name"] == "cveval.body_cap")["typed_config"]
    assert cap["extension_config"]["typed_config"]["max_request_bytes"] <= 1024 * 1024
    skipped = [
        p["single_predicate"]["value_match"]["prefix"]
        for p in cap["xds_matcher"]["matcher_list"]["matchers"][0]["predicate"]["or_matcher"]["predicate"]
    ]
    assert skipped == ["/v1/upload", "/cveval.upload.v1.UploadService/Upload"]


def test_the_upload_cluster_admits_a_bounded_number_of_requests() -> None:
    clusters = {c["name"]: c for c in yaml.safe_load(ENVOY_CONFIG.read_text())["static_resources"]["clusters"]}
    assert clusters["upload"]["circuit_breakers"]["thresholds"][0]["max_requests"] <= 8


def test_envoys_own_503s_say_when_to_retry() -> None:
    """The upload circuit breaker's overflow (x-envoy-overloaded) is a local reply: the 503 mapper adds Retry-After."""
    config = yaml.safe_load(ENVOY_CONFIG.read_text())
    manager = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    mappers = manager["local_reply_config"]["mappers"]
    unavailable = next(
        m for m in mappers if m["filter"]["status_code_filter"]["comparison"]["value"]["default_value"] == 503
    )
    added = {h["header"]["key"]: h for h in unavailable["headers_to_add"]}
    assert added["retry-after"]["header"]["value"] == "1"
    assert added["retry-after"]["append_action"] == "ADD_IF_ABSENT"  # a service's own Retry-After wins
