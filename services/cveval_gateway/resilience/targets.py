"""A target is one (provider, model) pair with its own breaker and rate limits; a Catalog picks, per call, the
ordered targets to try: those serving the requested model (weighted by provider), then the class's fallback chain.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cveval_gateway.providers.base import Provider
from cveval_gateway.providers.config import Kind, Price
from cveval_gateway.resilience.breaker import BreakerState, CircuitBreaker
from cveval_gateway.resilience.ratelimit import RateLimiter
from cveval_gateway.resilience.retry import RetryBudget

# Callers may name models no target lists (they pass through to the chain's first provider); bound how many
# such names get a breaker of their own, so odd requests cannot grow memory without limit.
MAX_PASSTHROUGH_TARGETS = 256


@dataclass
class Target:
    provider: Provider
    provider_name: str
    model: str
    kind: Kind
    breaker: CircuitBreaker
    limiter: RateLimiter
    budget: RetryBudget
    timeout_s: float
    weight: float = 1.0
    price: Price | None = None
    max_batch: int | None = None
    structured: bool = True  # can answer in JSON (the offline engine cannot)
    upstream_model: str | None = None  # the name sent to the provider when it differs (the offline engine's own)

    @property
    def label(self) -> str:
        return f"{self.provider_name}:{self.model}"

    @property
    def request_model(self) -> str:
        return self.upstream_model or self.model


@dataclass
class Catalog:
    """Every target, and per model class the fallback chain; `make_passthrough` builds a target on demand."""

    targets: list[Target]
    chains: dict[Kind, list[Target]]
    make_passthrough: Callable[[Target, str], Target]
    rng: random.Random = field(default_factory=random.Random)
    _passthrough: dict[tuple[Kind, str, str], Target] = field(default_factory=dict)

    def candidates(self, kind: Kind, model: str, *, structured: bool = False) -> list[Target]:
        chain = self.chains.get(kind, [])
        first = self._requested(kind, model, chain)
        ordered = first + [t for t in chain if t not in first]
        if structured:
            # A target that cannot answer in JSON is no use for a structured call, unless nothing else is left
            # (then it is tried, and its refusal says what is wrong).
            capable = [t for t in ordered if t.structured]
            ordered = capable or ordered
        return ordered

    def _requested(self, kind: Kind, model: str, chain: Sequence[Target]) -> list[Target]:
        of_kind = [t for t in self.targets if t.kind == kind]
        provider_name, sep, bare = model.partition(":")
        if sep:
            exact = [t for t in of_kind if t.provider_name == provider_name and t.model == bare]
            if exact:
                return exact
        serving = [t for t in of_kind if t.model == model]
        if serving:
            return self._weighted(serving)
        if not chain:
            return []
        return [self._passthrough_for(kind, model, chain[0])]

    def _passthrough_for(self, kind: Kind, model: str, head: Target) -> Target:
        key = (kind, head.provider_name, model)
        target = self._passthrough.get(key)
        if target is None:
            if len(self._passthrough) >= MAX_PASSTHROUGH_TARGETS:
                return head
            target = self.make_passthrough(head, model)
            self._passthrough[key] = target
        return target

    def _weighted(self, targets: list[Target]) -> list[Target]:
        """Weighted random order without replacement: traffic splits by weight, the rest remain as fallbacks."""
        if len(targets) == 1:
            return targets
        # Efraimidis-Spirakis: sort by u^(1/w); standard, one pass, no library needed for six lines.
        return sorted(targets, key=lambda t: self.rng.random() ** (1.0 / t.weight), reverse=True)

    def providers(self) -> list[Provider]:
        seen: list[Provider] = []
        for target in [*self.targets, *self._passthrough.values()]:
            if all(target.provider is not p for p in seen):
                seen.append(target.provider)
        return seen

    def states(self) -> dict[str, BreakerState]:
        return {t.label: t.breaker.state for t in self.targets}
