"""Stripe behind one small gateway: payment intents, refunds, transfers, Connect, webhooks.

Money model: separate charges and transfers. The platform charges the candidate (a PaymentIntent
with `transfer_group` = the session, no `transfer_data`, no application fee); the expert's net
goes out later as a Transfer with `source_transaction` = that charge (marketplace/booking/
payouts.py). So a refund before the payout is a plain refund of the platform's charge: there is
no transfer to reverse and no application fee to give back.

Domain code is typed against `PaymentsGateway`, the one Protocol of what it may ask Stripe,
gets a `StripeGateway` and never sees the `stripe` library. Every POST carries an idempotency key that the caller derives from our own
ids, so a retry after a timeout can never create a second intent or refund. The base address
comes from `STRIPE_API_BASE` when set (the local test double), else real Stripe.

Failures become typed errors with our own wording; Stripe's text never reaches a client (it
goes to the log only), its machine codes do (`declineCode`, `stripeCode`):
- a declined card -> `PaymentDeclined` (failed-precondition, with the decline code);
- network errors, timeouts, 5xx and rate limits -> `StripeUnavailable` (unavailable, retry);
- Stripe refusing the request -> `StripeRejected` (failed-precondition, with Stripe's code).

Webhooks come from two Stripe endpoints, each with its own signing secret: the platform's
(`STRIPE_WEBHOOK_SECRET`: payments, refunds) and the Connect one (`STRIPE_CONNECT_WEBHOOK_SECRET`:
events of connected accounts such as `account.updated`). A payload signed by either is accepted.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import stripe

from salamin.core.errors import FailedPrecondition, Unavailable
from salamin.core.log import log

DEFAULT_TIMEOUT_SECONDS = 20.0


class PaymentDeclined(FailedPrecondition):
    """The card was declined: the user should try another payment method."""

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, reason="payment_declined", details=details)


class StripeUnavailable(Unavailable):
    """Stripe could not be reached or failed on its side; safe to retry (same idempotency key)."""


class StripeRejected(FailedPrecondition):
    """Stripe refused the request (bad state or parameters). `stripe_code` is Stripe's code."""

    def __init__(self, message: str, *, stripe_code: str | None = None) -> None:
        super().__init__(
            message,
            reason="payment_rejected",
            details={"stripeCode": stripe_code} if stripe_code else None,
        )
        self.stripe_code = stripe_code


class WebhookSignatureInvalid(Exception):
    """The payload is not signed by our webhook secret (or is stale or malformed)."""


@dataclass(frozen=True)
class PaymentIntentInfo:
    id: str
    client_secret: str | None
    status: str
    amount: int
    amount_received: int
    currency: str
    metadata: dict[str, str]
    latest_charge: str | None = None
    application_fee_amount: int | None = None
    transfer_destination: str | None = None

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> PaymentIntentInfo:
        latest = obj.get("latest_charge")
        if isinstance(latest, dict):
            latest = latest.get("id")
        transfer = obj.get("transfer_data") or {}
        return cls(
            id=str(obj["id"]),
            client_secret=obj.get("client_secret"),
            status=str(obj.get("status")),
            amount=int(obj.get("amount") or 0),
            amount_received=int(obj.get("amount_received") or 0),
            currency=str(obj.get("currency") or "").upper(),
            metadata={str(k): str(v) for k, v in (obj.get("metadata") or {}).items()},
            latest_charge=latest,
            application_fee_amount=obj.get("application_fee_amount"),
            transfer_destination=transfer.get("destination"),
        )


@dataclass(frozen=True)
class TransferInfo:
    id: str
    amount: int
    currency: str
    destination: str
    source_transaction: str | None
    transfer_group: str | None
    reversed: bool

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> TransferInfo:
        return cls(
            id=str(obj["id"]),
            amount=int(obj.get("amount") or 0),
            currency=str(obj.get("currency") or "").upper(),
            destination=str(obj.get("destination") or ""),
            source_transaction=obj.get("source_transaction"),
            transfer_group=obj.get("transfer_group"),
            reversed=bool(obj.get("reversed")),
        )


