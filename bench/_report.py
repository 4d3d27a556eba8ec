"""The benchmark's verdicts and its table: figures first, the target beside each, PASS / FAIL / n/a."""

from __future__ import annotations

import sys
from typing import Any

ADDED_P50_MS = 1.0
ADDED_P99_MS = 5.0
HIT_P50_MS = 0.5
RSS_TOLERANCE = 0.10
TARGET_CONCURRENCY = 50


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def progress(row: dict[str, Any]) -> None:
    say(f"  {row['rpc']:5} {row['path']:7} {row['mode']:4} c={row['concurrency']:<3} "
        f"p50 {_ms(row['p50_ms'])} ms  p99 {_ms(row['p99_ms'])} ms  {_num(row['calls_per_s'], 0)} calls/s")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def hit_rate(row: dict[str, Any]) -> float | None:
    """Share of calls that needed no upstream request; only repeated calls ("hit" rows) can earn one."""
    per_call = row.get("upstream_per_call")
    return None if per_call is None else max(0.0, 1.0 - per_call)


def _find(rows: list[dict[str, Any]], **match: Any) -> dict[str, Any] | None:
    return next((r for r in rows if all(r.get(k) == v for k, v in match.items())), None)


def added(rows: list[dict[str, Any]], row: dict[str, Any], q: str) -> float | None:
    """Gateway percentile minus the direct call's at the same concurrency (a difference of percentiles)."""
    direct = _find(rows, rpc=row["rpc"], path="direct", concurrency=row["concurrency"])
    if direct is None or row[q] is None or direct[q] is None:
        return None
    return float(row[q] - direct[q])


def _verdict(name: str, figure: str, target: str, ok: bool | None, why: str = "") -> dict[str, Any]:
    status = "n/a" if ok is None else ("PASS" if ok else "FAIL")
    return {"target": name, "figure": figure, "goal": target, "status": status, "note": why}


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = result["rows"]
    verdicts: list[dict[str, Any]] = []
    for rpc in ("embed", "chat"):
        miss = _find(rows, rpc=rpc, path="gateway", mode="miss", concurrency=TARGET_CONCURRENCY)
        if miss is not None:
            p50, p99 = added(rows, miss, "p50_ms"), added(rows, miss, "p99_ms")
            verdicts.append(_verdict(f"{rpc}: added p50, miss, {TARGET_CONCURRENCY} callers", f"{_ms(p50)} ms",
                                     f"<= {ADDED_P50_MS:g} ms", None if p50 is None else p50 <= ADDED_P50_MS))
            verdicts.append(_verdict(f"{rpc}: added p99, miss, {TARGET_CONCURRENCY} callers", f"{_ms(p99)} ms",
                                     f"<= {ADDED_P99_MS:g} ms", None if p99 is None else p99 <= ADDED_P99_MS))
        hit = _find(rows, rpc=rpc, path="gateway", mode="hit", concurrency=1)
        if hit is not None:
            p50, rate = hit["p50_ms"], hit_rate(hit)
            served = rate is not None and rate >= 0.99
            ok = None if p50 is None else (p50 <= HIT_P50_MS and served)
            why = "" if served else f"the repeated calls were not served from a cache (hit rate {_pct(rate)})"
            verdicts.append(_verdict(f"{rpc}: cache hit p50 over gRPC, 1 caller", f"{_ms(p50)} ms",
                                     f"<= {HIT_P50_MS:g} ms", ok, why))
    memory = result["memory"]
    growth = memory["growth"]
    first, last = memory["marks"]
    rss = memory["rss_kib_at_marks"]
    figure = "-" if growth is None else f"{rss[0] / 1024:.0f} -> {rss[1] / 1024:.0f} MiB ({growth * 100:+.1f}%)"
    verdicts.append(_verdict(f"RSS flat between {first:,} and {last:,} calls", figure,
                             f"within +/-{RSS_TOLERANCE * 100:.0f}%",
                             None if growth is None else abs(growth) <= RSS_TOLERANCE,
                             "" if growth is not None else "a mark was not reached within the time bound"))
    for flight in result["single_flight"]:
        why = f"{flight['ok']} of {flight['identical_calls']} answered; errors {flight['errors']}"
        verdicts.append(_verdict(f"{flight['rpc']}: {flight['identical_calls']:,} identical concurrent calls",
                                 f"{flight['upstream_calls']} upstream", "exactly 1",
                                 flight["upstream_calls"] == 1, why))
    return verdicts


