"""The order lifecycle and the locale precedence, as tables."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.enums import LocaleSource
from domain.enums import OrderStatus as S
from domain.errors import InvalidTransition
from domain.locale import choose_locale
from domain.orders import order_total, transition


@pytest.mark.parametrize(("old", "new"), [
    (S.PENDING, S.CONFIRMED), (S.CONFIRMED, S.SHIPPED), (S.QUALITY_CHECK, S.SHIPPED),
    (S.SHIPPED, S.DELIVERED), (S.DELIVERED, S.ACCEPTED), (S.DELIVERED, S.REJECTED),
    (S.PENDING, S.CANCELLED), (S.SHIPPED, S.SHIPPED),
])
def test_forward_moves_are_allowed(old: S, new: S) -> None:
    assert transition(old, new) is new


@pytest.mark.parametrize(("old", "new"), [
    (S.SHIPPED, S.PENDING), (S.ACCEPTED, S.DELIVERED), (S.CANCELLED, S.CONFIRMED),
    (S.SHIPPED, S.CANCELLED), (S.PENDING, S.ACCEPTED), (S.REJECTED, S.ACCEPTED),
])
def test_backward_or_skipping_final_moves_are_refused(old: S, new: S) -> None:
    with pytest.raises(InvalidTransition):
        transition(old, new)


def test_order_total_rounds_half_up_to_cents() -> None:
    assert order_total(Decimal("3"), Decimal("0.335")) == Decimal("1.01")
    assert order_total(Decimal("1200"), Decimal("12.5")) == Decimal("15000.00")


def never() -> str | None:
    raise AssertionError("detection must not run when a better source exists")


@pytest.mark.parametrize(("explicit", "stored", "telegram", "detected", "want", "store"), [
    ("en", "zh_Hans", "zh_Hant", None, "en", None),
    (None, "zh_Hans", "zh_Hant", None, "zh_Hans", None),
    (None, None, "zh_Hant", None, "zh_Hant", None),
    (None, None, None, "en", "en", LocaleSource.DETECTED),
    (None, None, None, None, "zh_Hans", None),
    (None, "fr", "de", None, "zh_Hans", None),
])
def test_locale_precedence(explicit, stored, telegram, detected, want, store) -> None:
    uses_detection = explicit is None and stored in (None, "fr") and telegram in (None, "de")
    detect = (lambda: detected) if uses_detection else never
    assert choose_locale(explicit=explicit, stored=stored, telegram=telegram, detect=detect,
                         default="zh_Hans") == (want, store)
