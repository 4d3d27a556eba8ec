"""What `make run` changes in the edge config beyond addresses: the local rate limiter instead of the global
rate-limit service, and the OIDC provider (issuer, audiences, a local JWKS) from the environment, or no JWT
filter at all when none is configured."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
RATELIMIT_CONFIG = REPO_ROOT / "deploy" / "ratelimit" / "config.yaml"
# Distinct credentials with a live token bucket in the local limiter (least recently used ones are dropped).
MAX_DYNAMIC_BUCKETS = 100_000
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class OidcOptions:
    issuer: str
    audiences: tuple[str, ...]
    jwks: str  # a JWKS document (JSON) or the path of a file holding one

    @classmethod
    def from_env(cls, env: dict[str, str]) -> OidcOptions | None:
        """CVEVAL_OIDC_ISSUER, CVEVAL_OIDC_AUDIENCES (comma-separated), CVEVAL_OIDC_JWKS; None when unset."""
        issuer = env.get("CVEVAL_OIDC_ISSUER", "").strip()
        jwks = env.get("CVEVAL_OIDC_JWKS", "").strip()
        if not issuer or not jwks:
            return None
        audiences = tuple(a.strip() for a in env.get("CVEVAL_OIDC_AUDIENCES", "").split(",") if a.strip())
        return cls(issuer, audiences, jwks)

    def jwks_source(self) -> dict[str, Any]:
        if self.jwks.startswith("{"):
            json.loads(self.jwks)  # fail at start-up, not on the first request
            return {"inline_string": self.jwks}
        return {"filename": str(Path(self.jwks).resolve())}


def _bucket(limit: dict[str, Any]) -> dict[str, Any]:
    """A token bucket as generous as the global service's fixed window: the whole limit at once, refilled in steps
    of one so a client waits only the interval of a single request."""
    count = int(limit["requests_per_unit"])
    seconds = _UNIT_SECONDS[limit["unit"]]
    if seconds == 1:
        return {"max_tokens": count, "tokens_per_fill": count, "fill_interval": "1s"}
    interval_ms = max(1, (seconds * 1000) // count)
    return {"max_tokens": count, "tokens_per_fill": 1, "fill_interval": f"{interval_ms / 1000:.3f}s"}


def _flatten(
    nodes: list[dict[str, Any]], prefix: list[dict[str, str]]
) -> list[tuple[list[dict[str, str]], dict[str, Any]]]:
    found = []
    for node in nodes:
        entry = {"key": node["key"], **({"value": str(node["value"])} if "value" in node else {})}
        path = [*prefix, entry]
        if "rate_limit" in node:
            found.append((path, node["rate_limit"]))
        found.extend(_flatten(node.get("descriptors", []), path))
    return found


def local_rate_limit(ratelimit_config: Path = RATELIMIT_CONFIG) -> dict[str, Any]:
    """Envoy's local_ratelimit filter with the global service's descriptors; a valueless entry is a per-value
    (dynamic) bucket. The default bucket is effectively unlimited: only credentials are limited."""
    config = yaml.safe_load(ratelimit_config.read_text())
    descriptors = [
        {"entries": entries, "token_bucket": _bucket(limit)} for entries, limit in _flatten(config["descriptors"], [])
    ]
    always = {"default_value": {"numerator": 100, "denominator": "HUNDRED"}, "runtime_key": "quota_enabled"}
    return {
        "name": "envoy.filters.http.local_ratelimit",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
            "stat_prefix": "quota",
            "token_bucket": {"max_tokens": 1_000_000, "tokens_per_fill": 1_000_000, "fill_interval": "1s"},
            "filter_enabled": always,
            "filter_enforced": always,
            "enable_x_ratelimit_headers": "DRAFT_VERSION_03",
            "max_dynamic_descriptors": MAX_DYNAMIC_BUCKETS,
            "rate_limited_as_resource_exhausted": True,
            "descriptors": descriptors,
        },
    }


def apply(config: dict[str, Any], oidc: OidcOptions | None) -> None:
    """Rewrite the deployable config in place for one machine: local limiter, local JWKS or no JWT filter."""
    manager = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    filters: list[dict[str, Any]] = []
    for f in manager["http_filters"]:
        if f["name"] == "envoy.filters.http.ratelimit":
            f = local_rate_limit()
        elif f["name"] == "envoy.filters.http.jwt_authn":
            if oidc is None:
                continue
            provider = f["typed_config"]["providers"]["oidc"]
            provider["issuer"] = oidc.issuer
            provider["audiences"] = list(oidc.audiences)
            provider.pop("remote_jwks", None)
            provider["local_jwks"] = oidc.jwks_source()
        filters.append(f)
    manager["http_filters"] = filters
    unused = {"ratelimit", "oidc_jwks"}
    config["static_resources"]["clusters"] = [
        c for c in config["static_resources"]["clusters"] if c["name"] not in unused
    ]