def table(result: dict[str, Any]) -> str:
    rows: list[dict[str, Any]] = result["rows"]
    head = (f"{'rpc':5} {'path':7} {'mode':4} {'conc':>4} {'calls':>6} {'err':>4} {'p50 ms':>7} {'p99 ms':>7} "
            f"{'+p50 ms':>8} {'+p99 ms':>8} {'calls/s':>8} {'up/call':>7} {'hit':>5} {'cpu ms':>6}")
    lines = ["", "Latency and cache. +p50/+p99: gateway percentile minus the direct call's at the same concurrency;",
             "up/call: upstream requests per answered call (below 1 on a miss: batching; 0 on a hit: the cache);",
             "cpu ms: gateway process CPU time per answered call.",
             head, "-" * len(head)]
    for r in rows:
        gateway = r["path"] == "gateway"
        plus50 = _ms(added(rows, r, "p50_ms")) if gateway else ""
        plus99 = _ms(added(rows, r, "p99_ms")) if gateway else ""
        errors = sum(r["errors"].values())
        calls = f"{r['ok']}{'*' if r['stopped_by_deadline'] else ''}"
        lines.append(
            f"{r['rpc']:5} {r['path']:7} {r['mode']:4} {r['concurrency']:>4} {calls:>6} {errors:>4} "
            f"{_ms(r['p50_ms']):>7} {_ms(r['p99_ms']):>7} {plus50:>8} {plus99:>8} {_num(r['calls_per_s'], 0):>8} "
            f"{_num(r['upstream_per_call'], 2):>7} {_pct(hit_rate(r)) if r['mode'] == 'hit' else '':>5} "
            f"{_ms(r['gateway_cpu_ms_per_call']) if gateway else '':>6}"
        )
    if any(r["stopped_by_deadline"] for r in rows):
        lines.append("* cut short by the time bound: fewer calls than planned")
    lines += ["", "Single flight (upstream answers in 50 ms; identical requests sent at once)"]
    for f in result["single_flight"]:
        lines.append(f"  {f['rpc']:5} {f['identical_calls']:,} calls -> {f['upstream_calls']} upstream calls, "
                     f"p50 {_ms(f['p50_ms'])} ms, p99 {_ms(f['p99_ms'])} ms, errors {f['errors'] or 'none'}")
    budget = result["memory"]["cache_budget_mib"]
    lines += ["", f"Gateway RSS (fresh gateway, unique embed + chat texts, 50 callers, caches capped at {budget} MiB)"]
    for s in result["memory"]["samples"]:
        rss = "-" if s["rss_kib"] is None else f"{s['rss_kib'] / 1024:.1f} MiB"
        lines.append(f"  after {s['calls']:>7,} calls: {rss}")
    lines += ["", f"{'Target':48} {'figure':>28}  {'goal':>14}  status"]
    for t in result["targets"]:
        note = f"  ({t['note']})" if t["note"] and t["status"] != "PASS" else ""
        lines.append(f"{t['target']:48} {t['figure']:>28}  {t['goal']:>14}  {t['status']}{note}")
    env = result["environment"]
    lines += ["", f"{env['plan']['name']} run, {result['duration_s']:.0f} s, {env['cpus']} CPUs, "
              f"Python {env['python']}; client, mock and gateway share those CPUs."]
    return "\n".join(lines)
