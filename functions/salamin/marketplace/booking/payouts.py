"""Expert payouts through Stripe Connect Express: account, onboarding link, readiness sync, and
the Transfer of a session's net once it was delivered.

Bookings are platform charges (separate charges and transfers); the expert's share is sent by
`transfer_payout` after the session's dispute window (delivery.py). An expert is bookable for
pay only once their account can receive transfers. The account and its readiness live in
`experts/{id}/private/payouts` (`ExpertPayoutAccount`; this module is its one writer); the
public profile carries only the `payoutsEnabled` mirror, so search can show who is bookable.
- `ensure_payout_account` creates the Express account once (idempotency key from the expert
  id; the account id is stored with a transaction that never replaces an existing one) and is
  also what the demo seed calls;
- `create_onboarding_link` gives the expert Stripe's hosted onboarding;
- `sync_account` applies `account.updated` events (and direct reads), ignoring older snapshots;
- `transfer_payout` sends a `payable` session payout: one Transfer of exactly the amount decided,
  `source_transaction` = the session's charge, `transfer_group` = the session, idempotency key
  `<sessionId>-transfer`. Exactly once, even under concurrent or repeated runs: a Transfer
  already in the group is reused (Stripe keeps idempotency keys for 24 h only, the group
  forever), concurrent creates share the key, the charge can never fund more than what is left
  of it, and only a transaction that still finds `payable` records `paid_out`.
"""

from __future__ import annotations

from typing import Any

from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import Clock
from salamin.core.errors import FailedPrecondition, NotFound, PermissionDenied
from salamin.core.log import log
from salamin.gateways.stripe_gateway import AccountInfo, PaymentsGateway, TransferInfo
from salamin.marketplace.booking import ledger
from salamin.models.base import SalaminModel
from salamin.models.expert import ExpertPayoutAccount
from salamin.models.session import ExpertSession, PayoutRecord


class PayoutStatus(SalaminModel):
    expertId: str
    stripeAccountId: str
    chargesEnabled: bool
    payoutsEnabled: bool
    detailsSubmitted: bool


def _expert_ref(db: firestore.Client, expert_id: str) -> firestore.DocumentReference:
    return db.collection(col.EXPERTS).document(expert_id)


def account_ref(db: firestore.Client, expert_id: str) -> firestore.DocumentReference:
    return (
        _expert_ref(db, expert_id)
        .collection(col.EXPERT_PRIVATE)
        .document(col.EXPERT_PRIVATE_PAYOUTS)
    )


def load_account(
    db: firestore.Client, expert_id: str, *, transaction: firestore.Transaction | None = None
) -> ExpertPayoutAccount:
    """The expert's private payout account (empty when none was created yet)."""
    snap = account_ref(db, expert_id).get(transaction=transaction)
    return ExpertPayoutAccount.model_validate(snap.to_dict() or {})


def _write_readiness(
    writer: firestore.Transaction | firestore.WriteBatch,
    db: firestore.Client,
    expert_id: str,
    fields: dict[str, Any],
) -> None:
    """Private account fields, plus the public `payoutsEnabled` mirror when it is among them."""
    writer.set(account_ref(db, expert_id), fields, merge=True)
    if "payoutsEnabled" in fields:
        writer.update(_expert_ref(db, expert_id), {"payoutsEnabled": fields["payoutsEnabled"]})


def _readiness(account: AccountInfo) -> dict[str, Any]:
    return {
        "chargesEnabled": account.charges_enabled,
        "payoutsEnabled": account.can_receive_bookings and account.payouts_enabled,
        "stripeDetailsSubmitted": account.details_submitted,
    }


def ensure_payout_account(
    db: firestore.Client, connect: PaymentsGateway, *, expert_id: str, country: str = "US"
) -> PayoutStatus:
    """The expert's Connect Express account, created on first call; readiness refreshed."""
    ref = _expert_ref(db, expert_id)
    snap = ref.get()
    if not snap.exists:
        raise NotFound("no such expert", reason="expert_not_found")
    account_id = load_account(db, expert_id).stripeAccountId
    if account_id:
        account = connect.retrieve_account(account_id)
    else:
        contact = ref.collection(col.EXPERT_PRIVATE).document(col.EXPERT_PRIVATE_CONTACT).get()
        account = connect.create_express_account(
            email=contact.get("email") if contact.exists else None,
            country=country,
            metadata={"expertId": expert_id},
            idempotency_key=f"{expert_id}-connect-account",
        )
        account_id = _store_account_id(db, expert_id=expert_id, account_id=account.id)
        if account_id != account.id:
            account = connect.retrieve_account(account_id)
    readiness = _readiness(account)
    batch = db.batch()
    _write_readiness(batch, db, expert_id, readiness)
    batch.commit()
    return PayoutStatus(
        expertId=expert_id,
        stripeAccountId=account.id,
        chargesEnabled=readiness["chargesEnabled"],
        payoutsEnabled=readiness["payoutsEnabled"],
        detailsSubmitted=readiness["stripeDetailsSubmitted"],
    )


def _store_account_id(db: firestore.Client, *, expert_id: str, account_id: str) -> str:
    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> str:
        existing = load_account(db, expert_id, transaction=transaction).stripeAccountId
        if existing:
            return existing
        _write_readiness(
            transaction, db, expert_id, {"stripeAccountId": account_id, "payoutsEnabled": False}
        )
        return account_id

    return txn(db.transaction())


def create_payout_account(
    db: firestore.Client, connect: PaymentsGateway, *, caller: Caller, country: str
) -> PayoutStatus:
    """Callable: an active expert sets up payouts for themself."""
    snap = _expert_ref(db, caller.uid).get()
    if not snap.exists:
        raise PermissionDenied("only active experts can set up payouts")
    if snap.get("status") != "active":
        raise FailedPrecondition("your expert profile is not active", reason="expert_not_active")
    return ensure_payout_account(db, connect, expert_id=caller.uid, country=country)


