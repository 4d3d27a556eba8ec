"""Years of experience from CV text: explicit statements ("5+ years of experience") and dated role ranges
("Jan 2019 - Present", "2016-2020", "03/2018 - 06/2021").

"Present" means a reference date passed in by the caller: the domain never reads the clock, so the same CV scored
twice gives the same years.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Final

from cveval_job.scoring.text import normalize

__all__ = [
    "DatedRole",
    "ExperienceEvidence",
    "dated_blocks",
    "dated_roles",
    "explicit_years",
    "required_years",
    "years_of_experience",
]

_MONTHS: Final[dict[str, int]] = {}
for _number, _names in enumerate(
    [
        "jan january enero janvier januar janeiro gennaio januari ene janv",
        "feb february febrero février fevrier februar fevereiro febbraio februari fev fév febr",
        "mar march marzo mars märz marz março marco maret mrt",
        "apr april abril avril aprile avr abr",
        "may mayo mai maio maggio mei mag",
        "jun june junio juin juni junho giugno juin giu",
        "jul july julio juillet juli julho luglio juil lug",
        "aug august agosto août aout agustus ago agu",
        "sep sept september septiembre septembre setembro settembre set",
        "oct october octubre octobre oktober outubro ottobre okt out ott",
        "nov november noviembre novembre novembro",
        "dec december diciembre décembre decembre dezember dezembro dicembre desember dez dic des",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS.setdefault(_name, _number)

_YEAR = r"(?:19[5-9]\d|20[0-4]\d)"
_MONTH_NAME = "|".join(sorted(_MONTHS, key=len, reverse=True))
_PRESENT = (
    r"(?:present|current(?:ly)?|now|today|ongoing|to\s+date|till\s+date|actual(?:idad)?|presente|hoy|heute|aktuell|"
    r"jetzt|aujourd'hui|pr[ée]sent|actuel(?:lement)?|atual(?:mente)?|sekarang|oggi|heden|nu)"
)
_SEPARATOR = (
    r"\s*(?:[-\u2013\u2014~\u2192]|->|\bto\b|\buntil\b|\btill\b|\bbis\b|\bhasta\b|\bsampai\b|\bau\b|\bal\b|"
    r"\ba\b)\s*"
)


def _date(prefix: str) -> str:
    return (
        rf"(?:(?P<{prefix}mn>{_MONTH_NAME})\.?,?\s*(?P<{prefix}my>{_YEAR})"
        rf"|(?P<{prefix}nm>0?[1-9]|1[0-2])\s*[/.]\s*(?P<{prefix}ny>{_YEAR})"
        rf"|(?P<{prefix}iy>{_YEAR})[/.\-](?P<{prefix}im>0[1-9]|1[0-2])(?!\d)"
        rf"|(?P<{prefix}y>{_YEAR}))"
    )


_RANGE = re.compile(
    rf"(?<![\w/.]){_date('s')}{_SEPARATOR}(?:{_date('e')}|(?P<present>{_PRESENT}))(?![\w/])",
    re.IGNORECASE,
)
_SINCE = re.compile(rf"\b(?:since|seit|desde|depuis|sejak|dal)\s+{_date('s')}(?![\w/])", re.IGNORECASE)
_YEARS_WORD = r"(?:years?|yrs?|años|anos|ans|jahren?|tahun|anni|jaar)"
_EXPERIENCE_WORD = (
    r"(?:experience|exp\b|experiencia|expérience|experiência|erfahrung|berufserfahrung|pengalaman|esperienza|ervaring)"
)
_EXPLICIT = re.compile(
    rf"(?<![\d.,])(\d{{1,2}}(?:[.,]5)?)\s*\+?\s*{_YEARS_WORD}\b(?:'|\u2019)?(?=[^.;]{{0,60}}?{_EXPERIENCE_WORD})",
    re.IGNORECASE,
)
_REQUIRED = re.compile(
    rf"(?<![\d.,])(\d{{1,2}})(?:\s*(?:-|\u2013|to)\s*\d{{1,2}})?\s*\+?\s*{_YEARS_WORD}\b", re.IGNORECASE
)
def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _kinds(text: str, kind: str) -> dict[str, str]:
    return dict.fromkeys(text.split(), kind)


# Section headings are short lines made only of these words; anything else on the line ("Training Lead") means it
# is not a heading. The kind decides whether dated lines below it count as jobs.
_HEADING_WORDS: Final[dict[str, str]] = {
    **_kinds(
        "education qualification qualifications certification certifications certificate certificates course courses "
        "training degree degrees formación formacion educación educacion ausbildung bildung formation pendidikan "
        "formação formacao istruzione opleiding studies",
        "education",
    ),
    **_kinds(
        "project projects portfolio proyectos projekte projets projetos proyek progetti", "projects"
    ),
    **_kinds(
        "experience experiences employment work career history jobs positions experiencia berufserfahrung "
        "expérience experiência experiencia pengalaman esperienza werkervaring",
        "experience",
    ),
    **_kinds(
        "skills skill summary profile objective awards award publications languages interests references contact "
        "about hobbies achievements honors honours volunteer volunteering competencies expertise overview "
        "kenntnisse habilidades compétences competences keahlian",
        "other",
    ),
}
_HEADING_FILLER: Final = _wordset(
    "and & professional relevant academic personal side selected key background details highlights other my "
    "technical core additional me de la y e und et kerja laboral profesional berufliche"
)
_DEGREE = re.compile(
    r"\b(?:bachelor|master|ph\.?d|doctorate|b\.?\s?tech|m\.?\s?tech|b\.?sc|m\.?sc|b\.?a\.|m\.?a\.|mba|diploma|degree|"
    r"gpa|high school|licenciatura|abitur|baccalaur[ée]at|sarjana)\b",
    re.IGNORECASE,
)
DEFAULT_REQUIRED_YEARS: Final = 3.0
MAX_REQUIRED_YEARS: Final = 20.0


@dataclass(frozen=True)
class DatedRole:
    start: int  # month index (year * 12 + month - 1), inclusive
    end: int  # month index, exclusive
    text: str  # the role's block of text: from its date line to the next dated line
    relevant: bool


@dataclass(frozen=True)
class ExperienceEvidence:
    total_years: float
    relevant_years: float
    explicit_years: float  # the largest "N years of experience" the text states (0 when none)
    roles: tuple[DatedRole, ...]


def _month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def _point(m: re.Match[str], prefix: str) -> tuple[int, int | None] | None:
    if m.group(f"{prefix}mn"):
        return int(m.group(f"{prefix}my")), _MONTHS[m.group(f"{prefix}mn").lower()]
    if m.group(f"{prefix}nm"):
        return int(m.group(f"{prefix}ny")), int(m.group(f"{prefix}nm"))
    if m.group(f"{prefix}iy"):
        return int(m.group(f"{prefix}iy")), int(m.group(f"{prefix}im"))
    if m.group(f"{prefix}y"):
        return int(m.group(f"{prefix}y")), None
    return None


def _interval(m: re.Match[str], today: date, *, open_ended: bool) -> tuple[int, int] | None:
    start = _point(m, "s")
    if start is None:
        return None
    now = _month_index(today.year, today.month) + 1
    begin = _month_index(start[0], start[1] or 1)
    end_point = None if open_ended or m.groupdict().get("present") else _point(m, "e")
    if end_point is None:
        end = now
    elif end_point[1] is not None:
        end = _month_index(end_point[0], end_point[1]) + 1
    elif end_point[0] == start[0]:
        end = _month_index(end_point[0], 12) + 1  # "2019 - 2019": the role lasted up to a year
    else:
        end = _month_index(end_point[0], 1)  # "2016-2020" reads as four years, as people count it
    end = min(end, now)
    if begin >= end or end - begin > 50 * 12:
        return None
    return begin, end


def _heading_kind(line: str) -> str | None:
    label = line.strip().strip(":|\u2022-\u2013\u2014# ").lower()
    if not label or len(label) > 40 or re.search(r"\d", label):
        return None
    tokens = [t for t in re.findall(r"[^\W\d_]+|&", label) if t not in _HEADING_FILLER]
    kinds = [_HEADING_WORDS.get(t) for t in tokens]
    if not kinds or None in kinds:
        return None
    return kinds[0]


def _section_kinds(text: str) -> list[tuple[int, str]]:
    """(offset, kind) of each heading line."""
    marks: list[tuple[int, str]] = []
    offset = 0
    for line in text.split("\n"):
        kind = _heading_kind(line)
        if kind:
            marks.append((offset, kind))
        offset += len(line) + 1
    return marks


def _kind_at(marks: list[tuple[int, str]], pos: int) -> str:
    kind = "unknown"
    for offset, k in marks:
        if offset > pos:
            break
        kind = k
    return kind


def _line_around(text: str, start: int, end: int) -> str:
    left = text.rfind("\n", 0, start) + 1
    right = text.find("\n", end)
    return text[left : right if right >= 0 else len(text)]


def dated_roles(text: str, today: date, relevant: Callable[[str], bool] | None = None) -> list[DatedRole]:
    """Dated ranges that look like jobs: not under an education or projects heading, not on a degree line."""
    return _dated(text, today, relevant, skip=("education", "projects"))


def dated_blocks(text: str, today: date) -> list[DatedRole]:
    """Dated roles and dated projects (a freelancer's projects are their roles), not education: the blocks whose
    meaning the pipeline compares with the job (semantic_roles.py). `relevant` is left True: meaning decides."""
    return _dated(text, today, None, skip=("education",))


def _dated(
    text: str, today: date, relevant: Callable[[str], bool] | None, skip: tuple[str, ...]
) -> list[DatedRole]:
    clean = normalize(text)
    marks = _section_kinds(clean)
    found: list[tuple[int, int, int]] = []  # (position, start, end)
    for pattern, open_ended in ((_RANGE, False), (_SINCE, True)):
        for m in pattern.finditer(clean):
            if _kind_at(marks, m.start()) in skip:
                continue
            if _DEGREE.search(_line_around(clean, m.start(), m.end())):
                continue
            interval = _interval(m, today, open_ended=open_ended)
            if interval:
                found.append((m.start(), *interval))
    found.sort()
    roles: list[DatedRole] = []
    for i, (pos, begin, end) in enumerate(found):
        block_start = clean.rfind("\n", 0, pos) + 1
        block_end = found[i + 1][0] if i + 1 < len(found) else min(len(clean), pos + 800)
        heading_after = [o for o, _ in marks if block_start < o < block_end]
        block = clean[block_start : min([block_end, *heading_after])]
        roles.append(DatedRole(begin, end, block, relevant(block) if relevant else True))
    return roles


def _merged_months(intervals: list[tuple[int, int]]) -> int:
    total, cur_start, cur_end = 0, None, None
    for start, end in sorted(intervals):
        if cur_end is None or cur_start is None or start > cur_end:
            if cur_end is not None and cur_start is not None:
                total += cur_end - cur_start
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    if cur_end is not None and cur_start is not None:
        total += cur_end - cur_start
    return total


def explicit_years(text: str) -> list[tuple[float, str]]:
    """Explicit "N years of experience" claims with the sentence they were found in."""
    clean = normalize(text)
    out: list[tuple[float, str]] = []
    for m in _EXPLICIT.finditer(clean):
        value = float(m.group(1).replace(",", "."))
        if 0 < value <= 50:
            out.append((value, _line_around(clean, m.start(), m.end())))
    return out


def years_of_experience(
    text: str, today: date, relevant: Callable[[str], bool] | None = None
) -> ExperienceEvidence:
    """Total and relevant years: overlapping ranges are merged so parallel jobs are not counted twice.

    A stated "N years" counts as well (the larger of stated and dated wins), because many CVs give no dates.
    """
    roles = dated_roles(text, today, relevant)
    total = _merged_months([(r.start, r.end) for r in roles]) / 12
    rel = _merged_months([(r.start, r.end) for r in roles if r.relevant]) / 12
    claims = explicit_years(text)
    stated = max((v for v, _ in claims), default=0.0)
    stated_relevant = max((v for v, line in claims if relevant is None or relevant(line)), default=0.0)
    return ExperienceEvidence(
        total_years=round(max(total, stated), 1),
        relevant_years=round(max(rel, stated_relevant), 1),
        explicit_years=stated,
        roles=tuple(roles),
    )


def required_years(job_description: str) -> float | None:
    """Years a job description asks for ("3+ years", "2-4 years" → the lower bound); None when it names none.

    The largest figure wins: postings list several ("1 year Django, 2 years total") and the total is the largest.
    """
    values = [float(m.group(1)) for m in _REQUIRED.finditer(normalize(job_description))]
    values = [v for v in values if 0 < v <= MAX_REQUIRED_YEARS]
    return max(values) if values else None
