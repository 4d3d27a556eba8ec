"""Where a benchmark's figures go once printed: a JSON file per run, and the exit code `--strict` asks for."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def save(result: dict[str, Any], prefix: str, out: Path | None, *, strict: bool, suffix: str = "") -> int:
    """Write `result` (to `out`, or results/<prefix>-<time><suffix>.json); 1 when strict and a target failed."""
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    path = out or RESULTS / f"{prefix}-{stamp}{suffix}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {path}")
    missed = [t for t in result["targets"] if t["status"] == "FAIL"]
    return 1 if strict and missed else 0
