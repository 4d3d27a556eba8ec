"""The gateway's provider configuration: CVEVAL_GATEWAY_PROVIDERS, a path to a YAML/JSON file or inline JSON.

API keys never live in the file: a provider names the environment variable that holds its key (`api_key_env`).
Error messages name the field and the problem, never the value given (which could be a pasted key).

    providers:
      - name: openrouter                      # labels metrics; [a-z0-9._-]
        base_url: https://openrouter.ai/api/v1
        api_key_env: OPENROUTER_API_KEY
        weight: 3                             # traffic share among providers serving the same model name
        timeout_s: 30                         # per attempt
        structured_output: json_schema        # or json_object (default)
        limits: {rpm: 500, tpm: 200000}       # shared by all its models
        models:
          chat:
            - name: openai/gpt-4o-mini
              price: {input_per_1k: 0.00015, output_per_1k: 0.0006}
              limits: {rpm: 100}
          embed:
            - {name: openai/text-embedding-3-small, price: {input_per_1k: 0.00002}, limits: {max_batch: 256}}
      - {name: local, base_url: "http://vllm:8000/v1", models: {chat: [qwen2.5-7b-instruct]}}
    fallbacks:                                # ordered; default: every model of the class in file order
      chat: ["openrouter:openai/gpt-4o-mini", "local", "offline"]
      embed: ["openrouter"]
    retry: {max_retries: 2, base_delay_s: 0.2, max_delay_s: 4, budget_ratio: 0.2, budget_floor: 10}
    breaker: {failure_threshold: 5, failure_rate: 0.5, min_calls: 20, window_s: 30, cooldown_s: 15}
    structured: {max_reasks: 2}

A caller's model picks the targets serving that name (split by weight; "provider:model" pins one), then the rest
of its class's chain; an unlisted name goes to the chain's first provider as is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cveval_kit.settings import GATEWAY_PROVIDERS_ENV

ENV_VAR = GATEWAY_PROVIDERS_ENV  # one name: the worker reads it too, to choose its scorer
OFFLINE = "offline"  # the built-in engine's provider name, always available to fallback chains
Kind = Literal["chat", "embed"]
KINDS: tuple[Kind, ...] = ("chat", "embed")
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_SECRET_FIELDS = {"api_key", "key", "apikey", "token", "secret", "password", "authorization"}


class ConfigError(ValueError):
    """The provider configuration cannot be used; the message says where and why."""


class _Strict(BaseModel):
    # A misspelt field would otherwise be ignored silently, and a limit or price with it.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Price(_Strict):
    input_per_1k: float = Field(default=0.0, ge=0)
    output_per_1k: float = Field(default=0.0, ge=0)

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_1k + output_tokens * self.output_per_1k) / 1000.0


class Limits(_Strict):
    rpm: int | None = Field(default=None, gt=0, description="requests per minute")
    tpm: int | None = Field(default=None, gt=0, description="tokens per minute (estimated from text length)")
    max_batch: int | None = Field(default=None, gt=0, description="texts per embeddings request")


class ModelConfig(_Strict):
    name: str = Field(min_length=1)
    price: Price | None = None
    limits: Limits = Limits()


class Models(_Strict):
    chat: list[ModelConfig] = []
    embed: list[ModelConfig] = []

    @field_validator("chat", "embed", mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        # A bare string is a model with no price and no limits of its own.
        if isinstance(value, list):
            return [{"name": item} if isinstance(item, str) else item for item in value]
        return value


class ProviderConfig(_Strict):
    name: str = Field(max_length=64)
    base_url: str = Field(description="OpenAI-compatible base URL, with /v1")
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    models: Models
    weight: float = Field(default=1.0, gt=0, description="share of traffic among providers serving one model")
    limits: Limits = Limits()
    timeout_s: float = Field(default=60.0, gt=0, description="per attempt")
    max_connections: int = Field(default=32, gt=0)
    structured_output: Literal["json_object", "json_schema"] = "json_object"

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError("use lower-case letters, digits, '.', '_' or '-' (it labels metrics and fallbacks)")
        return value

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL such as https://api.openai.com/v1")
        if parts.username or parts.password:
            raise ValueError("must not carry credentials; name the key's environment variable in api_key_env")
        return value

    @model_validator(mode="after")
    def _has_models(self) -> ProviderConfig:
        if not self.models.chat and not self.models.embed:
            raise ValueError("list at least one chat or embed model")
        return self


class RetryConfig(_Strict):
    max_retries: int = Field(default=2, ge=0, le=10)
    base_delay_s: float = Field(default=0.2, gt=0)
    max_delay_s: float = Field(default=4.0, gt=0)
    budget_ratio: float = Field(default=0.2, ge=0, le=1, description="retries allowed per recent request")
    budget_floor: int = Field(default=10, ge=0, description="retries allowed per window whatever the traffic")
    budget_window_s: float = Field(default=10.0, gt=0)


class BreakerConfig(_Strict):
    failure_threshold: int = Field(default=5, gt=0)
    failure_rate: float = Field(default=0.5, gt=0, le=1)
    min_calls: int = Field(default=20, gt=0)
    window_s: float = Field(default=30.0, gt=0)
    cooldown_s: float = Field(default=15.0, gt=0)


class StructuredConfig(_Strict):
    max_reasks: int = Field(default=2, ge=0, le=5)


class GatewayConfig(_Strict):
    providers: list[ProviderConfig] = []
    # Ordered targets per model class: "provider:model", or "provider" for its first model of that class.
    fallbacks: dict[Kind, list[str]] = {}
    retry: RetryConfig = RetryConfig()
    breaker: BreakerConfig = BreakerConfig()
    structured: StructuredConfig = StructuredConfig()

    @model_validator(mode="after")
    def _consistent(self) -> GatewayConfig:
        names = [p.name for p in self.providers]
        if OFFLINE in names:
            raise ValueError(f"'{OFFLINE}' is the built-in engine's name; give the provider another name")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"provider names must be unique: {', '.join(duplicates)}")
        for kind, chain in self.fallbacks.items():
            for entry in chain:
                self.resolve(kind, entry)
        return self

    def resolve(self, kind: Kind, entry: str) -> tuple[str, str | None]:
        """("provider", "model") for a chain entry; model None means the built-in engine's own model."""
        provider_name, _, model = entry.partition(":")  # model names may hold ':' (llama3:8b), provider names not
        if provider_name == OFFLINE:
            return OFFLINE, None
        provider = next((p for p in self.providers if p.name == provider_name), None)
        if provider is None:
            raise ValueError(f"fallbacks.{kind}: {entry!r} names no configured provider")
        models = [m.name for m in getattr(provider.models, kind)]
        if not models:
            raise ValueError(f"fallbacks.{kind}: provider {provider_name!r} has no {kind} models")
        if not model:
            return provider_name, models[0]
        if model not in models:
            raise ValueError(f"fallbacks.{kind}: {entry!r}: {provider_name!r} lists no {kind} model {model!r}")
        return provider_name, model


