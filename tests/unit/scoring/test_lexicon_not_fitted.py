"""No fitted vocabulary: a multi-word alias of the skills lexicon found verbatim in the shared corpus (resumes and
job descriptions) or the labelled development set must be a common industry term on the reviewed allow-list
(data/lexicon_allowlist.txt); anything else is a phrase lifted from a test document. Skipped where neither the
corpus nor the labelled set is on the machine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tools.quality.corpus import corpus_dir, load_corpus
from tools.quality.labelled import labelled_dir

LEXICON = Path(__file__).resolve().parents[3] / "services" / "cveval_job" / "scoring" / "data" / "skills_lexicon.yaml"
ALLOWED = {
    line.strip()
    for line in (Path(__file__).parent / "data" / "lexicon_allowlist.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
}


def _flat(text: str) -> str:
    return " ".join(re.sub(r"[-_]", " ", text.lower()).split())


def _documents() -> dict[str, str]:
    docs: dict[str, str] = {}
    root = corpus_dir(None)
    if root is not None:
        corpus = load_corpus(root)
        docs |= {f"job {k}": v for k, v in corpus.jobs.items()} | {f"resume {k}": v for k, v in corpus.resumes.items()}
    labelled = labelled_dir()
    if labelled is not None:
        for folder in ("cv", "jobpost"):
            docs |= {f"{folder} {p.stem}": p.read_text(encoding="utf-8") for p in (labelled / folder).glob("*.txt")}
    return docs


def _multi_word_aliases() -> set[str]:
    raw = yaml.safe_load(LEXICON.read_text(encoding="utf-8"))
    return {a.lower() for skills in raw["skills"].values() for names in skills.values() for a in names or []
            if len(a.split()) >= 2}


def test_no_multi_word_alias_is_lifted_from_a_test_document() -> None:
    docs = _documents()
    if not docs:
        pytest.skip("neither ../shared/corpus nor ../shared/labeled is present")
    flat = {name: _flat(text) for name, text in docs.items()}
    lifted: dict[str, str] = {}
    for alias in sorted(_multi_word_aliases() - ALLOWED):
        pattern = re.compile(rf"(?<!\w){re.escape(_flat(alias))}(?!\w)")
        found = next((name for name, text in flat.items() if pattern.search(text)), None)
        if found:
            lifted[alias] = found
    assert not lifted, f"aliases found verbatim in test documents and not on the allow-list: {lifted}"


def test_the_allow_list_names_only_aliases_the_lexicon_has() -> None:
    assert _multi_word_aliases() >= ALLOWED
