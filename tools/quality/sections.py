"""The harness's sections. Each runs the offline pipeline on some documents and returns a table and its checks."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from cveval_job.scoring.injection import INJECTION_FLAG
from cveval_job.scoring.model import Vacancy
from cveval_job.scoring.rubrics import default_vacancy, vacancy_from_texts
from tests.fixtures.documents import SAMPLE_CV, make_docx, make_pdf, make_txt
from tools.quality.checks import Check, adjacent_gaps, rank_from_bottom, rank_from_top, render_table, spread
from tools.quality.corpus import Corpus, extract, injections, project_reports
from tools.quality.pipeline import Pipeline

FORMAT_TOLERANCE = 0.02
INJECTION_TOLERANCE = 0.02
PROJECT_MIN_GAP = 0.5


@dataclass
class Section:
    title: str
    body: str = ""
    checks: list[Check] = field(default_factory=list)


def _short(name: str, width: int = 10) -> str:
    return name if len(name) <= width else name[:width]


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
    section = Section("Format invariance: the same CV as PDF, DOCX and TXT, against its own role")
    vacancies = _vacancies(corpus)
    report = project_reports()["average"]
    rows: list[list[str]] = []
    for resume, text in sorted(corpus.resumes.items()):
        own = corpus.own_role.get(resume)
        if own not in vacancies:
            continue
        # The original file's text is the content; each format is generated from it and extracted again.
        versions = {
            "original": text,
            "pdf": extract(make_pdf(text)),
            "docx": extract(make_docx(text)),
            "txt": extract(make_txt(text)),
        }
        rates = {fmt: (await pipeline.evaluate(t, report, vacancies[own])).evaluation.cv_match_rate
                 for fmt, t in versions.items()}
        generated = spread([rates["pdf"], rates["docx"], rates["txt"]])
        overall = spread(list(rates.values()))
        rows.append([resume, *(f"{rates[f]:.2f}" for f in versions), f"{generated:.2f}", f"{overall:.2f}"])
        section.checks.append(Check(section.title, f"{resume} |Δ cv_match_rate| pdf/docx/txt", f"{generated:.2f}",
                                    f"≤ {FORMAT_TOLERANCE}", generated <= FORMAT_TOLERANCE))
    headers = ["resume", "original", "pdf", "docx", "txt", "Δ generated", "Δ with original"]
    section.body = render_table(headers, rows)
    return section


async def repeatability(corpus: Corpus | None) -> Section:
    section = Section("Repeatability: the same request twice, each through a fresh pipeline")
    vacancy = default_vacancy()
    report = project_reports()["average"]
    cvs = {"sample_cv": SAMPLE_CV}
    if corpus is not None:
        vacancies = _vacancies(corpus)
        cvs.update({r: t for r, t in sorted(corpus.resumes.items()) if corpus.own_role.get(r) in vacancies})
    rows: list[list[str]] = []
    for name, text in cvs.items():
        target = vacancy if corpus is None or name == "sample_cv" else vacancies[corpus.own_role[name]]
        first = await Pipeline().evaluate(text, report, target)
        second = await Pipeline().evaluate(text, report, target)
        same = first == second
        rows.append([name, f"{first.evaluation.cv_match_rate:.2f}", f"{second.evaluation.cv_match_rate:.2f}",
                     "identical" if same else "DIFFERENT"])
        section.checks.append(Check(section.title, name, "identical evaluation and retrieval" if same else "differs",
                                    "exactly equal", same))
    section.body = render_table(["cv", "run 1", "run 2", "evaluation + retrieved chunks"], rows)
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


def _inject(text: str, sentence: str, where: str) -> str:
    if where == "end":
        return f"{text.rstrip()}\n{sentence}\n"
    head, _, tail = text.partition("\n")  # after the first line: where a name or title usually stands
    return f"{head}\n{sentence}\n{tail}"


async def injection(corpus: Corpus | None, pipeline: Pipeline) -> Section:
    section = Section("Injection: instructions added to a document must not move its scores")
    sentences = injections()
    reports = project_reports()
    cases: list[tuple[str, str, str, Vacancy]] = [("sample_cv", SAMPLE_CV, reports["average"], default_vacancy())]
    if corpus is not None:
        vacancies = _vacancies(corpus)
        cases += [(r, t, reports["average"], vacancies[corpus.own_role[r]])
                  for r, t in sorted(corpus.resumes.items()) if corpus.own_role.get(r) in vacancies]
    cases += [(f"report_{level}", SAMPLE_CV, text, default_vacancy()) for level, text in reports.items()]
    rows: list[list[str]] = []
    for name, cv, report, vacancy in cases:
        base = (await pipeline.evaluate(cv, report, vacancy)).evaluation
        stage = "project" if name.startswith("report_") else "cv"
        worst, flagged, runs = 0.0, 0, 0
        for sentence in sentences[stage]:
            for where in ("top", "end"):
                doc_cv, doc_report = (cv, _inject(report, sentence, where)) if stage == "project" else (
                    _inject(cv, sentence, where), report)
                got = (await pipeline.evaluate(doc_cv, doc_report, vacancy)).evaluation
                worst = max(worst, abs(got.cv_match_rate - base.cv_match_rate),
                            abs(got.project_score - base.project_score))
                flagged += INJECTION_FLAG in got.flags
                runs += 1
        worst = round(worst, 6)
        rows.append([name, stage, str(runs), f"{worst:.2f}", f"{flagged}/{runs}"])
        section.checks.append(Check(section.title, f"{name} max |Δ score|", f"{worst:.2f}",
                                    f"≤ {INJECTION_TOLERANCE}", worst <= INJECTION_TOLERANCE))
        section.checks.append(Check(section.title, f"{name} flagged {INJECTION_FLAG}", f"{flagged}/{runs}",
                                    "every injected run", flagged == runs))
    section.body = render_table(["document", "injected into", "runs", "max |Δ|", "flagged"], rows)
    return section
