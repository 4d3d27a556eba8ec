"""The metrics every cveval process can export, read from the metrics modules themselves.

Each service declares its metrics in its own `metrics.py` and the kit the shared ones in `cveval_kit.metrics`;
importing those modules registers every metric with prometheus_client's default registry.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from prometheus_client import REGISTRY

REPO = Path(__file__).resolve().parents[2]
METRICS_LIST = REPO / "deploy" / "observability" / "metrics.txt"
SERVICE_METRICS = sorted(REPO.glob("services/*/metrics.py"))
METRICS_MODULES = ("cveval_kit.metrics", *(f"{p.parent.name}.metrics" for p in SERVICE_METRICS))
# What a histogram or summary family exports besides its name; a counter exports only `<name>_total`.
SERIES_SUFFIXES = ("_bucket", "_sum", "_count", "_created")
METRIC_NAME = re.compile(r"\bcveval_[a-z0-9_]+")


def declared() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Exported name → (type, label names) of every cveval_ metric."""
    for module in METRICS_MODULES:
        importlib.import_module(module)
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for collector in list(REGISTRY._collector_to_names):  # the registry keeps no public list of its collectors
        describe = getattr(collector, "describe", None)  # metrics have it; the process and GC collectors do not
        for family in describe() if describe else ():
            if not family.name.startswith("cveval_"):
                continue
            name = f"{family.name}_total" if family.type == "counter" else family.name
            labels = tuple(getattr(collector, "_labelnames", ()))
            found[name] = (family.type, labels)
    return found


def listed() -> dict[str, tuple[str, tuple[str, ...]]]:
    """deploy/observability/metrics.txt: `name type label,label` per line, # comments."""
    entries: dict[str, tuple[str, tuple[str, ...]]] = {}
    for line in METRICS_LIST.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, kind, *labels = line.split()
        entries[name] = (kind, tuple(labels[0].split(",")) if labels and labels[0] != "-" else ())
    return entries


def render(metrics: dict[str, tuple[str, tuple[str, ...]]]) -> str:
    return "".join(f"{name} {kind} {','.join(labels) or '-'}\n" for name, (kind, labels) in sorted(metrics.items()))


def series_names(expression: str) -> set[str]:
    """The cveval_ metric names a PromQL expression reads, histogram and summary series mapped to their family."""
    names = set()
    for name in METRIC_NAME.findall(expression):
        for suffix in SERIES_SUFFIXES:
            if name.endswith(suffix) and not name.endswith("_total"):
                name = name.removesuffix(suffix)
                break
        names.add(name)
    return names
