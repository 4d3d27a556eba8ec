"""Pure parts of the harness: what counts as passing a target, and how results are laid out as text."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Check", "adjacent_gaps", "rank_from_bottom", "rank_from_top", "render_table", "spread", "summarize"]


@dataclass(frozen=True)
class Check:
    section: str
    subject: str
    measured: str
    target: str
    passed: bool

    def line(self) -> str:
        return f"{'PASS' if self.passed else 'FAIL'}  {self.subject}: {self.measured} (target: {self.target})"


def rank_from_top(name: str, values: Mapping[str, float]) -> int:
    """1-based rank of `name`, ties counted against it: a tie for first place is rank 2, not a pass."""
    own = values[name]
    return 1 + sum(1 for other, v in values.items() if other != name and v >= own)


def rank_from_bottom(name: str, values: Mapping[str, float]) -> int:
    """1 when `name` is strictly the lowest; ties counted against it as in rank_from_top."""
    own = values[name]
    return 1 + sum(1 for other, v in values.items() if other != name and v <= own)


def spread(values: Sequence[float]) -> float:
    """Largest minus smallest value, rounded so float noise does not turn 0.02 into a failure."""
    return round(max(values) - min(values), 6) if values else 0.0


def adjacent_gaps(ordered: Sequence[float]) -> list[float]:
    """Differences between neighbours of a sequence expected to be decreasing (positive when it is)."""
    return [round(a - b, 6) for a, b in itertools.pairwise(ordered)]


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned (they hold numbers)."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def fmt(row: Sequence[str]) -> str:
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in pairs]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(headers), rule, *(fmt(r) for r in rows)])


def summarize(checks: Sequence[Check]) -> str:
    failed = [c for c in checks if not c.passed]
    return f"{len(checks)} checks: {len(checks) - len(failed)} PASS, {len(failed)} FAIL"
