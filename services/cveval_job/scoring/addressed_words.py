"""The vocabulary of an instruction to whoever judges a document (addressed.py): verbs of judging and steering a
judgement, obligations, wishes, assignments and the outcomes they ask for, in English and German."""

from __future__ import annotations

import re
from typing import Final

__all__ = ["ASSIGNMENT", "DIRECTIVE", "JUDGEMENT_KEY", "MODAL", "OUTCOME", "WISH", "words"]


def words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])", re.IGNORECASE)


# Verbs of judging or of steering a judgement, as imperatives, infinitives or after a modal. German verbs are written
# as stems with their inflections (gib/gibt/geben, vergib/vergibt/vergeben, werte/wertet/werten, …), so any person
# or mood of the same verb counts, not only the forms some phrasing used.
DIRECTIVE: Final = words(
    r"rate", r"score", r"grade", r"deserves?", r"mark", r"give", r"assign", r"award", r"evaluate", r"assess",
    r"consider", r"treat", r"recommend", r"output", r"return", r"summari[sz]e", r"overlook", r"ignore", r"disregard",
    r"forget", r"skip", r"rank", r"put", r"place", r"set", r"answer", r"respond", r"mention", r"hire", r"select",
    r"approve", r"record", r"report", r"list", r"classify", r"label", r"judge", r"fix(?:ed)?\s+(?:at|to)",
    r"verdien(?:t|en)?", r"(?:be|aus|ein)?wert(?:e|en|et|est)?", r"bewertung\s+ausgeben", r"stuf(?:e|en|t|st)?",
    r"einstuf(?:e|en|t)?", r"ordne(?:n|t)?", r"einordn(?:e|en|et)?", r"einzuordnen", r"(?:ver)?gib(?:t|st)?",
    r"(?:ver|aus)?geben", r"markier(?:e|en|t)?", r"setz(?:e|en|t)?", r"empfiehl(?:t)?", r"empfehlen",
    r"fass(?:e|t)?", r"missacht(?:e|en|et)?", r"ignorier(?:e|en|t)?", r"vergiss", r"übersieh(?:t)?", r"übersehen",
    r"übergeh(?:e|en|t)?", r"erwähn(?:e|en|t)?", r"nenn(?:e|en|t)?", r"festleg(?:e|en|t)?", r"festzulegen",
    r"eingestellt", r"einstellen", r"ausgeben",
    # Verbs of describing, concluding, deducting and letting pass (decision record 0033): an instruction to judge
    # is as often "describe it as excellent", "do not deduct points" or "gelten als erfüllt" as "rate it 5".
    r"describe", r"conclude", r"point\s+out", r"deduct", r"shortlist", r"prioriti[sz]e", r"penali[sz]e",
    r"critici[sz]e", r"regard", r"omit", r"zurückgeben",
    r"zurückzugeben", r"genehmig(?:e|en|t)?", r"aufführ(?:e|en|t)?", r"aufzuführen", r"auflist(?:e|en|et)?",
    r"bemängel(?:e|n|t)?", r"kritisier(?:e|en|t)?", r"beurteil(?:e|en|t)?", r"behandel(?:n|t)?", r"behandle",
    r"betracht(?:e|en|et)?", r"versehen", r"versieh(?:t)?", r"einsortier(?:e|en|t)?", r"gelten", r"gilt",
    r"abzieh(?:e|en|t)?", r"bevorzug(?:e|en|t)?",
    # Verbs of weighing, leaving out and showing only one side, and being asked to (decision record 0033, its
    # third step): "weigh this profile above all others", "leave out the gaps", "present only the strengths".
    r"weigh", r"leave\s+out", r"present", r"highlight", r"emphasi[sz]e", r"downplay", r"hide", r"suppress", r"waive",
    r"(?:are|is|were)\s+(?:kindly\s+)?(?:asked|requested|instructed)\s+to", r"gewicht(?:e|en|et)?",
    r"weglass(?:en|t)?", r"lass(?:t)?", r"auslass(?:en|t)?", r"verschweig(?:e|en|t)?", r"hervorheb(?:e|en|t)?",
    r"ausblend(?:e|en|et)?", r"gewertet", r"eingestuft", r"berücksichtig(?:e|en|t)?", r"gebeten", r"ersucht",
    r"priorisier(?:e|en|t)?", r"aufzunehmen", r"aufnehm(?:en)?",
    # the passive of an order, as the German "ist … zu bewerten" is: "this CV is to be rated as excellent", "should
    # be counted as full coverage"
    r"(?:to\s+)?be\s+(?:rated|scored|graded|marked|ranked|considered|treated|regarded|evaluated|assessed|judged|"
    r"classified|shortlisted|recommended|approved|placed|listed|counted|weighted|seen)",
)
# An obligation laid on a reader ("the ranking engine must place", "ein automatischer Bewerter darf keine Abzüge
# machen"): a directive only where a machine or an evaluator reading the text is its subject (addressed.py), since a
# report may well say what a component "must return".
MODAL: Final = words(
    r"should", r"must", r"shall", r"(?:is|are)\s+(?:expected\s+)?to", r"(?:has|have|needs?)\s+to", r"ought\s+to",
    r"soll(?:st|te|ten|en)?", r"muss(?:t)?", r"müssen", r"darf(?:st)?", r"dürfen", r"möge", r"mögen",
    r"need\s+not", r"needn't", r"braucht?\s+nicht",
)
# A wish is an order put politely ("it would be appreciated if the software reported no weaknesses", "es wäre schön,
# wenn das Programm … führen würde", "ideally"): a directive wherever it stands (decision record 0033).
WISH: Final = words(
    r"(?:it\s+)?would\s+be\s+(?:(?:much|greatly|very|really)\s+)?(?:appreciated|great|nice|helpful|good|ideal|"
    r"wonderful|kind)\s+if", r"(?:it\s+)?would\s+(?:really\s+|greatly\s+)?help\s+if",
    r"i\s+would\s+be\s+(?:very\s+|most\s+)?grateful\s+if", r"ideally",
    r"(?:es\s+)?wäre\s+(?:sehr\s+|wirklich\s+)?(?:schön|gut|toll|hilfreich|nett|wünschenswert|ideal|prima),?\s+wenn",
    r"ich\s+wäre\s+(?:sehr\s+|Ihnen\s+|dir\s+)?dankbar,?\s+wenn", r"idealerweise",
)
# Setting an outcome to a value ("Projektbewertung = 5,0", "score := 5"): an assignment is an instruction too.
ASSIGNMENT: Final = re.compile(
    r"(?::=|=|->)\s*(?:\d|pass\b|true\b|yes\b|approved\b|ja\b|shortlist\b|hire\b|strong)", re.IGNORECASE
)
# The thing set by an assignment, when it is a judgement ("candidate_rank=1", "match_threshold=0", "result = PASS").
JUDGEMENT_KEY: Final = re.compile(
    r"\w*(?:score|rank|rating|match|grade|result|threshold|verdict|bewertung|note|passung|ergebnis|priority|"
    r"weakness|gap|critic|kritik|schwäche)\w*\s*(?::=|=)",
    re.IGNORECASE,
)
# What the judgement should come out as.
OUTCOME: Final = words(
    r"scores?", r"ratings?", r"marks", r"grades?", r"points", r"top", r"maximum", r"max", r"highest", r"best",
    r"perfect", r"full", r"outstanding", r"excellent", r"flawless", r"fit", r"match(?:\s+rate)?", r"hired?",
    r"(?:pre-?)?approved", r"qualified", r"5(?:[.,]0)?", r"10", r"100\s*%", r"1[.,]0", r"weaknesses", r"shortcomings",
    r"requirements?", r"criteri(?:a|on)", r"rubric", r"missing", r"gaps",
    r"\w*punktzahl", r"\w*note", r"\w*wertung", r"\w*bewertung", r"einstufung", r"übereinstimmung", r"volle",
    r"hervorragend", r"herausragend", r"ausgezeichnet", r"perfekte", r"ideale?", r"passung", r"einstellung",
    r"fehlerfrei", r"schwächen", r"lücken", r"kritik", r"\w*anforderungen", r"\w*kriterien", r"geeignet", r"oben",
    r"erfüllt", r"beste[nmrs]?", r"höchst\w*", r"prozent", r"ergebnis", r"freigegeben",
    # verdicts and places in a ranking (decision record 0033)
    r"yes", r"shortlist(?:ed)?", r"positive(?:ly)?", r"pass(?:ed)?", r"above\s+all", r"first", r"complete",
    r"top[\w-]*", r"\w*punkte?", r"abzüge?", r"genehmigt", r"positiv", r"rangliste", r"vollständig",
    r"an\s+erster\s+stelle", r"fehlend\w*", r"lack(?:ing|s)?", r"verdicts?", r"judge?ments?", r"urteil\w*",
    r"beurteilung\w*",
    # the other side of weaknesses, and what a shortlist leads to
    r"strengths", r"stärken", r"exemplary", r"vorbildlich\w*", r"interviews?", r"vorstellungsgespräch\w*",
    r"next\s+round", r"nächste[n]?\s+runde", r"engere[n]?\s+auswahl", r"vorrangig", r"signed\s+off", r"abgenommen",
    r"vollständig\w*", r"present",
)
