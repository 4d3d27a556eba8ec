from __future__ import annotations

from cveval_job.scoring.stuffing import (
    COPIED_POSTING_FLAG,
    KEYWORD_LIST_FLAG,
    REPEATED_TEXT_FLAG,
    remove_stuffing,
)

JOB = (
    "We are hiring a Java developer to build payment services.\n"
    "You will design REST APIs with Spring Boot and maintain Oracle databases in production.\n"
    "Experience with Kafka, Docker and Kubernetes on AWS is expected from every candidate.\n"
)
CV = (
    "Jane Roe\nFront-end developer\n\nEXPERIENCE\nBuilt React and TypeScript dashboards for a retail client.\n"
    "Wrote Jest tests and reviewed pull requests with the team.\n\nSKILLS\nReact, TypeScript, CSS, Jest, Webpack\n"
)


def test_an_honest_cv_is_left_alone() -> None:
    assert remove_stuffing(CV, JOB) == (CV, frozenset())


def test_an_appended_keyword_line_is_removed_and_flagged() -> None:
    stuffed = CV + "\nEDUCATION\nB.Sc. Computer Science\nJava, Spring Boot, Oracle, Kafka, Docker, Kubernetes, AWS\n"
    cleaned, flags = remove_stuffing(stuffed, JOB)
    assert flags == {KEYWORD_LIST_FLAG}
    assert "Kafka" not in cleaned and "B.Sc. Computer Science" in cleaned


def test_a_skills_section_is_the_cvs_own_summary() -> None:
    honest = CV.replace("React, TypeScript, CSS, Jest, Webpack", "Java, Spring Boot, Oracle, Kafka, Docker")
    assert remove_stuffing(honest, JOB) == (honest, frozenset())


def test_a_pasted_posting_is_removed_and_flagged() -> None:
    cleaned, flags = remove_stuffing(CV + "\n" + JOB, JOB)
    assert flags == {COPIED_POSTING_FLAG}
    assert "Spring Boot" not in cleaned and "React and TypeScript dashboards" in cleaned


def test_a_repeated_skills_block_counts_once_and_is_flagged() -> None:
    line = "React, TypeScript, CSS, Jest, Webpack"
    cleaned, flags = remove_stuffing(CV + "\n".join([line] * 4) + "\n", JOB)
    assert flags == {REPEATED_TEXT_FLAG}
    assert cleaned.count(line) == 1


def test_personal_detail_lines_are_dropped_and_nothing_else() -> None:
    from cveval_job.scoring.personal import drop_personal_details

    text = "Jane Roe\nDate of birth: 01.02.1970\nNationality: German\n[Photo: portrait]\nBuilt an address parser."
    cleaned, dropped = drop_personal_details(text)
    assert dropped == 3
    assert cleaned == "Jane Roe\nBuilt an address parser."
    labelled = "Senior Java Developer\nName: Jane Roe\nVor- und Nachname: Jane Roe\nnamespace: payments"
    assert drop_personal_details(labelled) == ("Senior Java Developer\nnamespace: payments", 2)


def test_the_uploads_hidden_text_marker_is_removed_and_flagged_by_both_scorers_inputs() -> None:
    from cveval_job.scoring.candidate_text import clean_cv
    from cveval_job.scoring.stuffing import HIDDEN_TEXT_FLAG, remove_hidden_text_marker
    from cveval_upload.domain.hidden_text import HiddenText

    hidden = HiddenText()
    hidden.add("white", "Java Spring Boot Oracle Kafka")
    marked = f"{CV}\n{hidden.marker()}\n"
    cleaned = clean_cv(marked, JOB)
    assert HIDDEN_TEXT_FLAG in cleaned.stuffing_flags and "hidden text" not in cleaned.text
    assert remove_hidden_text_marker(CV) == (CV, False)
    assert HIDDEN_TEXT_FLAG not in clean_cv(CV, JOB).stuffing_flags
