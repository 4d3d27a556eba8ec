"""Credentials for tests that go through Envoy: the stack's admin key, and a local OIDC issuer (an RSA key pair
made on the spot, its JWKS in a file Envoy's jwt_authn reads, and JWTs signed with it)."""

from __future__ import annotations

import base64
import importlib
import json
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from cveval_devstack.stack import Stack

OIDC_ISSUER = "https://sso.test.cveval/"
OIDC_AUDIENCE = "cveval-e2e"
OIDC_KEY_ID = "e2e-signing-key"
# The suite's admin key must not run into its own quota; the quota tests create keys with small ones.
GENEROUS_QUOTAS = {
    "CVEVAL_AUTH_DEFAULT_REQUESTS_PER_SECOND": "1000",
    "CVEVAL_AUTH_DEFAULT_EVALUATIONS_PER_HOUR": "10000",
}


def admin_headers(stack: Stack) -> dict[str, str]:
    """The stack's bootstrap admin key as a bearer credential."""
    return {"authorization": f"Bearer {stack.admin_api_key}"}


def create_api_key(stack: Stack, tenant: str, roles: tuple[str, ...]) -> str:
    """A new key of `tenant` with `roles`, made by the bootstrap admin (an admin of the operator tenant may name
    another tenant) through the public API; returns its secret."""
    body = {
        "name": f"e2e {tenant} {'+'.join(roles)}",
        "tenant": tenant,
        "roles": list(roles),
        "requests_per_second": 1000,
        "evaluations_per_hour": 10000,
    }
    reply = httpx.post(f"{stack.rest_url}/v1/api-keys", json=body, headers=admin_headers(stack), timeout=30)
    assert reply.status_code == 200, reply.text
    secret: str = reply.json()["secret"]
    return secret


@lru_cache(maxsize=1)
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks() -> dict[str, Any]:
    public = json.loads(RSAAlgorithm.to_jwk(signing_key().public_key()))
    public.update({"kid": OIDC_KEY_ID, "alg": "RS256", "use": "sig"})
    return {"keys": [public]}


def oidc_env(directory: Path) -> dict[str, str]:
    """The stack's environment for a local issuer whose JWKS is in a file."""
    path = directory / "jwks.json"
    path.write_text(json.dumps(jwks()))
    return {"CVEVAL_OIDC_ISSUER": OIDC_ISSUER, "CVEVAL_OIDC_AUDIENCES": OIDC_AUDIENCE, "CVEVAL_OIDC_JWKS": str(path)}


def token(
    *,
    tenant: str | None = "default",
    roles: list[str] | None = None,
    issuer: str = OIDC_ISSUER,
    audience: str = OIDC_AUDIENCE,
    subject: str = "alice@example.com",
    ttl_s: int = 300,
    key: rsa.RSAPrivateKey | None = None,
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {"iss": issuer, "aud": audience, "sub": subject, "iat": now, "exp": now + ttl_s}
    if tenant is not None:
        claims["tenant"] = tenant
    claims["roles"] = roles if roles is not None else ["reviewer"]
    return jwt.encode(claims, key or signing_key(), algorithm="RS256", headers={"kid": OIDC_KEY_ID})


@lru_cache(maxsize=1)
def other_key() -> rsa.RSAPrivateKey:
    """A key the issuer's JWKS does not have."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def forged_jwt_payload(**claims: Any) -> str:
    """What a client could put in x-jwt-payload if Envoy did not strip it."""
    body = {"iss": OIDC_ISSUER, "sub": "mallory", **claims}
    return base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()


@dataclass(frozen=True)
class ProtoMethod:
    path: str  # "/cveval.job.v1.JobService/Evaluate"
    client_streaming: bool
    server_streaming: bool
    has_http: bool
    http_verb: str = ""  # "get", "post", … from google.api.http
    http_path: str = ""  # "/v1/jobs/{id}"


def proto_methods() -> list[ProtoMethod]:
    """Every RPC of every cveval service, from the generated descriptors (gen/python/cveval/**/*_pb2.py)."""
    from google.api import annotations_pb2

    import cveval

    methods = []
    root = Path(next(iter(cveval.__path__))).parent  # gen/python (namespace packages: no pkgutil walk)
    for source in sorted(root.glob("cveval/**/*_pb2.py")):
        module = importlib.import_module(".".join(source.relative_to(root).with_suffix("").parts))
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                options = method.GetOptions()
                has_http = options.HasExtension(annotations_pb2.http)
                rule = options.Extensions[annotations_pb2.http] if has_http else None
                verb = rule.WhichOneof("pattern") if rule is not None else None
                methods.append(
                    ProtoMethod(
                        path=f"/{service.full_name}/{method.name}",
                        client_streaming=method.client_streaming,
                        server_streaming=method.server_streaming,
                        has_http=has_http,
                        http_verb=verb or "",
                        http_path=getattr(rule, verb) if rule is not None and verb else "",
                    )
                )
    return sorted(methods, key=lambda m: m.path)


# The one public method without an HTTP binding: the client-streaming upload for gRPC callers.
GRPC_ONLY_PUBLIC = frozenset({"/cveval.upload.v1.UploadService/Upload"})


def public_paths() -> set[str]:
    return {m.path for m in proto_methods() if m.has_http} | set(GRPC_ONLY_PUBLIC)
