"""Write deploy/observability/prometheus/cveval-rules.yml as a prometheus-operator PrometheusRule.

The rules file stays the source (promtool checks and unit-tests it); clusters running the prometheus-operator load
rules from PrometheusRule objects instead, so the monitoring component ships this copy, kept equal to the file by
tests/deploy/test_k8s_prometheus_rule.py. Regenerate after changing the rules:

    python -m tools.prometheus_rule > deploy/k8s/components/monitoring/prometheusrule.yaml
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "deploy" / "observability" / "prometheus" / "cveval-rules.yml"
TARGET = ROOT / "deploy" / "k8s" / "components" / "monitoring" / "prometheusrule.yaml"
HEADER = (
    "# Generated from deploy/observability/prometheus/cveval-rules.yml by `python -m tools.prometheus_rule`; do not\n"
    "# edit: change the rules file and regenerate (tests/deploy/test_k8s_prometheus_rule.py compares the two).\n"
)


class _BlockStyleDumper(yaml.SafeDumper):
    """Multi-line strings (the PromQL expressions) as `|` blocks, as in the rules file."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockStyleDumper.add_representer(str, _string)


def prometheus_rule() -> dict[str, Any]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "cveval", "labels": {"app.kubernetes.io/name": "cveval-rules"}},
        "spec": {"groups": groups},
    }


def render() -> str:
    return HEADER + yaml.dump(prometheus_rule(), Dumper=_BlockStyleDumper, sort_keys=False, width=120)


if __name__ == "__main__":
    sys.stdout.write(render())