@dataclass(frozen=True)
class RefundInfo:
    """A Stripe refund. `status`: pending | requires_action | succeeded | failed | canceled."""

    id: str
    amount: int
    status: str
    payment_intent: str | None = None
    failure_reason: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> RefundInfo:
        return cls(
            id=str(obj["id"]),
            amount=int(obj.get("amount") or 0),
            status=str(obj.get("status")),
            payment_intent=obj.get("payment_intent"),
            failure_reason=obj.get("failure_reason"),
            metadata={str(k): str(v) for k, v in (obj.get("metadata") or {}).items()},
        )


@dataclass(frozen=True)
class ChargeInfo:
    """A charge as Stripe has it now: `amount_refunded` counts refunds pending or succeeded,
    never failed ones."""

    id: str
    amount: int
    amount_refunded: int
    payment_intent: str | None = None

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> ChargeInfo:
        return cls(
            id=str(obj["id"]),
            amount=int(obj.get("amount") or 0),
            amount_refunded=int(obj.get("amount_refunded") or 0),
            payment_intent=obj.get("payment_intent"),
        )


@dataclass(frozen=True)
class AccountInfo:
    id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    transfers_active: bool
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def can_receive_bookings(self) -> bool:
        """A payout (Transfer) needs the account's transfers capability."""
        return self.transfers_active and self.charges_enabled

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> AccountInfo:
        caps = obj.get("capabilities") or {}
        return cls(
            id=str(obj["id"]),
            charges_enabled=bool(obj.get("charges_enabled")),
            payouts_enabled=bool(obj.get("payouts_enabled")),
            details_submitted=bool(obj.get("details_submitted")),
            transfers_active=caps.get("transfers") == "active",
            metadata={str(k): str(v) for k, v in (obj.get("metadata") or {}).items()},
        )


WebhookEndpoint = Literal["platform", "connect"]


@dataclass(frozen=True)
class StripeEvent:
    id: str
    type: str
    created: int
    object: dict[str, Any]
    previous_attributes: dict[str, Any] = field(default_factory=dict)
    endpoint: WebhookEndpoint = "platform"
    """Whose secret signed it: the platform endpoint's or the Connect endpoint's."""
    account: str | None = None
    """The connected account an event of the Connect endpoint is about."""


def _plain(obj: Any) -> dict[str, Any]:
    """A stripe object as plain JSON data (stripe 16 objects have no `.get`)."""
    if hasattr(obj, "to_dict"):
        return dict(obj.to_dict(recursive=True))
    return dict(obj)


DECLINE_MESSAGES = {
    "insufficient_funds": "insufficient funds on this card; try another payment method",
    "expired_card": "this card has expired; try another payment method",
    "incorrect_cvc": "the security code does not match this card",
}
"""Our wording for the decline codes a candidate can act on; any other code gets the generic
`payment declined` message (the code itself is in `details.declineCode`)."""


def decline_message(code: str | None) -> str:
    """The message we show for a declined payment, from Stripe's code only (never its text)."""
    detail = DECLINE_MESSAGES.get(code or "")
    return f"payment declined: {detail}" if detail else "payment declined: try another card"


def _translate(exc: stripe.StripeError) -> Exception:
    """A typed error with our own message; Stripe's text is logged, never passed on."""
    log(
        "stripe.error",
        severity="WARNING",
        errorType=type(exc).__name__,
        httpStatus=exc.http_status,
        code=getattr(exc, "code", None),
        stripeMessage=str(getattr(exc, "user_message", None) or exc)[:300],
        requestId=getattr(exc, "request_id", None),
    )
    if isinstance(exc, stripe.CardError):
        err = exc.error
        decline = getattr(err, "decline_code", None) or getattr(err, "code", None)
        return PaymentDeclined(
            decline_message(decline), details={"declineCode": decline} if decline else None
        )
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError):
        return StripeUnavailable("the payment provider could not be reached; try again")
    if isinstance(exc, stripe.IdempotencyError):
        return StripeRejected(
            "the payment provider is still processing an identical request; try again",
            stripe_code="idempotency_error",
        )
    status = exc.http_status or 0
    if status >= 500 or isinstance(exc, stripe.APIError):
        return StripeUnavailable("the payment provider failed; try again")
    if isinstance(exc, stripe.InvalidRequestError):
        return StripeRejected(
            "the payment provider refused this request", stripe_code=getattr(exc, "code", None)
        )
    return StripeUnavailable("the payment provider could not complete the request; try again")


