"""Profile free text -> stable cohort keys (the documented tables)."""

from __future__ import annotations

import pytest

from salamin.benchmarks.cohorts import (
    cohort_of,
    experience_level,
    normalise_industry,
    normalise_role,
)


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Tech", "technology"),
        ("Software", "technology"),
        ("IT", "technology"),
        ("Financial Services", "finance"),
        ("  Health care ", "healthcare"),
        ("Green Energy", "green_energy"),
        ("Énergie", "energie"),
        ("", "unspecified"),
        (None, "unspecified"),
        (42, "unspecified"),
    ],
)
def test_industry_slugs(text: object, slug: str) -> None:
    assert normalise_industry(text) == slug


@pytest.mark.parametrize(
    ("roles", "category"),
    [
        (["SWE"], "software_engineering"),
        (["Backend Engineer"], "software_engineering"),
        (["Software Engineer II"], "software_engineering"),
        (["Senior Front-End Developer"], "software_engineering"),
        (["Engineering Manager"], "engineering_management"),
        (["Data Scientist"], "data_science"),
        (["Machine Learning Engineer"], "data_science"),
        (["Product Manager"], "product_management"),
        (["UX Designer"], "design"),
        (["Astronaut", "Backend Engineer"], "software_engineering"),
        (["Astronaut"], "other"),
        ([], "unspecified"),
        ("Backend Engineer", "software_engineering"),
        (None, "unspecified"),
    ],
)
def test_role_categories(roles: object, category: str) -> None:
    assert normalise_role(roles) == category


@pytest.mark.parametrize(
    ("years", "level"),
    [
        (0, "entry"),
        (1.9, "entry"),
        (2, "mid"),
        (4.99, "mid"),
        (5, "senior"),
        (9, "senior"),
        (10, "executive"),
        (35, "executive"),
        (-1, None),
        (True, None),
        ("5", None),
        (None, None),
    ],
)
def test_experience_levels_follow_years_ranges(years: object, level: str | None) -> None:
    assert experience_level(years) == level


def test_a_person_belongs_to_seven_cohorts() -> None:
    cohort = cohort_of({"industry": "Tech", "targetRoles": ["SWE"], "yearsOfExperience": 6})
    assert cohort.keys() == {
        "industry_role_level": "irl=technology|software_engineering|senior",
        "industry_role": "ir=technology|software_engineering",
        "industry_level": "il=technology|senior",
        "industry": "industry=technology",
        "role": "role=software_engineering",
        "level": "level=senior",
        "global": "global",
    }
    assert cohort_of(None).keys()["industry"] == "industry=unspecified"
