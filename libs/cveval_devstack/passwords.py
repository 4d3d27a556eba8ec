"""Credentials the devstack generates once and keeps in the data directory (`.data/secrets/`, mode 0700 / 0600)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def secrets_dir(data_dir: Path) -> Path:
    path = data_dir / "secrets"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def generated_password(data_dir: Path, name: str) -> str:
    """The password kept in `<data_dir>/secrets/<name>`, generated on first use. URL-safe, so it can sit in a
    database or NATS URL as it is."""
    path = secrets_dir(data_dir) / name
    if path.exists():
        value = path.read_text().strip()
        if value:
            path.chmod(0o600)
            return value
    value = secrets.token_urlsafe(24)
    # O_EXCL-free but private from the first byte: the file is created 0600, never world-readable in between.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(value + "\n")
    path.chmod(0o600)
    return value
