"""Rank statistics and the TF-IDF baseline of the labelled benchmark, in numpy (no SciPy or scikit-learn here)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["pairwise_accuracy", "ranks", "spearman", "tfidf_cosines"]

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern


def ranks(values: Sequence[float]) -> np.ndarray:
    """Ranks from 0, ties sharing their mean rank (what Spearman's rho needs)."""
    data = np.asarray(values, dtype=np.float64)
    order = np.argsort(data, kind="mergesort")
    out = np.empty(len(data), dtype=np.float64)
    i = 0
    while i < len(data):
        j = i
        while j + 1 < len(data) and data[order[j + 1]] == data[order[i]]:
            j += 1
        out[order[i : j + 1]] = (i + j) / 2
        i = j + 1
    return out


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rho (Pearson on tie-averaged ranks); 0.0 when either side is constant."""
    if len(x) != len(y):
        raise ValueError("spearman needs two sequences of one length")
    rx, ry = ranks(x), ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        return 0.0
    return float(np.corrcoef(rx, ry)[0, 1])


def pairwise_accuracy(groups: Sequence[str], labels: Sequence[float], scores: Sequence[float]) -> float:
    """Within each group (a profile), the share of pairs with different labels that the scores order as the labels
    do (higher label = better); a tied score counts half."""
    by_group: dict[str, list[tuple[float, float]]] = {}
    for g, label, score in zip(groups, labels, scores, strict=True):
        by_group.setdefault(g, []).append((label, score))
    right = total = 0.0
    for items in by_group.values():
        for a in range(len(items)):
            for b in range(a + 1, len(items)):
                (la, sa), (lb, sb) = items[a], items[b]
                if la == lb:
                    continue
                total += 1
                agree = (sa - sb) * (la - lb)
                right += 1.0 if agree > 0 else 0.5 if sa == sb else 0.0
    return right / total if total else 0.0


def _weights(tokens: Sequence[str], idf: Mapping[str, float]) -> dict[str, float]:
    counts = Counter(tokens)
    raw = {t: n * idf[t] for t, n in counts.items()}
    norm = math.sqrt(sum(v * v for v in raw.values())) or 1.0
    return {t: v / norm for t, v in raw.items()}


def tfidf_cosines(documents: Mapping[str, str], pairs: Sequence[tuple[str, str]]) -> list[float]:
    """Cosine of TF-IDF vectors (raw counts, smooth idf ln((1+n)/(1+df))+1, L2 norm: scikit-learn's defaults), the
    idf fitted on `documents`; each pair names two documents."""
    tokens = {key: _TOKEN.findall(text.lower()) for key, text in documents.items()}
    df: Counter[str] = Counter()
    for toks in tokens.values():
        df.update(set(toks))
    n = len(tokens)
    idf = {t: math.log((1 + n) / (1 + d)) + 1 for t, d in df.items()}
    vectors = {key: _weights(toks, idf) for key, toks in tokens.items()}
    out = []
    for a, b in pairs:
        va, vb = vectors[a], vectors[b]
        small, large = (va, vb) if len(va) <= len(vb) else (vb, va)
        out.append(sum(w * large.get(t, 0.0) for t, w in small.items()))
    return out
