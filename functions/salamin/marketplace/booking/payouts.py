"""Expert payouts through Stripe Connect Express: account, onboarding link, readiness sync.

Bookings are destination charges to the expert's connected account, so an expert is bookable
for pay only once that account can receive transfers (`payoutsEnabled` on `experts/{id}`).
- `ensure_payout_account` creates the Express account once (idempotency key from the expert
  id; the account id is stored with a transaction that never replaces an existing one) and is
  also what the demo seed calls;
- `create_onboarding_link` gives the expert Stripe's hosted onboarding;
- `sync_account` applies `account.updated` events (and direct reads), ignoring older snapshots.
"""

from __future__ import annotations

from typing import Any

from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.errors import FailedPrecondition, NotFound, PermissionDenied
from salamin.core.log import log
from salamin.gateways.stripe_gateway import AccountInfo, PaymentsGateway
from salamin.models.base import SalaminModel


class PayoutStatus(SalaminModel):
    expertId: str
    stripeAccountId: str
    chargesEnabled: bool
    payoutsEnabled: bool
    detailsSubmitted: bool


def _expert_ref(db: firestore.Client, expert_id: str) -> firestore.DocumentReference:
    return db.collection(col.EXPERTS).document(expert_id)


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
    account_id = (snap.to_dict() or {}).get("stripeAccountId")
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
    ref.update(readiness)
    return PayoutStatus(
        expertId=expert_id,
        stripeAccountId=account.id,
        chargesEnabled=readiness["chargesEnabled"],
        payoutsEnabled=readiness["payoutsEnabled"],
        detailsSubmitted=readiness["stripeDetailsSubmitted"],
    )


def _store_account_id(db: firestore.Client, *, expert_id: str, account_id: str) -> str:
    ref = _expert_ref(db, expert_id)

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> str:
        data = ref.get(transaction=transaction).to_dict() or {}
        existing = data.get("stripeAccountId")
        if existing:
            return str(existing)
        transaction.update(ref, {"stripeAccountId": account_id, "payoutsEnabled": False})
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
            db.collection(col.EXPERTS)
            .where(filter=firestore.FieldFilter("stripeAccountId", "==", info.id))
            .limit(1)
            .stream()
        )
        expert_id = found[0].id if found else None
    if not expert_id:
        log("payouts.unknown_account", severity="WARNING", accountId=info.id)
        return False
    ref = _expert_ref(db, expert_id)

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> bool:
        snap = ref.get(transaction=transaction)
        if not snap.exists:
            return False
        data = snap.to_dict() or {}
        if data.get("stripeAccountId") not in (None, info.id):
            return False
        if int(data.get("stripeAccountSyncedAt") or 0) > event_created:
            return False  # an older snapshot delivered late
        transaction.update(
            ref,
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
