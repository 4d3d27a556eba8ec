"""Builds the gateway's providers from settings: the one place app.py asks "what do I call?".

Three ways to configure, first match wins:
  CVEVAL_GATEWAY_PROVIDERS   several providers, models, limits, prices and fallback chains (see config.py);
  CVEVAL_LLM_BASE_URL        one OpenAI-compatible provider with CVEVAL_LLM_* models (the simple case);
  neither                    the offline engine: extractive chat, MiniLM embeddings when the wheel is there,
                             else the hashing embedder.
Every provider sits behind a Router (retries, retry budget, breakers, rate limits, fallbacks, accounting) and chat
behind the structured-output validator.
"""

from __future__ import annotations

import importlib
import logging
import os
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import httpx

from cveval_gateway import accounting
from cveval_gateway.providers import config, offline
from cveval_gateway.providers.base import ChatCall, ChatResult, EmbedResult, Provider, ProviderUnsupported
from cveval_gateway.providers.config import OFFLINE, GatewayConfig, Kind, Limits, Models, ProviderConfig
from cveval_gateway.providers.openai_compat import OpenAICompatProvider
from cveval_gateway.resilience.breaker import BreakerPolicy, BreakerState, CircuitBreaker
from cveval_gateway.resilience.clock import Clock, SystemClock
from cveval_gateway.resilience.ratelimit import RateLimiter, TokenBucket
from cveval_gateway.resilience.retry import RetryBudget, RetryPolicy
from cveval_gateway.resilience.router import Router
from cveval_gateway.resilience.targets import Catalog, Target
from cveval_gateway.structured import StructuredOutput
from cveval_kit.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class ProviderSet:
    """What the service calls for chat and for embeddings, and the models it uses when the caller names none."""

    chat: Provider
    embed: Provider
    chat_model: str
    embed_model: str
    router: Router | None = None  # for inspection (breaker states)

    async def aclose(self) -> None:
        await self.chat.aclose()
        if self.embed is not self.chat:
            await self.embed.aclose()


