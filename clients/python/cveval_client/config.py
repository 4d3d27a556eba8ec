"""Where the CLI finds the server and the key: flags, then CVEVAL_URL / CVEVAL_API_KEY, then the config file."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8080"


def config_path() -> Path:
    """CVEVAL_CONFIG, else the user's config directory: %APPDATA%\\cveval, ~/Library/Application Support/cveval or
    $XDG_CONFIG_HOME/cveval (~/.config/cveval)."""
    explicit = os.environ.get("CVEVAL_CONFIG")
    if explicit:
        return Path(explicit)
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        base = Path(os.environ["APPDATA"])
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "cveval" / "config.json"


@dataclass(frozen=True)
class Settings:
    url: str
    api_key: str


def load(url_flag: str = "", key_flag: str = "") -> Settings:
    stored: dict[str, str] = {}
    path = config_path()
    if path.is_file():
        try:
            stored = json.loads(path.read_text())
        except ValueError:
            stored = {}
    url = url_flag or os.environ.get("CVEVAL_URL") or stored.get("url") or DEFAULT_URL
    key = key_flag or os.environ.get("CVEVAL_API_KEY") or stored.get("api_key") or ""
    return Settings(url.rstrip("/"), key)


def save(url: str | None, api_key: str | None) -> Path:
    """Merge into the config file, created readable by its owner only (it holds a secret)."""
    path = config_path()
    stored: dict[str, str] = {}
    if path.is_file():
        try:
            stored = json.loads(path.read_text())
        except ValueError:
            stored = {}
    if url:
        stored["url"] = url.rstrip("/")
    if api_key:
        stored["api_key"] = api_key
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(stored, out, indent=1)
    os.chmod(path, 0o600)  # an existing file keeps its old mode on open: set it
    return path
