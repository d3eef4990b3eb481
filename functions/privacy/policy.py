"""Privacy policy versions (policy 11): an operator publishes one; every active
person gets an in-app notice and an email (a legal notice: sent whatever their
marketing choice); each person's acceptance is recorded with its time.

The announcement goes out page by page, one Cloud Task per page of PAGE people
(ordered by uid, the next page starting after the last uid: a query cursor),
each task queueing the next. A task delivered twice sends
nothing twice: each notice has a dedupe key per version.
"""

import datetime as _dt
import hashlib

from kernel import clock, db, log, notify, users
from kernel.collections import POLICY_ACCEPTANCES, POLICY_VERSIONS, USERS
from kernel.errors import AlreadyExists, NotFound
from privacy import tasks as privacy_tasks

PAGE = 200
ANNOUNCER = "announce_policy_version"


def _task_id(version: str, page: int) -> str:
    return f"policy-{hashlib.sha256(version.encode()).hexdigest()[:20]}-{page}"


def publish(version: str, summary: str, effective: _dt.date, by: str) -> dict:
    from google.api_core.exceptions import AlreadyExists as Exists

    now = clock.now()
    ref = db.doc(POLICY_VERSIONS, version)
    record = {"version": version, "summary": summary, "effectiveDate": effective.isoformat(), "publishedAt": now,
              "publishedBy": by, "announced": 0, "announcedAt": None, "pages": 0}
    try:
        ref.create(record)
    except Exists:
        raise AlreadyExists(f"Policy version '{version}' is already published. Publish a new version instead.") from None
    try:
        privacy_tasks.enqueue(ANNOUNCER, {"version": version, "after": "", "page": 1}, task_id=_task_id(version, 1))
    except Exception:
        ref.delete()  # not announced, so not published: the operator can simply try again
        raise
    log.info("privacy: policy version published", version=version)
    return {"version": version, "effectiveDate": effective, "publishedAt": now}


def announce_page(version: str, after: str, page: int) -> dict:
    """Notify one page of people after uid `after`; queue the next page if there may be one."""
    snap = db.doc(POLICY_VERSIONS, version).get()
    if not snap.exists:
        return {"sent": 0, "next": None}
    policy = snap.to_dict()
    query = db.client().collection(USERS).order_by("uid").start_after({"uid": after}).limit(PAGE)
    people = list(query.stream())
    sent = 0
    for person in people:
        if person.get("status") != users.ACTIVE:
            continue
        result = notify.notify(
            person.id, kind="policy_update", category="legal",
            title="We're updating our privacy policy",
            body=(f"Our privacy policy changes on {_long_date(policy['effectiveDate'])} (version {version}).\n\n"
                  f"{policy['summary']}\n\nRead the full policy in postr and accept it under Settings > Privacy. "
                  "Using postr after that date means you accept the updated policy."),
            dedupe_key=f"policy:{version}", data={"policyVersion": version, "effectiveDate": policy["effectiveDate"]},
        )
        sent += 1 if result.get("delivered") else 0
    last = people[-1].id if people else None
    done = len(people) < PAGE
    from google.cloud import firestore

    changes = {"announced": firestore.Increment(sent), "pages": firestore.Increment(1)}
    if done:
        changes["announcedAt"] = clock.now()
    snap.reference.update(changes)
    if not done:
        privacy_tasks.enqueue(ANNOUNCER, {"version": version, "after": last, "page": page + 1},
                              task_id=_task_id(version, page + 1))
    log.info("privacy: policy notice page sent", version=version, page=page, sent=sent, last=done)
    return {"sent": sent, "next": None if done else last}


def _long_date(iso: str) -> str:
    day = _dt.date.fromisoformat(iso)
    return f"{day:%B} {day.day}, {day.year}"


def _acceptance_ref(uid: str, version: str):
    return db.doc(POLICY_ACCEPTANCES, f"{uid}_{hashlib.sha256(version.encode()).hexdigest()[:24]}")


def versions(today: _dt.date) -> tuple[dict | None, dict | None]:
    """(the version in force today, the newest one announced to take effect later), each
    {version, summary, effectiveDate, publishedAt} or None."""
    from google.cloud.firestore import FieldFilter, Query

    keep = ("version", "summary", "effectiveDate", "publishedAt")

    def newest(op: str) -> dict | None:
        query = (db.client().collection(POLICY_VERSIONS).where(filter=FieldFilter("effectiveDate", op, today.isoformat()))
                 .order_by("effectiveDate", direction=Query.DESCENDING).order_by("publishedAt",
                                                                                 direction=Query.DESCENDING).limit(1))
        found = [snap.to_dict() for snap in query.stream()]
        return {k: found[0][k] for k in keep} if found else None

    return newest("<="), newest(">")


def status(uid: str, today: _dt.date) -> dict:
    """What the app shows: the version in force and any announced one, each with whether
    (and when) the person accepted it."""
    def with_acceptance(version: dict | None) -> dict | None:
        if version is None:
            return None
        snap = _acceptance_ref(uid, version["version"]).get()
        return {**version, "accepted": snap.exists, "acceptedAt": snap.get("acceptedAt") if snap.exists else None}

    in_force, upcoming = versions(today)
    return {"current": with_acceptance(in_force), "upcoming": with_acceptance(upcoming)}


def accept_at_sign_up(uid: str) -> str | None:
    """Signing up accepts the policy in force (the sign-up screen shows it): recorded with
    its time, like any acceptance. None when no version has been published yet."""
    in_force, _ = versions(clock.now().date())
    if in_force is None:
        return None
    from google.api_core.exceptions import AlreadyExists as Exists

    try:
        _acceptance_ref(uid, in_force["version"]).create(
            {"uid": uid, "version": in_force["version"], "acceptedAt": clock.now(), "how": "sign_up"})
    except Exists:
        pass  # a retried hook
    return in_force["version"]


def accept(uid: str, version: str) -> dict:
    """Record the person's acceptance; accepting again keeps the first time."""
    from google.api_core.exceptions import AlreadyExists as Exists

    if not db.doc(POLICY_VERSIONS, version).get().exists:
        raise NotFound(f"There is no policy version '{version}'.")
    ref = _acceptance_ref(uid, version)
    now = clock.now()
    try:
        ref.create({"uid": uid, "version": version, "acceptedAt": now, "how": "in_app"})
    except Exists:
        now = ref.get().get("acceptedAt")
    return {"version": version, "acceptedAt": now}
