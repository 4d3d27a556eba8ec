"""The monitoring component: the PrometheusRule is the promtool-tested rules file, the dashboards the Grafana JSON."""

from __future__ import annotations

import yaml

from tests.deploy.k8s_render import by_kind, config_map, rendered
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


def test_prod_ships_the_grafana_dashboards_for_the_sidecar() -> None:
    dashboards = config_map(rendered("prod"), "cveval-grafana-dashboards")
    assert dashboards["metadata"]["labels"]["grafana_dashboard"] == "1"
    folder = prometheus_rule.ROOT / "deploy" / "observability" / "grafana" / "dashboards"
    assert dashboards["data"] == {path.name: path.read_text() for path in sorted(folder.glob("*.json"))}
