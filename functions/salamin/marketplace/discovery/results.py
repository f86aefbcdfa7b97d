"""Result assembly: each expert's public profile, relevance and its next few slots (from the
same availability rules `getAvailableSlots` uses, filtered by the search's availability window).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from google.cloud import firestore

from salamin.marketplace.calendar import availability as av
from salamin.marketplace.calendar import intervals, local_time
from salamin.marketplace.discovery import ranking
from salamin.marketplace.discovery import search_index as idx
from salamin.marketplace.discovery.filters import (
    SLOT_DAYS,
    SLOTS_PER_RESULT,
    Criteria,
)
from salamin.models.expert import PublicExpert

if TYPE_CHECKING:  # search.py calls into this module
    from salamin.marketplace.discovery.search import Candidate, Search


def _slot_acceptor(criteria: Criteria) -> Any:
    if not criteria.has_availability:
        return None
    tz = ZoneInfo(criteria.requester_zone or "UTC")
    windows = criteria.avail_windows or ((0, 1440),)

    def accept(start: datetime, end: datetime) -> bool:
        local = start.astimezone(tz)
        if (
            criteria.avail_days is not None
            and local_time.js_weekday(local.date()) not in criteria.avail_days
        ):
            return False
        begin = local.hour * 60 + local.minute
        finish = begin + int((end - start).total_seconds() // 60)
        return any(a <= begin and finish <= b for a, b in windows)

    return accept


def _next_slots(
    db: firestore.Client, cand: Candidate, criteria: Criteria, *, now: datetime
) -> tuple[list[dict[str, Any]], int]:
    expert = PublicExpert.model_validate(cand.data)
    schedule = av.Schedule.of(expert)
    today = av.expert_today(schedule, now)
    busy, reads = intervals.load_busy(
        db,
        expert_id=cand.doc_id,
        time_zone=schedule.time_zone,
        first_day=today,
        last_day=today + timedelta(days=SLOT_DAYS - 1),
        now=now,
    )
    wanted = [
        t for t in schedule.offered if not criteria.session_types or t in criteria.session_types
    ]
    single = wanted[0] if len(wanted) == 1 else None
    slots = av.generate_slots(
        schedule,
        busy=busy,
        now=now,
        days_ahead=SLOT_DAYS,
        session_type=single,
        accept=_slot_acceptor(criteria),
        limit=SLOTS_PER_RESULT if single or not criteria.session_types else None,
    )
    out_zone = ZoneInfo(criteria.requester_zone or schedule.time_zone)
    wire: list[dict[str, Any]] = []
    for slot in slots:
        types = tuple(t for t in slot.session_types if t in wanted)
        if not types:
            continue
        trimmed = av.Slot(
            start=slot.start,
            end=slot.end,
            duration=slot.duration,
            session_types=types,
            prices={t: slot.prices[t] for t in types},
            currency=slot.currency,
            expert_date=slot.expert_date,
            expert_start=slot.expert_start,
            expert_end=slot.expert_end,
        )
        wire.append(trimmed.to_wire(out_zone))
        if len(wire) == SLOTS_PER_RESULT:
            break
    return wire, reads


def _public(data: dict[str, Any]) -> dict[str, Any]:
    return PublicExpert.model_validate(data).to_wire()


def assemble_results(
    db: firestore.Client,
    search: Search,
    page: list[Candidate],
    *,
    now: datetime,
    with_slots: bool,
) -> list[dict[str, Any]]:
    slots: list[tuple[list[dict[str, Any]], int]] = [([], 0)] * len(page)
    if with_slots and page:
        with ThreadPoolExecutor(max_workers=min(4, len(page))) as pool:
            slots = list(pool.map(lambda c: _next_slots(db, c, search.criteria, now=now), page))
    results = []
    for cand, (cand_slots, slot_reads) in zip(page, slots, strict=True):
        search.reads.slots += slot_reads
        search.reads.queries += 1 if with_slots else 0
        professional = cand.data.get("professionalInfo") or {}
        s = cand.search
        item = {
            "expert": _public(cand.data),
            "relevanceScore": ranking.score_value(cand.points),
            "recommendationReason": ranking.recommendation_reason(
                average_rating=float(s.get("averageRating") or 0.0),
                total_ratings=int(s.get("totalRatings") or 0),
                total_sessions=int(s.get("totalSessions") or 0),
                current_role=str(professional.get("currentRole") or ""),
                current_company=str(professional.get("currentCompany") or ""),
                response_time=float(s.get("responseTime") or 0.0),
            ),
            "availableSlots": cand_slots,
        }
        refused = idx.document_not_bookable(cand.data)
        item["bookable"] = refused is None
        if refused is not None:
            item["notBookableReason"] = refused.reason
        if item["recommendationReason"] is None:
            del item["recommendationReason"]
        results.append(item)
    return results
