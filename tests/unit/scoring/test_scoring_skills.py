"""Skill extraction: aliases, case, word boundaries and names with symbols."""

from __future__ import annotations

import pytest

from cveval_job.scoring.skills import default_lexicon, expand_skills, extract_skills, skill_mentions


def test_lexicon_is_broad() -> None:
    lexicon = default_lexicon()
    assert len(lexicon.skills) >= 150
    areas = set(lexicon.categories.values())
    assert {"languages", "backend", "frontend", "data_ml", "cloud_devops", "mobile", "education"} <= areas


@pytest.mark.parametrize(
    ("text", "skill"),
    [
        ("Tuned Postgres queries", "postgresql"),
        ("PostgreSQL 15", "postgresql"),
        ("psql scripts", "postgresql"),
        ("Deployed on k8s", "kubernetes"),
        ("KUBERNETES operators", "kubernetes"),
        ("Modern C++ (C++17)", "cpp"),
        ("Unity scripting in C#.", "csharp"),
        ("Services in .NET 8", "dotnet"),
        ("ASP.NET Core APIs", "dotnet"),
        ("Backends in Node.js, and more", "nodejs"),
        ("Models with scikit-learn", "scikit-learn"),
        ("ES6 and ECMAScript", "javascript"),
        ("JS tooling", "javascript"),
        ("Services written in Go and Python", "go"),
        ("Statistics in R, Python", "r"),
        ("machine-\nlearning pipelines", "machine learning"),
        ("Kuber-\nnetes clusters", "kubernetes"),
        ("Retrieval-augmented generation over documents", "rag"),
        ("Classroom management and lesson plans for grade 3", "classroom management"),
        ("Designed the curriculum for year 5", "curriculum development"),
        ("Roadmap and PRDs for two product lines", "roadmapping"),
    ],
)
def test_aliases_map_to_canonical_names(text: str, skill: str) -> None:
    assert skill in extract_skills(text)


@pytest.mark.parametrize(
    ("text", "skill"),
    [
        ("JavaScript only", "java"),  # word boundary: "java" is not inside "javascript"
        ("Let us go to the market", "go"),  # lower-case "go" is a verb
        ("R&D department", "r"),
        ("the rest of the team", "rest api"),
        ("contact: someone@email.com", "office tools"),
        ("C++ and C#", "c"),
        ("Vue.js app", "javascript"),  # only through implication, never as a direct match
    ],
)
def test_no_false_matches(text: str, skill: str) -> None:
    assert skill not in extract_skills(text)


def test_symbols_do_not_bleed_into_each_other() -> None:
    found = extract_skills("C++, C#, .NET")
    assert {"cpp", "csharp", "dotnet"} <= found


def test_expand_adds_implied_skills_transitively() -> None:
    assert {"python", "orm"} <= expand_skills({"django"})
    assert "javascript" in expand_skills(extract_skills("Vue.js app"))
    assert {"message queues"} <= expand_skills({"kafka"})
    assert {"kubernetes", "docker"} <= expand_skills({"helm"})


def test_mentions_have_offsets() -> None:
    text = "Python or Go"
    mentions = skill_mentions(text)
    assert [(text[s:e], name) for s, e, name in mentions] == [("Python", "python"), ("Go", "go")]
