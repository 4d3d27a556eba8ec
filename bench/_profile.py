"""Optional sampling profiles (py-spy, when it is on PATH) of a service while wrk loads one path: where a request's
CPU goes when a target is out of reach. Collapsed stacks are written under bench/results/; the table shows the
functions with the most samples on top of the stack (self time)."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

from bench._results import RESULTS


def start(pid: int, seconds: float, name: str) -> tuple[subprocess.Popen[bytes], Path] | None:
    spy = shutil.which("py-spy")
    if spy is None:
        return None
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"profile-{name.replace(' ', '-').replace('(', '').replace(')', '')}.txt"
    command = [spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--format", "raw",
               "--nonblocking", "--rate", "200", "--output", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), out


def finish(started: tuple[subprocess.Popen[bytes], Path] | None, top: int = 12) -> dict[str, object] | None:
    if started is None:
        return None
    proc, out = started
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if not out.exists():
        return None
    leaves: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = stack.split(";")
        leaves[_short(frames[-1])] += samples
        for frame in {_short(f) for f in frames}:
            inclusive[frame] += samples
    share = {f: round(n / total, 3) for f, n in leaves.most_common(top)} if total else {}
    wide = {f: round(n / total, 3) for f, n in inclusive.most_common(top * 3)} if total else {}
    return {"file": str(out), "samples": total, "self": share, "inclusive": wide}


def _short(frame: str) -> str:
    """"function (path/to/module.py:123)" -> "function (module.py)"."""
    name, _, where = frame.partition(" (")
    return f"{name} ({Path(where.split(':')[0]).name})" if where else name
