"""Idempotency keys of outbox messages (ARCHITECTURE 26, R3).

A key is `<subject>:<kind of recipient>:<id>`, e.g. `dun:12:overdue:staff:7`: the subject says
what the message is about (it starts with its feature's prefix), the tail says who receives it.
Staff ids, contact ids and Telegram chat ids are separate number spaces, so the tail names the
space; without it the sales rep with staff id 7 and the contact with row id 7 shared a key, and
the outbox's ON CONFLICT DO NOTHING dropped one notice. A message produced by due work uses
`due:<the due work's key>` as its subject, so it cannot meet a subject built by hand.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

MAX_KEY = 200  # the outbox column; storage cuts longer keys, which could make two equal


class Recipient(StrEnum):
    """Whose id ends a key."""

    STAFF = "staff"  # staff.id
    CONTACT = "contact"  # contacts.id
    CHAT = "chat"  # a Telegram chat id: the ops group, or a user who may have no record


def message_key(subject: str, recipient: Recipient, recipient_id: int) -> str:
    """The key of one message about `subject` to one recipient, at most MAX_KEY characters.

    A subject too long to fit is shortened and followed by a hash of the whole subject, so
    shortening never makes two keys equal.
    """
    if not subject:
        raise ValueError("a message key needs a subject")
    tail = f":{Recipient(recipient).value}:{int(recipient_id)}"
    if len(subject) + len(tail) > MAX_KEY:
        digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
        subject = f"{subject[:MAX_KEY - len(tail) - len(digest) - 1]}#{digest}"
    return subject + tail


def due_subject(due_key: str) -> str:
    """The subject of a message sent when a piece of due work (unique by its key) falls due."""
    return f"due:{due_key}"
