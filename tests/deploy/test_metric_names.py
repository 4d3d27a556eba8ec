"""Metric names: the list kept in deploy/observability/metrics.txt is exactly what the code exports, every name
carries the cveval_ prefix, and metrics are declared only in metrics modules (one per service, plus the kit's)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.deploy.metric_names import REPO, declared, listed, render

PROMETHEUS_TYPES = {"Counter", "Gauge", "Histogram", "Summary", "Info", "Enum"}


def test_the_list_is_what_the_code_exports_both_ways() -> None:
    code, kept = declared(), listed()
    assert not set(code) - set(kept), f"exported but not in metrics.txt: {sorted(set(code) - set(kept))}"
    assert not set(kept) - set(code), f"in metrics.txt but not exported: {sorted(set(kept) - set(code))}"
    assert code == kept, "types or labels differ; regenerate metrics.txt:\n" + render(code)


def test_every_name_carries_the_prefix() -> None:
    assert all(name.startswith("cveval_") for name in listed())


def _declares_metrics(path: Path) -> bool:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "prometheus_client"
            and {alias.name for alias in node.names} & PROMETHEUS_TYPES
        ):
            return True
        if isinstance(node, ast.Import) and any(a.name == "prometheus_client" for a in node.names):
            return True
    return False


def test_metrics_are_declared_only_in_metrics_modules() -> None:
    sources = [*REPO.glob("libs/**/*.py"), *REPO.glob("services/**/*.py")]
    declaring = sorted(str(p.relative_to(REPO)) for p in sources if _declares_metrics(p))
    assert declaring and all(p.endswith("/metrics.py") for p in declaring), declaring
