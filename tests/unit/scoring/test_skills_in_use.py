from __future__ import annotations

from datetime import date

from cveval_job.scoring.cv_scoring import assess_cv, job_profile
from cveval_job.scoring.skills import extract_skills
from cveval_job.scoring.skills_in_use import text_in_use

TODAY = date(2026, 11, 15)
CV = """Jane Roe
Backend developer

SKILLS
Kubernetes, Terraform, Kafka, Scala

EXPERIENCE
01/2020 - Present  Backend developer, Acme
Built payment APIs in Java with Spring Boot and PostgreSQL.

Summary: I automate deployments with Docker every day.
"""
JOB = "Backend engineer: Java, Spring Boot, PostgreSQL, Kafka, Kubernetes, Docker and Terraform."


def test_skills_count_where_used_not_where_listed() -> None:
    used = extract_skills(text_in_use(CV, TODAY))
    assert {"java", "spring", "postgresql", "docker"} <= used
    assert not {"kubernetes", "terraform", "kafka", "scala"} & used


def test_a_project_stack_list_inside_a_dated_block_counts() -> None:
    cv = "Projekte\n03/2019 - 12/2021\nMigration einer Plattform\nKenntnisse\nKafka, Kubernetes, Terraform\n"
    assert {"kafka", "kubernetes", "terraform"} <= extract_skills(text_in_use(cv, TODAY))


def test_listed_only_skills_earn_less_than_skills_shown_in_use() -> None:
    job = job_profile([JOB])
    stack = "Java, Spring Boot, PostgreSQL, Kafka, Kubernetes, Docker, Terraform"
    listed = f"SKILLS\n{stack}\n\nEXPERIENCE\n01/2020 - Present  Backend developer, Acme\nBuilt payment APIs.\n"
    shown = f"EXPERIENCE\n01/2020 - Present  Backend developer, Acme\nBuilt payment APIs with {stack}.\n"
    listed_only, in_use = assess_cv(listed, job, TODAY), assess_cv(shown, job, TODAY)
    assert listed_only.scores["technical_skills"] < in_use.scores["technical_skills"]
    assert any("only listed" in line for line in listed_only.evidence["technical_skills"])
