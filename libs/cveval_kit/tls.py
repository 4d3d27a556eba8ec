"""Optional mutual TLS between services: every gRPC server and client of the mesh takes its certificate, key and
the CA that signs its peers from CVEVAL_GRPC_TLS_CERT / _KEY / _CA (file paths). Off when they are empty, as in
`make run` (loopback only). With a CA set, a server accepts only clients presenting a certificate that CA signed."""

from __future__ import annotations

from pathlib import Path

import grpc

from cveval_kit.settings import Settings


def enabled(settings: Settings) -> bool:
    return bool(settings.grpc_tls_cert and settings.grpc_tls_key)


def _read(path: str) -> bytes:
    return Path(path).read_bytes()


def server_credentials(settings: Settings) -> grpc.ServerCredentials:
    ca = _read(settings.grpc_tls_ca) if settings.grpc_tls_ca else None
    return grpc.ssl_server_credentials(
        [(_read(settings.grpc_tls_key), _read(settings.grpc_tls_cert))],
        root_certificates=ca,
        require_client_auth=ca is not None,
    )


def channel_credentials(settings: Settings) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        root_certificates=_read(settings.grpc_tls_ca) if settings.grpc_tls_ca else None,
        private_key=_read(settings.grpc_tls_key),
        certificate_chain=_read(settings.grpc_tls_cert),
    )
