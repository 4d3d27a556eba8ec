"""The secrets `make run` needs: the identity secret every process shares, and the first admin API key.

Both live under the data directory with mode 0600 and are made once: the identity secret is random; the admin
key is CVEVAL_BOOTSTRAP_API_KEY when set, else the key already written by an earlier run, else a new random one
(printed once by `make run`). The auth service creates that key in its table at start-up when it is absent.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

IDENTITY_SECRET_FILE = "identity-secret"
ADMIN_KEY_FILE = "admin-api-key"
API_KEY_PREFIX = "cvk_"  # the auth service's key format (cveval_auth.domain.keys); libs never import services


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")
    os.chmod(path, 0o600)  # O_CREAT's mode does not apply to a file that already existed


def _read(path: Path) -> str:
    return path.read_text().strip() if path.exists() else ""


@dataclass(frozen=True)
class Credentials:
    identity_secret: str
    admin_api_key: str
    admin_key_is_new: bool  # made by this run: `make run` prints it once
    admin_key_path: Path

    @classmethod
    def load_or_create(cls, data_dir: Path, env: dict[str, str]) -> Credentials:
        secret_path = data_dir / IDENTITY_SECRET_FILE
        identity_secret = env.get("CVEVAL_IDENTITY_SECRET", "") or _read(secret_path)
        if not identity_secret:
            identity_secret = secrets.token_urlsafe(48)
            _write_private(secret_path, identity_secret)
        key_path = data_dir / ADMIN_KEY_FILE
        admin_key = env.get("CVEVAL_BOOTSTRAP_API_KEY", "").strip()
        is_new = False
        if not admin_key:
            admin_key = _read(key_path)
        if not admin_key:
            admin_key = API_KEY_PREFIX + secrets.token_urlsafe(32)
            is_new = True
        if _read(key_path) != admin_key:
            _write_private(key_path, admin_key)
        return cls(identity_secret, admin_key, is_new, key_path)

    def process_env(self) -> dict[str, str]:
        """For every process: services verify the identities the auth service signs."""
        return {"CVEVAL_IDENTITY_SECRET": self.identity_secret}

    def auth_env(self) -> dict[str, str]:
        return {"CVEVAL_BOOTSTRAP_API_KEY": self.admin_api_key}


def admin_key_notice(stack: object) -> str:
    """What `make run` says about the admin key: the key itself only the first time, later where it is."""
    credentials = getattr(stack, "credentials", None)
    if not isinstance(credentials, Credentials):
        return ""
    where = f"{credentials.admin_key_path} (mode 0600)"
    if credentials.admin_key_is_new:
        return (
            f"  admin key  {credentials.admin_api_key}\n"
            f"             shown once; kept in {where}. Use it as `Authorization: Bearer <key>`."
        )
    return f"  admin key  in {where}; use it as `Authorization: Bearer <key>`."
