"""In-memory Stripe objects and the endpoint logic of the Stripe double.

Everything here runs under the double's single lock; the HTTP layer in `stripe_double.py`
handles auth, idempotency replay and fault injection around it. Behaviour follows Stripe's
documented rules where the booking flow depends on them (status lifecycle, Connect destination
checks, refund limits), and rejects unknown parameters the way Stripe does so typos surface.
"""

from __future__ import annotations

import copy
import re
import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scripts.doubles._stripe_errors import StripeApiError
from scripts.doubles._stripe_forms import (
    as_bool,
    as_choice,
    as_dict,
    as_int,
    as_str,
    merge_metadata,
    reject_unknown,
    require,
)

_ALPHABET = string.ascii_letters + string.digits

# Stripe's minimum charge amounts (smallest currency unit) for common currencies.
_MINIMUM_AMOUNT = {
    "usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "chf": 50, "jpy": 50, "nzd": 50,
    "sgd": 50, "sek": 300, "nok": 300, "dkk": 250, "hkd": 400, "mxn": 1000, "brl": 50,
    "inr": 50, "aed": 200, "pln": 200, "czk": 1500, "huf": 17500, "ron": 200, "bgn": 100,
    "thb": 1000, "myr": 200,
}  # fmt: skip
_CURRENCIES = frozenset(_MINIMUM_AMOUNT) | {
    "zar", "php", "idr", "krw", "ils", "try", "sar", "qar", "egp", "mad", "ngn", "kes", "cop",
    "clp", "pen", "twd", "vnd", "isk", "kwd", "bhd", "omr", "jod", "pkr", "lkr", "uah",
}  # fmt: skip
_MAX_AMOUNT = 99_999_999

_COUNTRY_CURRENCY = {
    "US": "usd", "GB": "gbp", "CA": "cad", "AU": "aud", "NZ": "nzd", "CH": "chf", "JP": "jpy",
    "SE": "sek", "NO": "nok", "DK": "dkk", "SG": "sgd", "HK": "hkd", "MX": "mxn", "BR": "brl",
    "IN": "inr", "AE": "aed", "PL": "pln", "FR": "eur", "DE": "eur", "ES": "eur", "IT": "eur",
    "NL": "eur", "IE": "eur", "BE": "eur", "AT": "eur", "PT": "eur", "FI": "eur", "LU": "eur",
}  # fmt: skip

# Stripe's documented test PaymentMethods: brand, last4, and for declines (code, decline_code,
# message).
_CARD_OK = {
    "pm_card_visa": ("visa", "4242"),
    "pm_card_visa_debit": ("visa", "5556"),
    "pm_card_mastercard": ("mastercard", "4444"),
    "pm_card_amex": ("amex", "8431"),
    # Stripe's asynchronous refund failure card (4000 0000 0000 5126): the charge succeeds; a
    # refund of it answers `succeeded`, then fails (refund.updated, charge.refund.updated)
    "pm_card_refundFail": ("visa", "5126"),
}
_REFUND_FAILS = frozenset({"pm_card_refundFail"})
_CARD_DECLINED = {
    "pm_card_chargeDeclined": (
        "visa", "0002", "card_declined", "generic_decline", "Your card was declined."),
    "pm_card_visa_chargeDeclined": (
        "visa", "0002", "card_declined", "generic_decline", "Your card was declined."),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "visa", "9995", "card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "pm_card_visa_chargeDeclinedInsufficientFunds": (
        "visa", "9995", "card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "pm_card_chargeDeclinedExpiredCard": (
        "visa", "0069", "expired_card", "expired_card", "Your card has expired."),
    "pm_card_chargeDeclinedIncorrectCvc": (
        "visa", "0127", "incorrect_cvc", "incorrect_cvc",
        "Your card's security code is incorrect."),
}  # fmt: skip

_CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)
_CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")

_PI_CREATE_PARAMS = {
    "amount", "currency", "metadata", "description", "application_fee_amount", "transfer_data",
    "automatic_payment_methods", "payment_method", "payment_method_types", "confirm",
    "capture_method", "customer", "receipt_email", "on_behalf_of", "transfer_group",
    "statement_descriptor", "statement_descriptor_suffix", "return_url", "expand",
    "setup_future_usage", "off_session", "use_stripe_sdk",
}  # fmt: skip
_PI_UPDATE_PARAMS = {
    "amount", "currency", "metadata", "description", "application_fee_amount", "transfer_data",
    "payment_method", "receipt_email", "transfer_group", "statement_descriptor",
    "statement_descriptor_suffix", "expand", "capture_method", "setup_future_usage",
}  # fmt: skip
_PI_CONFIRM_PARAMS = {
    "payment_method", "return_url", "expand", "receipt_email", "off_session", "use_stripe_sdk",
    "capture_method", "setup_future_usage", "mandate_data", "payment_method_options",
}  # fmt: skip


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


@dataclass
class RequestContext:
    """What the HTTP layer knows about the request that the endpoint logic needs."""

    api_key: str = ""
    base_url: str = ""
    request_id: str | None = None
    idempotency_key: str | None = None
    stripe_account: str | None = None


@dataclass
class _LinkToken:
    account: str
    return_url: str
    refresh_url: str
    used: bool = False


