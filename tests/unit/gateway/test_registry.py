from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

from cveval_gateway.providers import config, offline, registry
from cveval_gateway.providers.base import ChatCall, ProviderUnsupported
from cveval_gateway.providers.config import ConfigError
from cveval_gateway.resilience.router import Router
from cveval_gateway.structured import StructuredOutput
from cveval_kit.settings import Settings

KEY = "sk-live-abcdef0123456789"


def _two_providers(**extra: object) -> dict[str, object]:
    return {
        "providers": [
            {
                "name": "alpha", "base_url": "https://alpha.example/v1", "api_key_env": "ALPHA_KEY",
                "weight": 3, "limits": {"rpm": 600, "tpm": 100000},
                "models": {
                    "chat": [{"name": "big", "price": {"input_per_1k": 0.5, "output_per_1k": 1.5}}, "small"],
                    "embed": [{"name": "vec", "limits": {"max_batch": 64}}],
                },
            },
            {"name": "beta", "base_url": "http://beta.local:8000/v1", "models": {"chat": ["big"]},
             "structured_output": "json_schema"},
        ],
        **extra,
    }


def _build(cfg: object, env: dict[str, str] | None = None, settings: Settings | None = None) -> registry.ProviderSet:
    environ = {"ALPHA_KEY": KEY, config.ENV_VAR: json.dumps(cfg), **(env or {})}
    return registry.build_providers(settings or Settings(llm_base_url=""), environ, rng=random.Random(0))


