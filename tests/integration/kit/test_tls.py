"""The mutual-TLS option of the kit: a server with CVEVAL_GRPC_TLS_* set serves only clients whose certificate the
mesh's CA signed."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cveval_kit import grpc_clients
from cveval_kit.grpc_server import GrpcServer
from cveval_kit.settings import Settings

Pem = tuple[bytes, bytes]  # certificate, key


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _issue(common: str, issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None) -> tuple[
    x509.Certificate, ec.EllipticCurvePrivateKey
]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(issuer[0].subject if issuer else _name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
    )
    if issuer is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    else:
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    signer = issuer[1] if issuer else key
    return builder.sign(signer, hashes.SHA256()), key


def _write(directory: Path, name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Settings:
    (directory / f"{name}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / f"{name}.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Settings(
        grpc_tls_cert=str(directory / f"{name}.crt"),
        grpc_tls_key=str(directory / f"{name}.key"),
        grpc_tls_ca=str(directory / "ca.crt"),
    )


def _pem(path: str) -> bytes:
    return Path(path).read_bytes()


@pytest.fixture
def certs(tmp_path: Path) -> dict[str, Settings]:
    ca = _issue("cveval-mesh-ca", None)
    (tmp_path / "ca.crt").write_bytes(ca[0].public_bytes(serialization.Encoding.PEM))
    stranger_ca = _issue("someone-else", None)
    return {
        "server": _write(tmp_path, "server", *_issue("job", ca)),
        "client": _write(tmp_path, "client", *_issue("worker", ca)),
        "stranger": _write(tmp_path, "stranger", *_issue("worker", stranger_ca)),
    }


@pytest.fixture
async def server(certs: dict[str, Settings]) -> AsyncIterator[int]:
    running = GrpcServer("tls-test", certs["server"], ())
    port = await running.start(lambda _server: None, host="127.0.0.1", port=0)
    try:
        yield port
    finally:
        await running.stop(0)


async def _check(channel: grpc.aio.Channel) -> int:
    async with channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        return int(reply.status)


async def test_a_client_with_a_mesh_certificate_is_served(server: int, certs: dict[str, Settings]) -> None:
    channel = grpc_clients.channel(f"localhost:{server}", certs["client"])
    grpc_clients._channels.clear()  # this test owns the channel and closes it itself
    assert await _check(channel) == health_pb2.HealthCheckResponse.SERVING


async def test_a_client_without_a_certificate_is_refused(server: int, certs: dict[str, Settings]) -> None:
    ca_only = grpc.ssl_channel_credentials(root_certificates=_pem(certs["client"].grpc_tls_ca))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await _check(grpc.aio.secure_channel(f"localhost:{server}", ca_only))
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_a_plaintext_client_is_refused(server: int) -> None:
    with pytest.raises(grpc.aio.AioRpcError):
        await _check(grpc.aio.insecure_channel(f"localhost:{server}"))


async def test_a_certificate_from_another_ca_is_refused(server: int, certs: dict[str, Settings]) -> None:
    stranger = certs["stranger"]
    credentials = grpc.ssl_channel_credentials(
        root_certificates=_pem(certs["client"].grpc_tls_ca),
        private_key=_pem(stranger.grpc_tls_key),
        certificate_chain=_pem(stranger.grpc_tls_cert),
    )
    with pytest.raises(grpc.aio.AioRpcError):
        await _check(grpc.aio.secure_channel(f"localhost:{server}", credentials))
