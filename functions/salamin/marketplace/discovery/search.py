"""Spec §1.2 `searchExperts`: filtered, ranked, cursor-paginated expert search.

How one search stays close to one page of reads, whatever the catalog size:

1. One Firestore query per stream, on the server-maintained `search` map (search_index.py):
   `search.bookable == true` (or `search.active == true` when the request includes experts
   who cannot be booked yet), plus the single most selective array filter the request allows
   (a free-text token, one filter group's facets, or two groups at once through `pairs`), plus a
   range on the sort field when the filters bound it, ordered by the sort field then document id.
2. Every other filter runs in memory on the fetched documents, exactly; chunks are fetched until
   the page (plus one look-ahead result) is full.
3. Relevance is the spec's score (ranking.py). Its query-independent part is the stored
   `relevanceKey`; the rest is bounded (filter-match points, personalisation, activity decay),
   so results are merged from sorted streams threshold-style: a result is emitted only once no
   unread document can outrank it. Personalised experts come from their own small streams (the
   user's past experts by id; experts at the user's target companies by query), so no
   per-expert reads are needed.
4. The cursor carries the last result's sort key and where each stream must resume; ordering is
   total (ties broken by stored key, then document id), so pages never repeat or skip a result
   while the data is unchanged. "Now" is frozen in the cursor for the same reason.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.field_path import FieldPath

from salamin.core import collections as col
from salamin.core.clock import Clock
from salamin.core.errors import InvalidArgument
from salamin.marketplace.discovery import ranking
from salamin.marketplace.discovery import search_index as idx
from salamin.marketplace.discovery.filters import (
    CURSOR_MAX_AGE,
    MAX_PAGE_SIZE,
    MAX_PAST_EXPERTS,
    MAX_TARGET_COMPANIES,
    Criteria,
    ExpertSearchFilters,
    S,
    criteria_of,
    matches,
)
from salamin.marketplace.discovery.plans import (
    SORTS,
    Desc,
    Plan,
    SortSpec,
    choose_plan,
    company_plan,
    range_filters,
    with_plan,
)
from salamin.marketplace.discovery.results import assemble_results
from salamin.models.base import is_doc_id

# --- reads ------------------------------------------------------------------------------------


@dataclass
class Reads:
    """Document reads as Firestore bills them (a query that returns nothing still costs one)."""

    experts: int = 0
    personal: int = 0
    slots: int = 0
    queries: int = 0

    @property
    def total(self) -> int:
        return self.experts + self.personal + self.slots

    def as_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "experts": self.experts,
            "personal": self.personal,
            "slots": self.slots,
            "queries": self.queries,
        }


# --- personalisation inputs -------------------------------------------------------------------


def load_personal(db: firestore.Client, *, user_id: str, reads: Reads) -> ranking.Personal:
    """The user's past experts (completed sessions) and target companies: two reads, once."""
    sessions = (
        db.collection(col.EXPERT_SESSIONS)
        .where(filter=firestore.FieldFilter("userId", "==", user_id))
        .where(filter=firestore.FieldFilter("status", "==", "completed"))
        .select(["expertId"])
        .limit(500)
    )
    past: list[str] = []
    count = 0
    for snap in sessions.stream():
        count += 1
        expert_id = (snap.to_dict() or {}).get("expertId")
        if isinstance(expert_id, str) and expert_id and expert_id not in past:
            past.append(expert_id)
    reads.personal += max(1, count)
    reads.queries += 1
    profile = db.document(col.user_profile_path(user_id)).get()
    reads.personal += 1
    targets: list[str] = []
    if profile.exists:
        raw = (profile.to_dict() or {}).get("targetCompanies") or []
        if isinstance(raw, list):
            for value in raw:
                norm = idx.normalise_value(value) if isinstance(value, str) else ""
                if norm and norm not in targets:
                    targets.append(norm)
    return ranking.Personal(
        past_expert_ids=frozenset(past[:MAX_PAST_EXPERTS]),
        target_companies=frozenset(targets[:MAX_TARGET_COMPANIES]),
    )


# --- cursor -----------------------------------------------------------------------------------


