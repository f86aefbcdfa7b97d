"""Emails about a session, queued inside the transaction that changed it.

Mail ids are derived from the session and the change (`<sessionId>-confirmed-user`, ...), so a
replayed webhook or a retried call never sends twice. Confirmations, reschedules and
cancellations carry an .ics invite with one UID per session and a rising SEQUENCE.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from google.cloud import firestore

from salamin.core.log import log
from salamin.gateways import ics
from salamin.gateways.mail import Attachment, Email, queue_mail
from salamin.models.session import ExpertSession, Party

ZERO_DECIMAL = {
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "JPY",
    "KMF",
    "KRW",
    "MGA",
    "PYG",
    "RWF",
    "UGX",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
}


def format_money(amount: int, currency: str) -> str:
    """Minor units as text, e.g. 12050 USD -> 'USD 120.50' (no floats involved)."""
    currency = currency.upper()
    if currency in ZERO_DECIMAL:
        return f"{currency} {amount:,}"
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(amount), 100)
    return f"{sign}{currency} {major:,}.{minor:02d}"


def _label(session: ExpertSession) -> str:
    return session.sessionType.replace("_", " ")


def _when(session: ExpertSession, zone: str) -> str:
    local = session.scheduledDate.astimezone(ZoneInfo(zone))
    return f"{local:%A %d %B %Y at %H:%M} ({zone})"


PLATFORM_ORGANIZER = ics.Person(name="Salamin", email="sessions@salamin.app")
"""The organiser of every invite: neither party's personal email reaches the other."""


def invite(
    session: ExpertSession,
    contacts: dict[str, Any],
    *,
    recipient: Party,
    now: datetime,
    cancel: bool = False,
) -> Attachment:
    """The .ics for one recipient: organised by the platform, with that recipient as the only
    attendee (the other party is named in the summary, by name only)."""
    organizer = PLATFORM_ORGANIZER
    expert_name = str(contacts.get("expertName") or "Salamin expert")
    email = contacts.get(f"{recipient}Email")
    name = "Candidate" if recipient == "user" else expert_name
    attendees = [ics.Person(name=name, email=str(email))] if email else []
    data = ics.session_invite(
        uid=f"salamin-session-{session.sessionId}",
        sequence=session.inviteSequence,
        method="CANCEL" if cancel else "REQUEST",
        start=session.scheduledDate,
        end=session.endDate,
        summary=f"Salamin {_label(session)} with {expert_name}",
        description=(
            f"Your Salamin {_label(session)} ({session.duration} minutes)."
            + (f"\nSpecial requests: {session.specialRequests}" if session.specialRequests else "")
        ),
        meeting_link=None if cancel else session.meetingLink,
        organizer=organizer,
        attendees=attendees,
        time_zone=session.timeZone,
        now=now,
    )
    return Attachment(
        filename="session.ics",
        content=data,
        content_type="text/calendar; method=" + ("CANCEL" if cancel else "REQUEST"),
    )


def _send(
    transaction: firestore.Transaction,
    db: firestore.Client,
    *,
    mail_id: str,
    to: Any,
    kind: str,
    subject: str,
    text: str,
    now: datetime,
    attachments: list[Attachment] | None = None,
) -> None:
    if not to:
        log("mail.skipped_no_address", severity="WARNING", mailId=mail_id, kind=kind)
        return
    queue_mail(
        transaction,
        db,
        mail_id=mail_id,
        now=now,
        kind=kind,
        email=Email(to=str(to), subject=subject, text=text, attachments=attachments or []),
    )


