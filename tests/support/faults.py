"""Helpers for the fault-injection tests: private servers a test may kill, a worker in its own process, waiting on
job states."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path

from cveval.job.v1 import job_pb2
from cveval_devstack.postgres import EmbeddedPostgres
from cveval_devstack.stack import python_path
from cveval_kit.migrations import upgrade
from cveval_kit.settings import Settings
from tests.support.infra import MIGRATIONS
from tests.support.mesh import Mesh

FINISHED = ("completed", "failed")


@contextlib.contextmanager
def private_dir(prefix: str) -> Iterator[Path]:
    """A data folder of the test's own outside pytest's numbered temp folders, which concurrent pytest runs on the
    same machine rotate away (a server killed and restarted by a fault test must find its data where it left it)."""
    path = Path(tempfile.mkdtemp(prefix=f"cveval-{prefix}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def private_postgres(data_dir: Path) -> tuple[EmbeddedPostgres, str]:
    """A PostgreSQL of the test's own (so stopping it disturbs no other test), migrated; returns it and its URL."""
    postgres = EmbeddedPostgres(data_dir, durable=False)
    postgres.start()
    postgres.create_database("cveval")
    url = postgres.url("cveval")
    for path in MIGRATIONS.values():
        upgrade(path, url)
    return postgres, url


def restart_postgres(postgres: EmbeddedPostgres, attempts: int = 3) -> None:
    """Start a stopped server again on its port and data; on this shared, loaded machine the embedded server has been
    seen dying at start-up right after a stop, so a failed start is tried again a bounded number of times."""
    for attempt in range(1, attempts + 1):
        try:
            postgres.start()
            return
        except RuntimeError:
            postgres.stop()
            if attempt == attempts:
                raise


def worker_process(settings: Settings, log_path: Path, **overrides: str) -> subprocess.Popen[bytes]:
    """`python -m cveval_job.worker` as its own process, configured like `make run` configures it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CVEVAL_")}
    for name, value in settings.model_dump().items():
        env[f"CVEVAL_{name.upper()}"] = str(value)
    env.update({f"CVEVAL_{k.upper()}": v for k, v in overrides.items()})
    env["PYTHONPATH"] = python_path()
    env["CVEVAL_WORKER_HEARTBEAT"] = str(log_path.with_suffix(".alive"))
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "cveval_job.worker"], env=env, stdout=log, stderr=subprocess.STDOUT
        )


async def job_states(mesh: Mesh, ids: Iterable[str]) -> dict[str, job_pb2.Job]:
    stub = mesh.jobs()
    replies = await asyncio.gather(*(stub.GetJob(job_pb2.GetJobRequest(id=i), timeout=10) for i in ids))
    return {r.job.id: r.job for r in replies}


async def wait_jobs(
    mesh: Mesh, ids: list[str], statuses: tuple[str, ...] = FINISHED, limit_s: float = 60
) -> dict[str, job_pb2.Job]:
    """Poll until every job has one of `statuses` (there is no push for a set of jobs); fail after `limit_s`."""
    deadline = time.monotonic() + limit_s
    states: dict[str, job_pb2.Job] = {}
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            states = await job_states(mesh, ids)
        except Exception as exc:  # the job service itself may be riding out the fault
            last_error = exc
        else:
            if all(j.status in statuses for j in states.values()):
                return states
        await asyncio.sleep(0.1)
    stuck = {i: j.status for i, j in states.items() if j.status not in statuses}
    raise AssertionError(f"jobs not {'/'.join(statuses)} after {limit_s:.0f}s: {stuck} (last error: {last_error!r})")


@contextlib.asynccontextmanager
async def blackhole() -> AsyncIterator[str]:
    """A TCP address that accepts connections and never answers: a call to it hangs, like a wedged dependency."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()
