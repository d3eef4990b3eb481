"""Bring a person's connected accounts and scheduled posts within their plan's
limits, without deleting anything.

`apply_plan_limits(uid, plan)` is the one function for it: billing calls it
whenever a plan changes, and any feature may call it again (it is idempotent).
Over the limit, the newest items are paused with `status: "paused"`,
`pausedReason: "plan_limit"`, and their previous status kept in
`pausedFromStatus`; under the limit (an upgrade), items this function paused
are resumed, oldest first. Items paused for any other reason are never touched.

The shape it relies on (owned by the accounts and posts features):
- accounts: {uid, status, connectedAt}; every account not paused counts.
- posts:    {uid, status, scheduledAt}; posts with status "scheduled" and a
  future scheduledAt count against the calendar month (UTC) they fall in.

A write is conditioned on the document being unchanged since it was read, so a
post that starts publishing meanwhile is left to its publisher.
"""

import datetime as _dt

from kernel import clock, db, log, plans
from kernel.collections import ACCOUNTS, POSTS

PAUSED = "paused"
PLAN_LIMIT = "plan_limit"
SCHEDULED = "scheduled"

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def apply_plan_limits(uid: str, plan_name: str | None) -> dict:
    """Pause what is over the plan's limits, resume what fits again.
    Returns {"accounts": {"paused": n, "resumed": n}, "posts": {...}}."""
    plan = plans.plan(plan_name)
    now = clock.now()
    result = {
        "accounts": _fit(_owned(ACCOUNTS, uid), plan.connected_accounts, "connectedAt", extra={"statusReason": PLAN_LIMIT}),
        "posts": _fit_posts(_owned(POSTS, uid), plan.scheduled_posts_per_month, now),
    }
    if any(v for r in result.values() for v in r.values()):
        log.info("billing: plan limits applied", uid=uid, plan=plan.name, **{
            f"{kind}{what.title()}": n for kind, r in result.items() for what, n in r.items()})
    return result


def _owned(collection: str, uid: str) -> list:
    from google.cloud.firestore import FieldFilter

    return list(db.client().collection(collection).where(filter=FieldFilter("uid", "==", uid)).stream())


def _field(snap, name: str):
    return (snap.to_dict() or {}).get(name)


def _when(snap, name: str) -> tuple:
    return (_field(snap, name) or _EPOCH, snap.id)


def _ours(snap) -> bool:
    return _field(snap, "status") == PAUSED and _field(snap, "pausedReason") == PLAN_LIMIT


def _fit(snaps: list, limit: int, order_field: str, extra: dict | None = None) -> dict:
    counted = sorted((s for s in snaps if _field(s, "status") != PAUSED), key=lambda s: _when(s, order_field))
    waiting = sorted((s for s in snaps if _ours(s)), key=lambda s: _when(s, order_field))
    over = counted[limit:]
    room = max(limit - len(counted), 0)
    return {
        "paused": sum(_pause(s, extra) for s in over),
        "resumed": sum(_resume(s, extra) for s in waiting[:room]),
    }


def _fit_posts(snaps: list, limit: int, now: _dt.datetime) -> dict:
    """Per calendar month: the earliest `limit` scheduled posts go out, the rest wait."""
    by_month: dict[tuple[int, int], list] = {}
    for s in snaps:
        at = _field(s, "scheduledAt")
        upcoming = at is not None and at > now
        if upcoming and (_field(s, "status") == SCHEDULED or _ours(s)):
            by_month.setdefault((at.year, at.month), []).append(s)
    total = {"paused": 0, "resumed": 0}
    for month in by_month.values():
        # Posts only count while scheduled, so a post paused for another reason is not in `month`.
        done = _fit(month, limit, "scheduledAt")
        total = {k: total[k] + done[k] for k in total}
    return total


def _pause(snap, extra: dict | None) -> int:
    changes = {"status": PAUSED, "pausedReason": PLAN_LIMIT, "pausedFromStatus": _field(snap, "status"),
               "pausedAt": clock.now(), **(extra or {})}
    return _write(snap, changes)


def _resume(snap, extra: dict | None) -> int:
    changes = {"status": _field(snap, "pausedFromStatus") or "active", "pausedReason": None,
               "pausedFromStatus": None, "pausedAt": None, **{k: None for k in (extra or {})}}
    return _write(snap, changes)


def _write(snap, changes: dict) -> int:
    from google.api_core.exceptions import FailedPrecondition

    try:
        snap.reference.update(changes, option=db.client().write_option(last_update_time=snap.update_time))
    except FailedPrecondition:
        log.info("billing: item changed while applying plan limits; left as it is", id=snap.id)
        return 0
    return 1
