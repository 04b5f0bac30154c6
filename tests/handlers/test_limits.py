"""R6: long texts split under 4096 on line boundaries; callback data within 64 bytes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers import callbacks as cb
from handlers.render import MAX_TEXT, split_text

# CJK, emoji (4-byte UTF-8) and plain ASCII, the mix our users write.
chat_text = st.lists(
    st.sampled_from([*"訂單到了嗎谢谢abc ,.\n", "😀", "🇹🇼", "\n\n", "x" * 700]),
    max_size=3_000,
).map("".join)


@given(chat_text)
def test_split_keeps_every_character_under_the_limit(text: str) -> None:
    parts = split_text(text, limit=500)
    assert all(0 < len(p) <= 500 for p in parts) or text == ""
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_split_prefers_line_boundaries() -> None:
    lines = [f"line {i} " + "訂" * 50 for i in range(200)]
    parts = split_text("\n".join(lines))
    assert len(parts) > 1 and all(len(p) <= MAX_TEXT for p in parts)
    assert all(p.split("\n")[0].startswith("line ") for p in parts)


@given(st.integers(min_value=1, max_value=cb.MAX_NUMBER))
def test_order_callbacks_fit_in_64_bytes_and_round_trip(order_id: int) -> None:
    data = cb.encode(cb.OpenOrder(order_id))
    assert len(data.encode()) <= 64 and cb.decode(data) == cb.OpenOrder(order_id)


@given(st.integers(min_value=cb.MAX_NUMBER + 1, max_value=10**12 - 1))
def test_a_number_no_row_can_have_is_refused_in_every_kind_of_button(number: int) -> None:
    # PostgreSQL refuses an INTEGER over 2^31 - 1 with an error, which would fail the update
    # on every retry; such a press is a forged one.
    for data in (f"ord:o:{number}", f"cs:ack:{number}:1", f"cs:asg:1:1:{number}",
                 f"cc:acc:{number}:1", f"sv:{number}:3", f"ca:{number}", f"vs:{number}",
                 f"pr:v:{number}", f"ev:y:{number}", f"cr:ok:{number}", f"ap:ok:{number}"):
        assert cb.decode(data) is None, data
    with pytest.raises(ValueError):
        cb.encode(cb.OpenOrder(number))


@given(st.text(max_size=100))
def test_decode_never_accepts_what_we_did_not_issue(text: str) -> None:
    decoded = cb.decode(text)
    if decoded is not None:
        assert cb.encode(decoded) == text
        assert len(text.encode()) <= 64
