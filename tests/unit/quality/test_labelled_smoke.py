"""A quick look at the labelled development set (../shared/labeled/gulp-de-dev): a few profiles through the real
pipeline. Skipped where the set is not on the machine; `make quality` runs the whole set."""

from __future__ import annotations

import pytest

from tools.quality.labelled import compute_signals, figures, labelled_dir, load_set
from tools.quality.pipeline import Pipeline

ROOT = labelled_dir()
pytestmark = pytest.mark.skipif(
    ROOT is None, reason="labelled set not present (../shared/labeled/gulp-de-dev or $CVEVAL_LABELED_DIR)"
)


@pytest.mark.timeout(300)
async def test_a_few_profiles_rank_their_postings_better_than_chance() -> None:
    assert ROOT is not None
    data = load_set(ROOT, limit_profiles=5)
    pipeline = Pipeline()
    try:
        signals = await compute_signals(data, pipeline)
    finally:
        await pipeline.aclose()
    assert len(signals.fusion) == len(data.pairs) > 50
    assert all(0.2 <= rate <= 1.0 for rate in signals.fusion)
    # Too few profiles for a stable rank correlation (make quality has the whole set): the pairs rated a good fit
    # (1-2) must still score higher on average than those rated no fit (5).
    good = [s for s, (_, _, label) in zip(signals.fusion, data.pairs, strict=True) if label <= 2]
    poor = [s for s, (_, _, label) in zip(signals.fusion, data.pairs, strict=True) if label == 5]
    assert sum(good) / len(good) > sum(poor) / len(poor) + 0.03
    assert figures(data, signals.fusion).pairwise > 0.5
