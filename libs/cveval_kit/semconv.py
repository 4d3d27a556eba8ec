"""Current semantic-convention attribute names on every span, whatever instrumentation library made it.

SQLAlchemy's instrumentation emits the stable database names (db.query.text, db.namespace, server.address) when
OTEL_SEMCONV_STABILITY_OPT_IN says `database`, which `opt_in_stable_conventions` sets before any instrumentation
reads it. The gRPC instrumentation has no such switch yet and always writes the old `net.*` names, so
`CurrentConventions` renames the legacy keys when a span starts, before any exporter sees it.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

# Old name → current name (semantic conventions 1.26 and later).
LEGACY_NAMES = {
    "net.peer.name": "server.address",
    "net.peer.port": "network.peer.port",
    "net.peer.ip": "network.peer.address",
    "net.sock.peer.addr": "network.peer.address",
    "net.sock.peer.port": "network.peer.port",
    "net.host.name": "server.address",
    "net.host.port": "server.port",
    "db.statement": "db.query.text",
    "db.name": "db.namespace",
    "db.operation": "db.operation.name",
}


def opt_in_stable_conventions() -> None:
    """Ask the instrumentation libraries for the stable database and HTTP names (an operator's own value wins)."""
    os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "database,http")


class CurrentConventions(SpanProcessor):
    """Renames legacy attribute keys as a span starts; added first, so later processors see the current names."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        attributes = span._attributes  # the SDK span's own mapping: the API has no way to remove a key
        if not isinstance(attributes, MutableMapping):
            return
        for old, new in LEGACY_NAMES.items():
            if old in attributes:
                value = attributes[old]
                del attributes[old]
                if new not in attributes:
                    attributes[new] = value

    def on_end(self, span: ReadableSpan) -> None:
        return None

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
