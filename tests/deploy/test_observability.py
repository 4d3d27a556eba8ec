"""deploy/observability: the Prometheus rules pass `promtool check rules` and their unit tests (`promtool test
rules`), the Grafana dashboards and provisioning files are well formed, and every metric a dashboard or rule reads
is one the code exports (deploy/observability/metrics.txt)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from tests.deploy.metric_names import REPO, listed, series_names

OBSERVABILITY = REPO / "deploy" / "observability"
PROMETHEUS = OBSERVABILITY / "prometheus"
RULES = PROMETHEUS / "cveval-rules.yml"
DASHBOARDS = sorted((OBSERVABILITY / "grafana" / "dashboards").glob("*.json"))
RECORDED = re.compile(r"\bcveval:[a-z0-9_:]+")
NO_PROMTOOL = "promtool is not installed and cannot be (`make test` installs Debian's prometheus package as root)"


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip(NO_PROMTOOL)
    return subprocess.run([promtool, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=120, check=False)


def test_promtool_accepts_the_rules_and_the_scrape_config() -> None:
    checked = _promtool("check", "rules", RULES.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    config = _promtool("check", "config", "prometheus.yml")
    assert config.returncode == 0, config.stdout + config.stderr


def test_the_alerts_fire_as_their_unit_tests_say() -> None:
    tested = _promtool("test", "rules", "cveval-rules.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def _rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _dashboard_exprs() -> dict[str, list[str]]:
    exprs: dict[str, list[str]] = {}
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        exprs[path.name] = [t["expr"] for panel in board["panels"] for t in panel.get("targets", [])]
    return exprs


def test_every_metric_a_dashboard_or_rule_reads_is_exported() -> None:
    exported = set(listed())
    sources = {f"{RULES.name}: {r.get('record') or r.get('alert')}": r["expr"] for r in _rules()}
    for board, exprs in _dashboard_exprs().items():
        sources.update({f"{board} #{i}": e for i, e in enumerate(exprs)})
    unknown = {where: sorted(series_names(expr) - exported) for where, expr in sources.items()}
    assert not {k: v for k, v in unknown.items() if v}, "metrics not in metrics.txt"
    assert all(series_names(expr) or RECORDED.search(expr) for expr in sources.values())


def test_every_recorded_series_a_dashboard_or_alert_reads_is_recorded() -> None:
    recorded = {r["record"] for r in _rules() if "record" in r}
    readers = [r["expr"] for r in _rules()] + [e for exprs in _dashboard_exprs().values() for e in exprs]
    read = {name for expr in readers for name in RECORDED.findall(expr)}
    assert read <= recorded, sorted(read - recorded)


def test_the_three_dashboards_are_provisioned_with_unique_ids() -> None:
    boards = {path.stem: json.loads(path.read_text()) for path in DASHBOARDS}
    assert set(boards) == {"evaluation-flow", "gateway", "queue"}
    assert len({b["uid"] for b in boards.values()}) == len(boards)
    for board in boards.values():
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)) and all(p["targets"] for p in board["panels"])
        assert board["templating"]["list"][0]["name"] == "datasource"
    provisioning = OBSERVABILITY / "grafana" / "provisioning"
    providers = yaml.safe_load((provisioning / "dashboards" / "cveval.yaml").read_text())["providers"]
    assert providers[0]["type"] == "file" and providers[0]["options"]["path"]
    datasources = yaml.safe_load((provisioning / "datasources" / "prometheus.yaml").read_text())["datasources"]
    assert datasources[0]["type"] == "prometheus"


def test_every_alert_has_a_severity_and_a_runbook_section() -> None:
    operations = (REPO / "docs" / "operations.md").read_text()
    for rule in _rules():
        if "alert" not in rule:
            continue
        assert rule["labels"]["severity"] in {"page", "ticket"}, rule["alert"]
        anchor = rule["annotations"]["runbook"].split("#", 1)[1]
        assert f"### {rule['alert']}" in operations and anchor == rule["alert"].lower(), rule["alert"]
