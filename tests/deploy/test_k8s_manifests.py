"""The Kubernetes base (deploy/k8s): built with kubectl's kustomize, every object validated against the Kubernetes
OpenAPI schemas (kubernetes-validate, strict: unknown fields fail), then the deployment rules checked one by one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.deploy.k8s_render import K8S_VERSIONS, ROOT, kustomize_build, validation_errors
from tools import internal_secrets

__all__ = ["ROOT", "kustomize_build"]  # shared with the other deploy tests
BASE = ROOT / "deploy" / "k8s" / "base"
ENVOY_CONFIG = ROOT / "deploy" / "envoy" / "envoy.yaml"

DATABASE_SERVICES = frozenset({"upload", "job", "result"})
GRPC_SERVICES = {
    "upload": ("cveval_upload", "cveval-upload"),
    "job": ("cveval_job", "cveval-job"),
    "result": ("cveval_result", "cveval-result"),
    "ai-gateway": ("cveval_gateway", "cveval-ai-gateway"),
}
APP_IMAGE = "cveval:0.1.0"  # the version in pyproject.toml (tests/deploy/test_versions.py); other images there too
WORKER_HEALTHCHECK = ["python", "-m", "cveval_job.worker", "healthcheck"]
SECRETISH = re.compile(r"(API_?KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL)", re.IGNORECASE)
# Shapes of real provider keys (OpenAI / OpenRouter / Anthropic style, bearer tokens).
KEY_SHAPES = re.compile(r"\b(sk-[A-Za-z0-9_-]{16,}|sk-or-v1-[0-9a-f]{16,}|Bearer\s+[A-Za-z0-9._-]{16,})")

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def rendered() -> str:
    return kustomize_build(BASE)


@pytest.fixture(scope="module")
def docs(rendered: str) -> list[Doc]:
    loaded = [d for d in yaml.safe_load_all(rendered) if d]
    assert loaded, "kustomize produced no objects"
    return loaded


def find(docs: list[Doc], kind: str, name: str) -> Doc:
    for doc in docs:
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    raise AssertionError(f"no {kind}/{name} in the rendered base")


def workloads(docs: list[Doc]) -> Iterator[Doc]:
    yield from (d for d in docs if d["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "Job"})


def pod_spec(workload: Doc) -> Doc:
    spec: Doc = workload["spec"]["template"]["spec"]
    return spec


def all_containers(workload: Doc) -> list[Doc]:
    spec = pod_spec(workload)
    return [*spec.get("initContainers", []), *spec["containers"]]


def env_of(container: Doc) -> dict[str, Doc]:
    return {e["name"]: e for e in container.get("env", [])}


def selects(service: Doc, labels: dict[str, str]) -> bool:
    selector: dict[str, str] = service["spec"].get("selector") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def test_every_object_is_valid_kubernetes(docs: list[Doc]) -> None:
    """Against the schemas of every Kubernetes version in K8S_VERSIONS (the base has core kinds only)."""
    failures = [error for doc in docs for error in validation_errors(doc)]
    assert not failures, "\n".join(failures)


def test_strict_validation_rejects_unknown_fields(docs: list[Doc]) -> None:
    broken = yaml.safe_load(yaml.safe_dump(find(docs, "Deployment", "upload")))
    broken["spec"]["template"]["spec"]["containers"][0]["resource"] = {}  # typo of `resources`
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSIONS[-1], strict=True)


def test_secret_example_is_valid_but_not_applied(docs: list[Doc]) -> None:
    example = yaml.safe_load((BASE / "secret.example.yaml").read_text())
    kubernetes_validate.validate(example, K8S_VERSIONS[-1], strict=True)
    assert example["metadata"]["name"] == "cveval-llm"
    assert set(example["stringData"]) == {"CVEVAL_LLM_API_KEY"}
    assert not KEY_SHAPES.search(example["stringData"]["CVEVAL_LLM_API_KEY"])
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    assert "secret.example.yaml" not in kustomization["resources"]
    assert not [d for d in docs if d["kind"] == "Secret"], "the base must not ship a Secret"


def test_the_expected_objects_are_there(docs: list[Doc]) -> None:
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    for name in [*GRPC_SERVICES, "worker", "envoy"]:
        assert ("Deployment", name) in kinds
    for name in [*GRPC_SERVICES, "envoy", "postgres", "nats"]:
        assert ("Service", name) in kinds
    assert {("StatefulSet", "postgres"), ("StatefulSet", "nats"), ("ConfigMap", "cveval-config")} <= kinds
    assert any(k == "ConfigMap" and n.startswith("envoy-config-") for k, n in kinds), "envoy-config is generated"


def test_base_is_namespace_agnostic_and_labelled(docs: list[Doc]) -> None:
    for doc in docs:
        assert "namespace" not in doc["metadata"], f"{doc['kind']}/{doc['metadata']['name']} pins a namespace"
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "cveval"
    for workload in workloads(docs):
        assert workload["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/part-of"] == "cveval"
        # Selectors are immutable: the common label must stay out of them.
        assert "app.kubernetes.io/part-of" not in workload["spec"]["selector"]["matchLabels"]


def test_every_container_has_requests_and_limits(docs: list[Doc]) -> None:
    for workload in workloads(docs):
        for container in all_containers(workload):
            where = f"{workload['metadata']['name']}/{container['name']}"
            resources = container.get("resources", {})
            for part in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(part, {})), f"{where}: {part} need cpu and memory"


def test_every_main_container_has_probes(docs: list[Doc]) -> None:
    for workload in workloads(docs):
        for container in pod_spec(workload)["containers"]:
            where = f"{workload['metadata']['name']}/{container['name']}"
            assert "readinessProbe" in container, f"{where}: no readinessProbe"
            assert "livenessProbe" in container, f"{where}: no livenessProbe"


def test_containers_are_locked_down(docs: list[Doc]) -> None:
    for workload in workloads(docs):
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True, workload["metadata"]["name"]
        assert spec.get("automountServiceAccountToken") is False, workload["metadata"]["name"]
        for container in all_containers(workload):
            where = f"{workload['metadata']['name']}/{container['name']}"
            ctx = container.get("securityContext", {})
            assert ctx.get("allowPrivilegeEscalation") is False, where
            assert ctx.get("readOnlyRootFilesystem") is True, where
            assert ctx.get("capabilities", {}).get("drop") == ["ALL"], where
            assert ctx.get("runAsUser", spec["securityContext"].get("runAsUser", 0)) != 0, where


def test_images(docs: list[Doc]) -> None:
    for workload in workloads(docs):
        for container in all_containers(workload):
            image = container["image"]
            if image.split(":")[0] == "cveval":
                assert image == APP_IMAGE
                assert container.get("imagePullPolicy") == "IfNotPresent", "a locally loaded image must not be pulled"
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    assert {"name": "cveval", "newName": "cveval", "newTag": APP_IMAGE.split(":")[1]} in kustomization["images"]


@pytest.mark.parametrize("name", sorted(GRPC_SERVICES))
def test_grpc_service_deployment(docs: list[Doc], name: str) -> None:
    module, otel_name = GRPC_SERVICES[name]
    deployment = find(docs, "Deployment", name)
    spec = pod_spec(deployment)
    (main,) = spec["containers"]
    assert main["args"] == [module, "serve"]
    assert {(p["name"], p["containerPort"]) for p in main["ports"]} == {("grpc", 50051), ("metrics", 9464)}
    for probe in ("startupProbe", "livenessProbe"):
        assert main[probe]["grpc"] == {"port": 50051}, f"{name}: {probe} must be a gRPC health probe"
    # Readiness follows the database where there is one (cveval_kit.readiness); liveness never does.
    readiness = {"port": 50051, "service": "readiness"} if name in DATABASE_SERVICES else {"port": 50051}
    assert main["readinessProbe"]["grpc"] == readiness, f"{name}: readinessProbe must ask for {readiness}"
    assert env_of(main)["OTEL_SERVICE_NAME"]["value"] == otel_name
    assert {"configMapRef": {"name": "cveval-config"}} in main["envFrom"]

    (migrate,) = spec["initContainers"]
    assert migrate["args"] == [module, "migrate"]
    assert migrate["image"] == main["image"]
    assert {"configMapRef": {"name": "cveval-config"}} in migrate["envFrom"]


@pytest.mark.parametrize("name", sorted(GRPC_SERVICES))
def test_grpc_deployment_has_matching_service(docs: list[Doc], name: str) -> None:
    deployment = find(docs, "Deployment", name)
    service = find(docs, "Service", name)
    assert selects(service, deployment["spec"]["template"]["metadata"]["labels"])
    ports = {p["name"]: p for p in service["spec"]["ports"]}
    assert ports["grpc"]["port"] == 50051 and ports["grpc"]["targetPort"] in ("grpc", 50051)
    assert ports["metrics"]["port"] == 9464
    container_ports = {p["name"] for p in pod_spec(deployment)["containers"][0]["ports"]}
    assert {p["targetPort"] for p in ports.values()} <= container_ports


def test_worker(docs: list[Doc]) -> None:
    worker = find(docs, "Deployment", "worker")
    assert worker["spec"]["replicas"] == 2
    spec = pod_spec(worker)
    (main,) = spec["containers"]
    assert main["args"] == ["cveval_job.worker"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert main[probe]["exec"]["command"] == WORKER_HEALTHCHECK
    assert env_of(main)["OTEL_SERVICE_NAME"]["value"] == "cveval-worker"
    assert [c["args"] for c in spec["initContainers"]] == [["cveval_job", "migrate"]]
    labels = worker["spec"]["template"]["metadata"]["labels"]
    services = [d for d in docs if d["kind"] == "Service"]
    assert not [s["metadata"]["name"] for s in services if selects(s, labels)], "the worker must have no Service"
    assert not [s for s in services if s["metadata"]["name"] == "worker"]


def test_only_the_gateway_gets_the_llm_key_and_only_from_the_secret(docs: list[Doc]) -> None:
    holders = []
    for workload in workloads(docs):
        for container in all_containers(workload):
            entry = env_of(container).get("CVEVAL_LLM_API_KEY")
            if entry is None:
                continue
            holders.append(workload["metadata"]["name"])
            assert "value" not in entry
            assert entry["valueFrom"]["secretKeyRef"] == {
                "name": "cveval-llm",
                "key": "CVEVAL_LLM_API_KEY",
                "optional": True,
            }
    assert holders == ["ai-gateway"]


def test_no_literal_secrets(docs: list[Doc], rendered: str) -> None:
    assert not KEY_SHAPES.search(rendered), "something that looks like a real API key is in the manifests"
    for doc in docs:
        if doc["kind"] == "ConfigMap":
            for key, value in doc.get("data", {}).items():
                if SECRETISH.search(key) or "DATABASE_URL" in key:
                    pytest.fail(f"ConfigMap {doc['metadata']['name']} holds secret-looking key {key}={value!r}")
    for workload in workloads(docs):
        for container in all_containers(workload):
            for name, entry in env_of(container).items():
                if (SECRETISH.search(name) or "DATABASE_URL" in name) and "valueFrom" not in entry:
                    pytest.fail(f"{workload['metadata']['name']}/{container['name']}: {name} is a literal value")


def secret_refs(docs: list[Doc]) -> Iterator[tuple[str, str, Doc]]:
    """(workload, variable, secretKeyRef) of every container."""
    for workload in workloads(docs):
        for container in all_containers(workload):
            for name, entry in env_of(container).items():
                ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if ref is not None:
                    yield workload["metadata"]["name"], name, ref


def test_internal_credentials_come_from_the_generated_secret(docs: list[Doc]) -> None:
    """Only the LLM key is optional; the database URL and NATS passwords come from `cveval-internal`, whose keys
    are exactly what tools/internal_secrets.py generates."""
    generated = yaml.safe_load(internal_secrets.k8s_secret(internal_secrets.generate()))
    kubernetes_validate.validate(generated, K8S_VERSIONS[-1], strict=True)
    keys = set(generated["stringData"])
    readers: dict[str, set[str]] = {}
    for workload, variable, ref in secret_refs(docs):
        if ref["name"] == "cveval-llm":
            assert ref.get("optional") is True, "the base must apply without an LLM key"
            continue
        assert ref["name"] == internal_secrets.SECRET_NAME, f"{workload}: {variable} from unknown Secret {ref['name']}"
        assert ref["key"] in keys, f"{workload}: {variable} reads {ref['key']}, which the tool does not generate"
        readers.setdefault(ref["key"], set()).add(workload)
    assert readers["POSTGRES_PASSWORD"] == {"postgres"}
    assert readers["CVEVAL_DATABASE_URL"] == {"upload", "job", "result", "ai-gateway", "worker", "auth"}
    # The identity key reaches the auth service that signs and the services that verify; the bootstrap key only auth.
    assert readers["CVEVAL_IDENTITY_SECRET"] == {"auth", "upload", "job", "result"}
    assert readers["CVEVAL_BOOTSTRAP_API_KEY"] == {"auth"}
    # Each NATS password reaches its own process and the server, nothing else.
    for user in ("job", "worker", "result", "upload"):
        assert readers[f"NATS_{user.upper()}_PASSWORD"] == {user, "nats"}
        main = pod_spec(find(docs, "Deployment", user))["containers"][0]
        assert env_of(main)["CVEVAL_NATS_USER"]["value"] == user
    url = generated["stringData"]["CVEVAL_DATABASE_URL"]
    assert url.startswith("postgresql+asyncpg://cveval:") and url.endswith("@postgres:5432/cveval")


def test_config_map_settings(docs: list[Doc]) -> None:
    data = find(docs, "ConfigMap", "cveval-config")["data"]
    assert data["CVEVAL_NATS_URL"] == "nats://nats:4222"
    assert data["CVEVAL_GRPC_HOST"] == "0.0.0.0"
    assert data["CVEVAL_GRPC_PORT"] == "50051"
    assert data["CVEVAL_METRICS_PORT"] == "9464"
    assert data["CVEVAL_UPLOAD_ADDR"] == "upload:50051"
    assert data["CVEVAL_JOB_ADDR"] == "job:50051"
    assert data["CVEVAL_RESULT_ADDR"] == "result:50051"
    assert data["CVEVAL_GATEWAY_ADDR"] == "ai-gateway:50051"
    expected = {"CVEVAL_LLM_BASE_URL", "CVEVAL_LLM_CHAT_MODEL", "CVEVAL_LLM_EMBED_MODEL", "CVEVAL_WORKER_CONCURRENCY"}
    assert expected | {"CVEVAL_LOG_LEVEL", "OTEL_EXPORTER_OTLP_ENDPOINT"} <= set(data)
    # Every address in the settings is a Service of the base, on the port it names.
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    for key in ("CVEVAL_UPLOAD_ADDR", "CVEVAL_JOB_ADDR", "CVEVAL_RESULT_ADDR", "CVEVAL_GATEWAY_ADDR"):
        host, port = data[key].split(":")
        assert int(port) in {p["port"] for p in services[host]["spec"]["ports"]}, key


def test_referenced_config_maps_exist(docs: list[Doc]) -> None:
    config_maps = {d["metadata"]["name"] for d in docs if d["kind"] == "ConfigMap"}
    for workload in workloads(docs):
        spec = pod_spec(workload)
        for volume in spec.get("volumes", []):
            if "configMap" in volume:
                assert volume["configMap"]["name"] in config_maps
        for container in all_containers(workload):
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in config_maps


def test_nats_runs_jetstream_on_a_volume(docs: list[Doc]) -> None:
    nats = find(docs, "StatefulSet", "nats")
    container = pod_spec(nats)["containers"][0]
    args = container["args"]
    assert "-js" in args and args[args.index("-sd") + 1] == "/data"
    assert {"name": "data", "mountPath": "/data"} in container["volumeMounts"]
    # Users and permissions: deploy/nats/nats.conf from the generated ConfigMap, passwords from the Secret.
    assert args[args.index("-c") + 1] == "/etc/nats/nats.conf"
    config = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("nats-config"))
    assert config["data"]["nats.conf"] == (ROOT / "deploy" / "nats" / "nats.conf").read_text()
    volumes = {v["name"]: v for v in pod_spec(nats)["volumes"]}
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == "/etc/nats")
    assert volumes[mount["name"]]["configMap"]["name"] == config["metadata"]["name"]
    assert [t["metadata"]["name"] for t in nats["spec"]["volumeClaimTemplates"]] == ["data"]


def test_envoy(docs: list[Doc]) -> None:
    config_map = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("envoy-config"))
    assert config_map["data"]["envoy.yaml"] == ENVOY_CONFIG.read_text(), "the ConfigMap is deploy/envoy/envoy.yaml"

    deployment = find(docs, "Deployment", "envoy")
    spec = pod_spec(deployment)
    (envoy,) = spec["containers"]
    assert 8080 in {p["containerPort"] for p in envoy["ports"]}
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in envoy["volumeMounts"]}
    config_dir = next(path for path, name in mounts.items() if volumes[name].get("configMap"))
    assert volumes[mounts[config_dir]]["configMap"]["name"] == config_map["metadata"]["name"]
    assert envoy["args"][envoy["args"].index("-c") + 1] == f"{config_dir}/envoy.yaml"

    # The descriptor: copied from the cveval image into the emptyDir Envoy sees at /etc/envoy.
    (copier,) = spec["initContainers"]
    assert copier["image"] == APP_IMAGE
    assert copier["command"] == ["cp", "/app/build/cveval.pb", "/etc/envoy/cveval.pb"]
    assert "emptyDir" in volumes[mounts["/etc/envoy"]]
    assert {"name": mounts["/etc/envoy"], "mountPath": "/etc/envoy"} in copier["volumeMounts"]

    service = find(docs, "Service", "envoy")
    assert selects(service, deployment["spec"]["template"]["metadata"]["labels"])
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(8080, "http")]


def test_envoy_upstreams_are_services_of_the_base(docs: list[Doc]) -> None:
    config = yaml.safe_load(ENVOY_CONFIG.read_text())
    transcoder = str(config)
    assert "/etc/envoy/cveval.pb" in transcoder, "envoy.yaml expects the descriptor where the init container puts it"
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    for cluster in config["static_resources"]["clusters"]:
        if cluster["name"] in {"otel_collector", "oidc_jwks", "envoy_admin"}:
            # The operator's OpenTelemetry collector and identity provider are outside the base (see
            # deploy/k8s/README.md); envoy_admin is Envoy's own loopback admin port.
            continue
        for endpoints in cluster["load_assignment"]["endpoints"]:
            for endpoint in endpoints["lb_endpoints"]:
                address = endpoint["endpoint"]["address"]["socket_address"]
                host, port = address["address"], address["port_value"]
                assert host in services, f"envoy cluster {cluster['name']} targets {host}, which is no Service"
                assert port in {p["port"] for p in services[host]["spec"]["ports"]}
