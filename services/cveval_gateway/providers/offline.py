"""The offline engine: deterministic embeddings and extractive chat with no network and nothing downloaded.

Used when no provider URL is configured, so the whole pipeline runs on a laptop or in CI. It never pretends to be
a language model: it only selects sentences it was given, and it refuses structured (JSON) output rather than
inventing it.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from functools import lru_cache

import numpy as np

from cveval_gateway.providers.base import ChatCall, ChatResult, EmbedResult, ProviderUnsupported

EMBED_MODEL = "offline-hash-384"
CHAT_MODEL = "offline-extractive-1"
DIMENSIONS = 384
CHARS_PER_TOKEN = 4
DEFAULT_MAX_TOKENS = 256
STRUCTURED_REFUSAL = "the offline engine cannot produce structured output; configure CVEVAL_LLM_BASE_URL"

# Whole words carry most meaning; bigrams add phrase sense; character 3-grams let "python" meet "pythonic".
# (Weights chosen on small CV-like samples: related sentences ~0.5-0.6 cosine, unrelated ~0.)
_WEIGHTS = {"w": 1.0, "b": 0.5, "c": 0.5}
# Function words would make any two English texts look alike; a tiny list is enough to keep them out.
_STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "i", "in", "is", "it", "its",
    "of", "on", "or", "our", "that", "the", "their", "then", "this", "to", "was", "we", "were", "will", "with",
})
_WORD = re.compile(r"\w+")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n\s*\n|\n(?=\s*[-*\u2022])")
# Work this large leaves the event loop, so one big batch does not stall every other call of the process.
_THREAD_THRESHOLD_CHARS = 20_000


def normalize(text: str) -> str:
    """Compatibility-decompose, drop accents and casefold, so "Résumé" and "resume" hash alike."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def tokenize(text: str) -> list[str]:
    return _WORD.findall(normalize(text))


def _features(all_tokens: Sequence[str]) -> Iterator[str]:
    tokens = [t for t in all_tokens if t not in _STOP_WORDS] or list(all_tokens)
    for i, token in enumerate(tokens):
        yield f"w\x1f{token}"
        if i + 1 < len(tokens):
            yield f"b\x1f{token} {tokens[i + 1]}"
        padded = f"<{token}>"
        for j in range(len(padded) - 2):
            yield f"c\x1f{padded[j : j + 3]}"


@lru_cache(maxsize=1 << 18)
def _slot(feature: str) -> tuple[int, float]:
    """Stable across processes and Python versions (unlike hash()), so stored vectors stay comparable."""
    h = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8, person=b"cveval-hash384").digest(), "big")
    return h % DIMENSIONS, (1.0 if h >> 63 else -1.0) * _WEIGHTS[feature[0]]


def embed_one(text: str) -> np.ndarray:
    vector = np.zeros(DIMENSIONS, dtype=np.float64)
    for feature, tf in Counter(_features(tokenize(text))).items():
        index, signed_weight = _slot(feature)
        # Sublinear tf: a word said ten times is more important, not ten times more.
        vector[index] += signed_weight * (1.0 + math.log(tf))
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def embed_matrix(texts: Sequence[str]) -> np.ndarray:
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float64)
    return np.vstack([embed_one(t) for t in texts])


def count_tokens(text: str) -> int:
    return len(text.split())


def split_sentences(text: str) -> list[str]:
    parts = (" ".join(p.split()) for p in _SENTENCE_BREAK.split(text))
    return [p for p in parts if p]


def summarize(text: str, max_chars: int) -> str:
    """The most central sentences (closest to the text's mean vector) that fit in `max_chars`, in text order."""
    sentences = split_sentences(text)
    if not sentences:
        return ""
    if len(sentences) == 1:
        return _truncate(sentences[0], max_chars)
    vectors = embed_matrix(sentences)
    centre = vectors.mean(axis=0)
    norm = float(np.linalg.norm(centre))
    scores = vectors @ (centre / norm) if norm > 0 else np.zeros(len(sentences))
    # Highest score first; ties go to the earlier sentence, which keeps the choice deterministic.
    ranked = sorted(range(len(sentences)), key=lambda i: (-float(scores[i]), i))
    chosen: list[int] = []
    used = 0
    for i in ranked:
        extra = len(sentences[i]) + (1 if chosen else 0)
        if used + extra <= max_chars:
            chosen.append(i)
            used += extra
    if not chosen:
        return _truncate(sentences[ranked[0]], max_chars)
    return " ".join(sentences[i] for i in sorted(chosen))


def _truncate(sentence: str, max_chars: int) -> str:
    if len(sentence) <= max_chars:
        return sentence
    cut = sentence[:max_chars]
    space = cut.rfind(" ")
    return cut[:space] if space > 0 else cut


def _last_user_message(messages: Sequence[tuple[str, str]]) -> str:
    for role, content in reversed(messages):
        if role == "user":
            return content
    return messages[-1][1] if messages else ""


class OfflineEngine:
    name = "offline"

    async def chat(self, req: ChatCall) -> ChatResult:
        if req.json_schema is not None:
            raise ProviderUnsupported(STRUCTURED_REFUSAL)
        text = _last_user_message(req.messages)
        max_tokens = req.max_tokens if req.max_tokens > 0 else DEFAULT_MAX_TOKENS
        if len(text) > _THREAD_THRESHOLD_CHARS:
            content = await asyncio.to_thread(summarize, text, max_tokens * CHARS_PER_TOKEN)
        else:
            content = summarize(text, max_tokens * CHARS_PER_TOKEN)
        return ChatResult(
            content=content,
            model=CHAT_MODEL,
            provider=self.name,
            prompt_tokens=sum(count_tokens(body) for _, body in req.messages),
            completion_tokens=count_tokens(content),
        )

    async def embed(self, model: str, texts: Sequence[str], *, timeout: float) -> EmbedResult:  # noqa: ASYNC109
        if sum(len(t) for t in texts) > _THREAD_THRESHOLD_CHARS:
            matrix = await asyncio.to_thread(embed_matrix, texts)
        else:
            matrix = embed_matrix(texts)
        return EmbedResult(
            vectors=matrix.tolist(),
            model=EMBED_MODEL,
            provider=self.name,
            prompt_tokens=sum(count_tokens(t) for t in texts),
        )

    async def aclose(self) -> None:
        return None
