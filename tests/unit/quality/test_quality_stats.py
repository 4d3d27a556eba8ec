from __future__ import annotations

import pytest

from tools.quality.stats import pairwise_accuracy, ranks, spearman, tfidf_cosines


def test_ranks_share_ties() -> None:
    assert ranks([10, 20, 20, 5]).tolist() == [1.0, 2.5, 2.5, 0.0]


def test_spearman_of_monotone_and_reversed_orders() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 400]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 1, 1], [1, 2, 3]) == 0.0


def test_pairwise_accuracy_counts_within_groups_only_and_ties_half() -> None:
    groups = ["a", "a", "a", "b", "b"]
    labels = [3, 2, 1, 1, 2]
    scores = [0.9, 0.5, 0.5, 0.9, 0.1]
    # group a: (3,2) right, (3,1) right, (2,1) tie -> 2.5 of 3; group b: (1,2) wrong -> 0 of 1
    assert pairwise_accuracy(groups, labels, scores) == pytest.approx(2.5 / 4)


def test_tfidf_cosine_prefers_shared_rare_terms() -> None:
    docs = {
        "cv": "Java Spring Oracle developer",
        "java": "Java developer for Oracle banking",
        "teacher": "primary school English teacher developer",
    }
    near, far, same = tfidf_cosines(docs, [("cv", "java"), ("cv", "teacher"), ("cv", "cv")])
    assert near > far > 0
    assert same == pytest.approx(1.0)
