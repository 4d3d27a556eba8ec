"""Years of experience from dated role ranges and explicit statements; years a job asks for."""

from __future__ import annotations

from datetime import date

import pytest

from cveval_job.scoring.experience import dated_roles, explicit_years, required_years, years_of_experience

TODAY = date(2026, 11, 15)


def test_month_ranges_with_present() -> None:
    ev = years_of_experience("Engineer, Acme\nJan 2024 - Present\nBuilt things.", TODAY)
    assert ev.total_years == pytest.approx(2.9, abs=0.05)  # Jan 2024 .. Nov 2026 inclusive = 35 months


def test_overlapping_ranges_are_merged() -> None:
    text = (
        "Experience\n"
        "Senior Engineer, Acme - Jan 2019 \u2013 Present\n"
        "Engineer, Beta 03/2016 - 06/2019\n"  # overlaps the Acme job by six months
        "Freelance 2017-2018\n"  # fully inside the Beta job
    )
    ev = years_of_experience(text, TODAY)
    # Mar 2016 .. Nov 2026 = 129 months once, not the 172 a plain sum would give.
    assert ev.total_years == pytest.approx(10.8, abs=0.05)
    assert len(ev.roles) == 3


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("2016-2020 Developer, Shop", 4.0),
        ("2016 \u2013 2020 Developer", 4.0),
        ("03/2018 - 06/2021 Analyst", 3.3),
        ("June 2012 \u2013\nJune 2015\nSoftware Developer", 3.1),
        ("Mar. 2019 to Dec 2020 Consultant", 1.8),
        ("2018-03 - 2019-02 Intern", 1.0),
        ("Ene 2020 - actualidad Desarrolladora", 6.9),
        ("seit 2021 Entwickler", 5.9),
    ],
)
def test_date_formats(text: str, years: float) -> None:
    assert years_of_experience(text, TODAY).total_years == pytest.approx(years, abs=0.05)


def test_present_is_the_reference_date_not_the_clock() -> None:
    text = "Jan 2020 - Present Engineer"
    assert years_of_experience(text, date(2021, 1, 31)).total_years == pytest.approx(1.1, abs=0.05)
    assert years_of_experience(text, date(2030, 1, 31)).total_years == pytest.approx(10.1, abs=0.05)


def test_education_and_projects_are_not_jobs() -> None:
    text = (
        "Experience\n2020 - 2022 Developer, Shop\n"
        "Education\n2014 \u2013 2018 BSc Computer Science, Some University\n"
        "Projects\n2019 \u2013 Present Personal project: a home automation system\n"
    )
    ev = years_of_experience(text, TODAY)
    assert ev.total_years == pytest.approx(2.0, abs=0.05)
    # A degree line is skipped even without an Education heading.
    assert years_of_experience("2010 - 2014 Bachelor of Arts", TODAY).total_years == 0


def test_phone_numbers_and_single_years_are_not_ranges() -> None:
    assert dated_roles("Call (123) 456-7890. Founded in 2015. Won an award in 2019.", TODAY) == []


def test_explicit_years_statements() -> None:
    assert [v for v, _ in explicit_years("Engineer with over 7 years of experience in Go.")] == [7.0]
    assert [v for v, _ in explicit_years("5+ years of professional\nexperience")] == [5.0]
    assert [v for v, _ in explicit_years("10 años de experiencia")] == [10.0]
    assert explicit_years("Led a project for 2 years.") == []
    # A stated figure counts when the CV gives no dates.
    assert years_of_experience("Backend developer with 6 years of experience.", TODAY).total_years == 6.0


def test_relevance_splits_relevant_from_total() -> None:
    text = "2010 - 2016 Chef at a restaurant\n2016 - 2020 Python developer\n"
    ev = years_of_experience(text, TODAY, relevant=lambda block: "Python" in block)
    assert ev.total_years == pytest.approx(10.0, abs=0.05)
    assert ev.relevant_years == pytest.approx(4.0, abs=0.05)


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("We want 3+ years of experience with Python.", 3.0),
        ("At least 2 years of experience as a front end developer.", 2.0),
        ("Python/Django developers with 2-4 + years of experience", 2.0),
        ("Django Development: 1 year (Preferred)\ntotal work: 2 years (Preferred)", 2.0),
        ("Product Manager (10+ Years of Experience)", 10.0),
        ("No figure here.", None),
    ],
)
def test_required_years(text: str, years: float | None) -> None:
    assert required_years(text) == years
