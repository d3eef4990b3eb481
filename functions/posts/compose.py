"""A post document from what a person asked for, checked before anything is
written: their own connected accounts (active), their own uploads (type, size,
plan), a time in the future and within a year, each target network's own
validate, and the plan's scheduled posts per month. And the writes that replace
a post only if nobody changed it meanwhile (it may have started publishing).
"""

import datetime as _dt

from accounts import store as account_store
from kernel import db, plans
from kernel.collections import ACCOUNTS, POSTS
from kernel.errors import FailedPrecondition, InvalidArgument, NotFound, ResourceExhausted
from posts import content as posts_content, media as posts_media, schedule as posts_schedule, tasks as publish_tasks
from posts.model import DRAFT, SCHEDULED


def own(uid: str, post_id: str):
    snap = db.doc(POSTS, post_id).get()
    if not snap.exists or snap.get("uid") != uid:
        raise NotFound("That post was not found. It may have been deleted.")
    return snap


def _accounts(uid: str, ids: list[str]) -> dict[str, str]:
    """account id -> network, for the caller's own active accounts only."""
    if len(set(ids)) != len(ids):
        raise InvalidArgument("Each account can be chosen once per post.")
    found = {}
    for aid in ids:
        snap = db.doc(ACCOUNTS, aid).get()
        if not snap.exists or snap.get("uid") != uid:
            raise NotFound(f"Account '{aid}' is not one of your connected accounts.")
        status = snap.get("status")
        if status == account_store.RECONNECT_NEEDED:
            raise FailedPrecondition(f"@{snap.get('handle')} on {snap.get('network')} needs to be reconnected "
                                     "before postr can post there. Reconnect it in Accounts.")
        if status != account_store.ACTIVE:
            raise FailedPrecondition(f"@{snap.get('handle')} on {snap.get('network')} is paused because your plan "
                                     "allows fewer accounts. Upgrade or disconnect another account.")
        found[aid] = snap.get("network")
    return found


def _media(uid: str, items, plan) -> list[dict]:
    return [r.to_doc() for r in posts_media.check(uid, [i if isinstance(i, dict) else i.model_dump() for i in items],
                                                   video_allowed=plan.video)]


def build(uid: str, profile: dict, fields: dict, *, now: _dt.datetime, allow_now: bool = False) -> dict:
    """A post document from checked fields; raises before anything is written."""
    plan = plans.plan(profile.get("plan"))
    networks = _accounts(uid, fields["accountIds"])
    unknown = set(fields.get("overrides") or {}) - set(networks)
    if unknown:
        raise InvalidArgument(f"Overrides name accounts the post does not target: {', '.join(sorted(unknown))}.")
    at = fields.get("scheduledAt")
    recurrence = fields.get("recurrence")
    if at is not None:
        if at <= now and not allow_now:
            raise InvalidArgument("The scheduled time is in the past. Choose a later time, or publish now.")
        if at > now + posts_schedule.MAX_AHEAD:
            raise InvalidArgument("Posts can be scheduled at most a year ahead.")
    if recurrence is not None:
        if at is None:
            raise InvalidArgument("A recurring post needs a first date (scheduledAt).")
        if recurrence.get("until") is not None and recurrence["until"] <= at:
            raise InvalidArgument("The series' end (recurrence.until) must be after its first date.")
    if not (fields.get("text") or "").strip() and not fields.get("media"):
        raise InvalidArgument("A post needs text or media.")
    post = {
        "uid": uid,
        "text": fields.get("text") or "",
        "media": _media(uid, fields.get("media") or [], plan),
        "thread": [{"text": p.get("text") or "", "media": _media(uid, p.get("media") or [], plan)}
                   for p in fields.get("thread") or []],
        "firstComment": fields.get("firstComment"),
        "link": fields.get("link"),
        "overrides": {aid: {k: v for k, v in o.items() if v is not None} for aid, o in (fields.get("overrides") or {}).items()},
        "targetAccountIds": list(networks),
        "scheduledAt": at,
        "timezone": fields.get("timezone") or (profile.get("settings") or {}).get("timezone") or "UTC",
        "recurrence": recurrence,
        "seriesAnchor": at if recurrence else None,
        "occurrence": 0 if recurrence else None,
    }
    problems = []
    for aid, network in networks.items():
        problems += [{"accountId": aid, "network": network, **p}
                     for p in posts_content.problems_for(post, aid, network)]
    if problems:
        raise InvalidArgument("This post cannot go out as it is: " + " ".join(
            f"[{p['network']}] {p['message']}" for p in problems), {"problems": problems})
    status = SCHEDULED if at is not None else DRAFT
    post["status"] = status
    post["targets"] = {aid: {"network": network, "status": status} for aid, network in networks.items()}
    post["dueAt"] = at
    post["enqueueAt"] = publish_tasks.enqueue_at(at)
    return post


def check_month_limit(uid: str, plan_name: str | None, at: _dt.datetime | None, exclude: str | None) -> None:
    """The plan's scheduled posts per calendar month (UTC), as billing.limits counts them."""
    from google.cloud.firestore import FieldFilter

    if at is None:
        return
    limit = plans.plan(plan_name).scheduled_posts_per_month
    query = (db.client().collection(POSTS).where(filter=FieldFilter("uid", "==", uid))
             .where(filter=FieldFilter("status", "==", SCHEDULED)))
    count = sum(1 for s in query.stream()
                if s.id != exclude and (s.get("scheduledAt") or at).strftime("%Y-%m") == at.strftime("%Y-%m"))
    if count >= limit:
        first = (at.replace(day=1, hour=0, minute=0, second=0, microsecond=0) + _dt.timedelta(days=32)).replace(day=1)
        raise ResourceExhausted(
            f"Your plan allows {limit} scheduled posts in {at.strftime('%B %Y')}, and that month is full. "
            "Upgrade, or schedule it for another month.", {"limit": limit, "resetsAt": first.isoformat()})


def fields_of(post: dict) -> dict:
    """A saved post's own fields, in the shape of a create payload (so _build checks them again)."""
    def media(items):
        return [{"path": m["path"], "altText": m.get("altText")} for m in items or []]

    fields = {k: post.get(k) for k in ("text", "firstComment", "link", "overrides", "scheduledAt", "timezone",
                                       "recurrence")}
    return {**fields, "accountIds": post.get("targetAccountIds") or [], "media": media(post.get("media")),
            "thread": [{"text": p.get("text"), "media": media(p.get("media"))} for p in post.get("thread") or []]}


def if_unchanged(snap, write, message: str) -> None:
    """write(option) only if the post is as it was read (it may have started publishing meanwhile)."""
    from google.api_core.exceptions import FailedPrecondition as Changed

    try:
        write(db.client().write_option(last_update_time=snap.update_time))
    except Changed:
        raise FailedPrecondition(message) from None


def replace(snap, before: dict, after: dict, message: str) -> None:
    """Replace the post with `after` (a field `after` drops is cleared), if it is unchanged."""
    changes = {**{k: None for k in before if k not in after and k not in ("uid", "createdAt")}, **after}
    if_unchanged(snap, lambda option: snap.reference.update(changes, option=option), message)
