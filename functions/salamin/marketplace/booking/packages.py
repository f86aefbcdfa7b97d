"""Package deals (spec `PackageDeal`): buy, get credits, refund unused ones, expire.

Money flow: the package is a platform charge (`transfer_group` = the purchase), so nothing
reaches the expert at purchase; the expert's share is recognised per credit as it is used up.
- `purchasePackage` snapshots the deal's terms into `packagePurchases/{id}` (pending) and then
  creates the PaymentIntent for `totalPrice` with idempotency key `<purchaseId>-pi` and
  metadata `packagePurchaseId`; a Stripe failure deletes the pending purchase again.
- `payment_intent.succeeded` for that intent (the webhook, recorded once in `stripeEvents` like
  every event) moves the purchase to `paid` once, with `sessionCount` credits valid
  `validityDays` from payment.
- Credits: `totalPrice` split into whole minor units that add up exactly (`credit_values`).
- Unused credits can be refunded pro rata: exactly the sum of the unused credits' values, in
  one Stripe refund with a key derived from the purchase and the credits.
- At `expiresAt` unused credits are forfeited and recognised for the expert like delivered
  sessions: one ledger line, gross = their value, fee = the platform's 20%, net = the rest.
  One Cloud Task per purchase (`expirePackageCredits`) runs it, enqueued when the payment
  is applied.
- Booking with a credit (`book_with_credit`): no PaymentIntent; the credit is reserved in the
  commit that claims the time and redeemed in the transaction that confirms the session, which
  writes the expert's ledger line (the credit's value, the 20% fee, the net).
- Cancelling a credit session gives the credit back at the full-refund tier only
  (`cancellation_terms`), with a ledger line reversing the redemption.
So the expert's ledger for a purchase sums to money in minus money out, to the cent.
Discounts: the package's price already carries its own discount (`discountPercentage`), so a
session booked with a credit gets no `firstTimeDiscount` or bulk discount: the package wins.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from google.api_core import exceptions as gexc
from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import Clock
from salamin.core.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    SalaminError,
    Unavailable,
)
from salamin.core.log import log
from salamin.gateways.meetings import new_meeting_link
from salamin.gateways.stripe_gateway import PaymentIntentInfo, RefundInfo
from salamin.gateways.tasks import TaskScheduler
from salamin.marketplace.booking import (
    booking,
    delivery,
    holds,
    ledger,
    notifications,
    payouts,
    pricing,
)
from salamin.marketplace.booking import performance as perf
from salamin.marketplace.calendar import occupancy
from salamin.models.expert import PublicExpert, SessionType
from salamin.models.package import PackageCredit, PackagePurchase, PackageRefund
from salamin.models.session import BookingRequest, CreditBookingResult, ExpertSession, PriceQuote

PURCHASE_KEY = "packagePurchaseId"
ApplyResult = Literal["confirmed", "already", "ignored"]
EXPIRY_QUEUE = "expirePackageCredits"
EXPIRY_GRACE = timedelta(seconds=30)
CREDIT_HOLD = timedelta(minutes=2)
"""A credit booking's claim is confirmed right after it commits; this bounds how long a crash
between the two can keep the time (the hold sweep releases it) and the credit (see
`_dead_reservations`)."""
RESERVE_ATTEMPTS = 8


class PackagePayments(Protocol):
    def create_platform_payment_intent(
        self,
        *,
        amount: int,
        currency: str,
        transfer_group: str,
        metadata: dict[str, str],
        description: str,
        idempotency_key: str,
    ) -> PaymentIntentInfo: ...

    def refund(
        self,
        *,
        payment_intent_id: str,
        amount: int,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> RefundInfo: ...


def credit_values(total: int, count: int) -> list[int]:
    """`total` minor units split into `count` whole credits that add up exactly; the first
    `total % count` credits carry the extra unit."""
    if count <= 0 or total < 0:
        raise ValueError("need a positive count and a non-negative total")
    base, extra = divmod(total, count)
    return [base + (1 if i < extra else 0) for i in range(count)]


def ref(db: firestore.Client, purchase_id: str) -> firestore.DocumentReference:
    return db.collection(col.PACKAGE_PURCHASES).document(purchase_id)


def is_package_intent(intent_object: dict[str, Any]) -> bool:
    return bool((intent_object.get("metadata") or {}).get(PURCHASE_KEY))


# --- purchase ------------------------------------------------------------------------------


def credit_terms(
    expert: PublicExpert, *, session_type: SessionType | None, duration: int | None
) -> tuple[SessionType, int]:
    """What one credit books (pure): a session type and duration the expert offers. Either
    may be omitted when the expert offers only one."""
    offered = expert.pricing.sessionTypes
    if session_type is None and len(offered) != 1:
        raise InvalidArgument.at("sessionType", "choose the session type the credits are for")
    chosen = next(iter(offered)) if session_type is None else session_type
    type_pricing = offered.get(chosen)
    if type_pricing is None:
        raise InvalidArgument.at("sessionType", "this expert does not offer that session type")
    allowed = type_pricing.allowedDurations
    if duration is None:
        if len(allowed) != 1:
            raise InvalidArgument.at("duration", "choose the session length the credits are for")
        duration = allowed[0]
    if duration not in allowed:
        raise InvalidArgument.at("duration", "this expert does not offer that session length")
    return chosen, duration


def purchase_package(
    db: firestore.Client,
    *,
    caller: Caller,
    expert_id: str,
    package_name: str,
    clock: Clock,
    payments: PackagePayments,
    session_type: SessionType | None = None,
    duration: int | None = None,
) -> dict[str, Any]:
    if caller.uid == expert_id:
        raise FailedPrecondition("experts cannot buy their own packages", reason="own_expert")
    snap = db.collection(col.EXPERTS).document(expert_id).get()
    if not snap.exists:
        raise NotFound("no such expert", reason="expert_not_found")
    expert = PublicExpert.model_validate(snap.to_dict() or {})
    if expert.status != "active":
        raise FailedPrecondition("this expert is not taking bookings", reason="expert_not_bookable")
    deal = next((d for d in expert.pricing.packageDeals or [] if d.name == package_name), None)
    if deal is None:
        raise InvalidArgument.at("packageName", "this expert offers no package of that name")
    if deal.totalPrice <= 0:
        raise FailedPrecondition(
            "this package has no price and cannot be bought", reason="package_not_purchasable"
        )
    session_type, duration = credit_terms(expert, session_type=session_type, duration=duration)
    currency = expert.pricing.sessionTypes[session_type].currency  # type: ignore[index]
    now = clock.now()
    purchase_ref = db.collection(col.PACKAGE_PURCHASES).document()
    purchase = PackagePurchase(
        purchaseId=purchase_ref.id,
        userId=caller.uid,
        expertId=expert_id,
        packageName=deal.name,
        sessionType=session_type,
        duration=duration,
        sessionCount=deal.sessionCount,
        totalPrice=deal.totalPrice,
        currency=currency,
        validityDays=deal.validityDays,
        discountPercentage=deal.discountPercentage,
        status="pending",
        createdAt=now,
    )
    purchase_ref.create(purchase.to_firestore())
    try:
        intent = payments.create_platform_payment_intent(
            amount=deal.totalPrice,
            currency=currency,
            transfer_group=purchase.purchaseId,
            metadata={
                PURCHASE_KEY: purchase.purchaseId,
                "expertId": expert_id,
                "userId": caller.uid,
            },
            description=f"Salamin package '{deal.name}' ({deal.sessionCount} sessions)",
            idempotency_key=f"{purchase.purchaseId}-pi",
        )
    except BaseException:
        purchase_ref.delete()
        raise
    purchase_ref.update({"paymentIntentId": intent.id})
    return {
        "purchaseId": purchase.purchaseId,
        "paymentIntentId": intent.id,
        "clientSecret": intent.client_secret or "",
        "amount": deal.totalPrice,
        "currency": currency,
        "sessionCount": deal.sessionCount,
        "validityDays": deal.validityDays,
        "sessionType": session_type,
        "duration": duration,
    }


def expiry_task_id(purchase_id: str) -> str:
    """Deterministic (so enqueueing twice is one task), led by the random purchase id."""
    return f"{purchase_id}-credits-expiry"


def schedule_expiry(db: firestore.Client, *, purchase_id: str, tasks: TaskScheduler) -> bool:
    """One Cloud Task at `expiresAt` (+ grace) that runs `expire_credits`; True if a paid
    purchase was scheduled. Safe to repeat (same task id). An enqueue failure is raised, so
    the webhook answers 500 and Stripe's redelivery schedules it again."""
    snap = ref(db, purchase_id).get()
    if not snap.exists:
        return False
    purchase = PackagePurchase.model_validate(snap.to_dict() or {})
    if purchase.status != "paid" or purchase.expiresAt is None:
        return False
    tasks.enqueue(
        queue=EXPIRY_QUEUE,
        task_id=expiry_task_id(purchase_id),
        payload={PURCHASE_KEY: purchase_id},
        schedule_time=purchase.expiresAt + EXPIRY_GRACE,
    )
    return True


