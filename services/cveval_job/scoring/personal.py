"""Personal details that must not change a score: birth date or age, gender, pronouns, nationality, marital status,
religion, a photo's line, a postal address. Lines that state them are dropped before a CV is scored or embedded,
so no rule and no embedding can react to them (fair by construction, checked by the quality report's
counterfactual pairs). A labelled name line ("Name: …") goes too: the CV's paragraphs are embedded, so a name
added to one would move its vector (decision record 0030); an unlabelled name heading the CV is read as a title."""

from __future__ import annotations

import re
from typing import Final

__all__ = ["drop_personal_details"]

_LABELS: Final = (
    r"(?:full\s+)?name|vor-?\s*und\s+nachname|date\s+of\s+birth|birth\s*date|born|d\.?o\.?b\.?|age|geburtsdatum|geboren|alter|jahrgang|"
    r"gender|sex|geschlecht|pronouns?|pronomen|"
    r"nationality|citizenship|staatsangeh[öo]rigkeit|nationalit[äa]t|"
    r"marital\s+status|family\s+status|familienstand|children|kinder|religion|konfession|"
    r"photo|picture|foto|bild|portrait|"
    r"address|home\s+address|postal\s+address|adresse|anschrift|wohnort"
)
# "Label: value" or "[Photo: ...]" on a line of its own; a short line, so a sentence that mentions an address in
# passing ("built an address-validation service") stays.
_DETAIL_LINE: Final = re.compile(rf"^\s*[\[(]?\s*(?:{_LABELS})\s*[:\-\u2013]\s*.{{0,120}}$", re.IGNORECASE)


def drop_personal_details(text: str) -> tuple[str, int]:
    """The text without personal-detail lines, and how many were dropped."""
    lines = text.split("\n")
    kept = [line for line in lines if not _DETAIL_LINE.match(line)]
    dropped = len(lines) - len(kept)
    return ("\n".join(kept) if dropped else text), dropped
