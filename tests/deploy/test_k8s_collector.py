"""The OpenTelemetry Collector of the Kubernetes base and overlays: its config agrees with its Deployment and Service,
every process and Envoy send to it, dev prints, prod forwards to the overlay's OTLP backend."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.deploy.k8s_render import OVERLAYS, by_kind, config_map, rendered
from tests.deploy.test_k8s_manifests import ROOT, pod_spec

Doc = dict[str, Any]
BASE_CONFIG = ROOT / "deploy" / "k8s" / "base" / "otel-collector" / "config.yaml"


def collector_config(overlay: str) -> Doc:
    config: Doc = yaml.safe_load(config_map(rendered(overlay), "otel-collector-config")["data"]["config.yaml"])
    return config


def _port(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_every_pipeline_uses_defined_components(overlay: str) -> None:
    config = collector_config(overlay)
    service = config["service"]
    assert set(service["extensions"]) <= set(config["extensions"])
    assert set(service["pipelines"]) == {"traces", "metrics", "logs"}
    for name, pipeline in service["pipelines"].items():
        for part in ("receivers", "processors", "exporters"):
            assert pipeline[part], f"{name}: no {part}"
            assert set(pipeline[part]) <= set(config[part]), f"{name}: undefined {part}"
        assert pipeline["processors"][0] == "memory_limiter", "memory_limiter must come first"


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_config_ports_are_the_deployments_and_services(overlay: str) -> None:
    docs = rendered(overlay)
    config = collector_config(overlay)
    deployment = by_kind(docs, "Deployment")["otel-collector"]
    (container,) = pod_spec(deployment)["containers"]
    container_ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    service_ports = {p["name"]: p["port"] for p in by_kind(docs, "Service")["otel-collector"]["spec"]["ports"]}
    protocols = config["receivers"]["otlp"]["protocols"]
    assert _port(protocols["grpc"]["endpoint"]) == container_ports["otlp-grpc"] == service_ports["otlp-grpc"] == 4317
    assert _port(protocols["http"]["endpoint"]) == container_ports["otlp-http"] == service_ports["otlp-http"] == 4318
    prometheus = _port(config["exporters"]["prometheus"]["endpoint"])
    assert prometheus == container_ports["prometheus"] == service_ports["prometheus"]
    assert _port(config["extensions"]["health_check"]["endpoint"]) == container_ports["health"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["port"] == "health"
    mount = next(m for m in container["volumeMounts"] if m["name"] == "config")
    assert container["args"] == [f"--config={mount['mountPath']}/config.yaml"]
    volume = next(v for v in pod_spec(deployment)["volumes"] if v["name"] == "config")
    assert volume["configMap"]["name"] == config_map(docs, "otel-collector-config")["metadata"]["name"]


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_processes_and_envoy_send_to_the_collector(overlay: str) -> None:
    docs = rendered(overlay)
    settings = by_kind(docs, "ConfigMap")["cveval-config"]["data"]
    assert settings["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4317"
    envoy = yaml.safe_load((ROOT / "deploy" / "envoy" / "envoy.yaml").read_text())
    cluster = next(c for c in envoy["static_resources"]["clusters"] if c["name"] == "otel_collector")
    address = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["socket_address"]
    service = by_kind(docs, "Service")["otel-collector"]
    assert address["address"] == service["metadata"]["name"]
    assert address["port_value"] in {p["port"] for p in service["spec"]["ports"]}


def test_dev_prints_what_arrives() -> None:
    config = collector_config("dev")
    assert config == yaml.safe_load(BASE_CONFIG.read_text()), "dev runs the base's collector config"
    assert config["service"]["pipelines"]["traces"]["exporters"] == ["debug"]
    assert "prometheus" in config["service"]["pipelines"]["metrics"]["exporters"]


def test_prod_forwards_everything_to_the_overlays_backend() -> None:
    config = collector_config("prod")
    assert "debug" not in config["exporters"], "prod prints nothing per span"
    backend = config["exporters"]["otlp/backend"]
    assert backend["endpoint"] == "${env:OTLP_BACKEND_ENDPOINT}"
    for pipeline in config["service"]["pipelines"].values():
        assert "otlp/backend" in pipeline["exporters"]
    env = config_map(rendered("prod"), "otel-collector-env")["data"]
    assert env["OTLP_BACKEND_ENDPOINT"], "the overlay names its backend"
    (container,) = pod_spec(by_kind(rendered("prod"), "Deployment")["otel-collector"])["containers"]
    refs = {source["configMapRef"]["name"] for source in container["envFrom"]}
    assert config_map(rendered("prod"), "otel-collector-env")["metadata"]["name"] in refs
