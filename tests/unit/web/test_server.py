"""The web process serves exactly its files, with strong ETags, gzip, revalidation and strict security headers."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import RawTestServer, TestClient

from cveval_web import assets
from cveval_web.server import CONTENT_SECURITY_POLICY, make_handler

Client = TestClient[Any, None]


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    opened: Client = TestClient(RawTestServer(make_handler(assets.load())))
    async with opened:
        yield opened


async def test_index_is_html_with_strict_headers(client: Client) -> None:
    reply = await client.get("/")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    assert reply.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe" not in CONTENT_SECURITY_POLICY
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Cache-Control"] == "no-cache"
    assert '<script type="module" src="/assets/js/app.js">' in await reply.text()


async def test_a_strong_etag_answers_304(client: Client) -> None:
    first = await client.get("/assets/js/app.js", headers={"Accept-Encoding": "identity"})
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = await client.get("/assets/js/app.js", headers={"If-None-Match": etag, "Accept-Encoding": "identity"})
    assert again.status == 304 and await again.read() == b""


async def test_gzip_when_accepted(client: Client) -> None:
    reply = await client.get("/assets/app.css", headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
    assert reply.headers["Content-Encoding"] == "gzip"
    assert reply.headers["Vary"] == "Accept-Encoding"
    body = gzip.decompress(await reply.read())
    assert body == (assets.STATIC_DIR / "app.css").read_bytes()


@pytest.mark.parametrize(
    "path", ["/index.html", "/assets/", "/assets/../settings.py", "/assets/%2e%2e/app.py", "/app.py", "/assets/x.js"]
)
async def test_only_known_files_no_listing_no_traversal(client: Client, path: str) -> None:
    reply = await client.get(path)
    assert reply.status == 404
    assert reply.headers["X-Content-Type-Options"] == "nosniff"


async def test_only_get_and_head(client: Client) -> None:
    assert (await client.post("/", data=b"x")).status == 405
    head = await client.head("/")
    assert head.status == 200


def test_every_module_the_app_imports_is_served() -> None:
    """No build step: the browser loads each ES module by its path, so each import must name a served file."""
    served = assets.load()
    for path, asset in served.items():
        if not path.endswith(".js"):
            continue
        for line in asset.body.decode().splitlines():
            if line.startswith("import ") and " from " in line:
                target = line.rsplit(" from ", 1)[1].strip(' ";\'')
                resolved = (Path(path).parent / target).resolve().as_posix()
                assert resolved in served, (path, target)


def test_the_assets_are_bounded_and_small() -> None:
    total = sum(len(a.body) for a in assets.load().values())
    assert total < 100 * 1024, total
