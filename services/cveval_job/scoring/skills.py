"""Skill extraction against a packaged lexicon (data/skills_lexicon.yaml): canonical names from free text.

Matching is on word boundaries and case-insensitive, so "Postgres" and "PostgreSQL" both give "postgresql" while
"java" never fires inside "javascript"; names with symbols ("C++", "C#", ".NET", "Node.js") get their own
boundary rules because \\b does not work next to "+", "#" or ".".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from cveval_job.scoring.text import normalize

__all__ = [
    "Lexicon",
    "default_lexicon",
    "expand_skills",
    "extract_skills",
    "load_lexicon",
    "skill_category",
    "skill_mentions",
]

# Not preceded by a word character, "@" (e-mail addresses), "#"/"+" (C#, C++) or "." (the "js" in "vue.js").
_LEFT = r"(?<![\w@#+.])"
# Not followed by a word character, "#"/"+", or "." that continues a name ("node" in "node.js", "x.com").
_RIGHT = r"(?![\w#+]|\.\w)"
# Words such as "Go", "R" or "REST" are only skills when written exactly so and standing alone.
_LEFT_STRICT = r"(?<![\w@#+.&'\u2019/-])"
_RIGHT_STRICT = r"(?![\w#+&'\u2019/]|[.\-]\w)"


def _alias_regex(alias: str, *, plural: bool) -> str:
    parts = [re.escape(part) for part in alias.split()]
    body = r"[\s\-_]+".join(parts)  # "machine learning" ≈ "machine-learning" ≈ "machine\nlearning"
    if plural and alias[-1].isalpha():
        body += r"(?:e?s)?"
    return body


def _compile(aliases: Iterable[str], *, strict: bool) -> re.Pattern[str] | None:
    ordered = sorted(set(aliases), key=lambda a: (-len(a), a))  # longest first: "react native" before "react"
    if not ordered:
        return None
    alternation = "|".join(_alias_regex(a, plural=not strict) for a in ordered)
    if strict:
        return re.compile(f"{_LEFT_STRICT}(?:{alternation}){_RIGHT_STRICT}")
    return re.compile(f"{_LEFT}(?:{alternation}){_RIGHT}", re.IGNORECASE)


@dataclass(frozen=True)
class Lexicon:
    version: str
    categories: Mapping[str, str]  # canonical skill → area ("backend", "education", "soft", …)
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    implies: Mapping[str, frozenset[str]]

    @property
    def skills(self) -> frozenset[str]:
        return frozenset(self.categories)


def _str_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"skills lexicon: {where} must be a list of non-empty strings")
    return [v.strip() for v in value]


def load_lexicon(data: Mapping[str, Any]) -> Lexicon:
    """Build a lexicon from its parsed YAML; raises ValueError on a malformed file."""
    groups = data.get("skills")
    if not isinstance(groups, Mapping) or not groups:
        raise ValueError("skills lexicon: 'skills' must map areas to skills")
    categories: dict[str, str] = {}
    aliases: dict[str, list[str]] = {}
    for area, skills in groups.items():
        if not isinstance(skills, Mapping):
            raise ValueError(f"skills lexicon: area {area!r} must map skills to aliases")
        for name, names in skills.items():
            canonical = str(name).strip().lower()
            if canonical in categories:
                raise ValueError(f"skills lexicon: {canonical!r} is listed twice")
            categories[canonical] = str(area)
            aliases[canonical] = [a.lower() for a in _str_list(names, canonical)]
    strict: dict[str, list[str]] = {}
    for name, names in (data.get("case_sensitive") or {}).items():
        canonical = str(name).strip().lower()
        strict[canonical] = _str_list(names, f"case_sensitive.{canonical}")
        categories.setdefault(canonical, "other")
    implies: dict[str, frozenset[str]] = {}
    for name, targets in (data.get("implies") or {}).items():
        canonical = str(name).strip().lower()
        implied = {t.lower() for t in _str_list(targets, f"implies.{canonical}")}
        unknown = sorted((implied | {canonical}) - set(categories))
        if unknown:
            raise ValueError(f"skills lexicon: implies refers to unknown skills: {', '.join(unknown)}")
        implies[canonical] = frozenset(implied)
    patterns: list[tuple[str, re.Pattern[str]]] = []
    for canonical in sorted(categories):
        # Only listed aliases count: a canonical name such as "c", "r" or "go" would match ordinary text.
        loose = _compile(aliases.get(canonical, []), strict=False)
        tight = _compile(strict.get(canonical, []), strict=True)
        patterns.extend((canonical, p) for p in (loose, tight) if p is not None)
    return Lexicon(str(data.get("version", "")), categories, tuple(patterns), implies)


@functools.cache
def default_lexicon() -> Lexicon:
    raw = resources.files("cveval_job.scoring").joinpath("data/skills_lexicon.yaml").read_text(encoding="utf-8")
    return load_lexicon(yaml.safe_load(raw))


def extract_skills(text: str, lexicon: Lexicon | None = None) -> frozenset[str]:
    """Canonical names of the skills mentioned in a text."""
    return _default_skills(text) if lexicon is None else _extract(text, lexicon)


@functools.lru_cache(maxsize=1024)
def _default_skills(text: str) -> frozenset[str]:
    # Hundreds of patterns per call; the same texts (a vacancy's chunks, a CV scored against several jobs) recur.
    return _extract(text, default_lexicon())


def _extract(text: str, lex: Lexicon) -> frozenset[str]:
    variants = {normalize(text)}
    if "-" in text and "\n" in text:  # only then can a line-break repair have removed a compound's hyphen
        variants.add(normalize(text, join_hyphenated=False))
    return frozenset(name for name, pattern in lex.patterns if any(pattern.search(v) for v in variants))


def skill_mentions(text: str, lexicon: Lexicon | None = None) -> list[tuple[int, int, str]]:
    """(start, end, canonical) of every skill mention, in text order. Offsets refer to `text` exactly as given,
    so callers that need them should pass already normalized text."""
    lex = lexicon or default_lexicon()
    found = {(m.start(), m.end(), name) for name, pattern in lex.patterns for m in pattern.finditer(text)}
    return sorted(found)


def expand_skills(skills: Iterable[str], lexicon: Lexicon | None = None) -> frozenset[str]:
    """Add the skills implied by the given ones (transitively): "django" shows "python" too."""
    lex = lexicon or default_lexicon()
    seen = set(skills)
    todo = list(seen)
    while todo:
        for implied in lex.implies.get(todo.pop(), frozenset()):
            if implied not in seen:
                seen.add(implied)
                todo.append(implied)
    return frozenset(seen)


def skill_category(name: str, lexicon: Lexicon | None = None) -> str | None:
    return (lexicon or default_lexicon()).categories.get(name)
