"""A rolling count of events over the last `window_s` seconds, kept in fixed time buckets.

Bucketed rather than one timestamp per event, so memory stays constant however many calls go through.
"""

from __future__ import annotations

from collections.abc import Callable


class RollingCounter:
    def __init__(self, window_s: float, clock: Callable[[], float], *, buckets: int = 10) -> None:
        if window_s <= 0 or buckets <= 0:
            raise ValueError("window and bucket count must be positive")
        self._width = window_s / buckets
        self._clock = clock
        self._slots: list[dict[str, float]] = [{} for _ in range(buckets)]
        self._epochs = [-1] * buckets

    def add(self, kind: str, amount: float = 1.0) -> None:
        slot = self._slot()
        slot[kind] = slot.get(kind, 0.0) + amount

    def total(self, kind: str) -> float:
        current = int(self._clock() // self._width)
        return sum(
            slot.get(kind, 0.0)
            for slot, epoch in zip(self._slots, self._epochs, strict=True)
            if current - epoch < len(self._slots)
        )

    def clear(self) -> None:
        for slot in self._slots:
            slot.clear()

    def _slot(self) -> dict[str, float]:
        epoch = int(self._clock() // self._width)
        index = epoch % len(self._slots)
        if self._epochs[index] != epoch:
            self._epochs[index] = epoch
            self._slots[index] = {}
        return self._slots[index]
