"""The gateway's own tuning knobs (`CVEVAL_GATEWAY_*`), apart from the settings every process shares."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CVEVAL_GATEWAY_", extra="ignore")

    embed_cache_bytes: int = Field(
        default=256 * MIB, ge=0, description="in-memory embedding LRU budget in bytes (vectors + keys); 0 disables it"
    )
    embed_cache_persist: bool = Field(
        default=True, description="keep embeddings in PostgreSQL (schema gateway) when CVEVAL_DATABASE_URL is set"
    )
    embed_cache_db_timeout_s: float = Field(
        default=2.0, gt=0, description="longest wait for a cache read from PostgreSQL before treating it as a miss"
    )
    embed_cache_max_pending_writes: int = Field(
        default=64, ge=1, description="background PostgreSQL cache writes in flight; more are dropped (and counted)"
    )
    completion_cache_bytes: int = Field(
        default=64 * MIB, ge=0, description="in-memory completion cache budget in bytes; 0 disables it"
    )
    completion_cache_ttl_s: float = Field(default=3600.0, gt=0, description="how long a cached completion is served")
    batch_window_ms: float = Field(
        default=2.0, ge=0, description="how long embedding texts wait for others to share one upstream call"
    )
    batch_max: int = Field(default=256, ge=1, description="most texts in one upstream embedding call")
    loop_lag_interval_s: float = Field(default=1.0, gt=0, description="how often the event-loop lag is sampled")
    forget_poll_s: float = Field(
        default=2.0,
        gt=0,
        description="how often a replica reads the Forget calls other replicas served, to drop its own memory copies",
    )
