"""Which exceptions mean "a dependency is out" rather than "a bug": they become UNAVAILABLE (HTTP 503 with
Retry-After) at the service edge, and a retry later in the worker, instead of INTERNAL.

The drivers raise many unrelated types for the same fact (the database or NATS cannot be reached right now), so
they are listed here once for the interceptor and the worker to share.
"""

from __future__ import annotations

import errno

import asyncpg
import nats.errors
import nats.js.errors
from sqlalchemy import exc as sa_exc

from cveval_kit.errors import Unavailable

# asyncpg: the server went away, refuses connections while it starts or stops, or the connection broke.
_DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)
_NETWORK_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT}
)
_NATS_ERRORS: tuple[type[BaseException], ...] = (
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionDrainingError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.NoServersError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.StaleConnectionError,
    nats.errors.TimeoutError,
    nats.errors.NoRespondersError,
    nats.js.errors.ServiceUnavailableError,
)


def is_outage(exc: BaseException) -> bool:
    """True when `exc` (or what it was raised from) says a dependency cannot be reached right now."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_outage_itself(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _is_outage_itself(exc: BaseException) -> bool:
    if isinstance(exc, Unavailable):
        return True
    if isinstance(exc, sa_exc.TimeoutError):  # the pool had no free connection within pool_timeout
        return True
    if isinstance(exc, sa_exc.DBAPIError) and (exc.connection_invalidated or isinstance(exc, sa_exc.InterfaceError)):
        return True
    if isinstance(exc, sa_exc.OperationalError):
        return True
    if isinstance(exc, _DATABASE_ERRORS + _NATS_ERRORS):
        return True
    # Refused or reset TCP connections and connect timeouts (asyncpg raises the socket's own errors).
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    return isinstance(exc, OSError) and exc.errno in _NETWORK_ERRNOS


def as_unavailable(exc: BaseException) -> Unavailable | None:
    """The Unavailable error to show for an outage, None for anything else."""
    if isinstance(exc, Unavailable):
        return exc
    if is_outage(exc):
        return Unavailable("a dependency is temporarily unavailable; retry later", code="UNAVAILABLE")
    return None
