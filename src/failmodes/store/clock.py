"""Time as the register writes it: UTC, ISO 8601 to the microsecond, so text sorts as time."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
