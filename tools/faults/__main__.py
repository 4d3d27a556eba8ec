"""`python -m tools.faults [--rate R] [--only NAME]`: the fault drill (see tools/faults/__init__.py)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

import tools.quality  # noqa: F401  (puts the import roots on sys.path)
from cveval_devstack.procs import free_port
from cveval_devstack.stack import Stack
from tests.fixtures.documents import SAMPLE_CV, SAMPLE_PROJECT_REPORT, make_pdf, make_txt
from tools.faults.inject import FAULTS, Fault
from tools.faults.load import Outcome, Tally, flow, settle, upload_pair

BEFORE_S = 5.0  # evaluations flowing before the fault
AFTER_S = 5.0  # and after it ended
SETTLE_LIMIT_S = 240.0


@dataclass
class Row:
    fault: str
    tally: Tally
    outcome: Outcome
    ended_at: float  # wall clock: the fault's end (the server back, the replacement started)

    @property
    def backlog_s(self) -> float:
        """From the fault's end until the last job accepted before it had finished."""
        before = [i for i, at in self.tally.accepted_at.items() if at <= self.ended_at]
        done = [self.outcome.finished_at.get(i, float("inf")) for i in before]
        return max(0.0, max(done, default=self.ended_at) - self.ended_at)

    @property
    def first_accept_s(self) -> float:
        """From the fault's end until an evaluation was accepted again (0 when none was turned away)."""
        if not self.tally.refused:
            return 0.0
        after = [at for at in self.tally.accepted_at.values() if at > self.ended_at]
        return min(after, default=self.ended_at) - self.ended_at


async def drill(stack: Stack, name: str, fault: Fault, outage_s: float, rate: float) -> Row:
    async with httpx.AsyncClient(base_url=stack.rest_url, timeout=30) as client:
        pair = await upload_pair(client, make_pdf(SAMPLE_CV + f" {name}"), make_txt(SAMPLE_PROJECT_REPORT + f" {name}"))
        tally, stop = Tally(), asyncio.Event()
        load = asyncio.create_task(flow(client, pair, tally, rate, stop))
        await asyncio.sleep(BEFORE_S)
        print(f"  {name}: injecting", flush=True)
        await asyncio.to_thread(fault, stack, outage_s)
        ended = time.time()
        await asyncio.sleep(AFTER_S)
        stop.set()
        await load
        ids = sorted({i for ids in tally.job_ids.values() for i in ids})
        outcome, _ = await settle(client, ids, SETTLE_LIMIT_S)
    return Row(name, tally, outcome, ended)


def report(rows: list[Row], rate: float) -> None:
    print(f"\nfault drill, {rate:g} evaluations/s, retried on 503 after Retry-After with the same Idempotency-Key")
    header = f"{'fault':30} {'sent':>5} {'accepted':>8} {'completed':>9} {'failed':>7} {'lost':>5} {'dup':>4}"
    print(header + f" {'backlog':>8} {'accepts':>8}  notes")
    for r in rows:
        dup = sum(len(ids) > 1 for ids in r.tally.job_ids.values())
        failed = sum(r.outcome.failed.values())
        refused = ", ".join(f"{code or 'conn'}x{n}" for code, n in sorted(r.tally.refused.items()))
        notes = [
            f"turned away: {refused}" if refused else "",
            f"failed: {dict(r.outcome.failed)}" if failed else "",
            f"re-run: {r.outcome.rerun}" if r.outcome.rerun else "",
            f"gave up: {r.tally.given_up}" if r.tally.given_up else "",
        ]
        print(
            f"{r.fault:30} {r.tally.sent:5} {r.tally.accepted:8} {r.outcome.completed:9} {failed:7}"
            f" {r.outcome.unfinished:5} {dup:4} {r.backlog_s:7.1f}s {r.first_accept_s:7.1f}s"
            f"  {'; '.join(n for n in notes if n)}"
        )
    print("lost = accepted but not finished within the limit; dup = one request that produced two jobs;")
    print("backlog = from the fault's end until every job accepted before it had finished;")
    print("accepts = from the fault's end until an evaluation was accepted again (clients wait out Retry-After).")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=2.0, help="evaluations per second")
    parser.add_argument("--only", choices=sorted(FAULTS), action="append", help="run only these faults")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="cveval-faults-"))
    stack = Stack(data_dir=data_dir, http_port=free_port(), workers=2, extra_env={"CVEVAL_LLM_BASE_URL": ""})
    rows: list[Row] = []
    try:
        print(f"starting the stack in {data_dir} …", flush=True)
        stack.start()
        for name, (fault, outage_s) in FAULTS.items():
            if args.only and name not in args.only:
                continue
            rows.append(asyncio.run(drill(stack, name, fault, outage_s, args.rate)))
    finally:
        stack.discard()
    report(rows, args.rate)
    return 0 if all(r.outcome.unfinished == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
