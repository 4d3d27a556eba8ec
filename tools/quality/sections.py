"""The harness's sections. Each runs the offline pipeline on some documents and returns a table and its checks."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from cveval_job.scoring.model import Vacancy
from cveval_job.scoring.rubrics import default_vacancy, vacancy_from_texts
from tests.fixtures.documents import SAMPLE_CV, make_docx, make_txt
from tools.quality.checks import Check, adjacent_gaps, rank_from_bottom, rank_from_top, render_table
from tools.quality.corpus import Corpus, extract, project_reports
from tools.quality.pipeline import Pipeline

FORMAT_TOLERANCE = 0.02
PROJECT_MIN_GAP = 0.5


@dataclass
class Section:
    title: str
    body: str = ""
    checks: list[Check] = field(default_factory=list)


def _short(name: str, width: int = 10) -> str:
    return name if len(name) <= width else name[:width]


def vacancies_of(corpus: Corpus) -> dict[str, Vacancy]:
    return _vacancies(corpus)


def _vacancies(corpus: Corpus) -> dict[str, Vacancy]:
    brief = default_vacancy().study_case_brief
    return {name: vacancy_from_texts(text, brief) for name, text in corpus.jobs.items()}


async def ranking(corpus: Corpus, pipeline: Pipeline) -> Section:
    section = Section("Ranking: every resume against every job description (cv_match_rate)")
    vacancies = _vacancies(corpus)
    report = project_reports()["average"]
    jobs = sorted(vacancies)
    rows: list[list[str]] = []
    for resume, text in sorted(corpus.resumes.items()):
        rates = {job: (await pipeline.evaluate(text, report, vacancies[job])).evaluation.cv_match_rate for job in jobs}
        own = corpus.own_role.get(resume)
        cells = [f"{rates[j]:.2f}{'*' if j == own else ''}" for j in jobs]
        if own is None or own not in rates:
            rows.append([resume, *cells, "-", "-"])
            continue
        top, bottom = rank_from_top(own, rates), rank_from_bottom(corpus.unrelated, rates)
        rows.append([resume, *cells, f"{top}/{len(jobs)}", "yes" if bottom == 1 else "no"])
        section.checks.append(Check(section.title, f"{resume} own role {own}", f"rank {top} of {len(jobs)}",
                                    "rank 1, no tie", top == 1))
        section.checks.append(Check(section.title, f"{resume} unrelated {corpus.unrelated}",
                                    f"rank {bottom} from the bottom", "strictly last", bottom == 1))
    headers = ["resume \\ job", *(_short(j) for j in jobs), "own rank", "unrelated last"]
    section.body = render_table(headers, rows) + "\n(* = the resume's own role; ties count against it)"
    return section


async def formats(corpus: Corpus, pipeline: Pipeline) -> Section:
    section = Section("Format invariance: the original file (as shipped) against the same CV as DOCX and TXT")
    vacancies = _vacancies(corpus)
    report = project_reports()["average"]
    rows: list[list[str]] = []
    for resume, text in sorted(corpus.resumes.items()):
        own = corpus.own_role.get(resume)
        if own not in vacancies:
            continue
        # The reference is the original file's own extraction; the other formats carry the same text.
        versions = {"original": text, "docx": extract(make_docx(text)), "txt": extract(make_txt(text))}
        rates = {fmt: (await pipeline.evaluate(t, report, vacancies[own])).evaluation.cv_match_rate
                 for fmt, t in versions.items()}
        worst = max(abs(rates[f] - rates["original"]) for f in ("docx", "txt"))
        rows.append([resume, corpus.formats.get(resume, "?"), *(f"{rates[f]:.2f}" for f in versions), f"{worst:.2f}"])
        section.checks.append(Check(section.title, f"{resume} |Δ cv_match_rate| vs original file", f"{worst:.2f}",
                                    f"≤ {FORMAT_TOLERANCE}", worst <= FORMAT_TOLERANCE))
    section.body = render_table(["resume", "shipped as", "original", "docx", "txt", "max |Δ|"], rows)
    return section


async def projects(pipeline: Pipeline) -> Section:
    section = Section("Project reports at three quality levels, default vacancy (project_score, 1-5)")
    vacancy = default_vacancy()
    reports = project_reports()
    rows: list[list[str]] = []
    scores: list[float] = []
    for level, text in reports.items():
        run = await pipeline.evaluate(SAMPLE_CV, text, vacancy)
        sub = run.evaluation.scores("project")
        scores.append(run.evaluation.project_score)
        rows.append([level, f"{run.evaluation.project_score:.2f}", *(str(v) for v in sub.values()),
                     str(len(text.split()))])
    keys = list(vacancy.project_rubric.keys)
    section.body = render_table(["report", "score", *keys, "words"], rows)
    for (upper, lower), gap in zip(itertools.pairwise(reports), adjacent_gaps(scores), strict=True):
        section.checks.append(Check(section.title, f"{upper} minus {lower}", f"{gap:+.2f}", f"≥ {PROJECT_MIN_GAP}",
                                    gap >= PROJECT_MIN_GAP))
    return section
