"""Text extraction in a small pool of worker processes that cannot exceed their CPU-time and memory budget.

Each worker is a spawned Python process (never forked: the parent runs gRPC threads, and fork copies their locks
mid-use) with RLIMIT_AS set once at start and RLIMIT_CPU raised before every file to "CPU used so far + the
budget", so one file can use at most its budget: past it the kernel kills the worker with SIGXCPU. A wall-clock
timeout covers a worker that sleeps or waits. A broken worker is replaced by pebble's pool, and the others keep
serving. The standard library's ProcessPoolExecutor does not fit: one dead worker marks the whole pool broken
(every queued file fails) and it has no per-task timeout that stops the work.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import signal
from concurrent.futures import TimeoutError as FutureTimeout

import pebble

from cveval_upload.domain.document import PreparedDocument, prepare_document
from cveval_upload.domain.errors import DocumentTooComplex, UploadError, describe_field
from cveval_upload.settings import UploadSettings

# Queueing for a worker is bounded by the service's in-flight byte budget; this only catches a wedged pool.
_QUEUE_AND_RUN_FACTOR = 2


def _limit_worker(memory_bytes: int) -> None:
    """Worker initializer: cap the address space, and write no core file when a limit kills the process."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _prepare_in_worker(data: bytes, max_bytes: int, field: str | None, cpu_seconds: int) -> PreparedDocument:
    """Runs in a worker: allow `cpu_seconds` more CPU time from now, then check and extract the file."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (used + cpu_seconds, hard))
    try:
        return prepare_document(data, max_bytes=max_bytes, field=field)
    except MemoryError:
        # The allocation that failed is unwound with the exception; the worker can go on with the next file.
        raise DocumentTooComplex(_too_much_memory(field), field=field) from None


def _too_much_memory(field: str | None) -> str:
    return (
        f"reading the {describe_field(field)} needs more memory than one upload may use; "
        "it is built to expand (a decompression bomb or a huge structure). Re-export it and upload again"
    )


class SandboxedPreparer:
    """The DocumentPreparer port, backed by the process pool."""

    def __init__(self, settings: UploadSettings, max_file_bytes: int) -> None:
        self.settings = settings
        self.max_file_bytes = max_file_bytes
        self._pool = pebble.ProcessPool(
            max_workers=settings.extract_workers,
            max_tasks=settings.extract_tasks_per_worker,
            initializer=_limit_worker,
            initargs=(settings.extract_memory_bytes,),
            context=multiprocessing.get_context("spawn"),
        )

    async def prepare(self, data: bytes, *, field: str | None = None) -> PreparedDocument:
        s = self.settings
        future = self._pool.schedule(
            _prepare_in_worker, args=(data, self.max_file_bytes, field, s.extract_cpu_s), timeout=s.extract_timeout_s
        )
        try:
            # Cancelling the wait (the caller went away) cancels the task, which stops its worker.
            return await asyncio.wait_for(asyncio.wrap_future(future), s.extract_timeout_s * _QUEUE_AND_RUN_FACTOR)
        except UploadError:
            raise
        except (FutureTimeout, TimeoutError):
            raise DocumentTooComplex(self._too_slow(field), field=field) from None
        except pebble.ProcessExpired as exc:
            if exc.exitcode == -signal.SIGXCPU:
                raise DocumentTooComplex(self._too_slow(field), field=field) from None
            # Killed otherwise: the C parts of a parser failed to allocate under the address-space limit.
            raise DocumentTooComplex(_too_much_memory(field), field=field) from None

    def _too_slow(self, field: str | None) -> str:
        return (
            f"reading the {describe_field(field)} takes more than the {self.settings.extract_cpu_s} s of CPU time "
            "one upload may use; it is built to be slow to parse. Re-export it (e.g. print to PDF) and upload again"
        )

    async def close(self) -> None:
        self._pool.stop()
        await asyncio.to_thread(self._pool.join, 5)
