"""deploy/k8s/base/networkpolicies.yaml and the collector's policy: default deny both ways, exactly the paths the
architecture has."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.deploy.test_k8s_manifests import BASE, kustomize_build

Doc = dict[str, Any]
GRPC, METRICS, PG, NATS = 50051, 9464, 5432, 4222
AUTH_CHECK, RATELIMIT_GRPC, REDIS = 9002, 8081, 6379
WORKLOADS = {
    "envoy",
    "upload",
    "job",
    "result",
    "ai-gateway",
    "worker",
    "auth",
    "postgres",
    "nats",
    "ratelimit",
    "redis",
    "otel-collector",
}
# Prometheus (any namespace) scrapes the processes' :9464, Envoy's health listener (/stats/prometheus) and the
# collector's Prometheus exporter.
SCRAPED = {
    **{name: METRICS for name in ("upload", "job", "result", "ai-gateway", "worker", "auth")},
    "envoy": 8081,
    "otel-collector": 8889,
}
OTLP_SENDERS = {"envoy", "upload", "job", "result", "ai-gateway", "worker", "auth"}

# (from, to, port) of every in-namespace connection the system makes; docs/architecture.md.
EXPECTED = {
    *{("envoy", name, GRPC) for name in ("upload", "job", "result", "auth")},
    ("envoy", "auth", AUTH_CHECK),  # ext_authz over HTTP
    ("envoy", "ratelimit", RATELIMIT_GRPC),  # the global rate limit service
    ("ratelimit", "redis", REDIS),
    ("worker", "upload", GRPC),
    ("worker", "ai-gateway", GRPC),
    ("worker", "result", GRPC),
    ("job", "upload", GRPC),
    ("job", "ai-gateway", GRPC),
    ("job", "result", GRPC),  # DeleteResults when a candidate is deleted
    ("upload", "ai-gateway", GRPC),  # Forget when a document is deleted
    ("result", "job", GRPC),
    *{(name, "postgres", PG) for name in ("upload", "job", "result", "ai-gateway", "worker", "auth")},
    *{(name, "nats", NATS) for name in ("job", "worker", "result", "upload")},  # upload: the audit feed
}


@pytest.fixture(scope="module")
def policies() -> list[Doc]:
    return [d for d in yaml.safe_load_all(kustomize_build(BASE)) if d and d["kind"] == "NetworkPolicy"]


def _name(selector: Doc) -> str | None:
    labels: dict[str, str] = selector.get("matchLabels", {})
    return labels.get("app.kubernetes.io/name")


def _edges(policies: list[Doc], direction: str) -> set[tuple[str, str, int]]:
    """Pod-to-pod edges one side of the policies allows: ingress rules name sources, egress rules destinations."""
    found = set()
    for policy in policies:
        spec = policy["spec"]
        pod = _name(spec["podSelector"])
        for rule in spec.get(direction, []):
            peers = rule.get("from" if direction == "ingress" else "to", [])
            for peer in peers:
                other = _name(peer.get("podSelector", {}))
                if pod is None or other is None or "namespaceSelector" in peer:
                    continue
                for port in rule.get("ports", []):
                    edge = (other, pod, port["port"]) if direction == "ingress" else (pod, other, port["port"])
                    found.add(edge)
    return found


def test_everything_is_denied_by_default(policies: list[Doc]) -> None:
    deny = next(p for p in policies if p["metadata"]["name"] == "default-deny")
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_both_ends_allow_exactly_the_architectures_paths(policies: list[Doc]) -> None:
    assert _edges(policies, "ingress") == EXPECTED
    assert _edges(policies, "egress") == EXPECTED


def test_every_workload_has_its_policy_for_both_directions(policies: list[Doc]) -> None:
    own = {_name(p["spec"]["podSelector"]): p for p in policies}
    for name in WORKLOADS:
        assert set(own[name]["spec"]["policyTypes"]) == {"Ingress", "Egress"}, name


def test_only_envoy_is_reachable_from_outside_and_prometheus_scrapes_metrics(policies: list[Doc]) -> None:
    for policy in policies:
        pod = _name(policy["spec"]["podSelector"])
        for rule in policy["spec"].get("ingress", []):
            peers = rule.get("from")
            ports = {p["port"] for p in rule.get("ports", [])}
            if not peers:
                assert (pod, ports) == ("envoy", {8080}), f"{pod} is open to every source on {ports}"
            elif any("namespaceSelector" in peer for peer in peers):
                assert pod is not None and ports == {SCRAPED[pod]}, (pod, ports)
                assert all(_name(peer["podSelector"]) == "prometheus" for peer in peers)
    scraped = {
        _name(p["spec"]["podSelector"]): port["port"]
        for p in policies
        for rule in p["spec"].get("ingress", [])
        if any("namespaceSelector" in peer for peer in rule.get("from", []))
        for port in rule.get("ports", [])
    }
    assert scraped == SCRAPED


def _senders(selector: Doc) -> set[str]:
    (expression,) = selector["matchExpressions"]
    assert (expression["key"], expression["operator"]) == ("app.kubernetes.io/name", "In")
    return set(expression["values"])


def test_otlp_goes_to_the_collector_and_only_there(policies: list[Doc]) -> None:
    export = next(p for p in policies if p["metadata"]["name"] == "allow-otlp-export")
    assert _senders(export["spec"]["podSelector"]) == OTLP_SENDERS
    ((rule),) = export["spec"]["egress"]
    assert [_name(peer["podSelector"]) for peer in rule["to"]] == ["otel-collector"]
    assert {p["port"] for p in rule["ports"]} == {4317, 4318}
    collector = next(p for p in policies if p["metadata"]["name"] == "otel-collector")
    hearing = collector["spec"]["ingress"][0]
    assert _senders(hearing["from"][0]["podSelector"]) == OTLP_SENDERS
    assert {p["port"] for p in hearing["ports"]} == {4317, 4318}


def test_egress_beyond_the_namespace_is_dns_otlp_and_the_gateways_https(policies: list[Doc]) -> None:
    open_egress = set()
    for policy in policies:
        pod = _name(policy["spec"]["podSelector"]) or policy["metadata"]["name"]
        for rule in policy["spec"].get("egress", []):
            if not rule.get("to") or any("namespaceSelector" in peer for peer in rule["to"]):
                open_egress |= {(pod, port["port"]) for port in rule.get("ports", [])}
    # The collector forwards to the OTLP backend an overlay names (gRPC, HTTP or HTTPS), wherever it runs.
    backend = {("otel-collector", port) for port in (4317, 4318, 443)}
    assert open_egress == {("allow-dns", 53), ("ai-gateway", 443), *backend}
