"""The real clock, for callers outside tests."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Return the current time, aware UTC."""
    return datetime.now(UTC)