def apply_paid_intent(
    db: firestore.Client,
    *,
    intent: PaymentIntentInfo,
    clock: Clock,
    tasks: TaskScheduler | None = None,
) -> ApplyResult:
    """The webhook's `payment_intent.succeeded` for a package: pending -> paid with credits,
    exactly once, then the expiry task (again on a redelivery: one task id). A mismatched
    amount or intent is logged and not applied."""
    purchase_id = intent.metadata.get(PURCHASE_KEY, "")
    purchase_ref = ref(db, purchase_id)
    now = clock.now()

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> ApplyResult:
        snap = purchase_ref.get(transaction=transaction)
        if not snap.exists or intent.status != "succeeded":
            return "ignored"
        purchase = PackagePurchase.model_validate(snap.to_dict() or {})
        if purchase.status != "pending":
            return "already"
        if (
            intent.id != purchase.paymentIntentId
            or intent.amount != purchase.totalPrice
            or intent.currency.upper() != purchase.currency
        ):
            log(
                "package.mismatch",
                severity="ERROR",
                purchaseId=purchase_id,
                paymentIntentId=intent.id,
            )
            return "ignored"
        credits = [
            PackageCredit(index=i, value=v)
            for i, v in enumerate(credit_values(purchase.totalPrice, purchase.sessionCount))
        ]
        transaction.update(
            purchase_ref,
            {
                "status": "paid",
                "paidAt": now,
                "expiresAt": now + timedelta(days=purchase.validityDays),
                "credits": [c.to_firestore() for c in credits],
            },
        )
        return "confirmed"

    result: ApplyResult = txn(db.transaction())
    log("package.payment", purchaseId=purchase_id, result=result)
    if tasks is not None and result in ("confirmed", "already"):
        schedule_expiry(db, purchase_id=purchase_id, tasks=tasks)
    return result


