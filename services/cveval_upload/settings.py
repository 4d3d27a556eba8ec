"""The upload service's own settings (`CVEVAL_UPLOAD_*`), next to the kit's shared ones (per-file limit, ports).

The defaults bound one upload and the whole service; the README's "Limits" section derives the worst case from
them, so change both together.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

_MIB = 1024 * 1024


class UploadSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CVEVAL_UPLOAD_", extra="ignore")

    extract_workers: int = Field(default=2, ge=1, description="extraction processes (files read in parallel)")
    extract_cpu_s: int = Field(default=8, ge=1, description="CPU seconds one file may use (RLIMIT_CPU)")
    extract_timeout_s: float = Field(default=20.0, gt=0, description="wall-clock seconds one file may take")
    extract_memory_mb: int = Field(
        default=320, ge=128, description="address space of one extraction process, MiB (RLIMIT_AS)"
    )
    extract_tasks_per_worker: int = Field(
        default=200, ge=1, description="files an extraction process reads before it is replaced"
    )
    inflight_bytes: int = Field(
        default=48 * _MIB, ge=1, description="upload bytes held by in-flight requests, summed; over it: 503"
    )
    busy_retry_after_s: int = Field(default=2, ge=1, description="Retry-After when the service is at capacity")

    @property
    def extract_memory_bytes(self) -> int:
        return self.extract_memory_mb * _MIB