class PaymentsGateway(Protocol):
    """What domain code may ask of Stripe (`StripeGateway` implements it)."""

    def create_payment_intent(
        self,
        *,
        amount: int,
        currency: str,
        transfer_group: str,
        metadata: dict[str, str],
        description: str,
        idempotency_key: str,
    ) -> PaymentIntentInfo: ...

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentInfo: ...

    def retrieve_charge(self, charge_id: str) -> ChargeInfo: ...

    def cancel_payment_intent(
        self, payment_intent_id: str, *, idempotency_key: str
    ) -> PaymentIntentInfo: ...

    def refund(
        self,
        *,
        payment_intent_id: str,
        amount: int,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> RefundInfo: ...

    def create_transfer(
        self,
        *,
        amount: int,
        currency: str,
        destination: str,
        source_transaction: str,
        transfer_group: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> TransferInfo: ...

    def list_transfers(self, *, transfer_group: str) -> list[TransferInfo]: ...

    def create_express_account(
        self, *, email: str | None, country: str, metadata: dict[str, str], idempotency_key: str
    ) -> AccountInfo: ...

    def retrieve_account(self, account_id: str) -> AccountInfo: ...

    def create_account_link(self, *, account_id: str, return_url: str, refresh_url: str) -> str: ...


class StripeGateway:
    """The real `stripe` client, pointed at `STRIPE_API_BASE` when that is set."""

    def __init__(
        self,
        api_key: str,
        *,
        webhook_secret: str | None = None,
        connect_webhook_secret: str | None = None,
        api_base: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_network_retries: int = 2,
    ) -> None:
        base = api_base if api_base is not None else os.environ.get("STRIPE_API_BASE")
        candidates: list[tuple[WebhookEndpoint, str | None]] = [
            ("platform", webhook_secret),
            ("connect", connect_webhook_secret),
        ]
        self.webhook_secrets = [(name, secret) for name, secret in candidates if secret]
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": base} if base else None,
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    def _call(self, fn: Any, params: dict[str, Any], idempotency_key: str | None) -> Any:
        options: dict[str, Any] = {}
        if idempotency_key:
            options["idempotency_key"] = idempotency_key
        try:
            return _plain(fn(params=params, options=options))
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    # --- payment intents ----------------------------------------------------------------------
    def create_payment_intent(
        self,
        *,
        amount: int,
        currency: str,
        transfer_group: str,
        metadata: dict[str, str],
        description: str,
        idempotency_key: str,
    ) -> PaymentIntentInfo:
        """A charge the platform keeps until it transfers the expert's share later: a session
        (transfer_group = the session) or a package deal (= the purchase)."""
        params = {
            "amount": amount,
            "currency": currency.lower(),
            "metadata": metadata,
            "description": description,
            "automatic_payment_methods": {"enabled": True},
            "transfer_group": transfer_group,
        }
        obj = self._call(self.client.v1.payment_intents.create, params, idempotency_key)
        return PaymentIntentInfo.from_dict(obj)

    create_platform_payment_intent = create_payment_intent
    """The name package deals use (salamin.marketplace.booking.packages.PackagePayments)."""

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentInfo:
        try:
            obj = _plain(self.client.v1.payment_intents.retrieve(payment_intent_id))
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return PaymentIntentInfo.from_dict(obj)

    def cancel_payment_intent(
        self, payment_intent_id: str, *, idempotency_key: str
    ) -> PaymentIntentInfo:
        options: Any = {"idempotency_key": idempotency_key}
        try:
            obj = _plain(
                self.client.v1.payment_intents.cancel(
                    payment_intent_id, params={"cancellation_reason": "abandoned"}, options=options
                )
            )
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return PaymentIntentInfo.from_dict(obj)

    def retrieve_charge(self, charge_id: str) -> ChargeInfo:
        """The charge's current state (webhook snapshots may arrive late or out of order)."""
        try:
            obj = _plain(self.client.v1.charges.retrieve(charge_id))
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return ChargeInfo.from_dict(obj)

    # --- refunds ------------------------------------------------------------------------------
    def refund(
        self,
        *,
        payment_intent_id: str,
        amount: int,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> RefundInfo:
        """A refund of the platform's charge (bookings and package deals alike). Before the
        payout nothing reached the expert, so there is no transfer to reverse and no
        application fee to return."""
        params = {
            "payment_intent": payment_intent_id,
            "amount": amount,
            "reason": "requested_by_customer",
            "metadata": metadata,
        }
        obj = self._call(self.client.v1.refunds.create, params, idempotency_key)
        return RefundInfo.from_dict(obj)

    # --- transfers (payouts) --------------------------------------------------------------------
    def create_transfer(
        self,
        *,
        amount: int,
        currency: str,
        destination: str,
        source_transaction: str,
        transfer_group: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> TransferInfo:
        """The expert's net, funded by the session's own charge (`source_transaction`), so it
        never draws on the platform's balance and can never exceed what is left of the charge."""
        params = {
            "amount": amount,
            "currency": currency.lower(),
            "destination": destination,
            "source_transaction": source_transaction,
            "transfer_group": transfer_group,
            "metadata": metadata,
        }
        obj = self._call(self.client.v1.transfers.create, params, idempotency_key)
        return TransferInfo.from_dict(obj)

    def list_transfers(self, *, transfer_group: str) -> list[TransferInfo]:
        """Transfers already made for a group (a session has at most one)."""
        params = {"transfer_group": transfer_group, "limit": 10}
        obj = self._call(self.client.v1.transfers.list, params, None)
        return [TransferInfo.from_dict(t) for t in obj.get("data") or []]

    # --- Connect ------------------------------------------------------------------------------
    def create_express_account(
        self, *, email: str | None, country: str, metadata: dict[str, str], idempotency_key: str
    ) -> AccountInfo:
        params: dict[str, Any] = {
            "type": "express",
            "country": country,
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
            "metadata": metadata,
        }
        if email:
            params["email"] = email
        obj = self._call(self.client.v1.accounts.create, params, idempotency_key)
        return AccountInfo.from_dict(obj)

    def retrieve_account(self, account_id: str) -> AccountInfo:
        try:
            obj = _plain(self.client.v1.accounts.retrieve(account_id))
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return AccountInfo.from_dict(obj)

    def create_account_link(self, *, account_id: str, return_url: str, refresh_url: str) -> str:
        params = {
            "account": account_id,
            "type": "account_onboarding",
            "return_url": return_url,
            "refresh_url": refresh_url,
        }
        # Links are single-use and short-lived: a fresh one each time, no idempotency key.
        obj = self._call(self.client.v1.account_links.create, params, None)
        return str(obj["url"])

    # --- webhooks -----------------------------------------------------------------------------
    def parse_webhook(self, payload: bytes, signature_header: str | None) -> StripeEvent:
        """Verify the signature on the exact raw bytes against each configured secret (the
        platform endpoint's and the Connect endpoint's), then return the event as plain data."""
        if not self.webhook_secrets:
            raise WebhookSignatureInvalid("no webhook secret configured")
        if not signature_header:
            raise WebhookSignatureInvalid("missing Stripe-Signature header")
        failure: Exception | None = None
        endpoint: WebhookEndpoint | None = None
        for name, secret in self.webhook_secrets:
            try:
                stripe.Webhook.construct_event(payload, signature_header, secret)
            except (stripe.SignatureVerificationError, ValueError, KeyError, IndexError) as exc:
                failure = exc
                continue
            endpoint = name
            break
        if endpoint is None:
            raise WebhookSignatureInvalid(str(failure)) from failure
        try:
            body = json.loads(payload)
        except ValueError as exc:
            raise WebhookSignatureInvalid(str(exc)) from exc
        if not isinstance(body, dict):
            raise WebhookSignatureInvalid("not a Stripe event")
        data = body.get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        if not isinstance(obj, dict) or not body.get("id") or not body.get("type"):
            raise WebhookSignatureInvalid("not a Stripe event")
        assert isinstance(data, dict)
        previous = data.get("previous_attributes")
        return StripeEvent(
            id=str(body["id"]),
            type=str(body["type"]),
            created=int(body.get("created") or 0),
            object=obj,
            previous_attributes=previous if isinstance(previous, dict) else {},
            endpoint=endpoint,
            account=body.get("account") if isinstance(body.get("account"), str) else None,
        )