# --- refund of unused credits and expiry ---------------------------------------------------


def _load(
    transaction: firestore.Transaction, db: firestore.Client, purchase_id: str
) -> PackagePurchase:
    snap = ref(db, purchase_id).get(transaction=transaction)
    if not snap.exists:
        raise NotFound("no such package purchase", reason="purchase_not_found")
    return PackagePurchase.model_validate(snap.to_dict() or {})


def _with_states(
    purchase: PackagePurchase,
    indexes: list[int],
    state: str,
    now: datetime,
    session_id: str | None = None,
) -> list[dict[str, Any]]:
    """All credits, those at `indexes` moved to `state` (held by `session_id`, if any)."""
    out = []
    for credit in purchase.credits:
        changed = (
            credit.model_copy(update={"state": state, "changedAt": now, "sessionId": session_id})
            if credit.index in indexes
            else credit
        )
        out.append(changed.to_firestore())
    return out


def refund_unused_credits(
    db: firestore.Client,
    *,
    caller: Caller,
    purchase_id: str,
    clock: Clock,
    payments: PackagePayments,
) -> dict[str, Any]:
    """Pro rata: the unused credits' exact values go back in one refund."""
    now = clock.now()

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> tuple[PackageRefund, str]:
        purchase = _load(transaction, db, purchase_id)
        if caller.uid != purchase.userId and not caller.is_admin:
            raise PermissionDenied("only the buyer can refund this package")
        pending = next((r for r in purchase.refunds if r.status == "pending"), None)
        if pending is not None:  # a refund Stripe has not accepted yet: retry it, same key
            return pending, purchase.currency
        if purchase.status != "paid":
            raise FailedPrecondition(
                f"a {purchase.status} package has nothing to refund",
                reason="purchase_not_refundable",
            )
        if purchase.expiresAt is not None and now >= purchase.expiresAt:
            raise FailedPrecondition("this package has expired", reason="package_expired")
        dead = _dead_reservations(transaction, db, purchase, now)
        # a credit a live booking holds is not unused: it is redeemed or given back by it
        unused = [c for c in purchase.credits if c.state == "unused" or c.index in dead]
        if not unused:
            raise FailedPrecondition("no unused credits left", reason="no_unused_credits")
        indexes = [c.index for c in unused]
        refund = PackageRefund(
            amount=sum(c.value for c in unused),
            credits=indexes,
            idempotencyKey=f"{purchase_id}-refund-{'-'.join(map(str, indexes))}",
            createdAt=now,
        )
        transaction.update(
            ref(db, purchase_id),
            {
                "credits": _with_states(purchase, indexes, "refunded", now),
                "refunds": [*(r.to_firestore() for r in purchase.refunds), refund.to_firestore()],
            },
        )
        return refund, purchase.currency

    refund, currency = txn(db.transaction())
    made = send_refund(db, purchase_id=purchase_id, refund=refund, payments=payments)
    return {
        "purchaseId": purchase_id,
        "refundAmount": refund.amount,
        "currency": currency,
        "creditsRefunded": len(refund.credits),
        "refundId": made.refundId,
    }


