"""The post document's statuses and what its owner sees of it.

A post and each of its targets move through: draft -> scheduled ->
publishing -> published | failed | unconfirmed, or cancelled. "paused" is set
by billing (billing.limits) for a post over the plan's limit. A post's own
status sums up its targets once none is waiting: published when every live
target is out, unconfirmed when some outcome cannot be known, else failed.
"""

import datetime as _dt

from posts import schedule as posts_schedule

DRAFT, SCHEDULED, PUBLISHING, PUBLISHED = "draft", "scheduled", "publishing", "published"
FAILED, UNCONFIRMED, CANCELLED, PAUSED = "failed", "unconfirmed", "cancelled", "paused"
STATUSES = (DRAFT, SCHEDULED, PUBLISHING, PUBLISHED, FAILED, UNCONFIRMED, CANCELLED, PAUSED)
# A post can be changed only before anything of it went out.
EDITABLE = (DRAFT, SCHEDULED, PAUSED, FAILED)
TARGET_DONE = (PUBLISHED, FAILED, UNCONFIRMED, CANCELLED)


def summary_status(targets: dict) -> str | None:
    """The post's status from its targets; None while some are still to go."""
    states = [t.get("status") for t in targets.values()]
    if any(s not in TARGET_DONE for s in states):
        return None
    live = [s for s in states if s != CANCELLED]
    if not live:
        return CANCELLED
    if all(s == PUBLISHED for s in live):
        return PUBLISHED
    if UNCONFIRMED in live and FAILED not in live:
        return UNCONFIRMED
    return FAILED


def public_view(post_id: str, data: dict) -> dict:
    """The post as its owner sees it (no internal bookkeeping)."""
    tz = data.get("timezone")
    targets = {
        account_id: {k: t.get(k) for k in ("network", "status", "error", "warning", "postId", "url", "publishedAt",
                                           "attempts")}
        for account_id, t in (data.get("targets") or {}).items()
    }
    return {
        "id": post_id,
        "status": data.get("status"),
        "text": data.get("text"),
        "media": data.get("media") or [],
        "thread": data.get("thread") or [],
        "firstComment": data.get("firstComment"),
        "link": data.get("link"),
        "overrides": data.get("overrides") or {},
        "targetAccountIds": data.get("targetAccountIds") or [],
        "targets": targets,
        "scheduledAt": data.get("scheduledAt"),
        "timezone": tz,
        "scheduledLocal": posts_schedule.local_view(data.get("scheduledAt"), tz),
        "recurrence": data.get("recurrence"),
        "parentId": data.get("parentId"),
        "occurrence": data.get("occurrence"),
        "publishedAt": data.get("publishedAt"),
        "createdAt": data.get("createdAt"),
        "updatedAt": data.get("updatedAt"),
    }


def sort_key(at: _dt.datetime, post_id: str) -> str:
    """Orders a person's posts by time (scheduled, else created, so drafts have a
    place), unique per post: the list's order and its page token (a query cursor)."""
    return at.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ") + "|" + post_id
