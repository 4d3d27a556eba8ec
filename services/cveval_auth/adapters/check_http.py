"""Envoy's external authorization check over HTTP (ext_authz `http_service`), served with aiohttp.

HTTP mode rather than gRPC mode: the check carries only headers, aiohttp is already a dependency, and gRPC mode
would mean vendoring Envoy's ext_authz protos and their dependency tree into protos/ (decision 0008). Envoy sends
the request's method and path under /check (after the JSON transcoder, so the path is the gRPC method) with the
headers it is told to pass; a 200 answer's identity and quota headers go upstream, any other answer goes back to
the caller as is (status, message, `x-cveval-error-code`), where Envoy's local reply config wraps it as JSON.

A second ext_authz filter, before the transcoder, sends JSON bodies of REST calls under /fields (with the REST
method and path): they are checked for unknown or mistyped fields (domain/json_bodies.py), 400 naming the field.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Final

from aiohttp import web

from cveval_auth import metrics
from cveval_auth.domain.checks import Allowed, Denied, JwtRules, KeyLookup, Quotas, decide
from cveval_auth.domain.json_bodies import JsonBinding, body_error, find_binding
from cveval_auth.domain.policy import EVALUATION_METHODS
from cveval_auth.domain.rates import EVALUATIONS_PER_HOUR_CLASSES, REQUESTS_PER_SECOND_CLASSES, rate_class
from cveval_kit import identity
from cveval_kit.errors import ERROR_CODE_METADATA_KEY

log = logging.getLogger(__name__)

CHECK_PREFIX: Final = "/check"
FIELDS_PREFIX: Final = "/fields"
JWT_PAYLOAD_HEADER: Final = "x-jwt-payload"
# Read by Envoy's rate limit actions (descriptors), then removed before the request goes upstream.
RATE_KEY_HEADER: Final = "x-cveval-rate-key"
RPS_CLASS_HEADER: Final = "x-cveval-rps-class"
EPH_CLASS_HEADER: Final = "x-cveval-eph-class"
# Present only on calls that queue an evaluation, so only they match the evaluations-per-hour descriptor.
EVALUATION_HEADER: Final = "x-cveval-evaluation"


@dataclass(frozen=True)
class CheckConfig:
    keys: KeyLookup
    secret: bytes
    jwt_rules: JwtRules
    jwt_quotas: Quotas
    json_bindings: Sequence[JsonBinding] = ()


def allowed_headers(method: str, allowed: Allowed, secret: bytes) -> dict[str, str]:
    headers = {
        identity.IDENTITY_METADATA_KEY: identity.sign(allowed.identity, secret),
        RATE_KEY_HEADER: allowed.rate_key,
        RPS_CLASS_HEADER: str(rate_class(allowed.requests_per_second, REQUESTS_PER_SECOND_CLASSES)),
        EPH_CLASS_HEADER: str(rate_class(allowed.evaluations_per_hour, EVALUATIONS_PER_HOUR_CLASSES)),
    }
    if method in EVALUATION_METHODS:
        headers[EVALUATION_HEADER] = "1"
    return headers


def denied_response(denied: Denied) -> web.Response:
    headers = {ERROR_CODE_METADATA_KEY: denied.code}
    if denied.status == 401:
        headers["www-authenticate"] = 'Bearer realm="cveval"'
    return web.Response(status=denied.status, text=denied.message, headers=headers)


async def check_fields(request: web.BaseRequest, bindings: Sequence[JsonBinding]) -> web.Response:
    """200 unless the body is the JSON of a public REST binding with an unknown or mistyped field (400)."""
    if "authorization" not in request.headers:
        return web.Response(status=200)  # no credential: the main check's 401 comes first, nothing is parsed
    started = time.perf_counter()
    binding = find_binding(bindings, request.method, request.path[len(FIELDS_PREFIX) :])
    error = body_error(binding, await request.read()) if binding is not None else None
    metrics.BODY_CHECKS.labels("200" if error is None else "400").inc()
    metrics.BODY_CHECK_LATENCY.observe(time.perf_counter() - started)
    if error is None:
        return web.Response(status=200)
    return web.Response(status=400, text=error, headers={ERROR_CODE_METADATA_KEY: "INVALID_ARGUMENT"})


def build_handler(config: CheckConfig) -> Callable[[web.BaseRequest], Awaitable[web.Response]]:
    """The request handler, served by aiohttp's low-level server: no router, middlewares or signals on a path every
    public call takes (they cost more than the decision itself)."""

    async def handle(request: web.BaseRequest) -> web.Response:
        if request.path.startswith(FIELDS_PREFIX + "/"):
            return await check_fields(request, config.json_bindings)
        if not request.path.startswith(CHECK_PREFIX + "/"):
            return web.Response(text="ok") if request.path == "/healthz" else web.Response(status=404)
        started = time.perf_counter()
        method = request.path[len(CHECK_PREFIX) :]
        jwt_payload = request.headers.get(JWT_PAYLOAD_HEADER)
        outcome = await decide(
            method,
            request.headers.get("authorization"),
            jwt_payload,
            config.keys,
            config.jwt_rules,
            config.jwt_quotas,
        )
        credential = "jwt" if jwt_payload else "api_key"
        if isinstance(outcome, Denied):
            response = denied_response(outcome)
            metrics.CHECKS.labels(str(outcome.status), credential).inc()
        else:
            response = web.Response(status=200, headers=allowed_headers(method, outcome, config.secret))
            metrics.CHECKS.labels("200", credential).inc()
        metrics.CHECK_LATENCY.observe(time.perf_counter() - started)
        return response

    return handle


class CheckServer:
    def __init__(self, config: CheckConfig) -> None:
        self._runner = web.ServerRunner(web.Server(build_handler(config), access_log=None))
        self.port = 0

    async def start(self, host: str, port: int) -> int:
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, reuse_address=True)
        await site.start()
        self.port = int(self._runner.addresses[0][1])  # the bound port, also when `port` is 0
        log.info("ext_authz check on http://%s:%d%s/", host, self.port, CHECK_PREFIX)
        return self.port

    async def stop(self) -> None:
        await self._runner.cleanup()
