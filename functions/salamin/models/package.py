"""A bought package deal (spec `PackageDeal`): `packagePurchases/{purchaseId}`.

The terms are copied from the expert's deal at purchase, so later pricing edits never change a
bought package. The paid amount is split into `sessionCount` credits of whole minor units that
add up exactly to `totalPrice` (`credit_values`); every credit is in one state, so
`totalPrice == redeemed + reserved + refunded + expired + unused` holds to the cent at all times.
A credit books one session of the purchase's `sessionType` and `duration` with its expert
(the spec's deal names neither, so the buyer picks them at purchase among what the expert
offers); `reserved` is a credit a booking has claimed but not confirmed yet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from salamin.models.base import Currency, MinorUnits, StoredModel
from salamin.models.expert import SessionType

PurchaseStatus = Literal["pending", "paid", "closed", "failed"]
CreditState = Literal["unused", "reserved", "redeemed", "refunded", "expired"]


class PackageCredit(StoredModel):
    index: int
    value: MinorUnits
    state: CreditState = "unused"
    sessionId: str | None = None
    changedAt: datetime | None = None


class PackageRefund(StoredModel):
    amount: MinorUnits
    credits: list[int]
    idempotencyKey: str
    status: Literal["pending", "succeeded"] = "pending"
    refundId: str | None = None
    createdAt: datetime


class PackagePurchase(StoredModel):
    purchaseId: str
    userId: str
    expertId: str
    packageName: str
    sessionType: SessionType
    duration: int
    sessionCount: int
    totalPrice: MinorUnits
    currency: Currency
    validityDays: int
    discountPercentage: int
    status: PurchaseStatus
    paymentIntentId: str | None = None
    createdAt: datetime
    paidAt: datetime | None = None
    expiresAt: datetime | None = None
    credits: list[PackageCredit] = []
    refunds: list[PackageRefund] = []
