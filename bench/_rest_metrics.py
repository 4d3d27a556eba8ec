"""What the mesh says about itself: the workers' Prometheus histograms, and the CPU its processes used.

Histograms are read before and after the load and subtracted, so the warm-up flow does not count. Quantiles are
estimated from the buckets as PromQL's histogram_quantile does: linear within the bucket the rank falls in.
"""

from __future__ import annotations

import math
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from cveval_devstack.stack import Stack

QUEUE_LATENCY = "cveval_queue_latency_seconds"
JOB_PROCESSING = "cveval_job_processing_duration_seconds"
HISTOGRAMS = (QUEUE_LATENCY, JOB_PROCESSING)
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass
class Histogram:
    buckets: dict[float, float] = field(default_factory=dict)  # upper bound -> cumulative count
    total: float = 0.0
    count: float = 0.0
    by_label: dict[str, float] = field(default_factory=dict)  # e.g. job_processing by status

    def add(self, other: Histogram, sign: float = 1.0) -> None:
        for bound, value in other.buckets.items():
            self.buckets[bound] = self.buckets.get(bound, 0.0) + sign * value
        self.total += sign * other.total
        self.count += sign * other.count
        for label, value in other.by_label.items():
            self.by_label[label] = self.by_label.get(label, 0.0) + sign * value

    def mean(self) -> float | None:
        return self.total / self.count if self.count > 0 else None

    def quantile(self, q: float) -> float | None:
        """Approximate quantile; the largest finite bound when the rank falls in the +Inf bucket."""
        if self.count <= 0:
            return None
        rank = q * self.count
        lower, below = 0.0, 0.0
        finite = [b for b in sorted(self.buckets) if not math.isinf(b)]
        for bound in sorted(self.buckets):
            cumulative = self.buckets[bound]
            if cumulative >= rank:
                if math.isinf(bound):
                    return finite[-1] if finite else None
                inside = cumulative - below
                return lower + (bound - lower) * ((rank - below) / inside if inside > 0 else 1.0)
            lower, below = bound, cumulative
        return finite[-1] if finite else None

    def bucket(self, q: float) -> tuple[float, float] | None:
        """The bucket bounds the q-quantile falls between: all the histogram really knows about it."""
        if self.count <= 0:
            return None
        lower = 0.0
        for bound in sorted(self.buckets):
            if self.buckets[bound] >= q * self.count:
                return lower, bound
            lower = bound
        return None

    def summary(self) -> dict[str, Any]:
        return {"count": self.count, "mean_s": self.mean(), "p50_s": self.quantile(0.5), "p95_s": self.quantile(0.95),
                "p99_s": self.quantile(0.99), "p95_bucket_s": self.bucket(0.95), "sum_s": self.total,
                "by_label": dict(self.by_label),
                "buckets": {("+Inf" if math.isinf(b) else f"{b:g}"): v for b, v in sorted(self.buckets.items())}}


def parse(text: str) -> dict[str, Histogram]:
    """The histograms named in HISTOGRAMS, summed over their label sets (job_processing split by `status`)."""
    found: dict[str, Histogram] = {name: Histogram() for name in HISTOGRAMS}
    for family in text_string_to_metric_families(text):
        if family.name not in found:
            continue
        hist = found[family.name]
        for sample in family.samples:
            if sample.name.endswith("_bucket"):
                bound = float(sample.labels["le"])
                hist.buckets[bound] = hist.buckets.get(bound, 0.0) + sample.value
            elif sample.name.endswith("_sum"):
                hist.total += sample.value
            elif sample.name.endswith("_count"):
                hist.count += sample.value
                label = sample.labels.get("status")
                if label:
                    hist.by_label[label] = hist.by_label.get(label, 0.0) + sample.value
    return found


async def scrape_workers(client: httpx.AsyncClient, stack: Stack) -> dict[str, dict[str, Histogram]]:
    """Each worker's histograms (its metrics port is in stack.metrics_ports as worker-N); unreachable ones skipped."""
    scraped: dict[str, dict[str, Histogram]] = {}
    for name, port in sorted(stack.metrics_ports.items()):
        if not name.startswith("worker-"):
            continue
        try:
            response = await client.get(f"http://127.0.0.1:{port}/metrics", timeout=5.0)
            response.raise_for_status()
        except httpx.HTTPError:
            continue
        scraped[name] = parse(response.text)
    return scraped