def build_providers(
    settings: Settings,
    environ: Mapping[str, str] | None = None,
    *,
    clock: Clock | None = None,
    rng: random.Random | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ProviderSet:
    """Raises config.ConfigError, naming the field and the problem, when the configuration cannot be used."""
    env = os.environ if environ is None else environ
    source = env.get(config.ENV_VAR, "").strip()
    if source:
        cfg = config.load(source)
        keys = {p.name: config.api_key(p, env) for p in cfg.providers}
        if settings.llm_base_url.strip():
            log.warning("%s is set, so CVEVAL_LLM_BASE_URL and CVEVAL_LLM_* models are not used", config.ENV_VAR)
    elif settings.llm_base_url.strip():
        cfg, keys = _single_provider(settings)
    else:
        # The offline engine goes through the Router too, so its calls are accounted and traced like any other.
        log.info("no model provider configured: using the offline engine")
        cfg, keys = GatewayConfig(), {}
    return _assemble(cfg, keys, settings, clock or SystemClock(), rng or random.Random(), transport)


def offline_embedder() -> tuple[Provider, str]:
    """The multilingual encoder when its wheel is present, else MiniLM (English only), else the hashing embedder
    (always there)."""
    # Imported by name: each module is optional. First the one that reads German and English in one space.
    for module_name, class_name in (
        ("cveval_gateway.providers.use_multilingual", "UseMultilingualEmbedder"),
        ("cveval_gateway.providers.minilm", "MiniLmEmbedder"),
    ):
        try:
            module = importlib.import_module(module_name)
            if module.available():
                embedder = getattr(module, class_name)()
                provider = embedder if isinstance(embedder, Provider) else _EmbedOnly(embedder)
                return provider, str(module.MODEL)
        except ImportError:
            continue
        except Exception as exc:  # a broken optional model must not stop the gateway: it has a fallback
            log.warning("the offline embedder %s could not be loaded (%s)", module_name, type(exc).__name__)
    return offline.OfflineEngine(), offline.EMBED_MODEL


class _EmbedOnly:
    """Gives an embedder without the rest of the Provider protocol a name, a refusing chat and aclose."""

    name = OFFLINE

    def __init__(self, embedder: object) -> None:
        self._embedder = embedder

    async def chat(self, req: ChatCall) -> ChatResult:
        raise ProviderUnsupported("the offline embedder does not chat")

    async def embed(self, model: str, texts: Sequence[str], *, timeout: float) -> EmbedResult:  # noqa: ASYNC109
        result: EmbedResult = await self._embedder.embed(model, texts, timeout=timeout)  # type: ignore[attr-defined]
        return result

    async def aclose(self) -> None:
        close = getattr(self._embedder, "aclose", None)
        if close is not None:
            await close()


def _single_provider(settings: Settings) -> tuple[GatewayConfig, dict[str, str]]:
    # The host name labels metrics and results as it always has; built unvalidated since a host such as an
    # IPv6 literal need not fit the configured-name pattern.
    name = urlsplit(settings.llm_base_url).hostname or "openai-compatible"
    provider = ProviderConfig.model_construct(
        name=name,
        base_url=settings.llm_base_url,
        api_key_env=None,
        models=Models(chat=[settings.llm_chat_model], embed=[settings.llm_embed_model]),  # type: ignore[list-item]
        weight=1.0,
        limits=Limits(),
        timeout_s=settings.llm_timeout_s,
        max_connections=settings.llm_max_connections,
        structured_output="json_object",
    )
    return GatewayConfig.model_construct(
        providers=[provider], fallbacks={}, retry=config.RetryConfig(), breaker=config.BreakerConfig(),
        structured=config.StructuredConfig(),
    ), {name: settings.llm_api_key}


def _assemble(
    cfg: GatewayConfig,
    keys: Mapping[str, str],
    settings: Settings,
    clock: Clock,
    rng: random.Random,
    transport: httpx.AsyncBaseTransport | None,
) -> ProviderSet:
    policy = BreakerPolicy(**cfg.breaker.model_dump())

    def breaker(provider: str, model: str) -> CircuitBreaker:
        accounting.breaker_changed(provider, model, BreakerState.CLOSED)
        return CircuitBreaker(policy, clock.now, lambda state: accounting.breaker_changed(provider, model, state))

    def passthrough(head: Target, model: str) -> Target:
        return replace(head, model=model, breaker=breaker(head.provider_name, model), price=None, upstream_model=None)

    targets: list[Target] = []
    for p in cfg.providers:
        # One pooled keep-alive client per provider; it makes one attempt per call, the Router does the retrying.
        client = OpenAICompatProvider(
            p.base_url, keys.get(p.name, ""), name=p.name, max_connections=p.max_connections, timeout_s=p.timeout_s,
            policy=RetryPolicy(max_retries=0), structured_output=p.structured_output, transport=transport,
        )
        budget = RetryBudget(
            ratio=cfg.retry.budget_ratio, floor=cfg.retry.budget_floor, window_s=cfg.retry.budget_window_s,
            clock=clock.now,
        )
        shared = _buckets(p.limits, p.name, clock)
        for kind in config.KINDS:
            for m in getattr(p.models, kind):
                targets.append(Target(
                    provider=client, provider_name=p.name, model=m.name, kind=kind,
                    breaker=breaker(p.name, m.name),
                    limiter=RateLimiter([*shared, *_buckets(m.limits, f"{p.name}:{m.name}", clock)], clock),
                    budget=budget, timeout_s=p.timeout_s, weight=p.weight, price=m.price,
                    max_batch=m.limits.max_batch or p.limits.max_batch,
                ))
    chains = {kind: _chain(cfg, kind, targets, settings, clock, breaker) for kind in config.KINDS}
    catalog = Catalog(targets=targets, chains=chains, make_passthrough=passthrough, rng=rng)
    names = {t.provider_name for t in targets} | {t.provider_name for chain in chains.values() for t in chain}
    retry = RetryPolicy(cfg.retry.max_retries, cfg.retry.base_delay_s, cfg.retry.max_delay_s)
    router = Router(catalog, policy=retry, clock=clock, rng=rng, name=names.pop() if len(names) == 1 else "router")
    for kind, chain in chains.items():
        log.info("%s targets in order: %s", kind, ", ".join(t.label for t in chain))
    return ProviderSet(
        chat=StructuredOutput(router, max_reasks=cfg.structured.max_reasks, clock=clock),
        embed=router,
        chat_model=chains["chat"][0].model,
        embed_model=chains["embed"][0].model,
        router=router,
    )


def _chain(
    cfg: GatewayConfig,
    kind: Kind,
    targets: list[Target],
    settings: Settings,
    clock: Clock,
    breaker: Callable[[str, str], CircuitBreaker],
) -> list[Target]:
    """The configured chain, else every target of the class in file order, else the offline engine."""
    entries = cfg.fallbacks.get(kind)
    if entries is None:
        of_kind = [t for t in targets if t.kind == kind]
        if of_kind:
            return of_kind
        entries = [OFFLINE]
    chain: list[Target] = []
    for entry in entries:
        provider_name, model = cfg.resolve(kind, entry)
        if provider_name == OFFLINE:
            chain.append(_offline_target(kind, settings, clock, breaker))
        else:
            chain.append(next(t for t in targets if (t.kind, t.provider_name, t.model) == (kind, provider_name, model)))
    embed_models = {t.model for t in chain} if kind == "embed" else set()
    if len(embed_models) > 1:
        # Vectors from different models live in different spaces; mixing them in one index breaks retrieval.
        log.warning("the embed chain mixes models %s: fallback vectors may not match an index", sorted(embed_models))
    return chain


def _offline_target(
    kind: Kind, settings: Settings, clock: Clock, breaker: Callable[[str, str], CircuitBreaker]
) -> Target:
    provider, model = (offline.OfflineEngine(), offline.CHAT_MODEL) if kind == "chat" else offline_embedder()
    return Target(
        provider=provider, provider_name=OFFLINE, model=model, kind=kind, breaker=breaker(OFFLINE, model),
        limiter=RateLimiter([], clock), budget=RetryBudget(ratio=0.0, floor=0, clock=clock.now),
        timeout_s=settings.llm_timeout_s, structured=False,
    )


def _buckets(limits: Limits, scope: str, clock: Clock) -> list[TokenBucket]:
    buckets = []
    if limits.rpm:
        buckets.append(TokenBucket(limits.rpm, "requests", scope, clock))
    if limits.tpm:
        buckets.append(TokenBucket(limits.tpm, "tokens", scope, clock))
    return buckets