def load(source: str) -> GatewayConfig:
    """Parse CVEVAL_GATEWAY_PROVIDERS: inline JSON when it starts with '{', else a .json/.yaml/.yml file path."""
    text = source.strip()
    where = f"{ENV_VAR} (inline JSON)"
    if not text.startswith("{"):
        path = Path(text).expanduser()
        where = f"{ENV_VAR} ({path})"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{where}: cannot read the file ({exc.strerror or type(exc).__name__})") from None
    try:
        raw = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        # Only the position: the parser's message may quote the offending text.
        mark = getattr(exc, "problem_mark", None)
        position = f"line {mark.line + 1}" if mark is not None else f"line {getattr(exc, 'lineno', '?')}"
        syntax = "JSON" if text.startswith("{") else "YAML/JSON"
        raise ConfigError(f"{where}: not valid {syntax} ({position})") from None
    return parse(raw, where)


def parse(raw: object, where: str = ENV_VAR) -> GatewayConfig:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: the configuration must be a mapping with a 'providers' list")
    _refuse_secrets(raw, where, "")
    try:
        return GatewayConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(_problem(error["loc"], error["msg"]) for error in exc.errors())
        raise ConfigError(f"{where}: {problems}") from None


def api_key(provider: ProviderConfig, environ: Mapping[str, str]) -> str:
    if provider.api_key_env is None:
        return ""
    key = environ.get(provider.api_key_env, "").strip()
    if not key:
        raise ConfigError(
            f"provider {provider.name!r}: environment variable {provider.api_key_env} (api_key_env) is not set"
        )
    return key


def _refuse_secrets(value: object, where: str, path: str) -> None:
    if isinstance(value, Mapping):
        for name, child in value.items():
            here = f"{path}.{name}" if path else str(name)
            if isinstance(name, str) and name.lower().replace("-", "_") in _SECRET_FIELDS:
                raise ConfigError(
                    f"{where}: {here}: keys are never read from the configuration; put the key in an "
                    "environment variable and name that variable in api_key_env"
                )
            _refuse_secrets(child, where, here)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            _refuse_secrets(child, where, f"{path}[{index}]")


def _problem(loc: tuple[Any, ...], message: str) -> str:
    where = ""
    for part in loc:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    message = message.removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


