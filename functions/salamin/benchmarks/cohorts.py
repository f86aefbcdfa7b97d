"""Who is compared with whom: a person's cohort from `users/{uid}/profile/data`.

The profile's free text is normalised into stable keys:

* `industry` -> a slug from `INDUSTRY_ALIASES` ("Tech", "Software", "IT" -> `technology`), else
  the slugified text itself ("Green Energy" -> `green_energy`), else `unspecified`.
* `targetRoles` -> a role category from `ROLE_PATTERNS`, the first role that matches wins
  ("SWE", "Backend Engineer", "Software Engineer II" -> `software_engineering`), else `other`.
* `yearsOfExperience` -> a level by `LEVEL_YEARS`: entry [0, 2), mid [2, 5), senior [5, 10),
  executive [10, 60]; missing -> `unspecified`.

A person belongs to seven cohorts: global; industry; role; level; industry × role;
industry × level; industry × role × level. (The two pairs feed the `roleCategories` and
`experienceLevels` of `industryBenchmarks/{industry}`.)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from salamin.models.benchmarks import CohortLevel, ExperienceLevel

UNSPECIFIED = "unspecified"
OTHER_ROLE = "other"

INDUSTRY_ALIASES: dict[str, str] = {
    "tech": "technology",
    "technology": "technology",
    "software": "technology",
    "it": "technology",
    "information_technology": "technology",
    "saas": "technology",
    "internet": "technology",
    "finance": "finance",
    "financial_services": "finance",
    "banking": "finance",
    "fintech": "finance",
    "investment_banking": "finance",
    "insurance": "finance",
    "healthcare": "healthcare",
    "health": "healthcare",
    "health_care": "healthcare",
    "medical": "healthcare",
    "pharma": "healthcare",
    "biotech": "healthcare",
    "consulting": "consulting",
    "management_consulting": "consulting",
    "retail": "retail",
    "ecommerce": "retail",
    "e_commerce": "retail",
    "education": "education",
    "edtech": "education",
    "manufacturing": "manufacturing",
    "media": "media",
    "entertainment": "media",
    "government": "public_sector",
    "public_sector": "public_sector",
    "nonprofit": "public_sector",
}

ROLE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (category, re.compile(pattern))
    for category, pattern in (
        (
            "data_science",
            r"\b(data scien\w*|machine learning|ml engineer|ai engineer|analytics engineer)\b",
        ),
        ("data_analysis", r"\b(data analyst|business analyst|bi analyst|analyst)\b"),
        ("product_management", r"\b(product manager|product owner|\bpm\b|head of product)\b"),
        ("design", r"\b(designer|ux|ui|design lead)\b"),
        (
            "engineering_management",
            r"\b(engineering manager|em|head of engineering|vp engineering|cto|director of engineering)\b",
        ),
        (
            "software_engineering",
            r"\b(swe|sde|software|developer|programmer|engineer|backend|back end|frontend|front end|full ?stack|devops|sre|mobile)\b",
        ),
        ("sales", r"\b(sales|account executive|business development|bdr|sdr)\b"),
        ("marketing", r"\b(marketing|growth|seo|content strateg\w*)\b"),
        ("consulting", r"\b(consultant|associate|advisor)\b"),
        ("finance", r"\b(accountant|financial analyst|finance|controller|cfo|investment)\b"),
        (
            "operations",
            r"\b(operations|ops manager|project manager|program manager|supply chain)\b",
        ),
        ("customer_success", r"\b(customer success|support|account manager)\b"),
    )
)
"""First match wins, so specific categories precede `software_engineering`'s broad "engineer"."""

LEVEL_YEARS: dict[ExperienceLevel, tuple[float, float]] = {
    "entry": (0.0, 2.0),
    "mid": (2.0, 5.0),
    "senior": (5.0, 10.0),
    "executive": (10.0, 60.0),
}
"""yearsRange per level: [low, high), executive includes its upper bound."""


def slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", folded).strip("_")[:60]


def normalise_industry(value: Any) -> str:
    if not isinstance(value, str) or not slug(value):
        return UNSPECIFIED
    key = slug(value)
    return INDUSTRY_ALIASES.get(key, key)


def role_category(value: str) -> str | None:
    text = " " + re.sub(r"[^a-z0-9 ]+", " ", value.lower()) + " "
    for category, pattern in ROLE_PATTERNS:
        if pattern.search(text):
            return category
    return None


def normalise_role(target_roles: Any) -> str:
    roles = [target_roles] if isinstance(target_roles, str) else target_roles
    if not isinstance(roles, list):
        return UNSPECIFIED
    texts = [r for r in roles if isinstance(r, str) and r.strip()]
    for text in texts:
        category = role_category(text)
        if category:
            return category
    return OTHER_ROLE if texts else UNSPECIFIED


def experience_level(years: Any) -> ExperienceLevel | None:
    if isinstance(years, bool) or not isinstance(years, int | float) or years < 0:
        return None
    for level, (low, high) in LEVEL_YEARS.items():
        if low <= years < high:
            return level
    return "executive" if years <= LEVEL_YEARS["executive"][1] else None


@dataclass(frozen=True)
class Cohort:
    industry: str
    role: str
    level: str

    def keys(self) -> dict[CohortLevel, str]:
        """Cohort level -> document key (also the id prefix of its shards)."""
        i, r, lv = self.industry, self.role, self.level
        return {
            "industry_role_level": f"irl={i}|{r}|{lv}",
            "industry_role": f"ir={i}|{r}",
            "industry_level": f"il={i}|{lv}",
            "industry": f"industry={i}",
            "role": f"role={r}",
            "level": f"level={lv}",
            "global": "global",
        }


def cohort_of(profile: Mapping[str, Any] | None) -> Cohort:
    profile = profile or {}
    return Cohort(
        industry=normalise_industry(profile.get("industry")),
        role=normalise_role(profile.get("targetRoles")),
        level=experience_level(profile.get("yearsOfExperience")) or UNSPECIFIED,
    )


def describe(key: str) -> dict[str, str]:
    """The searchable fields of a cohort summary document, from its key."""
    if key == "global":
        return {"level": "global"}
    kind, _, rest = key.partition("=")
    parts = rest.split("|")
    if kind == "irl":
        return {
            "level": "industry_role_level",
            "industry": parts[0],
            "role": parts[1],
            "experience": parts[2],
        }
    if kind == "ir":
        return {"level": "industry_role", "industry": parts[0], "role": parts[1]}
    if kind == "il":
        return {"level": "industry_level", "industry": parts[0], "experience": parts[1]}
    if kind == "industry":
        return {"level": "industry", "industry": parts[0]}
    if kind == "role":
        return {"level": "role", "role": parts[0]}
    return {"level": "level", "experience": parts[0]}
