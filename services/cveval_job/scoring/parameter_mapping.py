"""Which built-in measure, if any, a rubric parameter of a vacancy stands for.

A vacancy may name its parameters freely. The offline scorer's built-in measures (skills against the job, years,
measured achievements, collaboration; brief coverage, practices, extras) are used only where a parameter clearly
names one of them; every other parameter is scored from its own definition (generic_scoring.py). A wrong mapping
is worse than none: it scores the team's "communication" by something else and shows that evidence under their
label, while the generic path at least measures what their guide describes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final

from cveval_job.scoring.model import Rubric

__all__ = ["Aliases", "known_key", "resolve_parameters"]

Aliases = Mapping[str, Sequence[str]]

_WORD: Final = re.compile(r"[^\W\d_]+")


def _names(alias: str, word: str) -> bool:
    """An alias is a word prefix ("collab" names "collaboration"); a trailing "$" asks for the whole word, for
    short aliases that start unrelated words ("fit" in "fitness", "extra" in "extraction", "doc" in "docker")."""
    return word == alias[:-1] if alias.endswith("$") else word.startswith(alias)


def known_key(key: str, label: str, aliases: Aliases, exclude: Sequence[str] = ()) -> str | None:
    """The built-in parameter a rubric key stands for, or None when none clearly fits.

    The exact key first; otherwise the words of key and label must name exactly one built-in (a tie, as in "code
    quality and documentation", is not clear) and nothing in `exclude`: concepts a built-in counts only as one
    signal among many, or not at all (leadership, communication, education, security, performance).
    """
    if key in aliases:
        return key
    found = _WORD.findall(f"{key} {label}".replace("_", " ").lower())
    if any(_names(x, w) for x in exclude for w in found):
        return None
    votes = {k: sum(1 for a in words if any(_names(a, w) for w in found)) for k, words in aliases.items()}
    best = max(votes.values(), default=0)
    winners = [k for k, v in votes.items() if v == best]
    return winners[0] if best and len(winners) == 1 else None


def resolve_parameters(rubric: Rubric, aliases: Aliases, exclude: Sequence[str] = ()) -> dict[str, str | None]:
    """Each rubric key → the built-in parameter that scores it, or None to score it from its own definition.

    A built-in scores at most one parameter: two parameters on one measure would show the same evidence twice and
    weigh it twice. An exact key keeps its built-in; otherwise the first parameter in rubric order does.
    """
    resolved = {p.key: known_key(p.key, p.label, aliases, exclude) for p in rubric.parameters}
    owner = {p.key: p.key for p in rubric.parameters if p.key in aliases}
    for p in rubric.parameters:
        built_in = resolved[p.key]
        if built_in is not None and owner.setdefault(built_in, p.key) != p.key:
            resolved[p.key] = None
    return resolved
