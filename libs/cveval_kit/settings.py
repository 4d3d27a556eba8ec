"""Process settings from `CVEVAL_*` environment variables (documented in the README's table)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Final

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Read by the ai-gateway (cveval_gateway/providers/config.py) as a raw variable, not a setting: it holds a file path
# or a whole JSON/YAML document. The worker only asks whether it is set, to choose its scorer.
GATEWAY_PROVIDERS_ENV: Final = "CVEVAL_GATEWAY_PROVIDERS"
SCORERS: Final = ("auto", "offline", "llm")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CVEVAL_", extra="ignore")

    database_url: str = Field(
        default="", description="postgresql+asyncpg:// URL; empty starts embedded PostgreSQL", repr=False
    )
    nats_url: str = Field(default="", description="nats:// URL; empty starts an embedded nats-server", repr=False)
    nats_user: str = Field(default="", description="NATS user when the URL carries none")
    nats_password: str = Field(default="", repr=False)
    nats_creds_file: str = Field(default="", description="a NATS .creds file (JWT + nkey), instead of user/password")
    db_pool_size: int = 10
    db_max_overflow: int = 5
    db_pool_timeout_s: float = 10.0
    db_connect_timeout_s: float = Field(default=5.0, description="give up opening a database connection after it")

    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50051
    grpc_max_message_bytes: int = 32 * 1024 * 1024
    grpc_shutdown_grace_s: float = 10.0
    # Keepalive: clients ping an idle-looking call (a long model call sends no data for minutes) every
    # grpc_keepalive_time_ms; servers accept pings as often as grpc_min_ping_interval_ms. The server's must be the
    # smaller, or gRPC's server default (5 min) counts the pings as abuse and ends the call with GOAWAY
    # too_many_pings.
    grpc_keepalive_time_ms: int = Field(default=30_000, description="client keepalive ping interval during calls")
    grpc_keepalive_timeout_ms: int = Field(default=20_000, description="a ping unanswered for this long ends the call")
    grpc_min_ping_interval_ms: int = Field(default=10_000, description="servers accept client pings this often")
    grpc_tls_cert: str = Field(default="", description="PEM certificate of this process: turns on TLS (cveval_kit.tls)")
    grpc_tls_key: str = Field(default="", description="PEM private key for grpc_tls_cert")
    grpc_tls_ca: str = Field(default="", description="PEM CA of the mesh: servers require client certificates it signs")
    metrics_port: int = Field(default=0, description="Prometheus /metrics port; 0 disables")
    http_port: int = Field(default=8080, description="where Envoy serves the REST API")

    upload_addr: str = "127.0.0.1:50051"
    job_addr: str = "127.0.0.1:50052"
    result_addr: str = "127.0.0.1:50053"
    gateway_addr: str = "127.0.0.1:50054"

    max_upload_bytes: int = Field(default=10 * 1024 * 1024, description="per-file upload limit")

    worker_concurrency: int = 4
    worker_max_deliver: int = Field(default=5, description="evaluation attempts of a job before it ends failed")
    worker_ack_wait_s: float = Field(default=10.0, description="a silent worker's messages are redelivered after it")
    worker_retry_delay_s: float = 2.0
    worker_max_retry_delay_s: float = Field(default=30.0, description="cap of the doubling redelivery delay")
    jobs_stream: str = "CVEVAL_JOBS"
    jobs_subject: str = "cveval.jobs.evaluate"
    dead_letter_stream: str = "CVEVAL_JOBS_DEAD"
    dead_letter_subject: str = "cveval.dead.jobs.evaluate"
    reconcile_interval_s: float = Field(default=5.0, description="how often the job service looks for stranded jobs")
    reconcile_stuck_after_s: float = Field(
        default=600.0, description="a queued/processing job untouched this long is published again"
    )
    reconcile_deadline_s: float = Field(
        default=86400.0, description="a job still unfinished this long after it was accepted ends failed"
    )
    retry_after_s: int = Field(default=5, description="Retry-After (seconds) sent with 503s during an outage")
    readiness_interval_s: float = Field(default=2.0, description="how often readiness re-checks the database")
    events_subject_prefix: str = "cveval.events.jobs"
    results_erased_subject: str = "cveval.events.results.erased"
    worker_durable: str = "evaluation-worker"
    audit_stream: str = "CVEVAL_AUDIT"
    audit_subject_prefix: str = "cveval.audit"
    audit_durable: str = "audit-recorder"
    retention_purge_interval_s: float = Field(default=3600.0, description="how often the retention purge runs")

    llm_base_url: str = Field(default="", description="OpenAI-compatible base URL; empty uses the offline engine")
    llm_api_key: str = ""
    llm_chat_model: str = "openrouter/auto"
    llm_embed_model: str = "text-embedding-3-small"
    llm_timeout_s: float = Field(
        default=60.0,
        description="seconds one LLM step (one structured chat call, re-asks included) may take; the gateway's cap "
        "too. A hosted model needs seconds, a small local model on a CPU minutes (docs/llm-local-models.md)",
    )
    llm_step_timeouts: str = Field(
        default="",
        description='per-step overrides of llm_timeout_s for the worker, e.g. "cv_profile=300,summary=120"',
    )
    llm_max_connections: int = 32
    scorer: str = Field(
        default="auto",
        description="auto | offline | llm; auto is llm when CVEVAL_LLM_BASE_URL or CVEVAL_GATEWAY_PROVIDERS is set",
    )

    identity_secret: str = Field(
        default="",
        description="HMAC key shared by the auth service and the services to sign/verify the edge's caller identity",
        repr=False,
    )

    log_level: str = "INFO"

    @field_validator("scorer")
    @classmethod
    def _known_scorer(cls, value: str) -> str:
        # Checked when the settings are read, so a typo stops the worker at start-up instead of silently scoring
        # with the wrong scorer.
        scorer = value.strip().lower()
        if scorer not in SCORERS:
            raise ValueError(f"CVEVAL_SCORER must be one of {', '.join(SCORERS)}, got {value!r}")
        return scorer

    @model_validator(mode="after")
    def _stuck_means_stuck(self) -> Settings:
        # A job waiting out a redelivery delay, or held by a worker that just died, is not stranded: republishing it
        # would only evaluate it twice, and trip the worker's crash-loop guard (decision 0003).
        floor = self.worker_max_retry_delay_s + self.worker_ack_wait_s
        if self.reconcile_stuck_after_s <= floor:
            raise ValueError(
                f"CVEVAL_RECONCILE_STUCK_AFTER_S ({self.reconcile_stuck_after_s:g}) must exceed "
                f"CVEVAL_WORKER_MAX_RETRY_DELAY_S + CVEVAL_WORKER_ACK_WAIT_S ({floor:g})"
            )
        return self

    def resolved_scorer(self, environ: Mapping[str, str]) -> str:
        """offline or llm. In Kubernetes the worker and the gateway are separate processes, so "auto" can only
        look at the worker's own environment: either way of configuring the gateway's providers counts."""
        if self.scorer != "auto":
            return self.scorer
        configured = self.llm_base_url.strip() or environ.get(GATEWAY_PROVIDERS_ENV, "").strip()
        return "llm" if configured else "offline"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