def booking_confirmed(
    transaction: firestore.Transaction,
    db: firestore.Client,
    *,
    session: ExpertSession,
    contacts: dict[str, Any],
    now: datetime,
) -> None:
    price = format_money(session.price, session.currency)
    _send(
        transaction,
        db,
        mail_id=f"{session.sessionId}-confirmed-user",
        to=contacts.get("userEmail"),
        kind="session_confirmed_user",
        subject=f"Booked: {_label(session)} with {contacts.get('expertName')}",
        text=(
            f"Your payment of {price} is confirmed.\n\n"
            f"When: {_when(session, session.timeZone)}\n"
            f"Duration: {session.duration} minutes\n"
            f"Join: {session.meetingLink}\n\n"
            "The calendar invite is attached. You can cancel for a full refund up to 24 hours "
            "before the session, for 50% up to 2 hours before.\n"
        ),
        now=now,
        attachments=[invite(session, contacts, recipient="user", now=now)],
    )
    _send(
        transaction,
        db,
        mail_id=f"{session.sessionId}-confirmed-expert",
        to=contacts.get("expertEmail"),
        kind="session_confirmed_expert",
        subject=f"New session booked: {_label(session)} on {session.localDate}",
        text=(
            f"Hi {contacts.get('expertFirstName') or ''},\n\n"
            f"A candidate booked a {_label(session)} with you.\n"
            f"When: {_when(session, session.timeZone)}\n"
            f"Duration: {session.duration} minutes\n"
            f"Join: {session.meetingLink}\n"
            + (f"Special requests: {session.specialRequests}\n" if session.specialRequests else "")
        ),
        now=now,
        attachments=[invite(session, contacts, recipient="expert", now=now)],
    )


def session_cancelled(
    transaction: firestore.Transaction,
    db: firestore.Client,
    *,
    session: ExpertSession,
    contacts: dict[str, Any],
    now: datetime,
    cancelled_by: str,
    refund_amount: int,
    reason: str,
) -> None:
    refund = (
        "Your package credit is back: you can book another session with it."
        if refund_amount and session.packagePurchaseId
        else f"You will be refunded {format_money(refund_amount, session.currency)}."
        if refund_amount
        else "Under the cancellation policy this cancellation is not refunded."
    )
    who = {"user": "You", "expert": "Your expert"}.get(cancelled_by, "Salamin")
    _send(
        transaction,
        db,
        mail_id=f"{session.sessionId}-cancelled-user",
        to=contacts.get("userEmail"),
        kind="session_cancelled_user",
        subject=f"Cancelled: {_label(session)} on {session.localDate}",
        text=(
            f"{who} cancelled the session of {_when(session, session.timeZone)}.\n"
            f"Reason: {reason}\n\n{refund}\n"
        ),
        now=now,
        attachments=[invite(session, contacts, recipient="user", now=now, cancel=True)],
    )
    who = {"expert": "You", "user": "The candidate"}.get(cancelled_by, "Salamin")
    _send(
        transaction,
        db,
        mail_id=f"{session.sessionId}-cancelled-expert",
        to=contacts.get("expertEmail"),
        kind="session_cancelled_expert",
        subject=f"Cancelled: {_label(session)} on {session.localDate}",
        text=f"{who} cancelled the session of {_when(session, session.timeZone)}.\nReason: {reason}\n",
        now=now,
        attachments=[invite(session, contacts, recipient="expert", now=now, cancel=True)],
    )


def session_rescheduled(
    transaction: firestore.Transaction,
    db: firestore.Client,
    *,
    session: ExpertSession,
    contacts: dict[str, Any],
    now: datetime,
) -> None:
    parties: tuple[Party, ...] = ("user", "expert")
    for party in parties:
        _send(
            transaction,
            db,
            mail_id=f"{session.sessionId}-rescheduled-{session.rescheduleCount}-{party}",
            to=contacts.get(f"{party}Email"),
            kind=f"session_rescheduled_{party}",
            subject=f"Moved: {_label(session)} is now on {session.localDate}",
            text=(
                f"The session moved to {_when(session, session.timeZone)}.\n"
                f"Join: {session.meetingLink}\nThe updated invite is attached.\n"
            ),
            now=now,
            attachments=[invite(session, contacts, recipient=party, now=now)],
        )


