"""Admission control: the upload bytes all in-flight requests hold together stay under one budget.

A request that would go over it is refused at once with 503 and Retry-After instead of waiting: a queue would
hold the bytes of every waiting request in memory, which is the very thing the budget bounds. asyncio has no
weighted semaphore, and a waiting one is not wanted here, hence this small counter.
"""

from __future__ import annotations

from cveval_kit import errors


class ServiceBusy(errors.Unavailable):
    code = "UPLOAD_CAPACITY"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ByteBudget:
    """Counts bytes held by in-flight uploads; `reserve` raises ServiceBusy past the capacity."""

    def __init__(self, capacity: int, retry_after_s: int) -> None:
        self.capacity = capacity
        self.retry_after_s = retry_after_s
        self.in_use = 0

    def reserve(self, n_bytes: int) -> Reservation:
        reservation = Reservation(self)
        reservation.grow(n_bytes)
        return reservation

    def _take(self, n_bytes: int) -> None:
        if self.in_use + n_bytes > self.capacity:
            raise ServiceBusy(
                f"the upload service is at capacity (too many large uploads at once); retry in {self.retry_after_s} s",
                retry_after_s=self.retry_after_s,
            )
        self.in_use += n_bytes

    def _give_back(self, n_bytes: int) -> None:
        self.in_use -= n_bytes


class Reservation:
    """Bytes held by one request; grows as a streamed upload arrives, released once when the request ends."""

    def __init__(self, budget: ByteBudget) -> None:
        self.budget = budget
        self.held = 0

    def grow(self, n_bytes: int) -> None:
        self.budget._take(n_bytes)
        self.held += n_bytes

    def release(self) -> None:
        self.budget._give_back(self.held)
        self.held = 0

    def __enter__(self) -> Reservation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