def send_refund(
    db: firestore.Client, *, purchase_id: str, refund: PackageRefund, payments: PlatformRefunds
) -> PackageRefund:
    """Make a decided refund of the package's charge (idempotent key), then mark it succeeded
    (in a transaction: other refunds may be appended meanwhile)."""
    purchase = PackagePurchase.model_validate(ref(db, purchase_id).get().to_dict() or {})
    made = payments.refund(
        payment_intent_id=purchase.paymentIntentId or "",
        amount=refund.amount,
        metadata={PURCHASE_KEY: purchase_id, "reason": "package_credits"},
        idempotency_key=refund.idempotencyKey,
    )

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> None:
        current = _load(transaction, db, purchase_id)
        done = [
            r.model_copy(update={"status": "succeeded", "refundId": made.id}).to_firestore()
            if r.idempotencyKey == refund.idempotencyKey
            else r.to_firestore()
            for r in current.refunds
        ]
        transaction.update(ref(db, purchase_id), {"refunds": done})

    txn(db.transaction())
    return refund.model_copy(update={"status": "succeeded", "refundId": made.id})


class PlatformRefunds(Protocol):
    def refund(
        self, *, payment_intent_id: str, amount: int, metadata: dict[str, str], idempotency_key: str
    ) -> RefundInfo: ...


def send_pending_refunds(
    db: firestore.Client, *, purchase_id: str, payments: PlatformRefunds
) -> int:
    """After a commit that decided package refunds: make them now (a failure leaves them
    pending; the buyer's `refundPackageCredits` retries them with the same keys)."""
    snap = ref(db, purchase_id).get()
    if not snap.exists:
        return 0
    purchase = PackagePurchase.model_validate(snap.to_dict() or {})
    made = 0
    for refund in [r for r in purchase.refunds if r.status == "pending"]:
        try:
            send_refund(db, purchase_id=purchase_id, refund=refund, payments=payments)
            made += 1
        except SalaminError as exc:
            log(
                "package.refund_failed",
                severity="WARNING",
                purchaseId=purchase_id,
                error=exc.message,
            )
    return made


