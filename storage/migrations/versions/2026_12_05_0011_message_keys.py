"""Message keys name the recipient: rewrite the keys of senders that only the key guards.

Outbox keys became `<subject>:<staff|contact|chat>:<id>` (ARCHITECTURE 26). Most senders are
also guarded by a state change (a rung, a status, a version, a due-work row done), so their
old rows can stay as they are. The daily care digest, the weekly receivables digest, the
greetings and the ops alerts are guarded by their key alone: without this rewrite, a sweep
after the upgrade would send today's digest, this week's digest or today's greeting again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

MAX_KEY = 200
DAY = r"\d{4}-\d{2}-\d{2}"


def _key(subject: str, kind: str, recipient_id: int) -> str:
    """domain.keys.message_key as of this revision (a migration does not follow later code)."""
    tail = f":{kind}:{recipient_id}"
    if len(subject) + len(tail) > MAX_KEY:
        digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
        subject = f"{subject[:MAX_KEY - len(tail) - len(digest) - 1]}#{digest}"
    return subject + tail


def _new(key: str, chat_id: int) -> str | None:
    """The new key of an old one, or None when it is not an old key of these senders."""
    if m := re.fullmatch(rf"digest:(\d+):({DAY})", key):
        return _key(f"care.digest:{m[2]}", "staff", int(m[1]))
    if m := re.fullmatch(r"digest:(\d+):(\d{4}-W\d{2})", key):
        return _key(f"receivables.digest:{m[2]}", "staff", int(m[1]))
    if m := re.fullmatch(rf"greet:([^:]+):({DAY}):(\d+)", key):
        return _key(f"greet:{m[1]}:{m[2]}", "contact", int(m[3]))
    if m := re.fullmatch(rf"bday:({DAY}):(\d+)", key):
        return _key(f"bday:{m[1]}", "contact", int(m[2]))
    if key.startswith("ops:") and not re.search(r":chat:-?\d+$", key):
        return _key(key, "chat", chat_id)
    return None


def _old(key: str, chat_id: int) -> str | None:
    if m := re.fullmatch(rf"care\.digest:({DAY}):staff:(\d+)", key):
        return f"digest:{m[2]}:{m[1]}"
    if m := re.fullmatch(r"receivables\.digest:(\d{4}-W\d{2}):staff:(\d+)", key):
        return f"digest:{m[2]}:{m[1]}"
    if m := re.fullmatch(rf"(greet:[^:]+:{DAY}|bday:{DAY}):contact:(\d+)", key):
        return f"{m[1]}:{m[2]}"
    if key.startswith("ops:") and key.endswith(f":chat:{chat_id}") and "#" not in key:
        return key[:-len(f":chat:{chat_id}")]
    return None


def _rewrite(change: Callable[[str, int], str | None]) -> None:
    outbox = sa.table("outbox", sa.column("id", sa.Integer),
                      sa.column("idempotency_key", sa.String), sa.column("chat_id", sa.BigInteger))
    conn = op.get_bind()
    rows = conn.execute(sa.select(outbox.c.id, outbox.c.idempotency_key, outbox.c.chat_id).where(
        sa.or_(*(outbox.c.idempotency_key.like(p) for p in (
            "digest:%", "care.digest:%", "receivables.digest:%", "greet:%", "bday:%", "ops:%")))))
    for row_id, key, chat_id in rows.all():
        new = change(key, chat_id)
        if new is not None and new != key:
            conn.execute(sa.update(outbox).where(outbox.c.id == row_id)
                         .values(idempotency_key=new))


def upgrade() -> None:
    _rewrite(_new)


def downgrade() -> None:
    _rewrite(_old)
