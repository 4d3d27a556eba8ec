"""The monitoring component's PrometheusRule is the promtool-tested rules file, for clusters with the operator."""

from __future__ import annotations

import yaml

from tests.deploy.k8s_render import by_kind, rendered
from tools import prometheus_rule


def test_the_committed_copy_is_the_generated_one() -> None:
    assert prometheus_rule.TARGET.read_text() == prometheus_rule.render(), (
        "regenerate: python -m tools.prometheus_rule > deploy/k8s/components/monitoring/prometheusrule.yaml"
    )


def test_prod_ships_exactly_the_rules_file() -> None:
    rule = by_kind(rendered("prod"), "PrometheusRule")["cveval"]
    assert rule["spec"]["groups"] == yaml.safe_load(prometheus_rule.RULES.read_text())["groups"]
    alerts = [r["alert"] for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r]
    assert len(alerts) == len(set(alerts)) >= 10
