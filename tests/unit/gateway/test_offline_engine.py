from __future__ import annotations

import numpy as np
import pytest

from cveval_gateway.providers import offline
from cveval_gateway.providers.base import ChatCall, ProviderUnsupported

ENGINE = offline.OfflineEngine()


def _call(text: str, *, max_tokens: int = 0, json_schema: str | None = None) -> ChatCall:
    return ChatCall(
        model="", messages=(("system", "You summarise."), ("user", text)), temperature=0.0,
        max_tokens=max_tokens, json_schema=json_schema, seed=None, timeout=5.0,
    )


def _cos(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b))


async def test_embeddings_are_deterministic_across_cache_resets() -> None:
    texts = ["Senior Python developer", "Kubernetes and gRPC"]
    first = await ENGINE.embed("ignored", texts, timeout=5)
    offline._slot.cache_clear()
    second = await ENGINE.embed("ignored", texts, timeout=5)
    assert first.vectors == second.vectors
    assert first.model == offline.EMBED_MODEL
    assert first.provider == "offline"


async def test_dimensions_and_unit_norm() -> None:
    result = await ENGINE.embed("", ["one text", "another, longer text with more words in it"], timeout=5)
    assert len(result.vectors) == 2
    for vector in result.vectors:
        assert len(vector) == offline.DIMENSIONS == 384
        assert np.linalg.norm(vector) == pytest.approx(1.0)


async def test_similar_texts_are_closer_than_unrelated_ones() -> None:
    a, b, c = (await ENGINE.embed("", [
        "Senior Python developer with Django, PostgreSQL and REST API experience",
        "Python backend engineer experienced in Django REST APIs and PostgreSQL databases",
        "Whisk two eggs with sugar, then fold in the flour and bake for twenty minutes",
    ], timeout=5)).vectors
    assert _cos(a, b) > 0.5
    assert abs(_cos(a, c)) < 0.2
    assert _cos(a, b) > _cos(a, c) + 0.3


async def test_normalisation_ignores_case_and_accents() -> None:
    result = await ENGINE.embed("", ["Résumé SCREENING", "resume screening"], timeout=5)
    assert result.vectors[0] == pytest.approx(result.vectors[1])


async def test_text_without_words_gets_a_zero_vector() -> None:
    result = await ENGINE.embed("", ["!!! ???"], timeout=5)
    assert not any(result.vectors[0])


async def test_token_counts_are_reported() -> None:
    result = await ENGINE.embed("", ["three words here", "two words"], timeout=5)
    assert result.prompt_tokens == 5


async def test_chat_extracts_central_sentences_in_original_order() -> None:
    text = (
        "The candidate built a retrieval pipeline in Python. "
        "The weather was sunny on the day of the interview! "
        "The Python retrieval pipeline used embeddings and a vector database. "
        "Tests cover the Python retrieval pipeline and its embeddings."
    )
    sentences = offline.split_sentences(text)
    result = await ENGINE.chat(_call(text, max_tokens=30))
    assert result.model == offline.CHAT_MODEL
    assert len(result.content) <= 30 * offline.CHARS_PER_TOKEN
    picked = [s for s in sentences if s in result.content]
    assert picked, result.content
    assert "weather" not in result.content
    # Original order is kept.
    assert [sentences.index(s) for s in picked] == sorted(sentences.index(s) for s in picked)
    assert result.content == " ".join(picked)
    assert result.prompt_tokens == 2 + len(text.split())
    assert result.completion_tokens == len(result.content.split())


async def test_chat_is_deterministic_and_uses_the_last_user_message() -> None:
    call = ChatCall(
        model="", messages=(("user", "Old question. Not this one."), ("assistant", "ok"), ("user", "Only this.")),
        temperature=0.7, max_tokens=0, json_schema=None, seed=None, timeout=5.0,
    )
    first = await ENGINE.chat(call)
    second = await ENGINE.chat(call)
    assert first == second
    assert first.content == "Only this."


async def test_chat_truncates_a_single_long_sentence_to_the_budget() -> None:
    text = "word " * 200
    result = await ENGINE.chat(_call(text, max_tokens=5))
    assert 0 < len(result.content) <= 20


async def test_structured_output_is_refused_not_invented() -> None:
    with pytest.raises(ProviderUnsupported, match="CVEVAL_LLM_BASE_URL"):
        await ENGINE.chat(_call("Score this CV.", json_schema='{"type": "object"}'))
