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
Discounts: the package's price already carries its own discount (`discountPercentage`), so a
session booked with a credit gets no `firstTimeDiscount` or bulk discount: the package wins.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import Clock
from salamin.core.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from salamin.core.log import log
from salamin.gateways.stripe_gateway import PaymentIntentInfo, RefundInfo
from salamin.marketplace.booking import pricing
from salamin.models.expert import PublicExpert
from salamin.models.package import PackageCredit, PackagePurchase, PackageRefund

PURCHASE_KEY = "packagePurchaseId"
ApplyResult = Literal["confirmed", "already", "ignored"]


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


def purchase_package(
    db: firestore.Client,
    *,
    caller: Caller,
    expert_id: str,
    package_name: str,
    clock: Clock,
    payments: PackagePayments,
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
    currency = next(iter(expert.pricing.sessionTypes.values())).currency
    now = clock.now()
    purchase_ref = db.collection(col.PACKAGE_PURCHASES).document()
    purchase = PackagePurchase(
        purchaseId=purchase_ref.id,
        userId=caller.uid,
        expertId=expert_id,
        packageName=deal.name,
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
    }


def apply_paid_intent(
    db: firestore.Client, *, intent: PaymentIntentInfo, clock: Clock
) -> ApplyResult:
    """The webhook's `payment_intent.succeeded` for a package: pending -> paid with credits,
    exactly once. A mismatched amount or intent is logged and not applied."""
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
    purchase: PackagePurchase, indexes: list[int], state: str, now: datetime
) -> list[dict[str, Any]]:
    out = []
    for credit in purchase.credits:
        changed = (
            credit.model_copy(update={"state": state, "changedAt": now})
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
    def txn(transaction: firestore.Transaction) -> PackageRefund:
        purchase = _load(transaction, db, purchase_id)
        if caller.uid != purchase.userId and not caller.is_admin:
            raise PermissionDenied("only the buyer can refund this package")
        pending = next((r for r in purchase.refunds if r.status == "pending"), None)
        if pending is not None:  # a refund Stripe has not accepted yet: retry it, same key
            return pending
        if purchase.status != "paid":
            raise FailedPrecondition(
                f"a {purchase.status} package has nothing to refund",
                reason="purchase_not_refundable",
            )
        if purchase.expiresAt is not None and now >= purchase.expiresAt:
            raise FailedPrecondition("this package has expired", reason="package_expired")
        unused = [c for c in purchase.credits if c.state == "unused"]
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
        return refund

    refund = txn(db.transaction())
    purchase = PackagePurchase.model_validate(ref(db, purchase_id).get().to_dict() or {})
    made = payments.refund(
        payment_intent_id=purchase.paymentIntentId or "",
        amount=refund.amount,
        metadata={PURCHASE_KEY: purchase_id, "reason": "unused_package_credits"},
        idempotency_key=refund.idempotencyKey,
    )
    done = [
        r.model_copy(update={"status": "succeeded", "refundId": made.id}).to_firestore()
        if r.idempotencyKey == refund.idempotencyKey
        else r.to_firestore()
        for r in purchase.refunds
    ]
    ref(db, purchase_id).update({"refunds": done})
    return {
        "purchaseId": purchase_id,
        "refundAmount": refund.amount,
        "currency": purchase.currency,
        "creditsRefunded": len(refund.credits),
        "refundId": made.id,
    }


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
        unused = [c for c in purchase.credits if c.state == "unused"]
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
