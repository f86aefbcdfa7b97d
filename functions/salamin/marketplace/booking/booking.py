"""Spec §1.3 `createBookingRequest`: check the time, price it, hold it, open a PaymentIntent.

Order of events, and why:
1. The request is checked against live availability by `availability.check_bookable`, the one
   implementation of the slot rules that `getAvailableSlots` uses too.
2. One atomic commit creates the `expertSessions` doc (pending/pending), the busy doc, the lock
   docs, the cap tokens and counter increments. Every doc that excludes a rival booking is
   written with a create-precondition, so of two overlapping requests at most one commits, and
   without read locks: a loser fails at once instead of waiting on the winner (see holds.py).
   A first-time-discounted booking also creates one of `maxSessions` discount claims there, so
   holds opened side by side cannot each take the discount (`pick_first_time_claim`).
3. Only then the PaymentIntent is created (idempotency key = `<sessionId>-pi`): a platform
   charge with `transfer_group` = the session. The expert's net is transferred only after the
   session was delivered and its dispute window passed (payouts.py, delivery.py).
   If Stripe fails (decline, 5xx, timeout) everything from step 2 is deleted again and the
   caller gets the typed error: no orphan hold or session.
4. The expiry task is enqueued for the hold's end (30 minutes, or the start if sooner); if that
   fails the sweep still releases the hold in time.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from google.api_core import exceptions as gexc
from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import Clock
from salamin.core.errors import (
    FailedPrecondition,
    NotFound,
    PermissionDenied,
    SalaminError,
    Unavailable,
)
from salamin.core.log import log
from salamin.gateways.stripe_gateway import PaymentIntentInfo, PaymentsGateway
from salamin.gateways.tasks import TaskScheduler
from salamin.marketplace.booking import holds, payouts, pricing
from salamin.marketplace.calendar import availability, bookability, occupancy
from salamin.models.expert import ExpertPayoutAccount, PublicExpert
from salamin.models.session import BookingRequest, BookingResult, ExpertSession, PriceQuote

CLAIM_ATTEMPTS = 5
ACTIVE_PAID_STATUSES = ("confirmed", "completed", "no_show")


class SlotTaken(FailedPrecondition):
    """The requested time overlaps a confirmed booking or a live hold."""

    def __init__(self) -> None:
        super().__init__(
            "that time is no longer available; pick another slot",
            reason="slot_taken",
        )


def load_expert(db: firestore.Client, expert_id: str) -> PublicExpert:
    snap = db.collection(col.EXPERTS).document(expert_id).get()
    if not snap.exists:
        raise NotFound("no such expert", reason="expert_not_found")
    return PublicExpert.model_validate(snap.to_dict() or {})


def client_history(
    db: firestore.Client, *, user_id: str, expert_id: str, now: datetime
) -> pricing.ClientHistory:
    """This user's sessions with this expert as pricing counts them (two equality filters):
    completed, paid (not cancelled, not refunded in full), and live holds."""
    query = (
        db.collection(col.EXPERT_SESSIONS)
        .where(filter=firestore.FieldFilter("userId", "==", user_id))
        .where(filter=firestore.FieldFilter("expertId", "==", expert_id))
        .select(["status", "paymentStatus", "holdExpiresAt"])
    )
    completed = paid = live = 0
    for snap in query.stream():
        data = snap.to_dict() or {}
        status = data.get("status")
        if status == "completed":
            completed += 1
        if status in ACTIVE_PAID_STATUSES and data.get("paymentStatus") != "refunded":
            paid += 1
        expires = data.get("holdExpiresAt")
        if status == "pending" and expires is not None and expires > now:
            live += 1
    return pricing.ClientHistory(completed_sessions=completed, paid_sessions=paid, live_holds=live)


# --- first-time discount claims ------------------------------------------------------------------


class FirstTimeClaimsTaken(Exception):
    """Every first-time claim of this user with this expert is held by a live booking."""


def first_time_claim_refs(
    db: firestore.Client, *, expert_id: str, user_id: str, cap: int
) -> list[firestore.DocumentReference]:
    """`expertCalendars/{expertId}/discountClaims/{userId}-{k}`, k < `maxSessions` (server-only)."""
    claims = occupancy.calendar_ref(db, expert_id).collection(col.CALENDAR_DISCOUNT_CLAIMS)
    return [claims.document(f"{user_id}-{k}") for k in range(cap)]


def claim_is_spent(session: dict[str, Any] | None, *, now: datetime) -> bool:
    """Policy (pure): a first-time claim is free again when its booking did not happen or gave
    all the money back: gone (rolled back), cancelled, an expired hold, or refunded in full."""
    if session is None:
        return True
    if session.get("status") == "cancelled" or session.get("paymentStatus") == "refunded":
        return True
    expires = session.get("holdExpiresAt")
    return session.get("status") == "pending" and expires is not None and expires <= now


def pick_first_time_claim(
    db: firestore.Client, *, expert_id: str, user_id: str, cap: int, now: datetime
) -> firestore.DocumentReference:
    """A free claim for this booking's commit to create (its create-precondition is what stops
    a concurrent booking taking the same one); a spent claim is deleted first, in a transaction
    that checks it is still spent."""
    refs = first_time_claim_refs(db, expert_id=expert_id, user_id=user_id, cap=cap)
    snaps = {s.id: s for s in db.get_all(refs)}
    for ref in refs:
        if not snaps[ref.id].exists:
            return ref
    for ref in refs:
        if _free_spent_claim(db, ref, now=now):
            return ref
    raise FirstTimeClaimsTaken()


def _free_spent_claim(
    db: firestore.Client, ref: firestore.DocumentReference, *, now: datetime
) -> bool:
    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> bool:
        snap = ref.get(transaction=transaction)
        if not snap.exists:
            return True
        owner = holds.session_ref(db, str(snap.get("sessionId"))).get(transaction=transaction)
        if not claim_is_spent(owner.to_dict() if owner.exists else None, now=now):
            return False
        transaction.delete(ref)
        return True

    return bool(txn(db.transaction()))


def bookable_slot(
    db: firestore.Client,
    *,
    expert: PublicExpert,
    session_type: str,
    date: str | None,
    start_time: str | None,
    duration: int,
    now: datetime,
    start: datetime | None = None,
    exclude_session_id: str | None = None,
) -> availability.BookableSlot:
    """The shared slot rules (`availability.check_bookable`) applied to live calendar data.

    `exclude_session_id` leaves one session's own interval out (a reschedule may overlap the
    time it is moving away from).
    """
    return availability.check_bookable(
        db,
        expert=expert,
        session_type=session_type,
        date=date,
        start_time=start_time,
        duration=duration,
        now=now,
        start=start,
        exclude_session_id=exclude_session_id,
    )


def _pick_token(
    db: firestore.Client,
    parent: firestore.DocumentReference,
    cap: int,
    *,
    what: str,
    clock: Clock,
    payments: PaymentsGateway | None,
) -> firestore.DocumentReference:
    """A free cap token under `parent` (a day or week doc); expired holds give theirs back."""
    tokens = parent.collection(col.CALENDAR_CAP_TOKENS)
    for _ in range(2):
        snaps = list(tokens.stream())
        free = occupancy.free_token_indexes([s.id for s in snaps], cap)
        if free:
            # a random free index keeps concurrent bookings of one day off the same token
            return tokens.document(str(random.choice(free)))
        released = False
        for snap in snaps:
            released |= holds.expire_hold(
                db,
                session_id=str(snap.get("sessionId")),
                clock=clock,
                payments=payments,
                source="booking",
            )
        if not released:
            break
    raise FailedPrecondition(
        f"the expert's {what} is fully booked",
        reason="week_full" if what == "week" else "day_full",
    )


def claim_time(
    db: firestore.Client,
    *,
    session: ExpertSession,
    slot: availability.BookableSlot,
    expert: PublicExpert,
    contacts: dict[str, Any],
    clock: Clock,
    payments: PaymentsGateway | None,
    extra_writes: Callable[[firestore.WriteBatch], None] | None = None,
    first_time_cap: int | None = None,
) -> ExpertSession:
    """The one atomic commit of step 2; retried only when it lost a cap-token or claim race.
    `first_time_cap`: the quote has the first-time discount, so the commit also creates one of
    that many claim documents (`FirstTimeClaimsTaken` when none is free). `extra_writes` adds to
    that commit (a package credit's reservation, with a precondition)."""
    units = occupancy.lock_unit_ids(slot.start, slot.blocked_until)
    lock_refs = [occupancy.lock_ref(db, expert.expertId, u) for u in units]
    for _ in range(CLAIM_ATTEMPTS):
        now = clock.now()
        _clear_expired_holders(db, lock_refs=lock_refs, clock=clock, payments=payments)
        day = occupancy.day_ref(db, expert.expertId, slot.local_date)
        week = occupancy.week_ref(db, expert.expertId, slot.local_week)
        day_token = _pick_token(
            db,
            day,
            expert.availability.maxSessionsPerDay,
            what="day",
            clock=clock,
            payments=payments,
        )
        week_token = _pick_token(
            db,
            week,
            expert.availability.maxSessionsPerWeek,
            what="week",
            clock=clock,
            payments=payments,
        )
        claim = (
            pick_first_time_claim(
                db,
                expert_id=expert.expertId,
                user_id=session.userId,
                cap=first_time_cap,
                now=now,
            )
            if first_time_cap is not None
            else None
        )
        session = session.model_copy(
            update={"lockUnits": units, "capTokens": [day_token.path, week_token.path]}
        )
        batch = db.batch()
        if claim is not None:
            batch.create(claim, {"sessionId": session.sessionId, "claimedAt": now})
        batch.create(holds.session_ref(db, session.sessionId), session.to_firestore())
        occupancy.write_claims(
            batch, db, session.sessionId, units=session.lockUnits, tokens=session.capTokens
        )
        batch.create(holds.contacts_ref(db, session.sessionId), contacts)
        occupancy.write_busy(batch, db, session, status="held", create=True)
        occupancy.write_locks(
            batch,
            lock_refs,
            session_id=session.sessionId,
            status="held",
            expires_at=session.holdExpiresAt,
            create=True,
        )
        occupancy.write_cap_token(
            batch,
            day_token,
            session_id=session.sessionId,
            now=now,
            count_fields={"localDate": slot.local_date},
        )
        occupancy.write_cap_token(
            batch,
            week_token,
            session_id=session.sessionId,
            now=now,
            count_fields={"localWeek": slot.local_week},
        )
        if extra_writes is not None:
            extra_writes(batch)
        try:
            batch.commit()
            return session
        except gexc.Conflict:
            # Lost a race: either someone holds the time now, or only a cap token collided.
            snaps = db.get_all(lock_refs)
            if any(s.exists and occupancy.lock_is_live(s.to_dict(), clock.now()) for s in snaps):
                raise SlotTaken() from None
    raise Unavailable("the expert's calendar is busy right now; try again")


def _clear_expired_holders(
    db: firestore.Client,
    *,
    lock_refs: list[firestore.DocumentReference],
    clock: Clock,
    payments: PaymentsGateway | None,
) -> None:
    """Fail fast on a live conflict; release expired holds that still sit on these units."""
    now = clock.now()
    stale: set[str] = set()
    for snap in db.get_all(lock_refs):
        if not snap.exists:
            continue
        data = snap.to_dict() or {}
        if occupancy.lock_is_live(data, now):
            raise SlotTaken()
        stale.add(str(data.get("sessionId")))
    for session_id in sorted(stale):
        holds.expire_hold(
            db, session_id=session_id, clock=clock, payments=payments, source="booking"
        )
    leftovers = [s.reference for s in db.get_all(lock_refs) if s.exists]
    for ref in leftovers:
        _drop_dead_lock(db, ref, now=clock.now())


def _drop_dead_lock(
    db: firestore.Client, ref: firestore.DocumentReference, *, now: datetime
) -> None:
    """Delete a lock whose session no longer claims it (e.g. a booking rolled back mid-way)."""

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> None:
        snap = ref.get(transaction=transaction)
        if not snap.exists:
            return
        data = snap.to_dict() or {}
        if occupancy.lock_is_live(data, now):
            raise SlotTaken()
        owner = holds.session_ref(db, str(data.get("sessionId"))).get(transaction=transaction)
        if owner.exists:
            session = occupancy.read_claims(transaction, db, holds.load_session(owner))
            if session.status == "pending" and ref.id in session.lockUnits:
                raise SlotTaken()  # its own expiry will free it; never steal a session's lock
            if session.status == "confirmed" and ref.id in session.lockUnits:
                raise SlotTaken()
        transaction.delete(ref)

    txn(db.transaction())


def roll_back(db: firestore.Client, *, session: ExpertSession) -> None:
    """Undo step 2 completely: the session, its contacts, and everything it holds."""
    ref = holds.session_ref(db, session.sessionId)

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> None:
        snap = ref.get(transaction=transaction)
        if not snap.exists:
            return
        current = holds.load_session(snap)
        if current.status != "pending":
            return
        release = occupancy.read_release(transaction, db, current)
        occupancy.apply_release(transaction, release)
        transaction.delete(holds.contacts_ref(db, session.sessionId))
        transaction.delete(occupancy.claims_ref(db, session.sessionId))
        transaction.delete(ref)

    txn(db.transaction())


def _description(expert: PublicExpert, session_type: str, slot: availability.BookableSlot) -> str:
    name = f"{expert.personalInfo.firstName} {expert.personalInfo.lastName}"
    return f"Salamin {session_type.replace('_', ' ')} with {name} on {slot.local_date}"


def check_booker(caller: Caller, request: BookingRequest) -> None:
    """Policy (pure): you book for yourself, and never yourself as the expert."""
    if request.userId is not None and request.userId != caller.uid:
        raise PermissionDenied("you can only book sessions for yourself")
    if caller.uid == request.expertId:
        raise FailedPrecondition("experts cannot book their own sessions", reason="own_session")


def check_bookable_expert(expert: PublicExpert, account: ExpertPayoutAccount) -> str:
    """The one bookability policy (`calendar.bookability`), asked of the private payout
    account. Returns the Connect account the payment is destined for."""
    destination = (account.stripeAccountId or None) if account.payoutsEnabled else None
    refused = bookability.not_bookable(
        status=expert.status,
        vacation_mode=expert.availability.vacationMode,
        payouts_enabled=destination is not None,
    )
    if refused is not None or destination is None:
        raise (refused or bookability.PAYOUTS_NOT_READY).error()
    return destination


def check_revival(
    transaction: firestore.Transaction,
    db: firestore.Client,
    *,
    session: ExpertSession,
    expert: dict[str, Any],
    now: datetime,
) -> None:
    """Reviving an expired hold (its payment came late) books that time anew, so it runs the
    full check of a booking, read in the caller's transaction: the expert is still bookable
    (`check_bookable_expert`: active, payouts ready) and the time still passes every slot rule
    (`availability.check_bookable`: started, notice, vacation, blackout, hours, caps, overlap).
    Raises the typed error a new booking would get."""
    if not expert:
        raise bookability.NOT_ACTIVE.error()
    public = PublicExpert.model_validate(expert)
    check_bookable_expert(
        public, payouts.load_account(db, session.expertId, transaction=transaction)
    )
    availability.check_bookable(
        db,
        expert=public,
        session_type=session.sessionType,
        date=None,
        start_time=None,
        duration=session.duration,
        now=now,
        start=session.scheduledDate,
        exclude_session_id=session.sessionId,
        transaction=transaction,
    )


def new_session(
    *,
    session_id: str,
    caller: Caller,
    request: BookingRequest,
    expert: PublicExpert,
    slot: availability.BookableSlot,
    quote: PriceQuote,
    hold_expires: datetime,
    now: datetime,
) -> ExpertSession:
    """The pending session a booking creates, held until `hold_expires` (pure). It snapshots
    the terms in force now (price, currency, duration, the expert's cancellation policy): later
    profile changes never alter them."""
    return ExpertSession(
        sessionId=session_id,
        userId=caller.uid,
        expertId=expert.expertId,
        sessionType=request.sessionType,
        scheduledDate=slot.start,
        endDate=slot.end,
        blockedUntil=slot.blocked_until,
        duration=request.duration,
        timeZone=expert.personalInfo.timeZone,
        localDate=slot.local_date,
        localWeek=slot.local_week,
        localStartTime=slot.start.astimezone(ZoneInfo(expert.personalInfo.timeZone)).strftime(
            "%H:%M"
        ),
        status="pending",
        price=quote.amount,
        currency=quote.currency,
        priceBreakdown=quote,
        paymentStatus="pending",
        holdExpiresAt=hold_expires,
        specialRequests=request.specialRequests,
        preparationMaterials=request.preparationMaterials,
        createdAt=now,
        cancellationPolicy=expert.availability.cancellationPolicy,
    )


def create_booking_request(
    db: firestore.Client,
    *,
    caller: Caller,
    request: BookingRequest,
    clock: Clock,
    payments: PaymentsGateway,
    tasks: TaskScheduler | None,
) -> BookingResult:
    """Check the booker and expert, apply the slot rules, price it, claim the time (one atomic
    commit), then create the PaymentIntent and the hold's expiry task; undo on failure.
    (A request with `packagePurchaseId` is `packages.book_with_credit` instead.)"""
    check_booker(caller, request)
    expert = load_expert(db, request.expertId)
    check_bookable_expert(expert, payouts.load_account(db, request.expertId))
    now = clock.now()
    slot = bookable_slot(
        db,
        expert=expert,
        session_type=request.sessionType,
        date=request.date,
        start_time=request.startTime,
        duration=request.duration,
        now=now,
        start=request.start_instant(),
    )
    history = client_history(db, user_id=caller.uid, expert_id=expert.expertId, now=now)
    session_id = db.collection(col.EXPERT_SESSIONS).document().id
    hold_expires = holds.hold_expiry(booked_at=now, start=slot.start)
    contacts = _contacts(db, caller=caller, expert=expert)
    for first_time_claimable in (True, False):
        quote = pricing.quote_session_price(
            expert.pricing,
            session_type=request.sessionType,
            duration=request.duration,
            history=history,
            first_time_claimable=first_time_claimable,
        )
        first = expert.pricing.firstTimeDiscount
        session = new_session(
            session_id=session_id,
            caller=caller,
            request=request,
            expert=expert,
            slot=slot,
            quote=quote,
            hold_expires=hold_expires,
            now=now,
        )
        try:
            session = claim_time(
                db,
                session=session,
                slot=slot,
                expert=expert,
                contacts=contacts,
                clock=clock,
                payments=payments,
                first_time_cap=(
                    first.maxSessions if first and quote.discountKind == "first_time" else None
                ),
            )
            break
        except FirstTimeClaimsTaken:
            continue  # live bookings hold every claim: quote again without the discount
    intent: PaymentIntentInfo | None = None
    try:
        intent = payments.create_payment_intent(
            amount=quote.amount,
            currency=quote.currency,
            transfer_group=session_id,
            metadata={"sessionId": session_id, "expertId": expert.expertId, "userId": caller.uid},
            description=_description(expert, request.sessionType, slot),
            idempotency_key=f"{session_id}-pi",
        )
        holds.session_ref(db, session_id).update({"paymentIntentId": intent.id})
    except BaseException as exc:
        if intent is not None:
            holds.cancel_intent_quietly(payments, intent.id, session_id=session_id)
        _undo_after_failure(db, session=session, exc=exc)
        raise
    if tasks is not None:
        _schedule_expiry(tasks, session_id=session_id, hold_expires=hold_expires)
    log(
        "booking.held",
        sessionId=session_id,
        expertId=expert.expertId,
        amount=quote.amount,
        currency=quote.currency,
    )
    return BookingResult(
        sessionId=session_id,
        clientSecret=intent.client_secret or "",
        paymentIntentId=intent.id,
        holdExpiresAt=hold_expires,
        amount=quote.amount,
        currency=quote.currency,
        priceBreakdown=quote,
    )


def _schedule_expiry(tasks: TaskScheduler, *, session_id: str, hold_expires: datetime) -> None:
    """One Cloud Task per hold, just after it expires; the sweep is the safety net."""
    try:
        tasks.enqueue(
            queue=holds.EXPIRY_QUEUE,
            task_id=holds.expiry_task_id(session_id),
            payload={"sessionId": session_id},
            schedule_time=hold_expires + holds.EXPIRY_GRACE,
        )
    except Exception as exc:  # the sweep releases the hold anyway
        log("hold.task_enqueue_failed", severity="WARNING", sessionId=session_id, error=str(exc))


def _undo_after_failure(
    db: firestore.Client, *, session: ExpertSession, exc: BaseException
) -> None:
    reason = exc.message if isinstance(exc, SalaminError) else type(exc).__name__
    log(
        "booking.rolled_back",
        severity="WARNING",
        sessionId=session.sessionId,
        expertId=session.expertId,
        reason=reason,
    )
    try:
        roll_back(db, session=session)
    except Exception as undo_exc:  # the sweep expires it within HOLD_DURATION anyway
        log(
            "booking.rollback_failed",
            severity="ERROR",
            sessionId=session.sessionId,
            error=str(undo_exc),
        )


def _contacts(db: firestore.Client, *, caller: Caller, expert: PublicExpert) -> dict[str, Any]:
    private = (
        db.collection(col.EXPERTS)
        .document(expert.expertId)
        .collection(col.EXPERT_PRIVATE)
        .document(col.EXPERT_PRIVATE_CONTACT)
        .get()
    )
    expert_email = private.get("email") if private.exists else None
    return {
        "userEmail": caller.email,
        "expertEmail": expert_email,
        "expertName": f"{expert.personalInfo.firstName} {expert.personalInfo.lastName}",
        "expertFirstName": expert.personalInfo.firstName,
    }