def worker_delta(before: dict[str, dict[str, Histogram]], after: dict[str, dict[str, Histogram]],
                 ) -> dict[str, Any]:
    """Per histogram: the load's share (after minus before), summed over the workers, and each worker's count."""
    out: dict[str, Any] = {}
    for metric in HISTOGRAMS:
        merged = Histogram()
        per_worker: dict[str, float] = {}
        for worker, histograms in after.items():
            delta = Histogram()
            delta.add(histograms[metric])
            if worker in before:
                delta.add(before[worker][metric], -1.0)
            merged.add(delta)
            per_worker[worker] = delta.count
        out[metric] = {**merged.summary(), "per_worker_count": per_worker}
    return out


# -- CPU, from /proc (Linux; the figures are None elsewhere) -----------------------------------------------------


def _stat(pid: str) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) from /proc/PID/stat."""
    try:
        # The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS


def _process_table() -> dict[int, tuple[int, float]]:
    table: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(entry.name)
            if stat is not None:
                table[int(entry.name)] = stat
    return table


def _tree_cpu_s(pid: int, table: dict[int, tuple[int, float]]) -> float:
    """CPU seconds of a process and its live descendants (postgres backends, for instance)."""
    children: dict[int, list[int]] = {}
    for child, (parent, _) in table.items():
        children.setdefault(parent, []).append(child)
    used, todo, seen = 0.0, [pid], set[int]()
    while todo and len(seen) < len(table) + 1:
        current = todo.pop()
        if current in seen or current not in table:
            continue
        seen.add(current)
        used += table[current][1]
        todo.extend(children.get(current, []))
    return used


def _machine() -> tuple[float, float] | None:
    """(busy, total) jiffies of all CPUs from /proc/stat: busy leaves out idle and iowait."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return None
    values = [float(v) for v in first]
    return sum(values) - values[3] - values[4], sum(values)


def _memory_used() -> float | None:
    try:
        info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line)
        return 1.0 - int(info["MemAvailable"].split()[0]) / int(info["MemTotal"].split()[0])
    except (OSError, KeyError, ValueError, ZeroDivisionError):
        return None


def _roots(stack: Stack) -> dict[str, int]:
    roots = {name: proc.pid for name, proc in stack.processes.items()}
    for name, server in (("postgres", stack.postgres), ("nats", stack.nats), ("envoy", stack.envoy)):
        proc: subprocess.Popen[bytes] | None = getattr(server, "proc", None)
        if proc is not None:
            roots[name] = proc.pid
    return roots


class CpuMeter:
    """CPU seconds per mesh process group, this process (the load generator) and the whole machine, over a window.

    A process tree counts the descendants alive at both readings; one that ended in between is not counted.
    """

    def __init__(self, stack: Stack) -> None:
        self.roots = _roots(stack)
        self._start: dict[str, float] = {}
        self._machine: tuple[float, float] | None = None
        self._began = 0.0

    def _read(self) -> dict[str, float]:
        table = _process_table()
        reading = {name: _tree_cpu_s(pid, table) for name, pid in self.roots.items()}
        # This process alone: the mesh is its descendants, counted above.
        reading["load generator"] = table.get(os.getpid(), (0, 0.0))[1]
        return reading

    def start(self) -> None:
        self._start = self._read()
        self._machine = _machine()
        self._began = time.monotonic()

    def stop(self) -> dict[str, Any]:
        wall = max(time.monotonic() - self._began, 1e-9)
        end, machine = self._read(), _machine()
        cores = {name: round(max(0.0, end[name] - self._start.get(name, 0.0)) / wall, 3) for name in end}
        busy = other = None
        mesh = sum(v for k, v in cores.items() if k != "load generator")
        cpus = os.cpu_count() or 1
        if machine is not None and self._machine is not None and machine[1] > self._machine[1]:
            busy = (machine[0] - self._machine[0]) / (machine[1] - self._machine[1])
            # What the machine did beyond this benchmark's processes: other jobs skew every figure.
            other = max(0.0, busy * cpus - mesh - cores["load generator"])
        return {"wall_s": wall, "cores_used": cores, "mesh_cores": round(mesh, 3), "machine_busy": busy,
                "other_cores": other, "cpus": cpus, "memory_used": _memory_used()}
