"""The REST benchmark's figures, its verdicts against the original system's KPIs, and its table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from bench._rest_flow import Endpoint, FlowRecord
from bench._rest_metrics import JOB_PROCESSING, QUEUE_LATENCY

# The original's KPIs (seed/PERFORMANCE_TUNING.md, "Key Performance Indicators").
RESPONSE_P95_MS = 100.0
THROUGHPUT_RPS = 100.0
JOB_MEAN_S = 30.0
QUEUE_MEAN_S = 1.0
# A backlog: flows of the last third of the arrivals took this much longer than those of the first third.
GROWTH_RATIO = 1.5
GROWTH_MIN_S = 2.0


def pct(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else None


def endpoint_summary(endpoint: Endpoint, window_s: float) -> dict[str, Any]:
    lat = endpoint.latencies_ms
    return {"requests": endpoint.requests, "ok": len(lat), "errors": dict(endpoint.errors),
            "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95), "p99_ms": pct(lat, 99), "max_ms": pct(lat, 100),
            "req_per_s": endpoint.requests / window_s if window_s > 0 else None}


def jobs_summary(records: list[FlowRecord]) -> dict[str, Any]:
    done = [r.completion_s for r in records if r.outcome == "completed" and r.completion_s is not None]
    thirds = max(1, len(records) // 3)
    first = [r.completion_s for r in records[:thirds] if r.outcome == "completed" and r.completion_s is not None]
    last = [r.completion_s for r in records[-thirds:] if r.outcome == "completed" and r.completion_s is not None]
    first_p50, last_p50 = pct(first, 50), pct(last, 50)
    outcomes = Counter(r.outcome for r in records)
    unfinished = outcomes["timed_out"] + outcomes["cut"]
    growing = unfinished > 0 or (first_p50 is not None and last_p50 is not None
                                 and last_p50 > GROWTH_RATIO * first_p50 and last_p50 - first_p50 > GROWTH_MIN_S)
    late = [r.late_ms for r in records]
    return {
        "flows": len(records),
        "outcomes": dict(outcomes),
        "error_codes": dict(Counter(r.error_code for r in records if r.outcome == "failed")),
        "completion_s": {"mean": float(np.mean(done)) if done else None, "p50": pct(done, 50),
                         "p95": pct(done, 95), "p99": pct(done, 99), "max": pct(done, 100)},
        "trend": {"first_third_p50_s": first_p50, "last_third_p50_s": last_p50, "backlog_growing": growing},
        "polls_per_flow": float(np.mean([r.polls for r in records])) if records else None,
        "arrival_late_ms": {"p95": pct(late, 95), "max": pct(late, 100)},
    }


def _verdict(name: str, figure: str, goal: str, ok: bool | None, note: str = "") -> dict[str, Any]:
    status = "n/a" if ok is None else ("PASS" if ok else "FAIL")
    return {"target": name, "figure": figure, "goal": goal, "status": status, "note": note}


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _s(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    verdicts: list[dict[str, Any]] = []
    for name, row in result["endpoints"].items():
        label = "watch, to first update" if name == "watch" else name
        p95 = row["p95_ms"]
        verdicts.append(_verdict(f"response time p95: {label}", f"{_ms(p95)} ms", f"< {RESPONSE_P95_MS:g} ms",
                                 None if p95 is None else p95 < RESPONSE_P95_MS))
    overall = result["overall"]
    rps, jobs = overall["req_per_s"], result["jobs"]
    kept_up = not jobs["trend"]["backlog_growing"] and overall["error_rate"] < 0.01
    if rps is not None and rps >= THROUGHPUT_RPS:
        ok: bool | None = kept_up
        note = "" if kept_up else "reached, but with errors or a growing backlog"
    elif kept_up:
        ok, note = None, "open loop: the arrival rate asked for less, and all of it was served"
    else:
        ok, note = False, "the system fell behind before reaching it"
    verdicts.append(_verdict("throughput, all endpoints", f"{_s(rps, 1)} req/s", f"> {THROUGHPUT_RPS:g} req/s",
                             ok, note))
    processing = result["worker_metrics"].get(JOB_PROCESSING, {})
    mean = processing.get("mean_s")
    verdicts.append(_verdict("job processing, mean (worker histogram)", f"{_s(mean)} s", f"< {JOB_MEAN_S:g} s",
                             None if mean is None else mean < JOB_MEAN_S))
    queue = result["worker_metrics"].get(QUEUE_LATENCY, {})
    qmean = queue.get("mean_s")
    verdicts.append(_verdict("queue latency, mean (worker histogram)", f"{_s(qmean, 3)} s", f"< {QUEUE_MEAN_S:g} s",
                             None if qmean is None else qmean < QUEUE_MEAN_S,
                             f"approx. p95 {_s(queue.get('p95_s'), 3)} s"))
    return verdicts


def table(result: dict[str, Any]) -> str:
    window = result["load"]["window_s"]
    head = (f"{'endpoint':9} {'requests':>8} {'ok':>7} {'errors':>16} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
            f"{'max ms':>8} {'req/s':>7}")
    lines = ["", f"REST endpoints over the load window ({window:.1f} s, first arrival to last flow's end)",
             head, "-" * len(head)]
    for name, r in result["endpoints"].items():
        errors = ", ".join(f"{k}:{v}" for k, v in sorted(r["errors"].items())) or "-"
        lines.append(f"{name:9} {r['requests']:>8} {r['ok']:>7} {errors:>16} {_ms(r['p50_ms']):>8} "
                     f"{_ms(r['p95_ms']):>8} {_ms(r['p99_ms']):>8} {_ms(r['max_ms']):>8} {_s(r['req_per_s'], 1):>7}")
    overall = result["overall"]
    lines.append(f"{'all':9} {overall['requests']:>8} {'':>7} {overall['error_rate'] * 100:>15.2f}% "
                 f"{'':>8} {'':>8} {'':>8} {'':>8} {_s(overall['req_per_s'], 1):>7}")
    if "watch" in result["endpoints"]:
        lines.append("watch latency: time to the response headers (the first status update), not to the job's end")
    jobs = result["jobs"]
    c = jobs["completion_s"]
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(jobs["outcomes"].items()))
    trend = jobs["trend"]
    lines += ["", f"Jobs: {jobs['flows']} flows started ({outcomes})",
              f"  completion (evaluate sent -> completed seen by the client): mean {_s(c['mean'])} s, "
              f"p50 {_s(c['p50'])} s, p95 {_s(c['p95'])} s, p99 {_s(c['p99'])} s, max {_s(c['max'])} s",
              f"  trend: p50 {_s(trend['first_third_p50_s'])} s for the first third of the arrivals, "
              f"{_s(trend['last_third_p50_s'])} s for the last third -> "
              f"{'BACKLOG GROWING: above the sustainable rate' if trend['backlog_growing'] else 'kept up'}"]
    if jobs["error_codes"]:
        lines.append(f"  failed jobs by error code: {jobs['error_codes']}")
    lines += ["", "Workers' Prometheus histograms (this load only; p95/p99 interpolated within buckets)"]
    for metric, h in result["worker_metrics"].items():
        split = ", ".join(f"{k} {v:.0f}" for k, v in sorted(h["per_worker_count"].items()))
        by = f"; by status {({k: int(v) for k, v in h['by_label'].items()})}" if h["by_label"] else ""
        bucket = h["p95_bucket_s"]
        within = "" if bucket is None else f", bucket {bucket[0]:g}-{bucket[1]:g}"
        lines.append(f"  {metric}: n {h['count']:.0f}, mean {_s(h['mean_s'], 3)} s, p50 ~{_s(h['p50_s'], 3)} s, "
                     f"p95 ~{_s(h['p95_s'], 3)} s{within} ({split}{by})")
    cpu = result["cpu"]
    groups = ", ".join(f"{k} {v:.2f}" for k, v in sorted(cpu["cores_used"].items(), key=lambda kv: -kv[1]))
    busy, mem = cpu["machine_busy"], cpu["memory_used"]
    lines += ["", f"CPU over the window, in cores ({cpu['cpus']} CPUs): mesh {cpu['mesh_cores']:.2f}; {groups}",
              f"  machine busy {'-' if busy is None else f'{busy * 100:.0f}%'} (original's target < 70%), "
              f"memory used {'-' if mem is None else f'{mem * 100:.0f}%'} (target < 80%)"]
    other = cpu["other_cores"]
    if other is not None and other >= 0.1:
        lines.append(f"  OTHER LOAD on the machine during the run: {other:.2f} cores not used by this benchmark "
                     "(the figures are skewed by it)")
    lag, late = result["load"]["loop_lag_ms"], jobs["arrival_late_ms"]
    lines.append(f"  load generator: event-loop lag p95 {_ms(lag['p95'])} ms, max {_ms(lag['max'])} ms; "
                 f"arrivals late p95 {_ms(late['p95'])} ms, max {_ms(late['max'])} ms")
    if result["dead_processes"]:
        lines.append(f"  PROCESSES THAT EXITED DURING THE RUN: {', '.join(result['dead_processes'])}")
    lines += ["", f"{'Original KPI':42} {'figure':>14}  {'goal':>12}  status"]
    for t in result["targets"]:
        note = f"  ({t['note']})" if t["note"] else ""
        lines.append(f"{t['target']:42} {t['figure']:>14}  {t['goal']:>12}  {t['status']}{note}")
    env = result["environment"]
    phases = ", ".join(f"{p['rate']:g}/s for {p['seconds']:g} s" for p in env["phases"])
    lines += ["", f"{phases}; {env['workers']} workers; follow by {env['follow']}; "
              f"{'same' if env['same_docs'] else 'distinct'} documents; {result['duration_s']:.0f} s in all "
              f"(stack start {env['stack_start_s']} s); {env['cpus']} CPUs shared by the mesh and the load generator."]
    return "\n".join(lines)
