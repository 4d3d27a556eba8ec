"""The edge's Kubernetes objects: the auth service, the global rate limit service and Redis, Envoy's probes."""

from __future__ import annotations

from typing import Any

from tests.deploy.test_k8s_manifests import ROOT, docs, env_of, find, pod_spec, rendered

__all__ = ["docs", "rendered"]  # the base's fixtures, shared with test_k8s_manifests.py

Doc = dict[str, Any]


def test_auth_service(docs: list[Doc]) -> None:
    spec = pod_spec(find(docs, "Deployment", "auth"))
    (main,) = spec["containers"]
    assert main["args"] == ["cveval_auth", "serve"]
    assert [c["args"] for c in spec["initContainers"]] == [["cveval_auth", "migrate"]]
    assert {p["name"]: p["containerPort"] for p in main["ports"]} == {"grpc": 50051, "check": 9002, "metrics": 9464}
    env = env_of(main)
    assert env["CVEVAL_IDENTITY_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "cveval-internal"
    assert env["CVEVAL_BOOTSTRAP_API_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "cveval-internal"
    service = find(docs, "Service", "auth")
    assert {p["port"] for p in service["spec"]["ports"]} == {50051, 9002, 9464}


def test_rate_limit_service_is_pinned_and_configured(docs: list[Doc]) -> None:
    for name in ("ratelimit", "redis"):
        (container,) = pod_spec(find(docs, "Deployment", name))["containers"]
        tag = container["image"].rsplit(":", 1)[-1]
        assert tag not in {"latest", "master", "main"} and ":" in container["image"], container["image"]
    config = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("ratelimit-config"))
    assert config["data"]["config.yaml"] == (ROOT / "deploy" / "ratelimit" / "config.yaml").read_text()
    (limiter,) = pod_spec(find(docs, "Deployment", "ratelimit"))["containers"]
    assert env_of(limiter)["REDIS_URL"]["value"] == "redis:6379"
    assert {"name": "config", "mountPath": "/data/ratelimit/config", "readOnly": True} in limiter["volumeMounts"]


def test_envoy_probes_do_not_use_the_admin_port(docs: list[Doc]) -> None:
    (envoy,) = pod_spec(find(docs, "Deployment", "envoy"))["containers"]
    assert 9901 not in {p["containerPort"] for p in envoy["ports"]}
    assert envoy["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "health"}
    assert {p["name"]: p["containerPort"] for p in envoy["ports"]}["health"] == 8081
