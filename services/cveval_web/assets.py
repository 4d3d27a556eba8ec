"""The app's files, read once at start-up into memory with their ETag and a gzip copy.

Only files found under `static/` when the process starts are ever served (an exact-name lookup: no path from the
request touches the file system, so there is no traversal and no directory listing), and the whole set is bounded
by what ships in the image.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
MAX_TOTAL_BYTES = 2 * 1024 * 1024  # the app is a few tens of KiB; more means something that should not ship
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Worth compressing only past a packet or so.
_GZIP_FROM_BYTES = 1024


@dataclass(frozen=True)
class Asset:
    path: str  # the URL path: "/" for index.html, "/assets/…" for the rest
    content_type: str
    body: bytes
    etag: str  # strong: the sha256 of the bytes
    gzipped: bytes | None  # None when not worth it
    gzip_etag: str


def _asset(url_path: str, file: Path) -> Asset:
    body = file.read_bytes()
    digest = hashlib.sha256(body).hexdigest()[:32]
    packed = gzip.compress(body, compresslevel=9, mtime=0) if len(body) >= _GZIP_FROM_BYTES else None
    return Asset(url_path, _TYPES[file.suffix], body, f'"{digest}"', packed, f'"{digest}-gz"')


def load(root: Path = STATIC_DIR) -> dict[str, Asset]:
    """URL path → asset: `/` is index.html, every other file is `/assets/<relative path>`."""
    found: dict[str, Asset] = {"/": _asset("/", root / "index.html")}
    for file in sorted(root.rglob("*")):
        if not file.is_file() or file.suffix not in _TYPES or file.name == "index.html":
            continue
        url_path = "/assets/" + file.relative_to(root).as_posix()
        found[url_path] = _asset(url_path, file)
    total = sum(len(a.body) for a in found.values())
    if total > MAX_TOTAL_BYTES:
        raise ValueError(f"static assets are {total} bytes, over the {MAX_TOTAL_BYTES} bound")
    return found