def expiry_line(purchase: PackagePurchase, *, amount: int, now: datetime) -> dict[str, Any]:
    """The expert's recognised share of forfeited credits: one ledger line (gross = fee + net)."""
    fee = pricing.platform_fee(amount)
    return {
        "transactionId": f"{purchase.purchaseId}_expiry",
        "type": "package_expiry",
        "expertId": purchase.expertId,
        "userId": purchase.userId,
        "sessionId": None,
        "packagePurchaseId": purchase.purchaseId,
        "currency": purchase.currency,
        "grossAmount": amount,
        "platformFee": fee,
        "netAmount": amount - fee,
        "status": "pending_payout",
        "paymentIntentId": purchase.paymentIntentId,
        "createdAt": now,
    }


def expire_credits(db: firestore.Client, *, purchase_id: str, clock: Clock) -> int:
    """At or after `expiresAt`: forfeit the unused credits once; returns their value."""
    now = clock.now()

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> int:
        purchase = _load(transaction, db, purchase_id)
        if purchase.status != "paid" or purchase.expiresAt is None or now < purchase.expiresAt:
            return 0
        dead = _dead_reservations(transaction, db, purchase, now)
        unused = [c for c in purchase.credits if c.state == "unused" or c.index in dead]
        amount = sum(c.value for c in unused)
        updates: dict[str, Any] = {
            "status": "closed",
            "credits": _with_states(purchase, [c.index for c in unused], "expired", now),
        }
        transaction.update(ref(db, purchase_id), updates)
        if amount:
            line = expiry_line(purchase, amount=amount, now=now)
            transaction.create(
                db.collection(col.EXPERT_TRANSACTIONS).document(line["transactionId"]), line
            )
        return amount

    return int(txn(db.transaction()))


# --- booking with a credit -----------------------------------------------------------------


def check_redeemable(
    purchase: PackagePurchase, *, caller: Caller, request: BookingRequest, now: datetime
) -> None:
    """Policy (pure): only the buyer, only for the purchase's expert, session type and length,
    only a paid package before its `expiresAt`."""
    if caller.uid != purchase.userId:
        raise PermissionDenied("only the buyer can use this package's credits")
    if request.expertId != purchase.expertId:
        raise FailedPrecondition(
            "this package's credits are for another expert", reason="credit_not_applicable"
        )
    if request.sessionType != purchase.sessionType or request.duration != purchase.duration:
        raise FailedPrecondition(
            f"this package's credits book {purchase.duration}-minute "
            f"{purchase.sessionType.replace('_', ' ')} sessions",
            reason="credit_not_applicable",
        )
    if purchase.status == "pending":
        raise FailedPrecondition("this package is not paid yet", reason="package_not_paid")
    if purchase.status != "paid" or purchase.expiresAt is None or now >= purchase.expiresAt:
        raise FailedPrecondition("this package has expired", reason="package_expired")


def credit_quote(purchase: PackagePurchase, expert: PublicExpert, *, value: int) -> PriceQuote:
    """A credit session's price is the credit's value (pure). The package's own discount is in
    that value, so no first-time or bulk discount applies on top: the package wins."""
    hourly = expert.pricing.sessionTypes[purchase.sessionType].basePrice  # type: ignore[index]
    fee = pricing.platform_fee(value)
    return PriceQuote(
        currency=purchase.currency,
        hourlyRate=hourly,
        duration=purchase.duration,
        baseAmount=value,
        discountKind="package",
        discountPercentage=purchase.discountPercentage,
        discountAmount=0,
        amount=value,
        platformFee=fee,
        expertNet=value - fee,
    )


def _next_unused(purchase: PackagePurchase) -> PackageCredit:
    credit = next((c for c in purchase.credits if c.state == "unused"), None)
    if credit is None:
        raise FailedPrecondition("no unused credits left", reason="no_unused_credits")
    return credit


