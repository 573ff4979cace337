"""A company's own calendar: its "today" is the local date of an instant in its time zone."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def company_zone(company) -> ZoneInfo:
    """A company without a time zone uses UTC (SPEC 3)."""
    return ZoneInfo(company.timezone or "UTC")


def company_today(company, instant: datetime) -> date:
    """The date the company's staff see on the wall at `instant` (which must be timezone-aware)."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(company_zone(company)).date()
