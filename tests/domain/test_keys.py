"""Message keys name the kind of recipient and its id, and always fit the outbox column."""

from __future__ import annotations

import pytest

from domain.keys import MAX_KEY, Recipient, due_subject, message_key


def test_the_documented_shape() -> None:
    assert message_key("dun:12:overdue", Recipient.STAFF, 7) == "dun:12:overdue:staff:7"
    assert message_key("dun:12:overdue", Recipient.CONTACT, 7) == "dun:12:overdue:contact:7"
    assert message_key("ops:conflict:2026120509", Recipient.CHAT, -100123) == (
        "ops:conflict:2026120509:chat:-100123")
    assert due_subject("sla:5:ack:1767225600:L1") == "due:sla:5:ack:1767225600:L1"


def test_the_same_id_in_two_kinds_of_recipient_gives_two_keys() -> None:
    keys = {message_key("s", kind, 7) for kind in Recipient}
    assert len(keys) == len(Recipient)


def test_long_subjects_fit_and_never_become_equal() -> None:
    # Two subjects that differ only past the column's 200 characters, as a cut would merge.
    base = "ops:sweep:due:" + "x" * 300
    keys = {(tail, kind, rid): message_key(base + tail, kind, rid)
            for tail in ("a", "b", "")
            for kind in Recipient
            for rid in (1, 7, -1001234567890)}
    assert len(set(keys.values())) == len(keys)
    for (_, kind, rid), key in keys.items():
        assert len(key) <= MAX_KEY and key.endswith(f":{kind}:{rid}")
    short = message_key("a" * (MAX_KEY - len(":contact:7")), Recipient.CONTACT, 7)
    assert len(short) == MAX_KEY and "#" not in short  # fits exactly: kept as it is
    longer = message_key("a" * (MAX_KEY - len(":contact:7") + 1), Recipient.CONTACT, 7)
    assert len(longer) <= MAX_KEY and "#" in longer and longer.endswith(":contact:7")


def test_a_key_needs_a_subject() -> None:
    with pytest.raises(ValueError):
        message_key("", Recipient.STAFF, 1)
