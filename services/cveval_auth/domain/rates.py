"""Per-credential quotas as rate classes.

Envoy's rate limiters (the local filter in `make run`, the global rate-limit service in Kubernetes) have one
token bucket per configured descriptor; a limit of its own for every key would need a config change per key. So a
key's quota is rounded DOWN to the nearest class below, the auth service tells Envoy the class and the key id, and
Envoy keeps one bucket per (class, key id). The classes must equal the descriptors in
`deploy/ratelimit/config.yaml` (a test checks it).
"""

from __future__ import annotations

from typing import Final

REQUESTS_PER_SECOND_CLASSES: Final = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
EVALUATIONS_PER_HOUR_CLASSES: Final = (1, 10, 30, 60, 100, 300, 600, 1000, 3000, 10000)


def rate_class(limit: int, classes: tuple[int, ...]) -> int:
    """The largest class not above `limit` (the smallest class for limits below it, the largest above all)."""
    chosen = classes[0]
    for value in classes:
        if value <= limit:
            chosen = value
    return chosen