def book_with_credit(
    db: firestore.Client,
    *,
    caller: Caller,
    request: BookingRequest,
    clock: Clock,
    tasks: TaskScheduler | None = None,
) -> CreditBookingResult:
    """`createBookingRequest` with `packagePurchaseId`: no PaymentIntent.

    1. The purchase, the expert and the slot are checked as for a paid booking.
    2. One atomic commit claims the time (`booking.claim_time`) and reserves the first unused
       credit: the purchase is updated with a precondition on its update time, so of two
       bookings (or a booking and a refund) racing for one credit at most one commits; the
       loser reads the purchase again and takes the next credit, or gets `no_unused_credits`.
    3. One transaction confirms the session and redeems the credit (`confirm_credit_session`);
       if it fails the claim is undone and the credit is unused again.
    """
    booking.check_booker(caller, request)
    purchase_id = request.packagePurchaseId or ""
    purchase_ref = ref(db, purchase_id)
    snap = purchase_ref.get()
    if not snap.exists:
        raise NotFound("no such package purchase", reason="purchase_not_found")
    purchase = PackagePurchase.model_validate(snap.to_dict() or {})
    now = clock.now()
    check_redeemable(purchase, caller=caller, request=request, now=now)
    expert = booking.load_expert(db, request.expertId)
    booking.check_bookable_expert(expert, payouts.load_account(db, request.expertId))
    slot = booking.bookable_slot(
        db,
        expert=expert,
        session_type=request.sessionType,
        date=request.date,
        start_time=request.startTime,
        duration=request.duration,
        now=now,
        start=request.start_instant(),
    )
    if purchase.expiresAt is not None and slot.start >= purchase.expiresAt:
        raise FailedPrecondition(
            "this package expires before that session starts",
            reason="session_after_package_expiry",
        )
    contacts = booking._contacts(db, caller=caller, expert=expert)
    session_id = db.collection(col.EXPERT_SESSIONS).document().id
    for attempt in range(RESERVE_ATTEMPTS):
        if attempt:
            snap = purchase_ref.get()
            purchase = PackagePurchase.model_validate(snap.to_dict() or {})
            check_redeemable(purchase, caller=caller, request=request, now=clock.now())
        if not any(c.state == "unused" for c in purchase.credits):
            if not release_dead_reservations(db, purchase_id=purchase_id, clock=clock):
                raise FailedPrecondition("no unused credits left", reason="no_unused_credits")
            continue
        credit = _next_unused(purchase)
        session = _credit_session(
            session_id=session_id,
            caller=caller,
            request=request,
            expert=expert,
            slot=slot,
            purchase=purchase,
            credit=credit,
            now=clock.now(),
        )
        reserved = _with_states(purchase, [credit.index], "reserved", clock.now(), session_id)

        def reserve(
            batch: firestore.WriteBatch,
            body: list[dict[str, Any]] = reserved,
            read_at: Any = snap.update_time,
        ) -> None:
            batch.update(
                purchase_ref, {"credits": body}, option=db.write_option(last_update_time=read_at)
            )

        try:
            session = booking.claim_time(
                db,
                session=session,
                slot=slot,
                expert=expert,
                contacts=contacts,
                clock=clock,
                payments=None,
                extra_writes=reserve,
            )
        except gexc.FailedPrecondition:
            continue  # the purchase changed since it was read: read it again
        break
    else:
        raise Unavailable("this package is busy right now; try again")
    try:
        confirmed = confirm_credit_session(db, session_id=session_id, clock=clock)
    except BaseException:
        booking.roll_back(db, session=session)
        release_dead_reservations(db, purchase_id=purchase_id, clock=clock)
        raise
    delivery.schedule_close(tasks, confirmed)
    log(
        "booking.credit_redeemed",
        sessionId=session_id,
        purchaseId=purchase_id,
        creditIndex=credit.index,
    )
    return CreditBookingResult(
        sessionId=session_id,
        amount=confirmed.price,
        currency=confirmed.currency,
        priceBreakdown=confirmed.priceBreakdown,
        packagePurchaseId=purchase_id,
    )


