"""The labelled benchmark and the CPU cost per evaluation, as report sections."""

from __future__ import annotations

import time

from cveval_job.scoring.rubrics import default_vacancy, vacancy_from_texts
from tests.fixtures.documents import SAMPLE_CV
from tools.quality.checks import Check, render_table
from tools.quality.corpus import Corpus, project_reports
from tools.quality.labelled import TARGET_SPEARMAN, Figures, LabelledSet, compute_signals, figures
from tools.quality.pipeline import Pipeline
from tools.quality.sections import Section, vacancies_of

CPU_TARGET_S = 0.5
# The TF-IDF baseline the issue quotes for this split; the report recomputes its own beside it.
QUOTED_TFIDF = 0.388

_SIGNALS = (
    ("fusion: cv_match_rate as served", "fusion"),
    ("skills/rules alone (offline scorer, no embeddings)", "rules"),
    ("semantic alone (document cosine)", "semantic"),
    ("lexical alone (posting words found in the CV)", "lexical"),
    ("baseline: TF-IDF cosine", "tfidf"),
)


# What each measure by meaning left out of the fusion is (cv_scoring.MEANING_MEASURES).
_ABLATED = {
    "best_role": "the closest role or project (experience)",
    "best_matches": "the best-met requirements (achievements)",
}


def _row(name: str, f: Figures) -> list[str]:
    return [name, f"{f.spearman_all:.3f}", f"{f.spearman_a:.3f}", f"{f.spearman_b:.3f}", f"{f.pairwise:.3f}"]


async def labelled(data: LabelledSet, pipeline: Pipeline) -> Section:
    section = Section(f"Labelled benchmark: {len(data.pairs)} human-rated pairs, {len(data.cvs)} profiles, "
                      f"{len(data.postings)} postings (Spearman vs the rating, pairwise accuracy within a profile)")
    started = time.perf_counter()
    signals = await compute_signals(data, pipeline)
    results = {attr: figures(data, getattr(signals, attr)) for _, attr in _SIGNALS}
    rows = [_row(name, results[attr]) for name, attr in _SIGNALS[:1]]
    rows += [_row(f"fusion without {_ABLATED[m]}", figures(data, v)) for m, v in signals.without.items()]
    rows += [_row(name, results[attr]) for name, attr in _SIGNALS[1:]]
    section.body = (
        render_table(["signal", "Spearman", "half A (fit)", "half B (check)", "pairwise"], rows)
        + f"\n(embeddings: {pipeline.model}; the baseline quoted for this split is {QUOTED_TFIDF}; "
        f"{time.perf_counter() - started:.0f} s)"
    )
    fused, tfidf = results["fusion"], results["tfidf"]
    section.checks += [
        Check(section.title, "Spearman of cv_match_rate, whole set", f"{fused.spearman_all:.3f}",
              f"≥ {TARGET_SPEARMAN}", fused.spearman_all >= TARGET_SPEARMAN),
        Check(section.title, "Spearman on half B (not fitted)", f"{fused.spearman_b:.3f}", f"≥ {TARGET_SPEARMAN}",
              fused.spearman_b >= TARGET_SPEARMAN),
        Check(section.title, "beats the TF-IDF baseline of this run", f"{fused.spearman_all:.3f} vs "
              f"{tfidf.spearman_all:.3f}", "higher", fused.spearman_all > tfidf.spearman_all),
        Check(section.title, "pairwise accuracy within profiles", f"{fused.pairwise:.3f}",
              f"> TF-IDF's {tfidf.pairwise:.3f}", fused.pairwise > tfidf.pairwise),
    ]
    return section


async def cost(corpus: Corpus | None) -> Section:
    """CPU seconds of one evaluation (embedding the CV and the report, retrieval, scoring), vacancy chunks already
    embedded as the indexer leaves them, the model loaded; measured with a cold cache so every text is embedded."""
    section = Section("CPU time of one offline evaluation (this process: embedder, retrieval, scorer)")
    pipeline = Pipeline()
    report = project_reports()["average"]
    cases = [(SAMPLE_CV, default_vacancy())]
    if corpus is not None:
        vacancies = vacancies_of(corpus)
        cases += [(t, vacancies[corpus.own_role[r]]) for r, t in sorted(corpus.resumes.items())
                  if corpus.own_role.get(r) in vacancies]
    await pipeline.evaluate("warm-up text", "warm-up report", vacancy_from_texts("warm up", "warm up"))
    for _, vacancy in cases:  # the indexer's work, done when the vacancy is created
        await pipeline.inner.evaluate("index", "index", vacancy)
    samples: list[float] = []
    for n, (cv, vacancy) in enumerate(cases):
        # A distinct report per case so nothing is served from the embedder's cache.
        text = f"{report}\nRevision {n}."
        started = time.process_time()
        await pipeline.evaluate(cv, text, vacancy)
        samples.append(time.process_time() - started)
    await pipeline.aclose()
    mean, worst = sum(samples) / len(samples), max(samples)
    section.body = render_table(["evaluations", "mean CPU s", "max CPU s"],
                                [[str(len(samples)), f"{mean:.3f}", f"{worst:.3f}"]])
    section.checks.append(Check(section.title, "CPU seconds per evaluation (mean)", f"{mean:.3f}",
                                f"≤ {CPU_TARGET_S}", mean <= CPU_TARGET_S))
    return section
