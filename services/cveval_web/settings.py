"""The web process's own settings (`CVEVAL_WEB_*`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CVEVAL_WEB_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="address the web process listens on")
    port: int = Field(default=8090, description="HTTP port Envoy routes `/` and `/assets/…` to")
    log_level: str = "INFO"
