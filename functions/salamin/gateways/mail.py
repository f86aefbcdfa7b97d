"""Outgoing email as `mail` documents in the Trigger Email extension's format.

Each email has a deterministic document id derived from what caused it, and is written with a
create inside the caller's transaction or batch, so a replay never sends twice.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from google.cloud import firestore

from salamin.core import collections as col


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class Email:
    """One outgoing email. `to` is addresses; `to_uids` lets the Trigger Email extension look
    the address up in Auth-linked user documents when we hold none (e.g. learning milestones)."""

    to: str | list[str]
    subject: str
    text: str
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    to_uids: list[str] = field(default_factory=list)

    def to_document(self, *, now: datetime, kind: str) -> dict[str, Any]:
        message: dict[str, Any] = {"subject": self.subject, "text": self.text}
        if self.html:
            message["html"] = self.html
        if self.attachments:
            message["attachments"] = [
                {
                    "filename": a.filename,
                    "content": base64.b64encode(a.content).decode(),
                    "encoding": "base64",
                    "contentType": a.content_type,
                }
                for a in self.attachments
            ]
        doc: dict[str, Any] = {"message": message, "kind": kind, "createdAt": now}
        if self.to:
            doc["to"] = self.to
        if self.to_uids:
            doc["toUids"] = list(self.to_uids)
        return doc


def mail_ref(db: firestore.Client, mail_id: str) -> firestore.DocumentReference:
    return db.collection(col.MAIL).document(mail_id)


def queue_mail(
    writer: firestore.Transaction | firestore.WriteBatch,
    db: firestore.Client,
    *,
    mail_id: str,
    email: Email,
    now: datetime,
    kind: str,
) -> None:
    """Create the mail document inside `writer`; an existing id means it was already queued."""
    writer.create(mail_ref(db, mail_id), email.to_document(now=now, kind=kind))
