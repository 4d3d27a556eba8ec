"""The HTTP handler: GET/HEAD of a known asset with a strong ETag, gzip when accepted, strict security headers.

aiohttp's low-level server (no router): the whole surface is one dictionary lookup. Envoy routes only `/` and
`/assets/…` here; `/healthz` is for the devstack and Kubernetes probes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from cveval_web.assets import Asset

# The app loads only our own files and talks only to our own origin (the REST API behind the same Envoy).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# Revalidate every time: a conditional request costs one small 304, and a new release is never mixed with an old
# module (the files have no content hash in their names, since there is no build step to add one).
CACHE_CONTROL = "no-cache"


def _not_found(message: str = "not found", status: int = 404) -> web.Response:
    return web.json_response({"code": 5, "message": message}, status=status, headers=SECURITY_HEADERS)


def _accepts_gzip(request: web.BaseRequest) -> bool:
    return any(p.split(";")[0].strip() == "gzip" for p in request.headers.get("Accept-Encoding", "").split(","))


def _matches(if_none_match: str, etag: str) -> bool:
    return any(tag.strip() in {etag, "*"} for tag in if_none_match.split(","))


def respond(assets: Mapping[str, Asset], request: web.BaseRequest) -> web.Response:
    if request.path == "/healthz":
        return web.Response(text="ok", headers={"Cache-Control": "no-store"})
    if request.method not in {"GET", "HEAD"}:
        headers = {**SECURITY_HEADERS, "Allow": "GET, HEAD"}
        return web.json_response({"code": 12, "message": "method not allowed"}, status=405, headers=headers)
    asset = assets.get(request.path)
    if asset is None:
        return _not_found()
    packed = asset.gzipped is not None and _accepts_gzip(request)
    etag = asset.gzip_etag if packed else asset.etag
    headers = {
        **SECURITY_HEADERS,
        "ETag": etag,
        "Cache-Control": CACHE_CONTROL,
        "Content-Type": asset.content_type,
        "Vary": "Accept-Encoding",
    }
    if _matches(request.headers.get("If-None-Match", ""), etag):
        return web.Response(status=304, headers=headers)
    body = asset.gzipped if packed and asset.gzipped is not None else asset.body
    if packed:
        headers["Content-Encoding"] = "gzip"
    return web.Response(body=b"" if request.method == "HEAD" else body, headers=headers)


Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]
# Bounded requests: the app needs no body and small headers.
LIMITS = {"max_line_size": 8190, "max_field_size": 8190}


def make_handler(assets: Mapping[str, Asset]) -> Handler:
    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        return respond(assets, request)

    return handle


def handler(assets: Mapping[str, Asset]) -> web.Server:
    return web.Server(make_handler(assets), **LIMITS)  # type: ignore[arg-type]  # aiohttp types the limits loosely
