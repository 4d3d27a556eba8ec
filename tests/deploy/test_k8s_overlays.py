"""The dev and prod overlays (deploy/k8s/overlays): rendered with kubectl's kustomize, every object valid (core kinds
against the Kubernetes schemas, KEDA and prometheus-operator resources against deploy/k8s/crd-schemas), then what
each overlay promises: dev small, prod replicated, autoscaled, disruption-budgeted, spread, scraped."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml

from cveval_kit.settings import Settings
from tests.deploy.k8s_render import (
    OVERLAYS,
    by_kind,
    crd_validators,
    matches,
    pod_labels,
    rendered,
    validation_errors,
)
from tests.deploy.test_k8s_manifests import ROOT, all_containers, pod_spec

Doc = dict[str, Any]
HPA_TARGETS = {"upload", "job", "result", "ai-gateway", "auth", "envoy"}
SINGLE_REPLICA = {"redis"}  # two Redis pods would be two separate sets of rate-limit counters
NAMESPACES = {"dev": "cveval-dev", "prod": "cveval"}


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_every_object_is_valid(overlay: str) -> None:
    failures = [error for doc in rendered(overlay) for error in validation_errors(doc)]
    assert not failures, "\n".join(failures)


def test_the_vendored_schemas_cover_every_custom_resource_and_refuse_mistakes() -> None:
    custom = {(d["apiVersion"], d["kind"]) for d in rendered("prod") if "/" in d["apiVersion"]
              and d["apiVersion"].split("/")[0].endswith((".sh", ".coreos.com"))}
    assert custom == set(crd_validators())
    scaled = copy.deepcopy(by_kind(rendered("prod"), "ScaledObject")["worker"])
    scaled["spec"]["minReplicas"] = 2  # HPA's spelling, not KEDA's minReplicaCount
    assert validation_errors(scaled)
    monitor = copy.deepcopy(by_kind(rendered("prod"), "PodMonitor")["envoy"])
    del monitor["spec"]["selector"]
    assert validation_errors(monitor)


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_everything_is_in_the_overlays_namespace(overlay: str) -> None:
    namespace = NAMESPACES[overlay]
    assert set(by_kind(rendered(overlay), "Namespace")) == {namespace}
    for doc in rendered(overlay):
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == namespace, f"{doc['kind']}/{doc['metadata']['name']}"


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_pods_meet_the_restricted_pod_security_standard(overlay: str) -> None:
    docs = rendered(overlay)
    for workload in [*by_kind(docs, "Deployment").values(), *by_kind(docs, "StatefulSet").values()]:
        spec = pod_spec(workload)
        assert not {"hostNetwork", "hostPID", "hostIPC"} & set(spec), workload["metadata"]["name"]
        assert not [v for v in spec.get("volumes", []) if "hostPath" in v]
        assert spec["securityContext"]["runAsNonRoot"] is True
        for container in all_containers(workload):
            where = f"{workload['metadata']['name']}/{container['name']}"
            context = container["securityContext"]
            seccomp = context.get("seccompProfile", spec["securityContext"].get("seccompProfile", {}))
            assert seccomp.get("type") == "RuntimeDefault", where
            assert context["allowPrivilegeEscalation"] is False and context["capabilities"]["drop"] == ["ALL"], where
            assert not context.get("privileged"), where


def test_dev_is_small() -> None:
    docs = rendered("dev")
    for name, deployment in by_kind(docs, "Deployment").items():
        assert deployment["spec"]["replicas"] == 1, name
        requests = pod_spec(deployment)["containers"][0]["resources"]["requests"]
        assert requests == {"cpu": "10m", "memory": "64Mi"}, name
    assert not {d["kind"] for d in docs} & {"HorizontalPodAutoscaler", "PodDisruptionBudget", "ScaledObject"}
    assert not {d["kind"] for d in docs} & {"ServiceMonitor", "PodMonitor"}, "dev needs no prometheus-operator"


def test_prod_replicas() -> None:
    for name, deployment in by_kind(rendered("prod"), "Deployment").items():
        if name in SINGLE_REPLICA:
            assert deployment["spec"]["replicas"] == 1
        else:
            assert deployment["spec"]["replicas"] >= 2, name


def test_prod_hpas_scale_the_serving_deployments_on_cpu() -> None:
    docs = rendered("prod")
    deployments = by_kind(docs, "Deployment")
    hpas = by_kind(docs, "HorizontalPodAutoscaler")
    targets = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in hpas.values()}
    assert targets == HPA_TARGETS, "the worker scales with KEDA; one HPA per serving Deployment"
    for hpa in hpas.values():
        assert hpa["apiVersion"] == "autoscaling/v2"
        ref = hpa["spec"]["scaleTargetRef"]
        assert (ref["apiVersion"], ref["kind"]) == ("apps/v1", "Deployment")
        assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
        ((metric),) = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu" and metric["resource"]["target"]["type"] == "Utilization"
        # Utilisation is a share of the request: every container of the target needs a CPU request.
        for container in pod_spec(deployments[ref["name"]])["containers"]:
            assert "cpu" in container["resources"]["requests"], ref["name"]


def test_keda_scales_the_worker_on_the_jetstream_consumer_backlog() -> None:
    docs = rendered("prod")
    settings = Settings()
    scaled = by_kind(docs, "ScaledObject")["worker"]
    spec = scaled["spec"]
    assert spec["scaleTargetRef"]["name"] == "worker" and "worker" in by_kind(docs, "Deployment")
    assert 2 <= spec["minReplicaCount"] < spec["maxReplicaCount"]
    ((trigger),) = spec["triggers"]
    assert trigger["type"] == "nats-jetstream"
    meta = trigger["metadata"]
    # The names the worker really uses (libs/cveval_kit/settings.py).
    assert (meta["stream"], meta["consumer"]) == (settings.jobs_stream, settings.worker_durable)
    # nats.conf defines users, not accounts: everything lives in NATS's global account.
    assert meta["account"] == "$G" and "accounts" not in (ROOT / "deploy" / "nats" / "nats.conf").read_text()
    host, port = meta["natsServerMonitoringEndpoint"].split(":")
    assert host == f"nats.{scaled['metadata']['namespace']}.svc.cluster.local", "the endpoint names the namespace"
    nats = by_kind(docs, "Service")["nats"]
    assert int(port) in {p["port"] for p in nats["spec"]["ports"] if p["name"] == "monitor"}
    assert int(meta["lagThreshold"]) > 0
    # KEDA's operator may reach that port, and only that one.
    policy = by_kind(docs, "NetworkPolicy")["nats-monitoring-from-keda"]
    ((rule),) = policy["spec"]["ingress"]
    assert [p["port"] for p in rule["ports"]] == [int(port)]
    assert rule["from"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "keda"}


def test_prod_disruption_budgets_cover_every_replicated_deployment() -> None:
    docs = rendered("prod")
    budgets = by_kind(docs, "PodDisruptionBudget").values()
    for name, deployment in by_kind(docs, "Deployment").items():
        covering = [b for b in budgets if matches(b["spec"]["selector"], pod_labels(deployment))]
        if name in SINGLE_REPLICA:
            assert not covering, f"a budget on the single {name} pod would block every drain"
            continue
        assert len(covering) == 1, name
        assert covering[0]["spec"]["maxUnavailable"] == 1


def test_prod_spreads_replicas_over_zones_and_nodes() -> None:
    for name, deployment in by_kind(rendered("prod"), "Deployment").items():
        if name in SINGLE_REPLICA:
            continue
        constraints = pod_spec(deployment)["topologySpreadConstraints"]
        keys = {c["topologyKey"] for c in constraints}
        assert keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}, name
        for constraint in constraints:
            assert matches(constraint["labelSelector"], pod_labels(deployment)), name


def _quantity(value: str) -> float:
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(value))
    assert match is not None, f"not a quantity: {value!r}"
    return float(match.group(1)) * units.get(match.group(2), 1)


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_requests_never_exceed_limits(overlay: str) -> None:
    for workload in by_kind(rendered(overlay), "Deployment").values():
        for container in all_containers(workload):
            resources = container["resources"]
            for resource in ("cpu", "memory"):
                where = f"{workload['metadata']['name']}/{container['name']} {resource}"
                assert _quantity(resources["requests"][resource]) <= _quantity(resources["limits"][resource]), where


def test_prod_scrapes_every_metrics_endpoint() -> None:
    docs = rendered("prod")
    services = by_kind(docs, "Service")
    service_monitors = by_kind(docs, "ServiceMonitor").values()
    for name, service in services.items():
        ports = {p["name"] for p in service["spec"]["ports"]}
        if not ports & {"metrics", "prometheus"}:
            continue
        scraping = [m for m in service_monitors if matches(m["spec"]["selector"], service["metadata"]["labels"])]
        assert len(scraping) == 1, f"Service {name} is scraped by {len(scraping)} ServiceMonitors"
        assert {e["port"] for e in scraping[0]["spec"]["endpoints"]} <= ports, name
    deployments = by_kind(docs, "Deployment")
    pod_monitors = by_kind(docs, "PodMonitor")
    for name in ("worker", "envoy"):
        (endpoint,) = pod_monitors[name]["spec"]["podMetricsEndpoints"]
        assert matches(pod_monitors[name]["spec"]["selector"], pod_labels(deployments[name]))
        container_ports = {p["name"] for p in pod_spec(deployments[name])["containers"][0]["ports"]}
        assert endpoint["port"] in container_ports, name
    # Envoy: the health listener serves /stats/prometheus (deploy/envoy/envoy.yaml), the admin port is not scraped.
    (envoy_endpoint,) = pod_monitors["envoy"]["spec"]["podMetricsEndpoints"]
    assert (envoy_endpoint["port"], envoy_endpoint["path"]) == ("health", "/stats/prometheus")
    envoy_config = yaml.safe_load((ROOT / "deploy" / "envoy" / "envoy.yaml").read_text())
    health = next(x for x in envoy_config["static_resources"]["listeners"] if x["name"] == "health")
    routes = health["filter_chains"][0]["filters"][0]["typed_config"]["route_config"]["virtual_hosts"][0]["routes"]
    assert next(
        r["route"] for r in routes if r["match"].get("path") == "/stats/prometheus"
    ) == {"cluster": "envoy_admin", "timeout": "5s"}
