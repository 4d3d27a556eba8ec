"""The whole system on one machine: PostgreSQL, NATS JetStream, every service, the workers and Envoy.

Used by `make run` (python -m cveval_devstack, which supervises it: supervisor.py) and by the end-to-end tests.
Servers are started only when CVEVAL_DATABASE_URL / CVEVAL_NATS_URL are not set (those are used as given); ports
are picked free, except the REST port. Internal traffic is authenticated: PostgreSQL takes a generated password
over TCP, NATS a user per process kind with its own subjects (nats_users.py); the passwords are generated once into
`<data_dir>/secrets/` (passwords.py).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cveval_devstack import nats_users
from cveval_devstack.credentials import Credentials
from cveval_devstack.edge import OidcOptions
from cveval_devstack.envoy import EmbeddedEnvoy
from cveval_devstack.nats_server import EmbeddedNats
from cveval_devstack.passwords import generated_password
from cveval_devstack.postgres import EmbeddedPostgres
from cveval_devstack.procs import StartCancelled, free_port, http_ok, spawn_logged, stop_all, wait_until

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("gateway", "upload", "job", "result", "auth")
MIGRATED = ("upload", "job", "result", "gateway", "auth")
EDGE_UPSTREAMS = ("upload", "job", "result")  # the services Envoy routes to (deploy/envoy/envoy.yaml clusters)
DATABASE_NAME = "cveval"
SERVERS = ("postgres", "nats", "envoy")


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


@dataclass(frozen=True)
class ProcessSpec:
    """How to (re)start one service or worker process."""

    args: tuple[str, ...]
    env: dict[str, str]


@dataclass
class Stack:
    data_dir: Path
    http_port: int = 8080
    workers: int = 1
    extra_env: dict[str, str] = field(default_factory=dict)
    cancelled: Callable[[], bool] = lambda: False  # polled while starting: a stop request ends start() promptly
    postgres: EmbeddedPostgres | None = None
    nats: EmbeddedNats | None = None
    envoy: EmbeddedEnvoy | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    specs: dict[str, ProcessSpec] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    metrics_ports: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    credentials: Credentials | None = None
    nats_passwords: dict[str, str] = field(default_factory=dict)

    @property
    def admin_api_key(self) -> str:
        """The bootstrap admin key (tenant `default`): `Authorization: Bearer <it>`."""
        if self.credentials is None:
            raise RuntimeError("the stack has not started")
        return self.credentials.admin_api_key

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def web_url(self) -> str:
        """The web app, served through Envoy like the API (services/cveval_web)."""
        return f"{self.rest_url}/"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def state_file(self) -> Path:
        return self.data_dir / "run" / "stack.json"

    def start(self) -> None:
        began = time.perf_counter()
        try:
            self._start_servers()
            self._migrate()
            self._start_services()
            upstreams = {n: self.ports[n] for n in EDGE_UPSTREAMS}
            upstreams.update(auth_grpc=self.ports["auth"], auth=self.ports["auth_check"], web=self.ports["web"])
            otlp = self.env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or self.env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
            oidc = OidcOptions.from_env(self.env)
            protocol = self.env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or self.env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
            self.envoy = EmbeddedEnvoy(
                self.data_dir / "run",
                upstreams,
                self.http_port,
                otlp_endpoint=otlp,
                oidc=oidc,
                otlp_protocol=protocol or "grpc",
            )
            self.envoy.start(cancelled=self.cancelled)
        except BaseException:
            self.stop()
            raise
        self.timings["start_s"] = round(time.perf_counter() - began, 2)
        self.write_state()

    def _start_servers(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        inherited = {**os.environ, **self.extra_env}
        database_url = inherited.get("CVEVAL_DATABASE_URL", "")
        if not database_url:
            password = generated_password(self.data_dir, "postgres-password")
            self.postgres = EmbeddedPostgres(self.data_dir / "postgres", password=password)
            self.postgres.start(cancelled=self.cancelled)
            self.postgres.create_database(DATABASE_NAME)
            database_url = self.postgres.url(DATABASE_NAME)
        nats_url = inherited.get("CVEVAL_NATS_URL", "")
        if not nats_url:
            permissions = nats_users.users(nats_users.NatsNames.from_env(inherited))
            self.nats_passwords = {u: generated_password(self.data_dir, f"nats-{u}-password") for u in permissions}
            authorization = nats_users.render_authorization(permissions, self.nats_passwords)
            self.nats = EmbeddedNats(self.data_dir / "nats", authorization=authorization)
            self.nats.start(cancelled=self.cancelled)
            nats_url = self.nats.url
        self.ports = {name: free_port() for name in SERVICES}
        self.ports["auth_check"] = free_port()
        self.ports["web"] = free_port()
        self.credentials = Credentials.load_or_create(self.data_dir, inherited)
        (self.data_dir / "run").mkdir(parents=True, exist_ok=True)
        self.env = {
            **inherited,
            "PYTHONPATH": python_path(),
            "PYTHONUNBUFFERED": "1",
            "CVEVAL_DATABASE_URL": database_url,
            "CVEVAL_NATS_URL": nats_url,
            "CVEVAL_GRPC_HOST": "127.0.0.1",
            **{f"CVEVAL_{name.upper()}_ADDR": f"127.0.0.1:{self.ports[name]}" for name in SERVICES},
            **self.credentials.process_env(),
        }

    def _nats_credentials(self, process: str) -> dict[str, str]:
        """CVEVAL_NATS_USER / _PASSWORD of a process on the devstack's own NATS; none for a NATS given from outside
        (its URL or environment carries whatever credentials it needs)."""
        user = nats_users.user_for_process(process)
        if self.nats is None or user is None:
            return {}
        return {"CVEVAL_NATS_USER": user, "CVEVAL_NATS_PASSWORD": self.nats_passwords[user]}

    def _module(self, name: str) -> str:
        return f"cveval_{name}"

    def _migrate(self) -> None:
        began = time.perf_counter()
        for name in MIGRATED:
            if self.cancelled():
                raise StartCancelled("stop requested while migrating")
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

    def spawn(self, name: str) -> subprocess.Popen[bytes]:
        """Start (or restart) a service or worker process from its spec."""
        spec = self.specs[name]
        proc = spawn_logged([sys.executable, *spec.args], self.log_dir / f"{name}.log", env=spec.env, cwd=REPO_ROOT)
        self.processes[name] = proc
        return proc

    def _start_services(self) -> None:
        for name in SERVICES:
            self.metrics_ports[name] = free_port()
            env = {
                **self.env,
                **self._nats_credentials(name),
                "CVEVAL_GRPC_PORT": str(self.ports[name]),
                "CVEVAL_METRICS_PORT": str(self.metrics_ports[name]),
                "OTEL_SERVICE_NAME": f"cveval-{name}",
            }
            if name == "auth" and self.credentials is not None:
                env.update(self.credentials.auth_env(), CVEVAL_AUTH_CHECK_PORT=str(self.ports["auth_check"]))
            self.specs[name] = ProcessSpec(("-m", self._module(name), "serve"), env)
            self.spawn(name)
        for name in SERVICES:
            port = self.ports[name]
            wait_until(lambda p=port: grpc_serving(p), 60, name, self.processes[name], self.cancelled)  # type: ignore[misc]
        for i in range(self.workers):
            name = f"worker-{i}"
            beat = self.data_dir / "run" / f"{name}.alive"
            self.metrics_ports[name] = free_port()
            env = {
                **self.env,
                **self._nats_credentials(name),
                "CVEVAL_WORKER_HEARTBEAT": str(beat),
                "CVEVAL_METRICS_PORT": str(self.metrics_ports[name]),
                "OTEL_SERVICE_NAME": "cveval-worker",
            }
            self.specs[name] = ProcessSpec(("-m", "cveval_job.worker"), env)
            wait_until(beat.exists, 60, name, self.spawn(name), self.cancelled)
        self._start_web()

    def _start_web(self) -> None:
        """The web app's static files (no database, no gRPC): ready when it answers its health path."""
        port = self.ports["web"]
        env = {**self.env, "CVEVAL_WEB_HOST": "127.0.0.1", "CVEVAL_WEB_PORT": str(port)}
        self.specs["web"] = ProcessSpec(("-m", "cveval_web"), env)
        wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/healthz"), 30, "web", self.spawn("web"), self.cancelled)

    def discard(self) -> None:
        """Stop a throw-away stack and delete what it made: its data folder and, as root, PostgreSQL's area under
        /var/tmp (stop() alone keeps both, as `make run` needs). For benchmarks and drills in temporary folders."""
        postgres = self.postgres
        self.stop()
        if postgres is not None:
            postgres.remove_cluster()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def stop(self, timeout: float = 20.0) -> None:
        """Stop everything, each tier in parallel: Envoy (no new requests), then the workers (they finish in-flight
        evaluations while the services they call are still up), then the services, then NATS and PostgreSQL."""
        if self.envoy is not None:
            self.envoy.stop()
            self.envoy = None
        workers = [n for n in self.processes if n.startswith("worker")]
        for tier in (workers, [n for n in self.processes if n not in workers]):
            stop_all([(self.processes[n], signal.SIGTERM) for n in tier], timeout)
        self.processes.clear()
        if self.nats is not None:
            self.nats.stop()
            self.nats = None
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres = None

    def server_process(self, name: str) -> subprocess.Popen[bytes] | None:
        server = {"postgres": self.postgres, "nats": self.nats, "envoy": self.envoy}[name]
        return None if server is None else server.proc

    def exited(self) -> dict[str, int]:
        """Exit codes of the processes that should be running and are not: servers, services and workers."""
        found = {name: proc.returncode for name, proc in self.processes.items() if proc.poll() is not None}
        for name in SERVERS:
            proc = self.server_process(name)
            if proc is not None and proc.poll() is not None:
                found[name] = proc.returncode
        return found

    def dead_processes(self) -> list[str]:
        return sorted(self.exited())

    def restart(self, name: str) -> None:
        """Start one exited process again, on the same ports, data and credentials. A server restart waits until it
        is ready (the services reconnect on their own); a service or worker restart returns once spawned."""
        server = {"postgres": self.postgres, "nats": self.nats, "envoy": self.envoy}.get(name)
        if server is not None:
            server.start(cancelled=self.cancelled)
        else:
            self.spawn(name)
        self.write_state()

    def write_state(self) -> None:
        """`run/stack.json`: the supervisor's pid and every process's pid and port, for tools and tests."""
        pids = {name: proc.pid for name, proc in self.processes.items()}
        for name in SERVERS:
            proc = self.server_process(name)
            if proc is not None:
                pids[name] = proc.pid
        ports = {**self.ports, "http": self.http_port}
        if self.postgres is not None:
            ports["postgres"] = self.postgres.port
        if self.nats is not None:
            ports["nats"] = self.nats.port
        state = {"supervisor_pid": os.getpid(), "rest_url": self.rest_url, "pids": pids, "ports": ports}
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(self.state_file)
