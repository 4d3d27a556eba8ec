"""One gRPC channel per target per process, traced; services reach each other only through generated stubs."""

from __future__ import annotations

import grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors

from cveval_kit import tls
from cveval_kit.settings import Settings, get_settings

_channels: dict[str, grpc.aio.Channel] = {}

_CHANNEL_OPTIONS = (
    ("grpc.max_receive_message_length", 32 * 1024 * 1024),
    ("grpc.max_send_message_length", 32 * 1024 * 1024),
    ("grpc.keepalive_permit_without_calls", 0),
    # Keep pinging through a call that sends no data for minutes (a slow model): the default stops after 2 pings,
    # and a dead peer would then go unnoticed until the deadline.
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.enable_retries", 1),
    # A peer that is back (a restarted service) is reached within ~2 s; gRPC's default backoff grows to 120 s, so a
    # short outage could otherwise keep callers failing for minutes after it ended.
    ("grpc.initial_reconnect_backoff_ms", 250),
    ("grpc.max_reconnect_backoff_ms", 2_000),
)


def channel(target: str, settings: Settings | None = None) -> grpc.aio.Channel:
    """The shared channel for `target`; created on first use in the running event loop. Mutual TLS when the
    settings carry a certificate (cveval_kit.tls)."""
    existing = _channels.get(target)
    if existing is not None:
        return existing
    s = settings or get_settings()
    options = (*_CHANNEL_OPTIONS, *keepalive_options(s))
    if tls.enabled(s):
        created = grpc.aio.secure_channel(
            target, tls.channel_credentials(s), options=options, interceptors=aio_client_interceptors()
        )
    else:
        created = grpc.aio.insecure_channel(target, options=options, interceptors=aio_client_interceptors())
    _channels[target] = created
    return created


def keepalive_options(settings: Settings) -> tuple[tuple[str, int], ...]:
    """Client pings; servers accept them (grpc_server.keepalive_policy), so long calls are not ended by GOAWAY."""
    return (
        ("grpc.keepalive_time_ms", settings.grpc_keepalive_time_ms),
        ("grpc.keepalive_timeout_ms", settings.grpc_keepalive_timeout_ms),
    )


async def close_channels(*targets: str) -> None:
    """Close the shared channels to `targets`, or every one when none is named. A component names its own, so that
    several started in one process (the test suite's meshes) do not close each other's."""
    names = list(targets) if targets else list(_channels)
    for name in names:
        ch = _channels.pop(name, None)
        if ch is not None:
            await ch.close()
