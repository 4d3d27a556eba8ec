"""`python -m tools.quality [--strict] [--corpus DIR]`: print the scorer's quality report.

Exit code 0 whatever the results (it is a report), unless --strict and a target failed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import tools.quality  # noqa: F401  (puts the import roots on sys.path before the domain imports below)
from tools.quality.checks import Check, summarize
from tools.quality.corpus import corpus_dir, load_corpus
from tools.quality.pipeline import REFERENCE_DATE, Pipeline, embedder_name
from tools.quality.sections import Section, formats, injection, projects, ranking, repeatability


def _print(section: Section) -> None:
    print(f"\n## {section.title}\n")
    if section.body:
        print(section.body)
    if section.checks:
        print()
        for check in section.checks:
            print(check.line())


async def _run(corpus_override: str | None) -> list[Check]:
    started = time.perf_counter()
    root = corpus_dir(corpus_override)
    print(f"# cveval scorer quality report (offline scorer, {embedder_name()} embeddings, hybrid retrieval)")
    print(f"reference date for 'Present': {REFERENCE_DATE.isoformat()}")
    pipeline = Pipeline()
    sections: list[Section] = []
    if root is None:
        print("\ncorpus not found (looked for ../shared/corpus, $CVEVAL_CORPUS_DIR or --corpus): "
              "skipping the ranking and format-invariance sections")
        corpus = None
    else:
        print(f"corpus: {root}")
        corpus = load_corpus(root)
        sections += [await ranking(corpus, pipeline), await formats(corpus, pipeline)]
        for s in sections:
            _print(s)
    for make in (lambda: repeatability(corpus), lambda: projects(pipeline), lambda: injection(corpus, pipeline)):
        section = await make()
        _print(section)
        sections.append(section)
    checks = [c for s in sections for c in s.checks]
    print(f"\n{summarize(checks)} ({time.perf_counter() - started:.1f} s)")
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.quality", description=__doc__)
    parser.add_argument("--strict", action="store_true", help="exit 1 when any target fails")
    parser.add_argument("--corpus", help="corpus directory (default: ../shared/corpus from the repository root)")
    args = parser.parse_args(argv)
    checks = asyncio.run(_run(args.corpus))
    return 1 if args.strict and not all(c.passed for c in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