def _credit_session(
    *,
    session_id: str,
    caller: Caller,
    request: BookingRequest,
    expert: PublicExpert,
    slot: Any,
    purchase: PackagePurchase,
    credit: PackageCredit,
    now: datetime,
) -> ExpertSession:
    session = booking.new_session(
        session_id=session_id,
        caller=caller,
        request=request,
        expert=expert,
        slot=slot,
        quote=credit_quote(purchase, expert, value=credit.value),
        hold_expires=now + CREDIT_HOLD,
        now=now,
    )
    return session.model_copy(
        update={"packagePurchaseId": purchase.purchaseId, "packageCreditIndex": credit.index}
    )


def confirm_credit_session(db: firestore.Client, *, session_id: str, clock: Clock) -> ExpertSession:
    """The held credit session becomes confirmed and its credit redeemed, in one transaction
    with the ledger line (the credit's value, the 20% fee, the expert's net), the expert's
    counters and the confirmation emails. The confirmed session's `paymentIntentId` is the
    package's (the expert's payout is a Transfer from that charge); a held one has none, so
    nothing ever cancels the package's intent."""
    now = clock.now()
    session_ref = holds.session_ref(db, session_id)

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> ExpertSession:
        snap = session_ref.get(transaction=transaction)
        if not snap.exists:
            raise NotFound("no such session", reason="session_not_found")
        session = holds.load_session(snap)
        purchase = _load(transaction, db, session.packagePurchaseId or "")
        credit = next((c for c in purchase.credits if c.index == session.packageCreditIndex), None)
        if (
            session.status != "pending"
            or credit is None
            or credit.state != "reserved"
            or credit.sessionId != session_id
        ):
            raise FailedPrecondition(
                "the booking changed meanwhile; try again", reason="session_changed"
            )
        contacts = holds.contacts_ref(db, session_id).get(transaction=transaction).to_dict()
        stats = perf.read_stats(transaction, db, session.expertId)
        session = occupancy.read_claims(transaction, db, session)
        lock_refs = [occupancy.lock_ref(db, session.expertId, u) for u in session.lockUnits]
        for lock in transaction.get_all(lock_refs):
            if not lock.exists or lock.get("sessionId") != session_id:
                raise FailedPrecondition(
                    "the booking changed meanwhile; try again", reason="session_changed"
                )
        # --- writes
        confirmed = session.model_copy(
            update={
                "status": "confirmed",
                "paymentStatus": "paid",
                "paymentIntentId": purchase.paymentIntentId,
                "confirmedAt": now,
                "meetingLink": new_meeting_link(),
            }
        )
        occupancy.write_locks(
            transaction,
            lock_refs,
            session_id=session_id,
            status="confirmed",
            expires_at=None,
            create=False,
        )
        occupancy.write_busy(transaction, db, confirmed, status="confirmed")
        transaction.update(
            session_ref,
            {
                "status": "confirmed",
                "paymentStatus": "paid",
                "paymentIntentId": purchase.paymentIntentId,
                "confirmedAt": now,
                "meetingLink": confirmed.meetingLink,
                "holdExpiresAt": firestore.DELETE_FIELD,
            },
        )
        transaction.update(
            ref(db, purchase.purchaseId),
            {"credits": _with_states(purchase, [credit.index], "redeemed", now, session_id)},
        )
        line = ledger.charge_line(
            confirmed, payment_intent_id=purchase.paymentIntentId, now=now
        ).model_copy(update={"packagePurchaseId": purchase.purchaseId})
        ledger.write_line(transaction, db, line)
        perf.write_stats(
            transaction, db, session.expertId, stats, total_sessions=1, earnings=line.netAmount
        )
        notifications.booking_confirmed(
            transaction, db, session=confirmed, contacts=contacts or {}, now=now
        )
        return confirmed.model_copy(update={"holdExpiresAt": None})

    return txn(db.transaction())