def _query_hash(
    filters: ExpertSearchFilters,
    search_term: str | None,
    sort_by: str,
    user_id: str,
    include_unbookable: bool = False,
) -> str:
    fields: dict[str, Any] = {
        "f": filters.model_dump(mode="json", exclude_none=True),
        "t": idx.query_words(search_term),
        "s": sort_by,
        "u": user_id,
    }
    if include_unbookable:
        fields["b"] = True
    body = json.dumps(fields, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def _encode_cursor(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, *, query_hash: str, now: datetime) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(payload, dict) or payload.get("v") != 1:
            raise ValueError("version")
        at = datetime.fromtimestamp(float(payload["at"]), UTC)
        last = payload["last"]
        if not isinstance(last, list) or len(last) not in (2, 3) or not isinstance(last[-1], str):
            raise ValueError("last")
        if not all(isinstance(v, int | float) for v in last[:-1]):
            raise ValueError("last")
        streams = payload["s"]
        if not isinstance(streams, dict):
            raise ValueError("streams")
        for restart in streams.values():
            if restart == "end":
                continue
            mode, value, doc_id = restart
            if mode not in ("at", "after") or not isinstance(value, int | float):
                raise ValueError("restart")
            if not is_doc_id(doc_id):
                raise ValueError("restart")
    except (ValueError, KeyError, TypeError, OverflowError, OSError):
        raise InvalidArgument.at("cursor", "not a cursor returned by searchExperts") from None
    if payload.get("q") != query_hash:
        raise InvalidArgument.at("cursor", "belongs to a different search: start again")
    if not now - CURSOR_MAX_AGE <= at <= now + timedelta(minutes=5):
        raise InvalidArgument.at("cursor", "has expired: start the search again")
    payload["at"] = at
    return payload


# --- streams and the merge --------------------------------------------------------------------


@dataclass(order=False)
class Candidate:
    key: tuple[Any, ...]
    doc_id: str
    data: dict[str, Any]
    search: dict[str, Any]
    points: int
    stream: str
    pos: tuple[Any, ...]

    def __lt__(self, other: Candidate) -> bool:
        return self.key < other.key


@dataclass
class _Stream:
    name: str
    query: firestore.Query
    sort: SortSpec
    upper: int
    """Most points a document of this stream can score above its stored relevance key."""
    restart: list[Any] | None = None
    """[mode, value, id] from the cursor: 'at' (inclusive) or 'after'."""
    exhausted: bool = False
    fetched: int = 0
    matched: int = 0
    last_value: Any = None
    last_id: str | None = None
    last_pos: tuple[Any, ...] | None = None
    last_limit: int = 0

    def fetch(self, limit: int, reads: Reads) -> list[firestore.DocumentSnapshot]:
        query = self.query
        if self.last_id is not None:
            query = query.start_after([self.last_value, self.last_id])
        elif self.restart is not None:
            mode, value, doc_id = self.restart
            cursor = [value, doc_id]
            query = query.start_at(cursor) if mode == "at" else query.start_after(cursor)
        docs = list(query.limit(limit).stream())
        reads.experts += max(1, len(docs))
        reads.queries += 1
        self.fetched += len(docs)
        if len(docs) < limit:
            self.exhausted = True
        if docs:
            last = docs[-1]
            self.last_value = ((last.to_dict() or {}).get(idx.SEARCH_FIELD) or {}).get(
                self.sort.field
            )
            self.last_id = last.id
            self.last_pos = self.sort.pos(self.last_value, last.id)
        return docs

    def next_limit(self, need: int) -> int:
        """Enough for `need` more matches at the pass rate seen so far, at most double the last
        chunk (so a bad guess overshoots little), between 10 and 300."""
        rate = (self.matched + 1) / (self.fetched + 1)
        wanted = math.ceil(need / max(rate, 0.05)) + 1
        ceiling = 2 * self.last_limit if self.last_limit else 300
        self.last_limit = max(10, min(300, ceiling, wanted))
        return self.last_limit


@dataclass
class SearchPage:
    results: list[dict[str, Any]]
    next_cursor: str | None
    reads: Reads
    plan: Plan
    sort_by: str

    def to_wire(self) -> dict[str, Any]:
        return {"results": self.results, "nextCursor": self.next_cursor, "sortBy": self.sort_by}


@dataclass
class Search:
    db: firestore.Client
    criteria: Criteria
    sort_by: str
    personal: ranking.Personal
    as_of: datetime
    reads: Reads
    last_key: tuple[Any, ...] | None = None
    streams: list[_Stream] = field(default_factory=list)
    heap: list[Candidate] = field(default_factory=list)

    @property
    def sort(self) -> SortSpec:
        return SORTS[self.sort_by]

    @property
    def relevance(self) -> bool:
        return self.sort_by == "relevance"

    # scoring --------------------------------------------------------------------------------
    def points(self, doc_id: str, search: dict[str, Any]) -> int:
        c = self.criteria
        last_active = search.get("lastActiveAt")
        activity = min(
            int(search.get("activityPoints") or 0),
            ranking.activity_points(last_active, self.as_of),
        )
        return (
            int(search.get("relevanceBase") or 0)
            + activity
            + ranking.match_points(
                wanted_specialties=sorted(c.specialties),
                specialties=search.get("specialties") or [],
                wanted_industries=sorted(c.industries),
                industries=search.get("industries") or [],
            )
            + self.personal.points(expert_id=doc_id, companies=search.get("companies") or [])
        )

    def order_key(self, doc_id: str, search: dict[str, Any], points: int) -> tuple[Any, ...]:
        value = search.get(self.sort.field) or 0
        if self.relevance:
            return (-ranking.capped(points), -value, Desc(doc_id))
        return self.sort.pos(value, doc_id)

    # streams --------------------------------------------------------------------------------
    def base_query(self) -> firestore.Query:
        """Bookable experts; with `include_unbookable`, every listed (active) one."""
        gate = "active" if self.criteria.include_unbookable else "bookable"
        return self.db.collection(col.EXPERTS).where(
            filter=firestore.FieldFilter(f"{S}{gate}", "==", True)
        )

    def ordered(self, query: firestore.Query) -> firestore.Query:
        sort = self.sort
        return query.order_by(f"{S}{sort.field}", direction=sort.direction).order_by(
            FieldPath.document_id(), direction=sort.direction
        )

    def build_streams(self, plan: Plan, restarts: dict[str, Any]) -> None:
        low, high = ranking.match_points_bounds(
            wanted_specialties=len(self.criteria.specialties),
            wanted_industries=len(self.criteria.industries),
        )
        del low
        main = with_plan(self.base_query(), plan)
        for path, op, value in range_filters(self.sort_by, self.criteria):
            main = main.where(filter=firestore.FieldFilter(path, op, value))
        specs = [("main", self.ordered(main), high)]
        if self.relevance and self.personal.target_companies:
            company = with_plan(
                self.base_query(),
                company_plan(self.criteria, plan, self.personal.target_companies),
            )
            specs.append(("company", self.ordered(company), high + ranking.TARGET_COMPANY))
        for name, query, upper in specs:
            restart = restarts.get(name)
            stream = _Stream(name, query, self.sort, upper)
            if restart == "end":
                stream.exhausted = True
            elif isinstance(restart, list):
                stream.restart = restart
            self.streams.append(stream)

    def owned_elsewhere(self, stream: str, doc_id: str, search: dict[str, Any]) -> bool:
        """Personalised experts are merged from their own streams, never from the main one."""
        if not self.relevance:
            return False
        if doc_id in self.personal.past_expert_ids:
            return True
        at_target = bool(self.personal.target_companies.intersection(search.get("companies") or ()))
        # the company stream may be served by a text or pair filter: keep only its own experts
        return at_target if stream == "main" else not at_target

    def consider(self, stream: str, snap: firestore.DocumentSnapshot) -> bool:
        data = snap.to_dict() or {}
        search = data.get(idx.SEARCH_FIELD) or {}
        if stream != "past" and self.owned_elsewhere(stream, snap.id, search):
            return False
        if not matches(search, data, self.criteria):
            return False
        points = self.points(snap.id, search)
        key = self.order_key(snap.id, search, points)
        if self.last_key is not None and key <= self.last_key:
            return False
        pos = self.sort.pos(search.get(self.sort.field) or 0, snap.id)
        heapq.heappush(self.heap, Candidate(key, snap.id, data, search, points, stream, pos))
        return True

    def load_past(self) -> None:
        ids = sorted(self.personal.past_expert_ids)
        if not self.relevance or not ids:
            return
        refs = [self.db.collection(col.EXPERTS).document(i) for i in ids]
        self.reads.experts += len(refs)
        self.reads.queries += 1
        for snap in self.db.get_all(refs):
            if snap.exists:
                self.consider("past", snap)

    def clear_of(self, cand: Candidate, stream: _Stream) -> bool:
        """Can no unread document of `stream` come before `cand`?"""
        if stream.exhausted:
            return True
        if stream.last_pos is None:
            return False
        if self.relevance:
            bound = ranking.capped(int(stream.last_value or 0) + stream.upper)
            score = ranking.capped(cand.points)
            return score > bound or (score == bound and cand.pos <= stream.last_pos)
        return cand.key <= stream.last_pos

    def can_emit(self, cand: Candidate) -> bool:
        return all(self.clear_of(cand, stream) for stream in self.streams)

    def pick_stream(self) -> _Stream | None:
        """The stream to read next: one never read, else one that blocks the best candidate,
        the one whose unread documents could come first."""
        live = [s for s in self.streams if not s.exhausted]
        if not live:
            return None
        unfetched = [s for s in live if s.last_pos is None]
        if unfetched:
            return unfetched[0]
        if self.heap:
            live = [s for s in live if not self.clear_of(self.heap[0], s)] or live
        if not self.relevance:
            return live[0]
        return min(
            live,
            key=lambda s: (
                -ranking.capped(int(s.last_value or 0) + s.upper),
                s.last_pos,
            ),
        )

    def run(self, want: int) -> list[Candidate]:
        emitted: list[Candidate] = []
        while len(emitted) < want:
            if self.heap and self.can_emit(self.heap[0]):
                emitted.append(heapq.heappop(self.heap))
                continue
            stream = self.pick_stream()
            if stream is None:
                if not self.heap:
                    break
                emitted.append(heapq.heappop(self.heap))
                continue
            need = want - len(emitted) - len(self.heap)
            for snap in stream.fetch(stream.next_limit(max(need, 1)), self.reads):
                if self.consider(stream.name, snap):
                    stream.matched += 1
        return emitted

    def restarts(self, held: Iterable[Candidate]) -> dict[str, Any]:
        """Where each stream resumes: at its first result not yet shown, else after its last
        read, else 'end'."""
        first: dict[str, Candidate] = {}
        for cand in held:
            if cand.stream in first and first[cand.stream].pos <= cand.pos:
                continue
            first[cand.stream] = cand
        out: dict[str, Any] = {}
        for stream in self.streams:
            if stream.name in first:
                cand = first[stream.name]
                out[stream.name] = ["at", cand.search.get(self.sort.field) or 0, cand.doc_id]
            elif stream.exhausted:
                out[stream.name] = "end"
            elif stream.last_id is not None:
                out[stream.name] = ["after", stream.last_value, stream.last_id]
            elif stream.restart is not None:
                out[stream.name] = stream.restart
        return out


def _key_from_cursor(sort_by: str, last: list[Any]) -> tuple[Any, ...]:
    sort = SORTS[sort_by]
    if sort_by == "relevance":
        if len(last) != 3:
            raise InvalidArgument.at("cursor", "not a cursor returned by searchExperts")
        return (-int(last[0]), -int(last[1]), Desc(str(last[2])))
    return sort.pos(last[0], str(last[1]))


def search_experts(
    db: firestore.Client,
    *,
    user_id: str,
    filters: ExpertSearchFilters,
    search_term: str | None,
    sort_by: str,
    page_size: int,
    cursor: str | None,
    clock: Clock,
    with_slots: bool = True,
    include_unbookable: bool = False,
) -> SearchPage:
    """One page of results; `next_cursor` is None on the last page. Only experts who can be
    booked, unless `include_unbookable` (then each result says whether and why not)."""
    if sort_by not in SORTS:
        raise InvalidArgument.at("sortBy", f"must be one of {', '.join(SORTS)}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidArgument.at("pageSize", f"must be between 1 and {MAX_PAGE_SIZE}")
    now = clock.now()
    query_hash = _query_hash(filters, search_term, sort_by, user_id, include_unbookable)
    state = _decode_cursor(cursor, query_hash=query_hash, now=now) if cursor else None
    as_of = state["at"] if state else now
    criteria = criteria_of(filters, search_term, now=as_of, include_unbookable=include_unbookable)
    reads = Reads()
    personal = load_personal(db, user_id=user_id, reads=reads)
    search = Search(db, criteria, sort_by, personal, as_of, reads)
    if state:
        search.last_key = _key_from_cursor(sort_by, state["last"])

    def count(candidate: Plan) -> int:
        aggregate: Any = with_plan(search.base_query(), candidate).count(alias="n")
        found = int(aggregate.get()[0][0].value)
        reads.experts += max(1, math.ceil(found / 1000))
        reads.queries += 1
        return found

    plan = choose_plan(criteria, count=count)
    search.build_streams(plan, state["s"] if state else {})
    search.load_past()
    found = search.run(page_size + 1)
    page, extra = found[:page_size], found[page_size:]
    next_cursor = None
    if extra and page:
        last = page[-1]
        if search.relevance:
            last_values: list[Any] = [
                ranking.capped(last.points),
                last.search.get(search.sort.field) or 0,
                last.doc_id,
            ]
        else:
            last_values = [last.search.get(search.sort.field) or 0, last.doc_id]
        next_cursor = _encode_cursor(
            {
                "v": 1,
                "q": query_hash,
                "at": as_of.timestamp(),
                "last": last_values,
                "s": search.restarts([*extra, *search.heap]),
            }
        )
    results = assemble_results(db, search, page, now=now, with_slots=with_slots)
    return SearchPage(results, next_cursor, reads, plan, sort_by)