def payment_failed(
    transaction: firestore.Transaction,
    db: firestore.Client,
    *,
    session: ExpertSession,
    contacts: dict[str, Any],
    now: datetime,
    event_id: str,
    message: str | None,
) -> None:
    expires = session.holdExpiresAt
    until = f" until {expires:%H:%M} UTC" if expires else ""
    _send(
        transaction,
        db,
        mail_id=f"{session.sessionId}-payment-failed-{event_id}",
        to=contacts.get("userEmail"),
        kind="payment_failed",
        subject="Your payment did not go through",
        text=(
            f"We could not take the payment for your {_label(session)} on {session.localDate}"
            + (f": {message}" if message else ".")
            + f"\nWe keep the time for you{until}; please try another card.\n"
        ),
        now=now,
    )


def late_payment_refunded(
    transaction: firestore.Transaction,
    db: firestore.Client,
    *,
    session: ExpertSession,
    contacts: dict[str, Any],
    now: datetime,
) -> None:
    _send(
        transaction,
        db,
        mail_id=f"{session.sessionId}-late-refund",
        to=contacts.get("userEmail"),
        kind="late_payment_refunded",
        subject="Your payment arrived after the hold expired: full refund",
        text=(
            f"Your payment for the {_label(session)} on {session.localDate} arrived after your "
            "30-minute hold had expired, and the time is no longer available. We have refunded "
            f"the full {format_money(session.price, session.currency)}. Please pick another time.\n"
        ),
        now=now,
    )


def no_show_refunded(
    transaction: firestore.Transaction,
    db: firestore.Client,
    *,
    session: ExpertSession,
    contacts: dict[str, Any],
    now: datetime,
    refund_amount: int,
) -> None:
    _send(
        transaction,
        db,
        mail_id=f"{session.sessionId}-expert-no-show",
        to=contacts.get("userEmail"),
        kind="expert_no_show_refund",
        subject="Sorry your expert did not join: full refund",
        text=(
            f"You reported that your expert did not join the session of {session.localDate}. "
            f"We have refunded {format_money(refund_amount, session.currency)}.\n"
        ),
        now=now,
    )
    _send(
        transaction,
        db,
        mail_id=f"{session.sessionId}-expert-no-show-expert",
        to=contacts.get("expertEmail"),
        kind="expert_no_show_notice",
        subject="A candidate reported that you missed a session",
        text=(
            f"The candidate of the session on {session.localDate} reported that you did not join. "
            "The session was refunded in full. Contact support if this is wrong.\n"
        ),
        now=now,
    )


def absence_reported(
    transaction: firestore.Transaction,
    db: firestore.Client,
    *,
    session: ExpertSession,
    contacts: dict[str, Any],
    now: datetime,
    grace_minutes: int,
) -> None:
    """Tell the expert a report stands against them while they can still answer it."""
    _send(
        transaction,
        db,
        mail_id=f"{session.sessionId}-absence-reported",
        to=contacts.get("expertEmail"),
        kind="expert_absence_reported",
        subject="A candidate reported that you have not joined a session",
        text=(
            f"The candidate of the session on {session.localDate} reported that you did not "
            "join. If the session took place, mark it completed after its scheduled end; if you "
            f"do not answer within {grace_minutes} minutes of the end, the candidate is refunded in full.\n"
        ),
        now=now,
    )


def expert_feedback_ready(
    transaction: firestore.Transaction,
    db: firestore.Client,
    *,
    session: ExpertSession,
    contacts: dict[str, Any],
    now: datetime,
) -> None:
    _send(
        transaction,
        db,
        mail_id=f"{session.sessionId}-expert-feedback",
        to=contacts.get("userEmail"),
        kind="expert_feedback_ready",
        subject=f"Feedback from your {_label(session)}",
        text=f"{contacts.get('expertName')} wrote feedback on your session. Open Salamin to read it.\n",
        now=now,
    )