@dataclass
class StripeState:
    """All objects the double knows, plus the events it has emitted (oldest first)."""

    clock: Callable[[], float]
    api_version: str
    on_event: Callable[[dict[str, Any]], None]
    lock: threading.RLock = field(default_factory=threading.RLock)
    payment_intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    links: dict[str, _LinkToken] = field(default_factory=dict)

    def clear(self) -> None:
        for store in (
            self.payment_intents,
            self.charges,
            self.refunds,
            self.accounts,
            self.transfers,
        ):
            store.clear()
        self.events.clear()
        self.links.clear()

    # ------------------------------------------------------------------ routing

    def dispatch(
        self, method: str, path: str, *, params: dict[str, Any], ctx: RequestContext
    ) -> tuple[int, dict[str, Any]]:
        """Run one API call; returns (status, JSON body) or raises StripeApiError."""
        for route_method, pattern, handler in self._routes():
            if route_method != method:
                continue
            match = pattern.fullmatch(path)
            if match:
                obj = handler(params, ctx, *match.groups())
                expand = params.get("expand", [])
                return 200, self._render(obj, expand)
        raise StripeApiError(
            status=404,
            type_="invalid_request_error",
            message=f"Unrecognized request URL ({method}: {path}).",
        )

    def _routes(
        self,
    ) -> list[tuple[str, re.Pattern[str], Callable[..., dict[str, Any]]]]:
        seg = r"([A-Za-z0-9_]+)"
        return [
            ("POST", re.compile(r"/v1/payment_intents"), self._create_pi),
            ("GET", re.compile(rf"/v1/payment_intents/{seg}"), self._get_pi),
            ("POST", re.compile(rf"/v1/payment_intents/{seg}"), self._update_pi),
            ("POST", re.compile(rf"/v1/payment_intents/{seg}/confirm"), self._confirm_pi_route),
            ("POST", re.compile(rf"/v1/payment_intents/{seg}/cancel"), self._cancel_pi),
            ("POST", re.compile(rf"/v1/payment_intents/{seg}/capture"), self._capture_pi),
            ("GET", re.compile(rf"/v1/charges/{seg}"), self._get_charge),
            ("POST", re.compile(r"/v1/refunds"), self._create_refund),
            ("GET", re.compile(rf"/v1/refunds/{seg}"), self._get_refund),
            ("POST", re.compile(r"/v1/accounts"), self._create_account),
            ("GET", re.compile(rf"/v1/accounts/{seg}"), self._get_account),
            ("POST", re.compile(rf"/v1/accounts/{seg}"), self._update_account),
            ("POST", re.compile(r"/v1/account_links"), self._create_account_link),
            ("POST", re.compile(r"/v1/transfers"), self._create_transfer),
            ("GET", re.compile(r"/v1/transfers"), self._list_transfers),
            ("GET", re.compile(rf"/v1/transfers/{seg}"), self._get_transfer),
            ("GET", re.compile(rf"/v1/events/{seg}"), self._get_event),
        ]

    # ------------------------------------------------------------------ helpers

    def _now(self) -> int:
        return int(self.clock())

    def stores(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {
            "pi_": self.payment_intents,
            "ch_": self.charges,
            "re_": self.refunds,
            "acct_": self.accounts,
            "tr_": self.transfers,
            "evt_": self.events,
        }

    def lookup(self, object_id: str) -> dict[str, Any] | None:
        for prefix, store in self.stores().items():
            if object_id.startswith(prefix):
                return store.get(object_id)
        return None

    def _render(self, obj: dict[str, Any], expand: Any) -> dict[str, Any]:
        """Copy an object for the wire, replacing ids named in `expand` by the objects."""
        out = copy.deepcopy(obj)
        paths = expand if isinstance(expand, list) else [expand]
        for path in paths:
            if not isinstance(path, str) or not path:
                raise StripeApiError.invalid("Invalid expand value.", param="expand")
            self._expand_path(out, path.split("."), path)
        return out

    def _expand_path(self, node: dict[str, Any], parts: list[str], full: str) -> None:
        name, rest = parts[0], parts[1:]
        if name not in node:
            raise StripeApiError.invalid(
                f"This property cannot be expanded ({full}).", param="expand"
            )
        value = node[name]
        if isinstance(value, str):
            target = self.lookup(value)
            if target is None:
                raise StripeApiError.invalid(
                    f"This property cannot be expanded ({full}).", param="expand"
                )
            value = copy.deepcopy(target)
            node[name] = value
        if rest and isinstance(value, dict):
            self._expand_path(value, rest, full)

    def emit(
        self,
        type_: str,
        obj: dict[str, Any],
        *,
        ctx: RequestContext | None = None,
        previous: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record an event with a snapshot of `obj` and hand it to webhook delivery."""
        data: dict[str, Any] = {"object": copy.deepcopy(obj)}
        if previous:
            data["previous_attributes"] = copy.deepcopy(previous)
        event: dict[str, Any] = {
            "id": new_id("evt_"),
            "object": "event",
            "api_version": self.api_version,
            "created": self._now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {
                "id": ctx.request_id if ctx else None,
                "idempotency_key": ctx.idempotency_key if ctx else None,
            },
            "type": type_,
        }
        if type_.startswith("account."):  # a Connect event names the connected account
            event["account"] = obj["id"]
        self.events[event["id"]] = event
        self.on_event(event)
        return event

    # ------------------------------------------------------------------ payment intents

    def _get_pi_obj(self, pi_id: str, *, param: str = "intent") -> dict[str, Any]:
        pi = self.payment_intents.get(pi_id)
        if pi is None:
            raise StripeApiError.missing("payment_intent", pi_id, param=param)
        return pi

    def _check_amount(self, params: dict[str, Any], currency: str) -> int:
        amount = as_int(require(params, "amount"), param="amount")
        minimum = _MINIMUM_AMOUNT.get(currency, 1)
        if amount < minimum:
            raise StripeApiError.invalid(
                f"Amount must be at least {minimum} {currency} (smallest currency unit).",
                param="amount",
                code="amount_too_small",
            )
        if amount > _MAX_AMOUNT:
            raise StripeApiError.invalid(
                f"Amount must be no more than {_MAX_AMOUNT}.",
                param="amount",
                code="amount_too_large",
            )
        return amount

    @staticmethod
    def _check_currency(value: Any) -> str:
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{3}", value):
            raise StripeApiError.invalid(
                f"Invalid currency: {value}. Currencies are three-letter ISO codes.",
                param="currency",
                code="parameter_invalid_string",
            )
        currency = value.lower()
        if currency not in _CURRENCIES:
            raise StripeApiError.invalid(
                f"Invalid currency: {currency}. The double supports: "
                + ", ".join(sorted(_CURRENCIES)),
                param="currency",
            )
        return currency

    def _check_transfer_data(self, value: Any) -> dict[str, Any]:
        data = as_dict(value, param="transfer_data")
        reject_unknown(
            {f"transfer_data[{k}]": v for k, v in data.items()},
            {"transfer_data[destination]", "transfer_data[amount]"},
        )
        destination = require(
            {"transfer_data[destination]": data.get("destination")}, "transfer_data[destination]"
        )
        self._check_destination(destination, param="transfer_data[destination]")
        out: dict[str, Any] = {"destination": destination}
        if "amount" in data:
            out["amount"] = as_int(data["amount"], param="transfer_data[amount]", minimum=1)
        return out

    def _check_destination(self, destination: Any, *, param: str) -> None:
        """A connected account that exists and may receive transfers (Stripe's checks)."""
        account = self.accounts.get(destination)
        if account is None:
            raise StripeApiError.invalid(
                f"No such destination: '{destination}'", param=param, code="resource_missing"
            )
        if not _can_receive_transfers(account):
            raise StripeApiError.invalid(
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                param=param,
                code="insufficient_capabilities_for_transfer",
            )

    def _check_fee(
        self, params: dict[str, Any], pi: dict[str, Any], ctx: RequestContext
    ) -> int | None:
        fee_raw = params.get("application_fee_amount")
        if fee_raw is None or fee_raw == "":
            return None
        fee = as_int(fee_raw, param="application_fee_amount", minimum=0)
        if (
            pi.get("transfer_data") is None
            and not pi.get("on_behalf_of")
            and not (ctx.stripe_account)
        ):
            raise StripeApiError.invalid(
                "Can only apply an application_fee_amount when the PaymentIntent is attempting "
                "a direct payment (using an OAuth key or Stripe-Account header) or destination "
                "payment (using `transfer_data[destination]`).",
                param="application_fee_amount",
            )
        if fee > pi["amount"]:
            raise StripeApiError.invalid(
                "The application fee amount cannot be greater than the amount.",
                param="application_fee_amount",
            )
        return fee

    @staticmethod
    def _check_payment_method(value: Any, *, param: str = "payment_method") -> str:
        pm = as_str(value, param=param)
        if pm not in _CARD_OK and pm not in _CARD_DECLINED:
            raise StripeApiError.invalid(
                f"No such PaymentMethod: '{pm}'", param=param, code="resource_missing"
            )
        return pm

    def _create_pi(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        reject_unknown(params, _PI_CREATE_PARAMS)
        currency = self._check_currency(require(params, "currency"))
        amount = self._check_amount(params, currency)
        pi_id = new_id("pi_")
        apm: dict[str, Any] | None = None
        if "automatic_payment_methods" in params:
            raw = as_dict(params["automatic_payment_methods"], param="automatic_payment_methods")
            apm = {
                "enabled": as_bool(
                    require(
                        {"automatic_payment_methods[enabled]": raw.get("enabled")},
                        "automatic_payment_methods[enabled]",
                    ),
                    param="automatic_payment_methods[enabled]",
                )
            }
            if "allow_redirects" in raw:
                apm["allow_redirects"] = as_choice(
                    raw["allow_redirects"],
                    param="automatic_payment_methods[allow_redirects]",
                    choices=("always", "never"),
                )
        pm_types = params.get("payment_method_types")
        if pm_types is not None and apm is not None and apm["enabled"]:
            raise StripeApiError.invalid(
                "You may only specify one of these parameters: automatic_payment_methods, "
                "payment_method_types.",
                param="automatic_payment_methods",
            )
        if pm_types is not None and not isinstance(pm_types, list):
            raise StripeApiError.invalid(
                "Invalid array", param="payment_method_types", code="parameter_invalid_array"
            )
        pi: dict[str, Any] = {
            "id": pi_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "application_fee_amount": None,
            "automatic_payment_methods": apm,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": as_choice(
                params.get("capture_method", "automatic_async"),
                param="capture_method",
                choices=("automatic", "automatic_async", "manual"),
            ),
            "client_secret": f"{pi_id}_secret_{new_id('', 25)}",
            "confirmation_method": "automatic",
            "created": self._now(),
            "currency": currency,
            "customer": params.get("customer"),
            "description": None,
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": merge_metadata({}, params.get("metadata", {})),
            "next_action": None,
            "on_behalf_of": params.get("on_behalf_of"),
            "payment_method": None,
            "payment_method_types": pm_types or ["card"],
            "receipt_email": params.get("receipt_email"),
            "setup_future_usage": params.get("setup_future_usage"),
            "statement_descriptor": params.get("statement_descriptor"),
            "statement_descriptor_suffix": params.get("statement_descriptor_suffix"),
            "status": "requires_payment_method",
            "transfer_data": None,
            "transfer_group": params.get("transfer_group"),
        }
        if "description" in params:
            pi["description"] = as_str(params["description"], param="description", max_length=1000)
        if "transfer_data" in params:
            pi["transfer_data"] = self._check_transfer_data(params["transfer_data"])
        if pi["transfer_data"] and pi["transfer_data"].get("amount", 0) > amount:
            raise StripeApiError.invalid(
                "transfer_data[amount] cannot be greater than the amount.",
                param="transfer_data[amount]",
            )
        pi["application_fee_amount"] = self._check_fee(params, pi, ctx)
        if params.get("payment_method"):
            pi["payment_method"] = self._check_payment_method(params["payment_method"])
            pi["status"] = "requires_confirmation"
        confirm = as_bool(params.get("confirm", False), param="confirm")
        if confirm and not pi["payment_method"]:
            raise StripeApiError.invalid(
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "To confirm the PaymentIntent with a test card, pass payment_method=pm_card_visa.",
                param="payment_method",
                code="payment_intent_unexpected_state",
            )
        self.payment_intents[pi_id] = pi
        if confirm:
            return self._confirm_pi(pi, ctx)
        return pi

    def _get_pi(self, params: dict[str, Any], ctx: RequestContext, pi_id: str) -> dict[str, Any]:
        reject_unknown(params, {"expand", "client_secret"})
        return self._get_pi_obj(pi_id)

    def _update_pi(self, params: dict[str, Any], ctx: RequestContext, pi_id: str) -> dict[str, Any]:
        reject_unknown(params, _PI_UPDATE_PARAMS)
        pi = self._get_pi_obj(pi_id)
        final = pi["status"] in ("succeeded", "canceled")
        money = {"amount", "currency", "application_fee_amount", "transfer_data", "payment_method"}
        touched = money & set(params)
        if final and touched:
            raise StripeApiError.unexpected_state(
                f"This PaymentIntent's {min(touched)} could not be updated because it has a "
                f"status of {pi['status']}. You may only update the {min(touched)} of a "
                "PaymentIntent with one of the following statuses: requires_payment_method, "
                "requires_confirmation, requires_action.",
                param=min(touched),
            )
        updated = dict(pi)
        if "currency" in params:
            updated["currency"] = self._check_currency(params["currency"])
        if "amount" in params:
            updated["amount"] = self._check_amount(params, updated["currency"])
        if "transfer_data" in params:
            updated["transfer_data"] = self._check_transfer_data(params["transfer_data"])
        if "application_fee_amount" in params:
            updated["application_fee_amount"] = self._check_fee(params, updated, ctx)
        if "metadata" in params:
            updated["metadata"] = merge_metadata(pi["metadata"], params["metadata"])
        if "description" in params:
            updated["description"] = (
                as_str(params["description"], param="description", max_length=1000) or None
            )
        if "payment_method" in params:
            updated["payment_method"] = self._check_payment_method(params["payment_method"])
            updated["status"] = "requires_confirmation"
        for name in (
            "receipt_email",
            "transfer_group",
            "statement_descriptor",
            "statement_descriptor_suffix",
            "setup_future_usage",
        ):
            if name in params:
                updated[name] = params[name] or None
        if "capture_method" in params:
            updated["capture_method"] = as_choice(
                params["capture_method"],
                param="capture_method",
                choices=("automatic", "automatic_async", "manual"),
            )
        pi.update(updated)
        return pi

    def _confirm_pi_route(
        self, params: dict[str, Any], ctx: RequestContext, pi_id: str
    ) -> dict[str, Any]:
        reject_unknown(params, _PI_CONFIRM_PARAMS)
        pi = self._get_pi_obj(pi_id)
        if pi["status"] not in _CONFIRMABLE:
            if pi["status"] == "succeeded":
                message = (
                    "This PaymentIntent's payment_method could not be updated because it has a "
                    "status of succeeded. You cannot confirm this PaymentIntent because it has "
                    "already succeeded after being previously confirmed."
                )
            else:
                message = (
                    "You cannot confirm this PaymentIntent because it has a status of "
                    f"{pi['status']}."
                )
            raise StripeApiError.unexpected_state(message)
        if params.get("payment_method"):
            pi["payment_method"] = self._check_payment_method(params["payment_method"])
        if "capture_method" in params:
            pi["capture_method"] = as_choice(
                params["capture_method"],
                param="capture_method",
                choices=("automatic", "automatic_async", "manual"),
            )
        return self._confirm_pi(pi, ctx)

    def _confirm_pi(self, pi: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        pm = pi.get("payment_method")
        if not pm:
            raise StripeApiError.unexpected_state(
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "To confirm the PaymentIntent with a test card, pass payment_method=pm_card_visa.",
                param="payment_method",
            )
        manual = pi["capture_method"] == "manual"
        charge = self._new_charge(pi, pm)
        pi["latest_charge"] = charge["id"]
        if pm in _CARD_DECLINED:
            _brand, _last4, code, decline_code, message = _CARD_DECLINED[pm]
            charge.update(
                status="failed",
                paid=False,
                captured=False,
                amount_captured=0,
                failure_code=code,
                failure_message=message,
                outcome={
                    "network_status": "declined_by_network",
                    "reason": decline_code,
                    "risk_level": "normal",
                    "seller_message": "The bank did not return any further details.",
                    "type": "issuer_declined",
                },
            )
            error = {
                "type": "card_error",
                "code": code,
                "decline_code": decline_code,
                "message": message,
                "charge": charge["id"],
                "payment_method": {"id": pm, "object": "payment_method", "type": "card"},
                "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
            }
            pi.update(
                status="requires_payment_method", payment_method=None, last_payment_error=error
            )
            self.emit("payment_intent.payment_failed", pi, ctx=ctx)
            raise StripeApiError(
                status=402,
                type_="card_error",
                message=message,
                code=code,
                extra={
                    "decline_code": decline_code,
                    "charge": charge["id"],
                    "payment_intent": copy.deepcopy(pi),
                    "payment_method": error["payment_method"],
                    "doc_url": error["doc_url"],
                },
            )
        pi["last_payment_error"] = None
        if manual:
            charge.update(captured=False, amount_captured=0)
            pi.update(status="requires_capture", amount_capturable=pi["amount"])
            self.emit("payment_intent.amount_capturable_updated", pi, ctx=ctx)
        else:
            pi.update(status="succeeded", amount_received=pi["amount"], amount_capturable=0)
            self.emit("payment_intent.succeeded", pi, ctx=ctx)
        return pi

    def _new_charge(self, pi: dict[str, Any], pm: str) -> dict[str, Any]:
        brand, last4 = _CARD_OK[pm] if pm in _CARD_OK else _CARD_DECLINED[pm][:2]
        charge = {
            "id": new_id("ch_"),
            "object": "charge",
            "amount": pi["amount"],
            "amount_captured": pi["amount"],
            "amount_refunded": 0,
            "application_fee_amount": pi["application_fee_amount"],
            "balance_transaction": None,
            "captured": True,
            "created": self._now(),
            "currency": pi["currency"],
            "customer": pi["customer"],
            "description": pi["description"],
            "failure_code": None,
            "failure_message": None,
            "livemode": False,
            "metadata": dict(pi["metadata"]),
            "on_behalf_of": pi["on_behalf_of"],
            "outcome": {
                "network_status": "approved_by_network",
                "reason": None,
                "risk_level": "normal",
                "seller_message": "Payment complete.",
                "type": "authorized",
            },
            "paid": True,
            "payment_intent": pi["id"],
            "payment_method": pm,
            "payment_method_details": {
                "type": "card",
                "card": {"brand": brand, "last4": last4, "exp_month": 12, "exp_year": 2034},
            },
            "receipt_email": pi["receipt_email"],
            "refunded": False,
            "status": "succeeded",
            "transfer_data": copy.deepcopy(pi["transfer_data"]),
            "transfer_group": pi["transfer_group"],
        }
        self.charges[charge["id"]] = charge
        return charge

    def _cancel_pi(self, params: dict[str, Any], ctx: RequestContext, pi_id: str) -> dict[str, Any]:
        reject_unknown(params, {"cancellation_reason", "expand"})
        pi = self._get_pi_obj(pi_id)
        if pi["status"] not in _CANCELABLE:
            raise StripeApiError.unexpected_state(
                "You cannot cancel this PaymentIntent because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may be "
                "canceled: " + ", ".join(_CANCELABLE) + "."
            )
        reason = None
        if "cancellation_reason" in params:
            reason = as_choice(
                params["cancellation_reason"],
                param="cancellation_reason",
                choices=("duplicate", "fraudulent", "requested_by_customer", "abandoned"),
            )
        pi.update(
            status="canceled",
            canceled_at=self._now(),
            cancellation_reason=reason,
            amount_capturable=0,
        )
        self.emit("payment_intent.canceled", pi, ctx=ctx)
        return pi

    def _capture_pi(
        self, params: dict[str, Any], ctx: RequestContext, pi_id: str
    ) -> dict[str, Any]:
        reject_unknown(
            params, {"amount_to_capture", "application_fee_amount", "metadata", "expand"}
        )
        pi = self._get_pi_obj(pi_id)
        if pi["status"] != "requires_capture":
            raise StripeApiError.unexpected_state(
                "This PaymentIntent could not be captured because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may be "
                "captured: requires_capture."
            )
        amount = pi["amount_capturable"]
        if "amount_to_capture" in params:
            amount = as_int(params["amount_to_capture"], param="amount_to_capture", minimum=1)
            if amount > pi["amount_capturable"]:
                raise StripeApiError.invalid(
                    "The amount to capture cannot be greater than the amount capturable.",
                    param="amount_to_capture",
                    code="amount_too_large",
                )
        if "metadata" in params:
            pi["metadata"] = merge_metadata(pi["metadata"], params["metadata"])
        charge = self.charges[pi["latest_charge"]]
        charge.update(captured=True, amount_captured=amount)
        pi.update(status="succeeded", amount_received=amount, amount_capturable=0)
        self.emit("payment_intent.succeeded", pi, ctx=ctx)
        return pi

    def _get_charge(
        self, params: dict[str, Any], ctx: RequestContext, charge_id: str
    ) -> dict[str, Any]:
        reject_unknown(params, {"expand"})
        charge = self.charges.get(charge_id)
        if charge is None:
            raise StripeApiError.missing("charge", charge_id)
        return charge

    # ------------------------------------------------------------------ refunds

    def _create_refund(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        reject_unknown(
            params,
            {
                "payment_intent",
                "charge",
                "amount",
                "reason",
                "metadata",
                "expand",
                "refund_application_fee",
                "reverse_transfer",
            },
        )
        if params.get("payment_intent"):
            pi = self._get_pi_obj(str(params["payment_intent"]), param="payment_intent")
            if pi["status"] != "succeeded" or not pi["latest_charge"]:
                raise StripeApiError.invalid(
                    f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                    param="payment_intent",
                    code="charge_not_refundable" if pi["status"] == "succeeded" else None,
                )
            charge = self.charges[pi["latest_charge"]]
        elif params.get("charge"):
            found = self.charges.get(str(params["charge"]))
            if found is None:
                raise StripeApiError.missing("charge", str(params["charge"]), param="charge")
            charge = found
            if charge["status"] != "succeeded" or not charge["captured"]:
                raise StripeApiError.invalid(
                    f"Charge {charge['id']} has not been captured.",
                    param="charge",
                    code="charge_not_refundable",
                )
        else:
            raise StripeApiError.invalid(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                param="payment_intent",
                code="parameter_missing",
            )
        remaining = charge["amount_captured"] - charge["amount_refunded"]
        if remaining <= 0:
            raise StripeApiError.invalid(
                f"Charge {charge['id']} has already been refunded.",
                param="amount" if "amount" in params else "charge",
                code="charge_already_refunded",
            )
        amount = remaining
        if "amount" in params:
            amount = as_int(params["amount"], param="amount", minimum=1)
            if amount > remaining:
                raise StripeApiError.invalid(
                    f"Refund amount ({amount} {charge['currency']}) is greater than unrefunded "
                    f"amount on charge ({remaining} {charge['currency']})",
                    param="amount",
                    code="amount_too_large",
                )
        reason = None
        if "reason" in params:
            reason = as_choice(
                params["reason"],
                param="reason",
                choices=("duplicate", "fraudulent", "requested_by_customer"),
            )
        refund = {
            "id": new_id("re_"),
            "object": "refund",
            "amount": amount,
            "balance_transaction": None,
            "charge": charge["id"],
            "created": self._now(),
            "currency": charge["currency"],
            "metadata": merge_metadata({}, params.get("metadata", {})),
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "failure_reason": None,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        }
        flags = {
            flag: as_bool(params[flag], param=flag)
            for flag in ("refund_application_fee", "reverse_transfer")
            if flag in params
        }
        if flags.get("reverse_transfer") and charge.get("transfer_data"):
            refund["transfer_reversal"] = new_id("trr_")  # the destination's share comes back
        self.refunds[refund["id"]] = refund
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
        self.emit("charge.refunded", charge, ctx=ctx, previous=previous)
        answer = copy.deepcopy(refund)
        if charge["payment_method"] in _REFUND_FAILS:
            self.fail_refund(refund["id"])
        return answer

    def fail_refund(
        self, refund_id: str, failure_reason: str = "expired_or_canceled_card"
    ) -> dict[str, Any]:
        """A refund the card network could not deliver: `failed`, its amount back on the
        charge's refundable balance, announced by refund.updated and charge.refund.updated."""
        refund = self.refunds.get(refund_id)
        if refund is None:
            raise StripeApiError.missing("refund", refund_id)
        if refund["status"] == "failed":
            return refund
        previous = {"status": refund["status"], "failure_reason": None}
        refund.update(status="failed", failure_reason=failure_reason)
        charge = self.charges[refund["charge"]]
        charge["amount_refunded"] -= refund["amount"]
        charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
        self.emit("refund.updated", refund, previous=previous)
        self.emit("charge.refund.updated", refund, previous=previous)
        return refund

    def _get_refund(
        self, params: dict[str, Any], ctx: RequestContext, refund_id: str
    ) -> dict[str, Any]:
        reject_unknown(params, {"expand"})
        refund = self.refunds.get(refund_id)
        if refund is None:
            raise StripeApiError.missing("refund", refund_id)
        return refund

    # ------------------------------------------------------------------ transfers

    def _create_transfer(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        """Separate charges and transfers: money from the platform to a connected account.

        As Stripe: the destination must exist and have the transfers capability; with
        `source_transaction` the charge must have succeeded, be in the same currency, and the
        amount can never exceed what is left of it (captured - refunded - already transferred
        from it); without one the platform's available balance pays, which in test mode is
        empty (funds from card charges are pending), so it is refused as insufficient.
        """
        reject_unknown(
            params,
            {
                "amount",
                "currency",
                "destination",
                "source_transaction",
                "transfer_group",
                "metadata",
                "description",
                "source_type",
                "expand",
            },
        )
        currency = self._check_currency(require(params, "currency"))
        amount = as_int(require(params, "amount"), param="amount", minimum=1)
        destination = as_str(require(params, "destination"), param="destination")
        self._check_destination(destination, param="destination")
        source = params.get("source_transaction")
        if not source:
            raise StripeApiError.invalid(
                "You have insufficient available funds in your Stripe account. Try adding "
                "funds directly to your available balance by creating Charges using the "
                "4000000000000077 test card.",
                param="amount",
                code="balance_insufficient",
            )
        charge = self.charges.get(str(source))
        if charge is None:
            raise StripeApiError.missing("charge", str(source), param="source_transaction")
        if charge["status"] != "succeeded" or not charge["captured"]:
            raise StripeApiError.invalid(
                f"The source_transaction {charge['id']} has not succeeded; only a succeeded, "
                "captured charge can fund a transfer.",
                param="source_transaction",
            )
        if charge["currency"] != currency:
            raise StripeApiError.invalid(
                f"The currency of source_transaction's balance transaction ({charge['currency']}) "
                f"must be the same as the transfer currency ({currency}).",
                param="currency",
            )
        available = self.transferable(charge["id"])
        if amount > available:
            raise StripeApiError.invalid(
                f"Transfer amount ({amount} {currency}) exceeds the amount available on the "
                f"source_transaction ({available} {currency}).",
                param="amount",
                code="amount_too_large",
            )
        transfer_id = new_id("tr_")
        transfer: dict[str, Any] = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "balance_transaction": new_id("txn_"),
            "created": self._now(),
            "currency": currency,
            "description": None,
            "destination": destination,
            "destination_payment": new_id("py_"),
            "livemode": False,
            "metadata": merge_metadata({}, params.get("metadata", {})),
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            "reversed": False,
            "source_transaction": charge["id"],
            "source_type": "card",
            "transfer_group": params.get("transfer_group") or None,
        }
        if "description" in params:
            transfer["description"] = as_str(
                params["description"], param="description", max_length=5000
            )
        self.transfers[transfer_id] = transfer
        self.emit("transfer.created", transfer, ctx=ctx)
        return transfer

    def transferable(self, charge_id: str) -> int:
        """What is left of a charge to fund transfers: captured - refunded - transferred."""
        charge = self.charges[charge_id]
        sent = sum(
            t["amount"] - t["amount_reversed"]
            for t in self.transfers.values()
            if t["source_transaction"] == charge_id
        )
        return int(charge["amount_captured"] - charge["amount_refunded"] - sent)

    def _get_transfer(
        self, params: dict[str, Any], ctx: RequestContext, transfer_id: str
    ) -> dict[str, Any]:
        reject_unknown(params, {"expand"})
        transfer = self.transfers.get(transfer_id)
        if transfer is None:
            raise StripeApiError.missing("transfer", transfer_id)
        return transfer

    def _list_transfers(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        """Newest first, filtered by `destination` / `transfer_group`; `limit` 1..100."""
        reject_unknown(
            params,
            {"destination", "transfer_group", "limit", "starting_after", "ending_before", "expand"},
        )
        limit = as_int(params.get("limit", 10), param="limit", minimum=1)
        if limit > 100:
            raise StripeApiError.invalid(
                "This value must be less than or equal to 100.", param="limit"
            )
        found = [
            t
            for t in reversed(list(self.transfers.values()))
            if params.get("destination") in (None, t["destination"])
            and params.get("transfer_group") in (None, t["transfer_group"])
        ]
        return {
            "object": "list",
            "data": found[:limit],
            "has_more": len(found) > limit,
            "url": "/v1/transfers",
        }

    # ------------------------------------------------------------------ connect

    def _create_account(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        reject_unknown(
            params,
            {
                "type",
                "email",
                "country",
                "capabilities",
                "metadata",
                "business_type",
                "business_profile",
                "default_currency",
                "expand",
            },
        )
        type_ = as_choice(
            require(params, "type"), param="type", choices=("express", "standard", "custom")
        )
        country = as_str(params.get("country", "US"), param="country").upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise StripeApiError.invalid(
                f"Country '{country}' is unknown. Try using a 2-character alphanumeric country "
                "code instead, such as 'US', 'EG', or 'GB'.",
                param="country",
            )
        capabilities: dict[str, str] = {}
        if "capabilities" in params:
            requested = as_dict(params["capabilities"], param="capabilities")
            for name, spec in requested.items():
                spec_dict = as_dict(spec, param=f"capabilities[{name}]")
                wanted = as_bool(
                    require(
                        {f"capabilities[{name}][requested]": spec_dict.get("requested")},
                        f"capabilities[{name}][requested]",
                    ),
                    param=f"capabilities[{name}][requested]",
                )
                if wanted:
                    capabilities[name] = "inactive"
        default_currency = params.get("default_currency") or _COUNTRY_CURRENCY.get(country, "usd")
        account: dict[str, Any] = {
            "id": new_id("acct_", 16),
            "object": "account",
            "business_profile": params.get("business_profile") or {},
            "business_type": params.get("business_type"),
            "capabilities": capabilities,
            "charges_enabled": False,
            "country": country,
            "created": self._now(),
            "default_currency": self._check_currency(default_currency),
            "details_submitted": False,
            "email": params.get("email"),
            "metadata": merge_metadata({}, params.get("metadata", {})),
            "payouts_enabled": False,
            "requirements": {
                "currently_due": [
                    "business_type",
                    "external_account",
                    "tos_acceptance.date",
                    "tos_acceptance.ip",
                ],
                "disabled_reason": "requirements.past_due",
                "eventually_due": [
                    "business_type",
                    "external_account",
                    "tos_acceptance.date",
                    "tos_acceptance.ip",
                ],
                "past_due": [
                    "business_type",
                    "external_account",
                    "tos_acceptance.date",
                    "tos_acceptance.ip",
                ],
            },
            "type": type_,
        }
        self.accounts[account["id"]] = account
        return account

    def _get_account_obj(self, account_id: str, *, param: str = "account") -> dict[str, Any]:
        account = self.accounts.get(account_id)
        if account is None:
            raise StripeApiError.missing("account", account_id, param=param)
        return account

    def _get_account(
        self, params: dict[str, Any], ctx: RequestContext, account_id: str
    ) -> dict[str, Any]:
        reject_unknown(params, {"expand"})
        return self._get_account_obj(account_id)

    def _update_account(
        self, params: dict[str, Any], ctx: RequestContext, account_id: str
    ) -> dict[str, Any]:
        reject_unknown(params, {"email", "metadata", "business_profile", "expand"})
        account = self._get_account_obj(account_id)
        previous: dict[str, Any] = {}
        if "metadata" in params:
            previous["metadata"] = account["metadata"]
            account["metadata"] = merge_metadata(account["metadata"], params["metadata"])
        if "email" in params:
            previous["email"] = account["email"]
            account["email"] = params["email"] or None
        if "business_profile" in params:
            previous["business_profile"] = account["business_profile"]
            account["business_profile"] = params["business_profile"] or {}
        if previous:
            self.emit("account.updated", account, ctx=ctx, previous=previous)
        return account

    def _create_account_link(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        reject_unknown(
            params,
            {
                "account",
                "refresh_url",
                "return_url",
                "type",
                "collect",
                "collection_options",
                "expand",
            },
        )
        account = self._get_account_obj(str(require(params, "account")))
        link_type = as_choice(
            require(params, "type"),
            param="type",
            choices=("account_onboarding", "account_update"),
        )
        return_url = as_str(require(params, "return_url"), param="return_url")
        refresh_url = as_str(require(params, "refresh_url"), param="refresh_url")
        token = new_id("", 20)
        self.links[token] = _LinkToken(account["id"], return_url, refresh_url)
        now = self._now()
        return {
            "object": "account_link",
            "created": now,
            "expires_at": now + 300,
            "type": link_type,
            "url": f"{ctx.base_url}/connect/onboarding/{account['id']}?link={token}",
        }

    def visit_onboarding(self, account_id: str, token: str | None) -> tuple[bool, str]:
        """Follow an account link: onboard on first use; (onboarded, url to send the user to)."""
        self._get_account_obj(account_id)  # 404 for unknown accounts
        link = self.links.get(token) if token else None
        if token is not None and (link is None or link.used or link.account != account_id):
            return False, link.refresh_url if link else ""
        if link is not None:
            link.used = True
        self.onboard(account_id)
        return True, link.return_url if link else ""

    def onboard(self, account_id: str) -> dict[str, Any]:
        """Mark an account fully onboarded and emit `account.updated` (no-op if already)."""
        account = self._get_account_obj(account_id)
        if account["details_submitted"] and account["charges_enabled"]:
            return account
        previous = {
            "capabilities": dict(account["capabilities"]),
            "charges_enabled": account["charges_enabled"],
            "details_submitted": account["details_submitted"],
            "payouts_enabled": account["payouts_enabled"],
            "requirements": copy.deepcopy(account["requirements"]),
        }
        account.update(
            capabilities={name: "active" for name in account["capabilities"]},
            charges_enabled=True,
            details_submitted=True,
            payouts_enabled=True,
            requirements={
                "currently_due": [],
                "disabled_reason": None,
                "eventually_due": [],
                "past_due": [],
            },
        )
        self.emit("account.updated", account, previous=previous)
        return account

    def _get_event(
        self, params: dict[str, Any], ctx: RequestContext, event_id: str
    ) -> dict[str, Any]:
        reject_unknown(params, {"expand"})
        event = self.events.get(event_id)
        if event is None:
            raise StripeApiError.missing("event", event_id)
        return event


def _can_receive_transfers(account: dict[str, Any]) -> bool:
    caps = account["capabilities"]
    if caps:
        return bool(caps.get("transfers") == "active")
    return bool(account["details_submitted"])