def _dead_reservations(
    transaction: firestore.Transaction,
    db: firestore.Client,
    purchase: PackagePurchase,
    now: datetime,
) -> list[int]:
    """Reserved credits whose booking did not go through (its session is gone, cancelled, or
    a hold past its expiry: a crash between claim and confirmation)."""
    dead = []
    for credit in purchase.credits:
        if credit.state != "reserved":
            continue
        snap = holds.session_ref(db, credit.sessionId or "-").get(transaction=transaction)
        session = holds.load_session(snap) if snap.exists else None
        if (
            session is None
            or session.status not in ("pending", "confirmed")
            or (
                session.status == "pending"
                and (session.holdExpiresAt is None or session.holdExpiresAt <= now)
            )
        ):
            dead.append(credit.index)
    return dead


def release_dead_reservations(db: firestore.Client, *, purchase_id: str, clock: Clock) -> int:
    """Give credits reserved by bookings that did not go through back; returns how many."""
    now = clock.now()

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> int:
        purchase = _load(transaction, db, purchase_id)
        dead = _dead_reservations(transaction, db, purchase, now)
        if dead:
            transaction.update(
                ref(db, purchase_id), {"credits": _with_states(purchase, dead, "unused", now)}
            )
        return len(dead)

    return int(txn(db.transaction()))


# --- cancellation of a credit session ------------------------------------------------------


def cancellation_terms(session: ExpertSession, *, already: bool, percentage: int) -> dict[str, int]:
    """Policy (pure): a cancelled credit session gives its credit back only at the full-refund
    tier (expert cancels, or the user with 24 h notice or more); at the 50% and 0% tiers the
    credit is used, as the session would have been, and no money moves. A credit is one whole
    session: it is never split into part credit, part money. Returns `percentage` (100 or 0)
    and `amount` (the credit's value back, minor units) for the cancellation's answer."""
    if already:
        return {"percentage": session.refundPercentage or 0, "amount": session.refundedAmount}
    back = percentage == 100
    return {"percentage": 100 if back else 0, "amount": session.price if back else 0}


def read_for_return(
    transaction: firestore.Transaction, db: firestore.Client, session: ExpertSession
) -> PackagePurchase | None:
    """The purchase a credit goes back to (read before the transaction's writes)."""
    if session.packagePurchaseId is None:
        return None
    return _load(transaction, db, session.packagePurchaseId)


def return_credit(
    transaction: firestore.Transaction,
    db: firestore.Client,
    *,
    purchase: PackagePurchase,
    session: ExpertSession,
    now: datetime,
) -> tuple[dict[str, Any], int]:
    """The session's credit back to unused, and the negative ledger line that reverses its
    redemption; returns (session fields, the line's net, negative). No Stripe refund: the
    money stays with the platform until the credit is used, refunded or expires."""
    index = session.packageCreditIndex
    credit = next((c for c in purchase.credits if c.index == index), None)
    if credit is None or credit.state != "redeemed" or credit.sessionId != session.sessionId:
        return {}, 0  # nothing to give back (never twice)
    line = ledger.refund_line(
        session,
        amount=session.price - session.refundedAmount,
        refunded_before=session.refundedAmount,
        now=now,
    ).model_copy(update={"packagePurchaseId": purchase.purchaseId})
    ledger.write_line(transaction, db, line)
    open_ = (
        purchase.status == "paid" and purchase.expiresAt is not None and now < purchase.expiresAt
    )
    if open_:
        updates: dict[str, Any] = {"credits": _with_states(purchase, [credit.index], "unused", now)}
    else:  # the package is over (an expert's no-show reported after expiry): money back
        refund = PackageRefund(
            amount=credit.value,
            credits=[credit.index],
            idempotencyKey=f"{purchase.purchaseId}-refund-{credit.index}-{session.sessionId}",
            createdAt=now,
        )
        updates = {
            "credits": _with_states(purchase, [credit.index], "refunded", now),
            "refunds": [*(r.to_firestore() for r in purchase.refunds), refund.to_firestore()],
        }
    transaction.update(ref(db, purchase.purchaseId), updates)
    return {"refundedAmount": session.price, "paymentStatus": "refunded"}, line.netAmount
