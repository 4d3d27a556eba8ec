"""The labelled development benchmark: human fit ratings of CV ↔ posting pairs (../shared/labeled/gulp-de-dev).

Its texts are read from ../shared and never copied into the repository. Every pair is run through the service's
evaluation pipeline; the report gives Spearman's rho of cv_match_rate against the negated label (label 1 = best fit)
and the pairwise ranking accuracy within each profile, beside a TF-IDF cosine computed in the same run, and what each
signal scores alone. The profiles are split into two halves by id (alternating in sorted order): the few
parameters of the semantic band were fitted on half A, so half B is the check.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cveval_job.scoring.cv_scoring import MEANING_MEASURES
from cveval_job.scoring.model import Chunk, ScoringInput, Vacancy
from cveval_job.scoring.offline_scorer import OfflineScorer
from cveval_job.scoring.rubrics import default_vacancy, vacancy_from_texts
from cveval_job.scoring.text import content_stems
from tools.quality import REPO_ROOT
from tools.quality.pipeline import REFERENCE_DATE, Pipeline
from tools.quality.stats import pairwise_accuracy, spearman, tfidf_cosines

TARGET_SPEARMAN = 0.55
REPORT_FOR_PAIRS = "A short project report: a retrieval-augmented pipeline with tests and a README."


@dataclass(frozen=True)
class LabelledSet:
    root: Path
    pairs: tuple[tuple[str, str, int], ...]  # (cv id, posting id, label 1 best … 5 worst)
    cvs: dict[str, str]
    postings: dict[str, str]

    def half(self, cv_id: str) -> str:
        order = sorted({c for c, _, _ in self.pairs}, key=lambda c: (len(c), c))
        return "A" if order.index(cv_id) % 2 == 0 else "B"


def labelled_dir(override: str | None = None) -> Path | None:
    default = REPO_ROOT.parent / "shared" / "labeled" / "gulp-de-dev"
    candidate = Path(override or os.environ.get("CVEVAL_LABELED_DIR") or default)
    return candidate if (candidate / "pairs.csv").is_file() else None


def load_set(root: Path, limit_profiles: int | None = None) -> LabelledSet:
    with (root / "pairs.csv").open(encoding="utf-8", newline="") as f:
        rows = [(r["cv"], r["jobpost"], int(r["label"])) for r in csv.DictReader(f)]
    if limit_profiles is not None:
        keep = sorted({c for c, _, _ in rows}, key=lambda c: (len(c), c))[:limit_profiles]
        rows = [r for r in rows if r[0] in keep]
    cvs = {c: (root / "cv" / f"{c}.txt").read_text(encoding="utf-8") for c in {r[0] for r in rows}}
    posts = {p: (root / "jobpost" / f"{p}.txt").read_text(encoding="utf-8") for p in {r[1] for r in rows}}
    return LabelledSet(root, tuple(rows), cvs, posts)


@dataclass(frozen=True)
class Signals:
    """One value per pair for each signal, in the order of the set's pairs."""

    fusion: list[float]  # cv_match_rate as the service computes it
    rules: list[float]  # cv_match_rate of the offline scorer without the semantic evidence
    semantic: list[float]  # document cosine of the pipeline's embeddings
    lexical: list[float]  # share of the posting's content words found in the CV
    tfidf: list[float]  # the baseline: TF-IDF cosine of CV and posting
    # cv_match_rate with one measure by meaning left out (cv_scoring.MEANING_MEASURES), same retrieval and vectors
    without: dict[str, list[float]]


async def compute_signals(data: LabelledSet, pipeline: Pipeline) -> Signals:
    brief = default_vacancy().study_case_brief
    vacancies: dict[str, Vacancy] = {p: vacancy_from_texts(t, brief) for p, t in data.postings.items()}
    fusion, rules, semantic, lexical = [], [], [], []
    ablated = {m: OfflineScorer(REFERENCE_DATE, leave_out=frozenset({m})) for m in MEANING_MEASURES}
    without: dict[str, list[float]] = {m: [] for m in MEANING_MEASURES}
    stems = {c: content_stems(t) for c, t in data.cvs.items()}
    for cv_id, post_id, _ in data.pairs:
        cv, vacancy = data.cvs[cv_id], vacancies[post_id]
        run = (await pipeline.evaluate(cv, REPORT_FOR_PAIRS, vacancy)).run
        fusion.append(run.evaluation.cv_match_rate)
        semantic.append(run.semantic.document_cosine if run.semantic else 0.0)
        alone = pipeline.scorer.score_sync(ScoringInput(cv, REPORT_FOR_PAIRS, vacancy))
        rules.append(alone.cv_match_rate)
        context = tuple(Chunk(h.chunk.id, h.chunk.source, h.chunk.text) for h in run.retrieved
                        if h.chunk.source in ("job_description", "cv_rubric"))
        same = ScoringInput(cv, REPORT_FOR_PAIRS, vacancy, context, (), run.semantic)
        for measure, scorer in ablated.items():
            without[measure].append(scorer.score_sync(same).cv_match_rate)
        wanted = content_stems(data.postings[post_id])
        lexical.append(len(wanted & stems[cv_id]) / len(wanted) if wanted else 0.0)
    documents = {f"cv:{k}": v for k, v in data.cvs.items()} | {f"post:{k}": v for k, v in data.postings.items()}
    tfidf = tfidf_cosines(documents, [(f"cv:{c}", f"post:{p}") for c, p, _ in data.pairs])
    return Signals(fusion, rules, semantic, lexical, tfidf, without)


@dataclass(frozen=True)
class Figures:
    spearman_all: float
    spearman_a: float
    spearman_b: float
    pairwise: float


def figures(data: LabelledSet, scores: Sequence[float]) -> Figures:
    fit = [-label for _, _, label in data.pairs]  # label 1 is the best fit
    halves = [data.half(c) for c, _, _ in data.pairs]

    def rho(half: str | None) -> float:
        idx = [i for i, h in enumerate(halves) if half is None or h == half]
        return spearman([scores[i] for i in idx], [fit[i] for i in idx])

    pairwise = pairwise_accuracy([c for c, _, _ in data.pairs], fit, scores)
    return Figures(rho(None), rho("A"), rho("B"), pairwise)
