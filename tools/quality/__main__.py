"""`python -m tools.quality [--strict] [--corpus DIR] [--labeled DIR] [--profiles N]`: the scorer's quality report.

Exit code 0 whatever the results (it is a report), unless --strict and a target failed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import tools.quality  # noqa: F401  (puts the import roots on sys.path before the domain imports below)
from cveval_job.scoring.rubrics import default_vacancy
from tests.fixtures.documents import SAMPLE_CV
from tools.quality.adversarial import INJECTION_SETS, Case, counterfactual, false_positives, injection, stuffing
from tools.quality.benchmark import cost, labelled
from tools.quality.checks import Check, summarize
from tools.quality.corpus import Corpus, corpus_dir, load_corpus, project_reports
from tools.quality.labelled import labelled_dir, load_set
from tools.quality.pipeline import REFERENCE_DATE, Pipeline
from tools.quality.sections import Section, formats, projects, ranking, vacancies_of

# Stuffing is tried where it could pay: each corpus resume against a posting that is not its own role.
STUFFING_TARGETS = {"barry_allen_front_end": "java_developer", "alfred_pennyworth_pm": "backend_developer",
                    "harvey_dent_mle": "full_stack_engineer"}


def _print(section: Section) -> None:
    print(f"\n## {section.title}\n")
    if section.body:
        print(section.body)
    if section.checks:
        print()
        for check in section.checks:
            print(check.line())
    sys.stdout.flush()


def _cases(corpus: Corpus | None) -> tuple[list[Case], list[Case]]:
    """(cases for counterfactuals: CVs against their own role; cases for stuffing: CVs against another role)."""
    report = project_reports()["average"]
    own = [Case("sample_cv", SAMPLE_CV, report, default_vacancy())]
    other: list[Case] = []
    if corpus is not None:
        vacancies = vacancies_of(corpus)
        own += [Case(r, t, report, vacancies[corpus.own_role[r]]) for r, t in sorted(corpus.resumes.items())
                if corpus.own_role.get(r) in vacancies]
        other = [Case(f"{r} vs {j}", corpus.resumes[r], report, vacancies[j]) for r, j in STUFFING_TARGETS.items()
                 if r in corpus.resumes and j in vacancies]
    return own, other or own[:1]


async def _run(corpus_override: str | None, labeled_override: str | None = None,
               profiles: int | None = None) -> list[Check]:
    started = time.perf_counter()
    pipeline = Pipeline(cached=True)
    print(f"# cveval scorer quality report (offline scorer, {pipeline.model} embeddings, hybrid retrieval)")
    print(f"reference date for 'Present': {REFERENCE_DATE.isoformat()}")
    sections: list[Section] = []

    async def add(section: Section) -> None:
        _print(section)
        sections.append(section)

    root = corpus_dir(corpus_override)
    corpus = load_corpus(root) if root is not None else None
    if corpus is None:
        print("\ncorpus not found (looked for ../shared/corpus, $CVEVAL_CORPUS_DIR or --corpus): "
              "skipping the ranking and format-invariance sections")
    else:
        print(f"corpus: {root}")
        await add(await ranking(corpus, pipeline))
        await add(await formats(corpus, pipeline))
    labelled_root = labelled_dir(labeled_override)
    if labelled_root is None:
        print("\nlabelled set not found (looked for ../shared/labeled/gulp-de-dev, $CVEVAL_LABELED_DIR or "
              "--labeled): skipping the labelled benchmark")
        data = None
    else:
        data = load_set(labelled_root, profiles)
        await add(await labelled(data, pipeline))
    own, other = _cases(corpus)
    reports = project_reports()
    report_case = Case("report_average", SAMPLE_CV, reports["average"], default_vacancy())
    for set_file in INJECTION_SETS:
        await add(await injection(own[0], report_case, pipeline, set_file))
    clean = {c.name: (c.cv, "cv") for c in own} | {f"report_{k}": (v, "project") for k, v in reports.items()}
    if corpus is not None:  # postings are never screened, but they are the clean text most like an instruction
        clean |= {f"corpus job {k}": (v, "cv") for k, v in corpus.jobs.items()}
    if data is not None:
        clean |= {f"labelled cv {k}": (v, "cv") for k, v in data.cvs.items()}
        clean |= {f"labelled posting {k}": (v, "cv") for k, v in data.postings.items()}
    await add(false_positives(clean))
    await add(await stuffing(other, pipeline))
    await add(await counterfactual(own, pipeline))
    await add(await projects(pipeline))
    await pipeline.aclose()
    await add(await cost(corpus))
    checks = [c for s in sections for c in s.checks]
    print(f"\n{summarize(checks)} ({time.perf_counter() - started:.1f} s)")
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.quality", description=__doc__)
    parser.add_argument("--strict", action="store_true", help="exit 1 when any target fails")
    parser.add_argument("--corpus", help="corpus directory (default: ../shared/corpus from the repository root)")
    parser.add_argument("--labeled", help="labelled set (default: ../shared/labeled/gulp-de-dev)")
    parser.add_argument("--profiles", type=int, help="only the first N profiles of the labelled set (a quick look)")
    args = parser.parse_args(argv)
    checks = asyncio.run(_run(args.corpus, args.labeled, args.profiles))
    return 1 if args.strict and not all(c.passed for c in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
