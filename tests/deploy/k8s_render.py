"""Rendering the Kubernetes overlays and validating every object: core kinds with kubernetes-validate, the custom
resources (KEDA, prometheus-operator) with jsonschema against the schemas vendored in deploy/k8s/crd-schemas."""

from __future__ import annotations

import copy
import functools
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

Doc = dict[str, Any]
ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
# The exact command the README uses (the base reads ../../envoy/envoy.yaml, outside its own folder).
KUSTOMIZE = ("kustomize", "--load-restrictor=LoadRestrictionsNone")
# Versions kubernetes-validate ships schemas for: 1.29 is the oldest we claim to support (gRPC probes are GA since
# 1.27), 1.32 is the kubectl this project is developed with.
K8S_VERSIONS = ("1.29.0", "1.32.0")
OVERLAYS = {"dev": K8S / "overlays" / "dev", "prod": K8S / "overlays" / "prod"}
CRD_SCHEMAS = K8S / "crd-schemas"


def kustomize_build(path: Path) -> str:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: cannot run `kubectl kustomize`")
    proc = subprocess.run([kubectl, *KUSTOMIZE, str(path)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, f"kubectl kustomize failed:\n{proc.stderr}"
    return proc.stdout


@functools.cache
def rendered(overlay: str) -> tuple[Doc, ...]:
    docs = tuple(d for d in yaml.safe_load_all(kustomize_build(OVERLAYS[overlay])) if d)
    assert docs, f"kustomize produced no objects for {overlay}"
    return docs


def strict(schema: Any) -> Any:
    """The schema with unknown fields refused wherever it lists properties (the API server's strict field
    validation; a CRD schema alone lets them through to be pruned silently)."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: strict(value) for key, value in schema.items()}
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        result["additionalProperties"] = False
    return result


@functools.cache
def crd_validators() -> dict[tuple[str, str], jsonschema.protocols.Validator]:
    """(apiVersion, kind) → validator; file names are `<group>_<version>_<kind lower-case>.yaml`."""
    validators: dict[tuple[str, str], jsonschema.protocols.Validator] = {}
    kinds = {
        "scaledobject": "ScaledObject",
        "servicemonitor": "ServiceMonitor",
        "podmonitor": "PodMonitor",
        "prometheusrule": "PrometheusRule",
    }
    for path in sorted(CRD_SCHEMAS.glob("*.yaml")):
        group, version, lower = path.stem.split("_")
        schema = strict(copy.deepcopy(yaml.safe_load(path.read_text())))
        validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
        validator_class.check_schema(schema)
        validators[(f"{group}/{version}", kinds[lower])] = validator_class(schema)
    return validators


def validation_errors(doc: Doc) -> list[str]:
    """Every schema violation of one object, for every Kubernetes version we support."""
    where = f"{doc['kind']}/{doc['metadata']['name']}"
    validator = crd_validators().get((doc["apiVersion"], doc["kind"]))
    if validator is not None:
        return [f"{where} at {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                for e in validator.iter_errors(doc)]
    errors = []
    for version in K8S_VERSIONS:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError) as exc:
            path = "/".join(str(p) for p in getattr(exc, "absolute_path", []))
            errors.append(f"{where} ({version}) at {path or '<root>'}: {exc.message}")
    return errors


def by_kind(docs: tuple[Doc, ...] | list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def config_map(docs: tuple[Doc, ...] | list[Doc], prefix: str) -> Doc:
    """A generated ConfigMap by its name before the content hash."""
    (found,) = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].rsplit("-", 1)[0] == prefix]
    return found


def pod_labels(workload: Doc) -> dict[str, str]:
    labels: dict[str, str] = workload["spec"]["template"]["metadata"]["labels"]
    return labels


def matches(selector: Doc, labels: dict[str, str]) -> bool:
    """A LabelSelector (matchLabels and In/NotIn matchExpressions) against a label set."""
    if not all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        value, values = labels.get(expression["key"]), expression.get("values", [])
        if expression["operator"] == "In" and value not in values:
            return False
        if expression["operator"] == "NotIn" and value in values:
            return False
    return bool(selector)
