"""The whole system on one machine: PostgreSQL, NATS JetStream, every service, the workers and Envoy.

Used by `make run` (python -m cveval_devstack) and by the end-to-end tests. Servers are started only when
CVEVAL_DATABASE_URL / CVEVAL_NATS_URL are not set; ports are picked free, except the REST port.
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cveval_devstack.envoy import EmbeddedEnvoy
from cveval_devstack.nats_server import EmbeddedNats
from cveval_devstack.postgres import EmbeddedPostgres
from cveval_devstack.procs import free_port, spawn_logged, stop_process, wait_until

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("gateway", "upload", "job", "result")
MIGRATED = ("upload", "job", "result", "gateway")
DATABASE_NAME = "cveval"


def python_path() -> str:
    roots = [REPO_ROOT / "gen" / "python", REPO_ROOT / "libs", REPO_ROOT / "services"]
    return os.pathsep.join(str(p) for p in roots)


def grpc_serving(port: int) -> bool:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
        try:
            reply = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


@dataclass
class Stack:
    data_dir: Path
    http_port: int = 8080
    workers: int = 1
    extra_env: dict[str, str] = field(default_factory=dict)
    postgres: EmbeddedPostgres | None = None
    nats: EmbeddedNats | None = None
    envoy: EmbeddedEnvoy | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    metrics_ports: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    def start(self) -> None:
        began = time.perf_counter()
        try:
            self._start_servers()
            self._migrate()
            self._start_services()
            upstreams = {n: self.ports[n] for n in ("upload", "job", "result")}
            otlp = self.env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or self.env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
            self.envoy = EmbeddedEnvoy(self.data_dir / "run", upstreams, self.http_port, otlp_endpoint=otlp)
            self.envoy.start()
        except BaseException:
            self.stop()
            raise
        self.timings["start_s"] = round(time.perf_counter() - began, 2)

    def _start_servers(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        inherited = {**os.environ, **self.extra_env}
        database_url = inherited.get("CVEVAL_DATABASE_URL", "")
        if not database_url:
            self.postgres = EmbeddedPostgres(self.data_dir / "postgres")
            self.postgres.start()
            self.postgres.create_database(DATABASE_NAME)
            database_url = self.postgres.url(DATABASE_NAME)
        nats_url = inherited.get("CVEVAL_NATS_URL", "")
        if not nats_url:
            self.nats = EmbeddedNats(self.data_dir / "nats")
            self.nats.start()
            nats_url = self.nats.url
        self.ports = {name: free_port() for name in SERVICES}
        run_dir = self.data_dir / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        self.env = {
            **inherited,
            "PYTHONPATH": python_path(),
            "PYTHONUNBUFFERED": "1",
            "CVEVAL_DATABASE_URL": database_url,
            "CVEVAL_NATS_URL": nats_url,
            "CVEVAL_GRPC_HOST": "127.0.0.1",
            "CVEVAL_UPLOAD_ADDR": f"127.0.0.1:{self.ports['upload']}",
            "CVEVAL_JOB_ADDR": f"127.0.0.1:{self.ports['job']}",
            "CVEVAL_RESULT_ADDR": f"127.0.0.1:{self.ports['result']}",
            "CVEVAL_GATEWAY_ADDR": f"127.0.0.1:{self.ports['gateway']}",
            # Shared by the services to verify the edge's signed caller identity; generated per run unless given.
            "CVEVAL_IDENTITY_SECRET": inherited.get("CVEVAL_IDENTITY_SECRET") or secrets.token_urlsafe(32),
        }

    def _module(self, name: str) -> str:
        return f"cveval_{name}"

    def _migrate(self) -> None:
        began = time.perf_counter()
        for name in MIGRATED:
            done = subprocess.run(
                [sys.executable, "-m", self._module(name), "migrate"],
                env=self.env,
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"migrating {name} failed:\n{done.stderr[-3000:]}")
        self.timings["migrate_s"] = round(time.perf_counter() - began, 2)

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        proc = spawn_logged([sys.executable, *args], self.log_dir / f"{name}.log", env=env, cwd=REPO_ROOT)
        self.processes[name] = proc
        return proc

    def _start_services(self) -> None:
        for name in SERVICES:
            self.metrics_ports[name] = free_port()
            env = {
                **self.env,
                "CVEVAL_GRPC_PORT": str(self.ports[name]),
                "CVEVAL_METRICS_PORT": str(self.metrics_ports[name]),
                "OTEL_SERVICE_NAME": f"cveval-{name}",
            }
            self._spawn(name, ["-m", self._module(name), "serve"], env)
        for name in SERVICES:
            port = self.ports[name]
            wait_until(lambda p=port: grpc_serving(p), 60, name, self.processes[name])  # type: ignore[misc]
        for i in range(self.workers):
            beat = self.data_dir / "run" / f"worker-{i}.alive"
            self.metrics_ports[f"worker-{i}"] = free_port()
            env = {
                **self.env,
                "CVEVAL_WORKER_HEARTBEAT": str(beat),
                "CVEVAL_METRICS_PORT": str(self.metrics_ports[f"worker-{i}"]),
                "OTEL_SERVICE_NAME": "cveval-worker",
            }
            proc = self._spawn(f"worker-{i}", ["-m", "cveval_job.worker"], env)
            wait_until(beat.exists, 60, f"worker-{i}", proc)

    def stop(self) -> None:
        if self.envoy is not None:
            self.envoy.stop()
            self.envoy = None
        # Workers first so they finish in-flight evaluations while the services they call are still up.
        for name in sorted(self.processes, key=lambda n: (not n.startswith("worker"), n)):
            stop_process(self.processes[name], timeout=20)
        self.processes.clear()
        if self.nats is not None:
            self.nats.stop()
            self.nats = None
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres = None

    def dead_processes(self) -> list[str]:
        return [name for name, proc in self.processes.items() if proc.poll() is not None]