def create_onboarding_link(
    db: firestore.Client,
    connect: PaymentsGateway,
    *,
    caller: Caller,
    return_url: str,
    refresh_url: str,
    country: str = "US",
) -> str:
    status = create_payout_account(db, connect, caller=caller, country=country)
    return connect.create_account_link(
        account_id=status.stripeAccountId, return_url=return_url, refresh_url=refresh_url
    )


def sync_account(db: firestore.Client, *, account: dict[str, Any], event_created: int) -> bool:
    """Apply an `account.updated` snapshot unless a newer one was applied already."""
    info = AccountInfo.from_dict(account)
    expert_id = info.metadata.get("expertId")
    if not expert_id:
        found = list(
            db.collection_group(col.EXPERT_PRIVATE)
            .where(filter=firestore.FieldFilter("stripeAccountId", "==", info.id))
            .limit(1)
            .stream()
        )
        parent = found[0].reference.parent.parent if found else None
        expert_id = parent.id if parent is not None else None
    if not expert_id:
        log("payouts.unknown_account", severity="WARNING", accountId=info.id)
        return False
    ref = _expert_ref(db, expert_id)

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> bool:
        if not ref.get(transaction=transaction).exists:
            return False
        current = load_account(db, expert_id, transaction=transaction)
        if current.stripeAccountId not in (None, info.id):
            return False
        if int(current.stripeAccountSyncedAt or 0) > event_created:
            return False  # an older snapshot delivered late
        _write_readiness(
            transaction,
            db,
            expert_id,
            {
                **_readiness(info),
                "stripeAccountId": info.id,
                "stripeAccountSyncedAt": event_created,
            },
        )
        return True

    applied = txn(db.transaction())
    log("payouts.synced", expertId=expert_id, accountId=info.id, applied=applied)
    return applied


# --- session payouts (Transfers) -----------------------------------------------------------------


def transfer_key(session_id: str) -> str:
    return f"{session_id}-transfer"


def _session_ref(db: firestore.Client, session_id: str) -> firestore.DocumentReference:
    return db.collection(col.EXPERT_SESSIONS).document(session_id)


def _find_or_make_transfer(
    db: firestore.Client, payments: PaymentsGateway, session: ExpertSession, payout: PayoutRecord
) -> TransferInfo:
    existing = [
        t for t in payments.list_transfers(transfer_group=session.sessionId) if not t.reversed
    ]
    if existing:
        return existing[0]
    account_id = load_account(db, session.expertId).stripeAccountId
    if not account_id:
        raise FailedPrecondition(
            "the expert has no payout account", reason="expert_payouts_not_ready"
        )
    # a session paid some other way (e.g. a package credit) has no charge of its own to fund it
    charge = (
        payments.retrieve_payment_intent(session.paymentIntentId).latest_charge
        if session.paymentIntentId
        else None
    )
    if not charge:
        raise FailedPrecondition(
            "the session has no charge to fund its payout", reason="payment_not_succeeded"
        )
    return payments.create_transfer(
        amount=payout.amount,
        currency=payout.currency,
        destination=account_id,
        source_transaction=charge,
        transfer_group=session.sessionId,
        metadata={"sessionId": session.sessionId, "expertId": session.expertId},
        idempotency_key=payout.idempotencyKey,
    )


def transfer_payout(
    db: firestore.Client, payments: PaymentsGateway, *, session_id: str, clock: Clock
) -> PayoutRecord | None:
    """Send a `payable` payout and record it `paid_out` with its ledger lines; returns the
    payout as stored afterwards. Stripe errors propagate (the task is retried)."""
    ref = _session_ref(db, session_id)
    snap = ref.get()
    if not snap.exists:
        return None
    session = ExpertSession.model_validate(snap.to_dict() or {})
    payout = session.payout
    if payout is None or payout.status != "payable":
        return payout
    transfer = _find_or_make_transfer(db, payments, session, payout)
    if transfer.amount != payout.amount:
        log(
            "payout.amount_mismatch",
            severity="ERROR",
            sessionId=session_id,
            transferId=transfer.id,
            amount=transfer.amount,
            expected=payout.amount,
        )
    now = clock.now()

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> PayoutRecord | None:
        current = ExpertSession.model_validate(ref.get(transaction=transaction).to_dict() or {})
        if current.payout is None or current.payout.status != "payable":
            return current.payout
        lines = ledger.read_session_lines(transaction, db, session_id)
        done = current.payout.model_copy(
            update={"status": "paid_out", "transferId": transfer.id, "paidOutAt": now}
        )
        ledger.move_lines(
            transaction, db, lines, source="payable", target="paid_out", transfer_id=transfer.id
        )
        transaction.update(ref, {"payout": done.to_firestore()})
        return done

    stored = txn(db.transaction())
    log("payout.sent", sessionId=session_id, transferId=transfer.id, amount=transfer.amount)
    return stored


def retry_payable_payouts(
    db: firestore.Client, *, payments: PaymentsGateway, clock: Clock, limit: int = 100
) -> int:
    """Sweep helper: payouts decided but not yet sent (Stripe down, account not ready)."""
    query = (
        db.collection(col.EXPERT_SESSIONS)
        .where(filter=firestore.FieldFilter("payout.status", "==", "payable"))
        .limit(limit)
    )
    sent = 0
    for snap in query.stream():
        try:
            done = transfer_payout(db, payments, session_id=snap.id, clock=clock)
        except Exception as exc:
            log("payout.retry_failed", severity="WARNING", sessionId=snap.id, error=str(exc))
            continue
        sent += int(done is not None and done.status == "paid_out")
    return sent
