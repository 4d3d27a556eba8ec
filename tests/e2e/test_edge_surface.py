"""Every method of every service sent through Envoy: the public ones reach their service, the rest are refused."""

from __future__ import annotations

import re
from collections.abc import Iterator

import grpc
import httpx
import pytest

from cveval_devstack.stack import Stack
from tests.support.edge import ProtoMethod, admin_headers, proto_methods, public_paths

METHODS = proto_methods()
PUBLIC = public_paths()
# Every service also serves these; the edge must not expose them either.
INFRASTRUCTURE = [
    ProtoMethod("/grpc.health.v1.Health/Check", False, False, False),
    ProtoMethod("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", True, True, False),
    ProtoMethod("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", True, True, False),
]


def call(channel: grpc.Channel, method: ProtoMethod, metadata: tuple[tuple[str, str], ...]) -> grpc.StatusCode:
    """Send an empty request of the method's shape; the status it ends with."""
    codec = {"request_serializer": None, "response_deserializer": None}
    try:
        if method.client_streaming and method.server_streaming:
            for _ in channel.stream_stream(method.path, **codec)(iter([]), metadata=metadata, timeout=5):
                pass
        elif method.client_streaming:
            channel.stream_unary(method.path, **codec)(iter([]), metadata=metadata, timeout=5)
        elif method.server_streaming:
            for _ in channel.unary_stream(method.path, **codec)(b"", metadata=metadata, timeout=5):
                pass
        else:
            channel.unary_unary(method.path, **codec)(b"", metadata=metadata, timeout=5)
    except grpc.RpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


@pytest.fixture(scope="module")
def channel(stack: Stack) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{stack.http_port}") as opened:
        yield opened


def test_the_surface_is_not_empty() -> None:
    assert len(PUBLIC) >= 10 and len(METHODS) > len(PUBLIC)


@pytest.mark.parametrize(
    "method", [m for m in METHODS if m.path not in PUBLIC] + INFRASTRUCTURE, ids=lambda m: m.path
)
def test_internal_methods_are_refused(stack: Stack, channel: grpc.Channel, method: ProtoMethod) -> None:
    admin = tuple(admin_headers(stack).items())
    assert call(channel, method, admin) == grpc.StatusCode.UNIMPLEMENTED  # Envoy's 404 for a gRPC caller
    assert call(channel, method, ()) == grpc.StatusCode.UNIMPLEMENTED  # refused before any credential check
    rest = httpx.post(f"{stack.rest_url}{method.path}", json={}, headers=admin_headers(stack), timeout=10)
    assert rest.status_code == 404 and rest.json()["code"] == 5, rest.text


@pytest.mark.parametrize("method", [m for m in METHODS if m.path in PUBLIC], ids=lambda m: m.path)
def test_public_methods_are_routed_and_need_a_credential(
    stack: Stack, channel: grpc.Channel, method: ProtoMethod
) -> None:
    assert call(channel, method, ()) == grpc.StatusCode.UNAUTHENTICATED
    code = call(channel, method, tuple(admin_headers(stack).items()))
    assert code not in {grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.UNAUTHENTICATED}, code


@pytest.mark.parametrize("method", [m for m in METHODS if m.has_http], ids=lambda m: m.path)
def test_every_rest_binding_needs_a_credential(stack: Stack, method: ProtoMethod) -> None:
    path = re.sub(r"\{[^}]+\}", "some-id", method.http_path)
    response = httpx.request(method.http_verb.upper(), f"{stack.rest_url}{path}", timeout=10)
    assert response.status_code == 401, (method.http_verb, path, response.text)
    assert response.json()["code"] == 16


def test_the_web_app_is_served_without_a_credential(stack: Stack) -> None:
    page = httpx.get(stack.web_url, timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    module = httpx.get(f"{stack.rest_url}/assets/js/app.js", timeout=10)
    assert module.status_code == 200 and module.headers["content-type"].startswith("text/javascript")
    cached = httpx.get(f"{stack.rest_url}/assets/js/app.js", headers={"if-none-match": module.headers["etag"]})
    assert cached.status_code == 304


@pytest.mark.parametrize("verb", ["GET", "HEAD", "POST"])
def test_no_static_path_reaches_a_grpc_method(stack: Stack, verb: str) -> None:
    """Without a credential, no method path (public, internal or infrastructure) is served by the web route: each is
    the JSON 404 (or, for a public method, 401 at the credential check), never a page or a method's answer."""
    for method in [*METHODS, *INFRASTRUCTURE]:
        reply = httpx.request(verb, f"{stack.rest_url}{method.path}", timeout=10)
        assert reply.status_code in {401, 404}, (verb, method.path, reply.status_code)
        assert "text/html" not in reply.headers.get("content-type", ""), method.path
    for path in ("/assets/", "/assets/../README.md", "/index.html", "/healthz", "/assets/js/missing.js"):
        reply = httpx.request(verb, f"{stack.rest_url}{path}", timeout=10)
        assert reply.status_code == 404, (verb, path, reply.status_code)
