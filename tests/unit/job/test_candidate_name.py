from __future__ import annotations

import pytest

from cveval_job.domain.candidate import display_name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Maya Lindqvist\nSenior Backend & AI Engineer\n", "Maya Lindqvist"),
        ("CURRICULUM VITAE\nJOHN SMITH\nEngineer", "John Smith"),
        ("Name: Ana-María O'Neil\n", "Ana-María O'Neil"),
        ("  \n| Jean-Luc Picard |\n", "Jean-Luc Picard"),
        ("Senior backend engineer\nmaya@example.com\n", "resume_042"),
        ("", "resume_042"),
    ],
)
def test_display_name(text: str, expected: str) -> None:
    assert display_name(text, "uploads/resume_042.pdf") == expected


def test_without_a_name_or_file_name() -> None:
    assert display_name("12 years of Python", "") == "unnamed candidate"
