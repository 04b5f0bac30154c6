"""Which locale a user is spoken to in (explicit > stored > Telegram > detected > default)."""

from __future__ import annotations

from collections.abc import Callable

from domain.enums import Locale, LocaleSource

SUPPORTED = frozenset(loc.value for loc in Locale)


def choose_locale(
    *,
    explicit: str | None,
    stored: str | None,
    telegram: str | None,
    detect: Callable[[], str | None],
    default: str,
) -> tuple[str, LocaleSource | None]:
    """Pick the locale and say whether a newly detected one should be stored."""
    for candidate in (explicit, stored, telegram):
        if candidate in SUPPORTED:
            return candidate, None
    detected = detect()
    if detected in SUPPORTED:
        return detected, LocaleSource.DETECTED
    return default, None
