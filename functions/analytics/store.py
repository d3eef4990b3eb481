"""Analytics data in Firestore: one tracker per published target, and snapshots.

- metricTargets/{postId}__{accountId}: where the target is in the collection
  schedule (state, step, nextDueAt) and its latest numbers (`latest`).
- metrics/{postId}__{accountId}__{checkpoint}: one post snapshot per checkpoint
  (a rerun overwrites its own reading, never adds a second one).
- metrics/account__{accountId}__{YYYY-MM-DD}: one follower count per account and UTC day.

Every metric is stored under its normalised name (likes, reposts, replies,
views; followers for accounts) and is null where the network does not give
it: never a zero that nobody counted.
"""

import datetime as _dt

from kernel import db
from kernel.collections import METRIC_TARGETS, METRICS

ACTIVE, DONE = "active", "done"
POST_METRICS = ("likes", "reposts", "replies", "views")
ENGAGEMENTS = ("likes", "reposts", "replies")


def target_id(post_id: str, account_id: str) -> str:
    return f"{post_id}__{account_id}"


def post_snapshot_id(post_id: str, account_id: str, checkpoint: str) -> str:
    return f"{post_id}__{account_id}__{checkpoint}"


def account_snapshot_id(account_id: str, day: _dt.date) -> str:
    return f"account__{account_id}__{day.isoformat()}"


def normalised(metrics) -> dict:
    """platforms.base.Metrics -> {likes, reposts, replies, views}, None kept as None."""
    out = {}
    for name in POST_METRICS:
        value = getattr(metrics, name, None)
        out[name] = int(value) if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
    return out


def new_tracker(uid: str, post_id: str, account_id: str, target: dict, step: int, due: _dt.datetime) -> dict:
    return {
        "uid": uid,
        "postId": post_id,
        "accountId": account_id,
        "network": target.get("network"),
        "networkPostId": target.get("postId"),
        "url": target.get("url"),
        "publishedAt": target.get("publishedAt"),
        "state": ACTIVE,
        "step": step,
        "nextDueAt": due,
        "latest": None,
        "failures": 0,
    }


def due_targets(now: _dt.datetime, limit: int) -> list:
    """Active trackers whose next reading is due, oldest first."""
    from google.cloud.firestore import FieldFilter

    query = (db.client().collection(METRIC_TARGETS)
             .where(filter=FieldFilter("state", "==", ACTIVE))
             .where(filter=FieldFilter("nextDueAt", "<=", now))
             .order_by("nextDueAt").limit(limit))
    return list(query.stream())


def targets_published_between(uid: str, start: _dt.datetime, end: _dt.datetime) -> list[dict]:
    """The person's trackers of targets published in [start, end)."""
    from google.cloud.firestore import FieldFilter

    query = (db.client().collection(METRIC_TARGETS)
             .where(filter=FieldFilter("uid", "==", uid))
             .where(filter=FieldFilter("publishedAt", ">=", start))
             .where(filter=FieldFilter("publishedAt", "<", end)))
    return [snap.to_dict() for snap in query.stream()]


def post_snapshots(uid: str, post_id: str) -> list[dict]:
    from google.cloud.firestore import FieldFilter

    query = (db.client().collection(METRICS)
             .where(filter=FieldFilter("uid", "==", uid))
             .where(filter=FieldFilter("postId", "==", post_id)))
    return sorted((s.to_dict() for s in query.stream()), key=lambda d: d["collectedAt"])


def post_trackers(uid: str, post_id: str) -> list[dict]:
    from google.cloud.firestore import FieldFilter

    query = (db.client().collection(METRIC_TARGETS)
             .where(filter=FieldFilter("uid", "==", uid))
             .where(filter=FieldFilter("postId", "==", post_id)))
    return [s.to_dict() for s in query.stream()]


def follower_snapshots(uid: str, account_id: str, start: _dt.datetime, end: _dt.datetime) -> list[dict]:
    """The account's daily follower counts collected in [start, end), oldest first."""
    from google.cloud.firestore import FieldFilter

    query = (db.client().collection(METRICS)
             .where(filter=FieldFilter("uid", "==", uid))
             .where(filter=FieldFilter("accountId", "==", account_id))
             .where(filter=FieldFilter("kind", "==", "account"))
             .where(filter=FieldFilter("collectedAt", ">=", start))
             .where(filter=FieldFilter("collectedAt", "<", end)))
    return sorted((s.to_dict() for s in query.stream()), key=lambda d: d["collectedAt"])
