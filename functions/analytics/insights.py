"""Insights from the collected numbers: per post, per account, across accounts,
and the hours and weekdays that worked best, in the person's own timezone.

Definitions (the README repeats them):
- A target's numbers are its latest reading. A metric a network does not give
  is null there and is left out of sums, never counted as 0: a total is null
  when no target in scope has that metric, and `reported` says how many did.
- Engagements of a target: likes + reposts + replies that the network gives
  (null when it gives none of them).
- Engagement rate: engagements / views, over the targets that have both
  (null when none has, or their views add up to 0).
- A period is whole days in the person's timezone, both ends included; the
  previous period is the same number of days just before it.
"""

import datetime as _dt
import zoneinfo
from collections import defaultdict

from analytics import store as analytics_store
from kernel import clock, settings
from kernel.errors import InvalidArgument

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# A bucket (an hour or a weekday) needs this many posts before it can be called best.
MIN_POSTS_FOR_BEST = 2
BEST_COUNT = 3
DEFAULT_HISTORY_DAYS = 90


class Period:
    def __init__(self, first: _dt.date, last: _dt.date, tz: zoneinfo.ZoneInfo):
        self.first, self.last, self.tz = first, last, tz
        self.days = (last - first).days + 1
        self.start = _local_midnight(first, tz)
        self.end = _local_midnight(last + _dt.timedelta(days=1), tz)

    def previous(self) -> "Period":
        last = self.first - _dt.timedelta(days=1)
        return Period(last - _dt.timedelta(days=self.days - 1), last, self.tz)

    def view(self) -> dict:
        return {"start": self.first.isoformat(), "end": self.last.isoformat(), "days": self.days,
                "timezone": self.tz.key}


def _local_midnight(day: _dt.date, tz: zoneinfo.ZoneInfo) -> _dt.datetime:
    return _dt.datetime.combine(day, _dt.time(), tzinfo=tz).astimezone(_dt.timezone.utc)


def _years_before(day: _dt.date, years: int) -> _dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def timezone_of(profile: dict) -> zoneinfo.ZoneInfo:
    name = (profile.get("settings") or {}).get("timezone") or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def period(first: _dt.date | None, last: _dt.date | None, tz: zoneinfo.ZoneInfo,
           default_days: int = 30) -> Period:
    """Check a requested period; bad ones are InvalidArgument with what to change."""
    today = clock.now().astimezone(tz).date()
    last = last or today
    first = first or last - _dt.timedelta(days=default_days - 1)
    if last < first:
        raise InvalidArgument(f"The period ends ({last.isoformat()}) before it starts ({first.isoformat()}): "
                              "swap 'start' and 'end'.")
    if first > today:
        raise InvalidArgument(f"The period starts in the future ({first.isoformat()}); today is {today.isoformat()}.")
    years = settings.CONTENT_RETENTION_YEARS.value
    earliest = _years_before(last, years) + _dt.timedelta(days=1)
    if first < earliest:
        raise InvalidArgument(f"A period can be at most {years} years long (analytics are kept {years} years): "
                              f"start on {earliest.isoformat()} or later for this end date.")
    return Period(first, last, tz)


# --- sums ------------------------------------------------------------------------------------


def engagements(values: dict | None) -> int | None:
    if not values:
        return None
    given = [values.get(m) for m in analytics_store.ENGAGEMENTS if values.get(m) is not None]
    return sum(given) if given else None


def totals(trackers: list[dict]) -> dict:
    """Sums of the latest numbers over targets, each metric over those that give it."""
    measured = [t["latest"] for t in trackers if t.get("latest")]
    out: dict = {"posts": len({t["postId"] for t in trackers}), "targets": len(trackers),
                 "measuredTargets": len(measured), "reported": {}}
    for name in analytics_store.POST_METRICS:
        given = [v[name] for v in measured if v.get(name) is not None]
        out[name] = sum(given) if given else None
        out["reported"][name] = len(given)
    given = [e for e in (engagements(v) for v in measured) if e is not None]
    out["engagements"] = sum(given) if given else None
    out["engagementRate"] = engagement_rate(measured)
    return out


def engagement_rate(readings: list[dict]) -> float | None:
    pairs = [(engagements(v), v.get("views")) for v in readings]
    pairs = [(e, v) for e, v in pairs if e is not None and v is not None]
    views = sum(v for _, v in pairs)
    if not pairs or views == 0:
        return None
    return round(sum(e for e, _ in pairs) / views, 4)


def change(current: dict, previous: dict) -> dict:
    out = {}
    for name in (*analytics_store.POST_METRICS, "engagements", "engagementRate"):
        now, before = current.get(name), previous.get(name)
        diff = None if now is None or before is None else round(now - before, 4)
        pct = None if diff is None or not before else round(diff / before * 100, 1)
        out[name] = {"current": now, "previous": before, "change": diff, "changePercent": pct}
    return out


