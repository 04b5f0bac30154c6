"""Migration 0011 gives the rows of senders guarded only by their key the new key shape."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import text

from domain.keys import Recipient, message_key
from storage.db import make_sync_engine
from storage.migrate import alembic_config, upgrade

LONG = "ops:sweep:" + "x" * 195  # an old key the outbox cut at 200 characters
OLD_TO_NEW = {
    ("digest:3:2026-12-04", 9101): message_key("care.digest:2026-12-04", Recipient.STAFF, 3),
    ("digest:3:2026-W49", 9101): message_key("receivables.digest:2026-W49", Recipient.STAFF,
                                             3),
    ("greet:mid_autumn:2026-09-25:2", 7001): message_key("greet:mid_autumn:2026-09-25",
                                                        Recipient.CONTACT, 2),
    ("bday:2026-09-25:2", 7001): message_key("bday:2026-09-25", Recipient.CONTACT, 2),
    ("ops:conflict:2026120509", -100500): message_key("ops:conflict:2026120509",
                                                      Recipient.CHAT, -100500),
    (LONG, -100500): message_key(LONG, Recipient.CHAT, -100500),
    # Guarded by a state change (the invoice's rung): left as it was.
    ("dun:1:overdue:2", 9101): "dun:1:overdue:2",
}


def _keys(url: str) -> list[str]:
    engine = make_sync_engine(url)
    with engine.connect() as conn:
        keys = list(conn.execute(text("SELECT idempotency_key FROM outbox ORDER BY id"))
                    .scalars())
    engine.dispose()
    return keys


def test_old_keys_take_the_new_shape_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0010")
    engine = make_sync_engine(url)
    now = datetime(2026, 12, 5, tzinfo=UTC)
    with engine.begin() as conn:
        for key, chat in OLD_TO_NEW:
            conn.execute(text(
                "INSERT INTO outbox (idempotency_key, chat_id, method, payload, status, "
                "attempts, created_at) VALUES (:k, :c, 'sendMessage', '{}', 'sent', 1, :t)"),
                {"k": key, "c": chat, "t": now})
    engine.dispose()
    upgrade(url)
    assert _keys(url) == list(OLD_TO_NEW.values())
    assert all(len(k) <= 200 for k in _keys(url))
    upgrade(url)  # at head already: nothing changes
    command.downgrade(alembic_config(url), "0010")
    # Back to the old keys, but for the long one: its new key holds a hash, not the text.
    assert _keys(url) == [k if k != LONG else OLD_TO_NEW[(LONG, -100500)]
                          for k, _ in OLD_TO_NEW]
