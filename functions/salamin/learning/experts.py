"""Experts who can fix a gap: active experts whose interview specialties address a module's
competency, with open slots in the next 14 days, found with the marketplace's own search and
availability code (`searchExperts`), never a copy. Refreshed whenever an `expert_session`
activity is recommended.
"""

from __future__ import annotations

from typing import Any

from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.clock import Clock
from salamin.marketplace.discovery.filters import AvailabilityFilter, ExpertSearchFilters
from salamin.marketplace.discovery.search import search_experts
from salamin.models.learning import RecommendedExpert

SPECIALTY_FOR: dict[str, str] = {
    "technical_depth": "technical",
    "system_design": "system_design",
    "behavioural_stories": "behavioral",
    "star_storytelling": "behavioral",
    "structure": "behavioral",
    "relevance": "behavioral",
    "presence": "leadership",
    "eye_contact": "behavioral",
    "clarity": "behavioral",
    "filler_words": "behavioral",
    "speaking_pace": "behavioral",
    "pauses": "behavioral",
}
"""Competency -> the expert interview specialty that trains it."""
MAX_EXPERTS = 3


def recommended_experts(
    db: firestore.Client, *, user_id: str, competency: str, label: str, clock: Clock
) -> list[RecommendedExpert]:
    specialty = SPECIALTY_FOR.get(competency)
    if specialty is None:
        return []
    profile = db.document(col.user_profile_path(user_id)).get()
    zone = (profile.to_dict() or {}).get("timeZone") if profile.exists else None
    filters = ExpertSearchFilters(
        specialties=[specialty],  # type: ignore[list-item]
        sessionTypes=["mock_interview"],
        availability=AvailabilityFilter(timeZone=zone) if isinstance(zone, str) else None,
    )
    page = search_experts(
        db,
        user_id=user_id,
        filters=filters,
        search_term=None,
        sort_by="relevance",
        page_size=MAX_EXPERTS * 2,
        cursor=None,
        clock=clock,
    )
    out = []
    for item in page.results:
        slots: list[dict[str, Any]] = item.get("availableSlots") or []
        if not slots:
            continue
        expert = item["expert"]
        info = expert.get("personalInfo") or {}
        out.append(
            RecommendedExpert(
                expertId=str(expert["expertId"]),
                name=f"{info.get('firstName', '')} {info.get('lastName', '')}".strip(),
                matchReason=f"Runs {specialty.replace('_', ' ')} mock interviews, which train {label.lower()}",
                nextSlots=slots[:3],
            )
        )
        if len(out) >= MAX_EXPERTS:
            break
    return out
