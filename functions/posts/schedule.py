"""When a post goes out: instants in UTC, wall-clock display in the person's
timezone, and recurring series anchored to their first date.

A series keeps the wall-clock time of its first occurrence in its timezone
(09:00 in Paris stays 09:00 across daylight-saving changes) and counts every
occurrence from the anchor, never from the previous run: occurrence k is
anchor + k * interval, so a late run neither shifts the series nor fires the
missed ones in a burst. Monthly series on the 29th-31st fall on a short month's
last day and return to their day after it.
"""

import calendar
import datetime as _dt
import zoneinfo
from dataclasses import dataclass

UTC = _dt.timezone.utc
UNITS = ("days", "weeks", "months")
MAX_AHEAD = _dt.timedelta(days=366)


@dataclass(frozen=True)
class Recurrence:
    every: int
    unit: str  # days | weeks | months
    until: _dt.datetime | None = None  # no occurrence after this instant

    @classmethod
    def from_doc(cls, data: dict | None) -> "Recurrence | None":
        if not data:
            return None
        return cls(int(data["every"]), data["unit"], data.get("until"))

    def to_doc(self) -> dict:
        return {"every": self.every, "unit": self.unit, "until": self.until}


def zone(name: str | None) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name or "UTC")


def local_view(at: _dt.datetime | None, tz_name: str | None) -> dict | None:
    """How the app shows an instant: ISO 8601 with the zone's offset at that instant."""
    if at is None:
        return None
    local = at.astimezone(zone(tz_name))
    return {"local": local.isoformat(), "timezone": tz_name or "UTC", "utcOffset": local.strftime("%z")}


def _add_months(day: _dt.date, months: int) -> _dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def occurrence(anchor: _dt.datetime, tz_name: str | None, rule: Recurrence, k: int) -> _dt.datetime:
    """The k-th occurrence (0 = the anchor itself), as a UTC instant."""
    tz = zone(tz_name)
    wall = anchor.astimezone(tz).replace(tzinfo=None)
    if rule.unit == "months":
        wall = _dt.datetime.combine(_add_months(wall.date(), k * rule.every), wall.time())
    else:
        wall = wall + _dt.timedelta(**{rule.unit: k * rule.every})
    # A wall time the clocks skip (a spring-forward gap) lands on the same instant
    # as the hour before it plus the gap, which is what the person's clock shows then.
    return wall.replace(tzinfo=tz).astimezone(UTC)


def latest_due(anchor: _dt.datetime, tz_name: str | None, rule: Recurrence, start: int,
               now: _dt.datetime) -> int | None:
    """The highest k >= start whose occurrence is at or before `now`; None if none is due."""
    if occurrence(anchor, tz_name, rule, start) > now:
        return None
    # Jump close with the average interval, then walk: occurrences are monotonic.
    step = {"days": 1, "weeks": 7, "months": 28}[rule.unit] * rule.every
    k = max(start, start + int((now - occurrence(anchor, tz_name, rule, start)).days // step) - 1)
    while occurrence(anchor, tz_name, rule, k) > now:
        k -= 1
    while occurrence(anchor, tz_name, rule, k + 1) <= now:
        k += 1
    return k


def ends(rule: Recurrence, at: _dt.datetime) -> bool:
    """True when an occurrence at `at` is past the series' end."""
    return rule.until is not None and at > rule.until