def top_posts(trackers: list[dict], limit: int) -> list[dict]:
    posts: dict[str, dict] = {}
    for t in trackers:
        entry = posts.setdefault(t["postId"], {"postId": t["postId"], "publishedAt": t.get("publishedAt"),
                                               "targets": []})
        entry["targets"].append(t)
        if t.get("publishedAt") and (entry["publishedAt"] is None or t["publishedAt"] < entry["publishedAt"]):
            entry["publishedAt"] = t["publishedAt"]
    ranked = []
    for entry in posts.values():
        sums = totals(entry.pop("targets"))
        if sums["engagements"] is None and sums["views"] is None:
            continue  # nothing measured yet: it cannot be ranked
        ranked.append({**entry, **{k: sums[k] for k in (*analytics_store.POST_METRICS, "engagements",
                                                        "engagementRate")}})
    ranked.sort(key=lambda p: (-(p["engagements"] or 0), -(p["views"] or 0), p["publishedAt"], p["postId"]))
    return ranked[:limit]


# --- views ---------------------------------------------------------------------------------------


def overview(uid: str, span: Period, account_ids: set[str] | None, top: int) -> dict:
    def scope(p: Period) -> list[dict]:
        found = analytics_store.targets_published_between(uid, p.start, p.end)
        return [t for t in found if account_ids is None or t.get("accountId") in account_ids]

    current, before = scope(span), scope(span.previous())
    now_totals, before_totals = totals(current), totals(before)
    return {"period": span.view(), "previousPeriod": span.previous().view(), "totals": now_totals,
            "previousTotals": before_totals, "change": change(now_totals, before_totals),
            "topPosts": top_posts(current, top)}


def followers(uid: str, account_id: str, span: Period) -> dict:
    series = [s for s in analytics_store.follower_snapshots(uid, account_id, span.start, span.end)]
    known = [s for s in series if s.get("followers") is not None]
    first = known[0]["followers"] if known else None
    last = known[-1]["followers"] if known else None
    return {"start": first, "end": last, "change": None if first is None else last - first,
            "series": [{"day": s["day"], "followers": s.get("followers")} for s in series]}


def post_view(post_id: str, trackers: list[dict], snapshots: list[dict]) -> dict:
    by_target = defaultdict(list)
    for s in snapshots:
        if s.get("kind") == "post":
            by_target[s["accountId"]].append({"checkpoint": s.get("checkpoint"), "collectedAt": s["collectedAt"],
                                              **{m: s.get(m) for m in analytics_store.POST_METRICS}})
    targets = []
    for t in sorted(trackers, key=lambda t: (t.get("network") or "", t["accountId"])):
        latest = t.get("latest")
        targets.append({
            "accountId": t["accountId"], "network": t.get("network"), "url": t.get("url"),
            "publishedAt": t.get("publishedAt"),
            "latest": {**{m: latest.get(m) for m in analytics_store.POST_METRICS},
                       "engagements": engagements(latest), "engagementRate": engagement_rate([latest]),
                       "collectedAt": latest.get("collectedAt"), "checkpoint": latest.get("checkpoint")}
            if latest else None,
            "series": by_target.get(t["accountId"], []),
            "collecting": t.get("state") == analytics_store.ACTIVE,
            "nextCollectionAt": t.get("nextDueAt") if t.get("state") == analytics_store.ACTIVE else None,
            "endedReason": t.get("endedReason"),
        })
    return {"postId": post_id, "totals": totals(trackers), "targets": targets}


def best_times(uid: str, span: Period, account_ids: set[str] | None = None) -> dict:
    """Average engagements per target by local hour and weekday of publishing."""
    found = analytics_store.targets_published_between(uid, span.start, span.end)
    hours: dict[int, list[int]] = defaultdict(list)
    days: dict[int, list[int]] = defaultdict(list)
    used = 0
    for t in found:
        if account_ids is not None and t.get("accountId") not in account_ids:
            continue
        value = engagements(t.get("latest"))
        if value is None or not t.get("publishedAt"):
            continue
        local = t["publishedAt"].astimezone(span.tz)
        hours[local.hour].append(value)
        days[local.weekday()].append(value)
        used += 1

    def buckets(groups: dict[int, list[int]], name) -> list[dict]:
        return [{**name(k), "posts": len(v), "averageEngagements": round(sum(v) / len(v), 2)}
                for k, v in sorted(groups.items())]

    by_hour = buckets(hours, lambda h: {"hour": h})
    by_day = buckets(days, lambda d: {"weekday": WEEKDAYS[d], "weekdayIndex": d})

    def best(rows: list[dict], key: str) -> list:
        eligible = [r for r in rows if r["posts"] >= MIN_POSTS_FOR_BEST]
        eligible.sort(key=lambda r: (-r["averageEngagements"], r[key]))
        return [r[key] for r in eligible[:BEST_COUNT]]

    return {"period": span.view(), "timezone": span.tz.key, "measuredTargets": used,
            "minimumPostsPerBucket": MIN_POSTS_FOR_BEST, "byHour": by_hour, "byWeekday": by_day,
            "bestHours": best(by_hour, "hour"),
            "bestWeekdays": [WEEKDAYS[i] for i in best(by_day, "weekdayIndex")]}
