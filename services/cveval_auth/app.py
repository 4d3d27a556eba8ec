"""Composition root of the auth service: the ext_authz check (HTTP) and ApiKeyService (gRPC) in one process."""

from __future__ import annotations

import logging

from cveval.auth.v1 import auth_pb2, auth_pb2_grpc
from cveval_auth.adapters.check_http import CheckConfig, CheckServer
from cveval_auth.adapters.contract import public_method_descriptors
from cveval_auth.adapters.key_cache import CachedKeyLookup
from cveval_auth.adapters.repository import ApiKeyRepository
from cveval_auth.domain.checks import JwtRules, Quotas
from cveval_auth.domain.json_bodies import json_bindings
from cveval_auth.domain.keys import checked_roles
from cveval_auth.domain.policy import PUBLIC_METHODS
from cveval_auth.service import ApiKeyApplication, KeyDefaults
from cveval_auth.servicer import ApiKeyServicer
from cveval_auth.settings import AuthSettings
from cveval_kit.db import create_engine, session_factory
from cveval_kit.grpc_server import GrpcServer, serve_until_signalled
from cveval_kit.metrics import start_metrics_server
from cveval_kit.runtime import Running
from cveval_kit.settings import Settings

log = logging.getLogger(__name__)

SERVICE_NAME = auth_pb2.DESCRIPTOR.services_by_name["ApiKeyService"].full_name
POLICY = {m: roles for m, roles in PUBLIC_METHODS.items() if m.startswith(f"/{SERVICE_NAME}/")}


def jwt_rules(settings: AuthSettings) -> JwtRules:
    raw = [r for r in settings.auth_jwt_default_roles.split(",") if r.strip()]
    return JwtRules(
        tenant_claim=settings.auth_jwt_tenant_claim,
        roles_claim=settings.auth_jwt_roles_claim,
        default_roles=checked_roles(raw) if raw else frozenset(),
    )


async def start(
    settings: AuthSettings, port: int | None = None, check_port: int | None = None
) -> tuple[Running, CheckServer]:
    secret = settings.identity_secret.encode("utf-8")
    if not secret:
        raise RuntimeError("CVEVAL_IDENTITY_SECRET is required: the auth service signs the callers' identities")
    engine = create_engine(settings, "cveval-auth")
    repository = ApiKeyRepository(session_factory(engine))
    pepper = settings.auth_key_pepper.encode("utf-8")
    defaults = KeyDefaults(
        settings.auth_default_requests_per_second,
        settings.auth_default_evaluations_per_hour,
        settings.auth_default_tenant,
    )
    app = ApiKeyApplication(repository, defaults, pepper)
    if settings.bootstrap_api_key:
        created = await app.ensure_bootstrap(settings.bootstrap_api_key, settings.auth_default_tenant)
        log.info("bootstrap admin key %s", "created" if created else "already present")
    lookup = CachedKeyLookup(
        repository.by_hash, ttl_s=settings.auth_cache_ttl_s, max_entries=settings.auth_cache_size, pepper=pepper
    )
    quotas = Quotas(settings.auth_default_requests_per_second, settings.auth_default_evaluations_per_hour)
    bindings = json_bindings(public_method_descriptors())
    check = CheckServer(CheckConfig(lookup, secret, jwt_rules(settings), quotas, bindings))
    await check.start(settings.grpc_host, settings.auth_check_port if check_port is None else check_port)
    server = GrpcServer("auth", settings, [SERVICE_NAME], policy=POLICY)
    await server.start(lambda s: auth_pb2_grpc.add_ApiKeyServiceServicer_to_server(ApiKeyServicer(app), s), port=port)
    return Running(server=server, cleanups=[check.stop, engine.dispose]), check


async def serve(_: Settings) -> None:
    settings = AuthSettings()
    running, _check = await start(settings)
    start_metrics_server(settings.metrics_port)
    await serve_until_signalled(running.server, running.cleanups)