def _error(cfg: object, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        _build(cfg, env)
    assert KEY not in str(info.value)
    return str(info.value)

# The offline engines and their vector sizes: the multilingual encoder, MiniLM, feature hashing.
DIMENSIONS = {"use-multilingual-v3-q6": 512, "all-MiniLM-L6-v2-int8": 384, offline.EMBED_MODEL: 384}


async def test_no_provider_gives_the_offline_engine() -> None:
    built = registry.build_providers(Settings(llm_base_url=""), {})
    assert built.chat_model == offline.CHAT_MODEL
    assert built.embed_model in DIMENSIONS
    assert built.chat.name == built.embed.name == "offline"
    assert built.router is not None
    chat = await built.chat.chat(ChatCall("", (("user", "Python developer. Likes tea."),), 0.0, 8, None, None, 5.0))
    assert (chat.provider, chat.model) == ("offline", offline.CHAT_MODEL)
    # The first call may wait for the offline model to finish loading (seconds on a busy machine).
    embedded = await built.embed.embed("", ["python"], timeout=120)
    dimensions = DIMENSIONS[built.embed_model]
    assert (embedded.provider, embedded.model, len(embedded.vectors[0])) == ("offline", built.embed_model, dimensions)
    with pytest.raises(ProviderUnsupported, match="CVEVAL_LLM_BASE_URL"):
        await built.chat.chat(ChatCall("", (("user", "x"),), 0.0, 0, '{"type": "object"}', None, 5.0))
    await built.aclose()


def test_the_hashing_embedder_stands_in_when_no_model_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("cveval_gateway.providers.minilm", "cveval_gateway.providers.use_multilingual"):
        monkeypatch.setitem(sys.modules, name, None)  # import now raises ImportError
    embedder, model = registry.offline_embedder()
    assert isinstance(embedder, offline.OfflineEngine)
    assert model == offline.EMBED_MODEL


async def test_the_simple_env_vars_are_the_one_provider_case() -> None:
    settings = Settings(llm_base_url="http://127.0.0.1:9/v1", llm_api_key=KEY, llm_chat_model="c", llm_embed_model="e")
    built = registry.build_providers(settings, {})
    assert isinstance(built.chat, StructuredOutput) and isinstance(built.embed, Router)
    assert (built.chat_model, built.embed_model) == ("c", "e")
    assert built.chat.name == built.embed.name == "127.0.0.1"
    await built.aclose()
    await built.aclose()  # idempotent


async def test_a_configuration_with_chains_weights_and_passthrough() -> None:
    built = _build(_two_providers(fallbacks={"chat": ["alpha:big", "beta", "offline"], "embed": ["alpha"]}))
    assert built.router is not None and built.router.name == "router"
    assert (built.chat_model, built.embed_model) == ("big", "vec")
    catalog = built.router.catalog
    chain = [t.label for t in catalog.chains["chat"]]
    assert chain == ["alpha:big", "beta:big", "offline:offline-extractive-1"]
    # "big" is served by both providers, split 3:1 by weight; the rest of the chain follows.
    firsts = [catalog.candidates("chat", "big")[0].provider_name for _ in range(400)]
    assert 250 < firsts.count("alpha") < 350
    assert [t.label for t in catalog.candidates("chat", "beta:big")][:1] == ["beta:big"]
    # An unlisted model goes to the chain's first provider under its own name, then down the chain.
    unlisted = catalog.candidates("chat", "judge")
    assert [t.label for t in unlisted] == ["alpha:judge", "alpha:big", "beta:big", "offline:offline-extractive-1"]
    # Structured calls skip the engine that cannot answer in JSON.
    assert "offline" not in {t.provider_name for t in catalog.candidates("chat", "big", structured=True)}
    vec = catalog.chains["embed"][0]
    assert vec.max_batch == 64 and vec.limiter.limited
    await built.aclose()


async def test_default_chains_and_offline_for_a_missing_class() -> None:
    cfg = {"providers": [{"name": "only", "base_url": "http://x:1/v1", "models": {"chat": ["a", "b"]}}]}
    built = _build(cfg)
    assert built.router is not None
    assert [t.label for t in built.router.catalog.chains["chat"]] == ["only:a", "only:b"]
    assert built.router.catalog.chains["embed"][0].provider_name == "offline"
    await built.aclose()


def test_a_yaml_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text(
        "providers:\n  - name: local\n    base_url: http://127.0.0.1:8000/v1\n"
        "    models: {chat: [qwen], embed: [bge]}\n"
        "breaker: {failure_threshold: 2}\nretry: {budget_ratio: 0.1}\n"
    )
    cfg = config.load(str(path))
    assert cfg.providers[0].models.embed[0].name == "bge"
    assert cfg.breaker.failure_threshold == 2 and cfg.retry.budget_ratio == 0.1


def test_errors_name_the_field_and_the_problem() -> None:
    bad = _two_providers()
    bad["providers"][0]["models"]["chat"][0]["price"]["input_per_1k"] = -1  # type: ignore[index]
    bad["providers"][1]["timeout_s"] = 0  # type: ignore[index]
    bad["providers"][1]["wieght"] = 2  # type: ignore[index]
    message = _error(bad)
    assert message.startswith("CVEVAL_GATEWAY_PROVIDERS")
    assert "providers[0].models.chat[0].price.input_per_1k: Input should be greater than or equal to 0" in message
    assert "providers[1].timeout_s: Input should be greater than 0" in message
    assert "providers[1].wieght: Extra inputs are not permitted" in message


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda c: c["providers"][0].update(base_url="ftp://x"), "providers[0].base_url: must be an http"),
        (lambda c: c["providers"][0].update(name="Alpha One"), "providers[0].name: use lower-case letters"),
        (lambda c: c["providers"][1].update(name="alpha"), "provider names must be unique: alpha"),
        (lambda c: c["providers"][1].update(name="offline"), "'offline' is the built-in engine's name"),
        (lambda c: c.update(fallbacks={"chat": ["gamma:big"]}), "fallbacks.chat: 'gamma:big' names no configured"),
        (lambda c: c.update(fallbacks={"embed": ["beta"]}), "provider 'beta' has no embed models"),
        (lambda c: c.update(fallbacks={"chat": ["alpha:huge"]}), "'alpha' lists no chat model 'huge'"),
        (lambda c: c["providers"][1].update(models={}), "providers[1]: list at least one chat or embed model"),
    ],
)
def test_invalid_configurations(mutate: object, expected: str) -> None:
    cfg = _two_providers()
    mutate(cfg)  # type: ignore[operator]
    assert expected in _error(cfg)


def test_keys_come_from_the_environment_only() -> None:
    missing = _error(_two_providers(), env={"ALPHA_KEY": ""})
    assert "provider 'alpha': environment variable ALPHA_KEY (api_key_env) is not set" in missing
    in_file = _two_providers()
    in_file["providers"][0]["api_key"] = KEY  # type: ignore[index]
    message = _error(in_file)
    assert "providers[0].api_key: keys are never read from the configuration" in message
    with_credentials = _two_providers()
    with_credentials["providers"][1]["base_url"] = f"https://user:{KEY}@beta.example/v1"  # type: ignore[index]
    assert "must not carry credentials" in _error(with_credentials)


def test_unreadable_sources_are_named(tmp_path: Path) -> None:
    assert "cannot read the file" in _error_from_source(str(tmp_path / "missing.yaml"))
    assert "not valid JSON (line 1)" in _error_from_source('{"providers": [')
    listing = tmp_path / "list.yaml"
    listing.write_text("- just\n- a list\n")
    assert "must be a mapping" in _error_from_source(str(listing))


def _error_from_source(source: str) -> str:
    with pytest.raises(ConfigError) as info:
        config.load(source)
    return str(info.value)

