"""Account deletion (policy 7.3), carried out at once, and resumable.

`delete(uid)` runs, in this order:
1. Stripe: every subscription that has not ended is cancelled now. This is first
   because it is the step that most often fails (Stripe unreachable): then
   nothing at all has changed and the person can simply try again.
2. One commit: the profile is replaced by a marker {uid, status: deleted,
   deletedAt} (email, name, birth date and settings are gone), and the deletion
   request is recorded in_progress. From here every callable and sign-in refuses
   the account, and notices are no longer sent.
3. `finish(uid)`: every connected account's tokens revoked at the network and
   deleted (the accounts handler's own steps), every collection declared
   export=False (token material: sealed tokens, OAuth flows) emptied of the
   person's documents, pending posts and their targets cancelled, every content
   document (USER_DATA, retention="content") marked with the deletion time and
   listed for the retention purge (users/{uid}/purgeLists), export archives
   deleted, the media counted on the marker, the Firebase Auth user deleted,
   the request completed.
4. A day later (`sweep_late_writes`, from the same scheduled job): the listing
   runs again, so what work in flight at the deletion wrote afterwards (an AI
   call settling, a publish finishing, a notice) is listed too, and the marker
   says so (`lateSweptAt`): the purge then needs no search by uid.

Every step of `finish` can run again with the same result, so a deletion that
stopped halfway (a crash, a timeout) is completed by `resume_unfinished`,
which a scheduled job runs. Content stays, unreachable (no auth user; rules
and callables refuse), until privacy.retention purges it.
"""

import datetime as _dt

from kernel import clock, db, log, notify, users
from kernel.collections import ACCOUNTS, POSTS, PURGE_LISTS, USER_DATA, USERS
from kernel.errors import FailedPrecondition
from posts import tasks as publish_tasks
from privacy import requests as privacy_requests

RECENT_SIGN_IN = _dt.timedelta(minutes=5)
BATCH = 500
ENDED = ("canceled", "incomplete_expired")
# Post and target states that have not gone out yet (the posts feature's shape).
PENDING_POST = ("draft", "scheduled", "paused")
PENDING_TARGET = (*PENDING_POST, None)

# A deletion still in progress this long after it began is taken as stopped.
RESUME_AFTER = _dt.timedelta(minutes=10)
# Longer than anything in flight at a deletion can take to land (an AI hold's TTL, a publish
# task's deadline, the collectors' runs), so the second listing sees all it wrote.
LATE_SWEEP_AFTER = _dt.timedelta(days=1)
# Paths per purge list: a list and its paths are deleted in one commit (at most BATCH writes).
PURGE_LIST_SIZE = BATCH - 50


def check_recent_sign_in(auth_time: _dt.datetime | None) -> None:
    now = clock.now()
    if auth_time is None or now - auth_time > RECENT_SIGN_IN:
        raise FailedPrecondition(
            "For your security, sign in again, then delete your account within 5 minutes of signing in.",
            {"reason": "recent_sign_in_required"},
        )


# Why an account is deleted: the person asked (policy 7.3), or they are under the minimum
# age (policy 10), where everything goes as a deletion would and no birth date is kept.
REQUESTED, UNDER_MINIMUM_AGE = "requested", "under_minimum_age"
_RECEIPTS = {
    REQUESTED: "Your postr account has been deleted, as you asked.",
    UNDER_MINIMUM_AGE: "postr is only for people aged 13 or older, so your postr account has been closed and "
                       "deleted, and the date of birth you gave was not kept.",
}


def delete(uid: str, *, reason: str = REQUESTED) -> dict:
    """Delete the account now (for a person's own request the caller checked the recent sign-in)."""
    snap, profile = users.load_active(uid)
    cancelled = cancel_subscriptions(uid)
    now = clock.now()
    request_ref, request = privacy_requests.new(uid, "deletion", status=privacy_requests.IN_PROGRESS, ref=uid,
                                                now=now, detail={"reason": reason})
    batch = db.client().batch()
    # set() replaces the profile whole, so no field survives that this code does not know about
    # (a birth date, an email, a name).
    batch.set(snap.reference, {"uid": uid, "status": users.DELETED, "deletedAt": now, "deletedReason": reason,
                               "plan": profile.get("plan"), "deletionRequestId": request_ref.id,
                               "lateSweepAt": now + LATE_SWEEP_AFTER})
    batch.create(request_ref, request)
    batch.commit()
    log.security_event("account_deleted", uid, privacyRequestId=request_ref.id, reason=reason)
    done = finish(uid, request_ref.id)
    if profile.get("email"):
        # The profile is gone, so this goes straight to the address we had: a receipt, not marketing.
        notify.send_email(profile["email"], "Your postr account has been deleted",
                          f"{_RECEIPTS[reason]} Your connected accounts were "
                          "disconnected and any subscription was cancelled. Your posts, media and analytics "
                          "are kept out of reach for up to two years, as our privacy policy says, then erased. "
                          "If you did not ask for this, write to support@minnerlabs.com.",
                          idempotency_key=f"account-deleted-{request_ref.id}")
    return {"deleted": True, "privacyRequestId": request_ref.id, "cancelledSubscriptions": cancelled, **done}


def cancel_subscriptions(uid: str) -> int:
    from billing import customers as billing_customers
    from billing import stripe_api as billing_stripe
    from billing import sync as billing_sync

    customer = billing_customers.find(uid)
    if not customer:
        return 0
    cancelled = 0
    for sub in billing_sync.subscriptions(customer):
        if sub.get("status") not in ENDED:
            billing_stripe.cancel_subscription_now(sub["id"])
            cancelled += 1
    if cancelled:
        log.info("privacy: subscriptions cancelled for deletion", uid=uid, cancelled=cancelled)
    return cancelled


def finish(uid: str, request_id: str) -> dict:
    """Everything after the profile marker; idempotent."""
    marker = db.doc(USERS, uid).get()
    deleted_at = marker.get("deletedAt") if marker.exists else clock.now()
    disconnected = _disconnect_all(uid)
    cancelled_posts = _cancel_posts(uid)
    marked = _mark_content(uid, deleted_at)
    _forget_elsewhere(uid)
    _delete_archives(uid)
    # What the purge will have to list in Storage: nothing, for most people.
    db.doc(USERS, uid).update({"mediaObjects": _count_media(uid)})
    _delete_auth_user(uid)
    privacy_requests.complete(request_id)
    log.info("privacy: account deletion finished", uid=uid, disconnectedAccounts=disconnected,
             cancelledPosts=cancelled_posts, markedDocuments=marked)
    return {"disconnectedAccounts": disconnected, "cancelledPosts": cancelled_posts}


def _secret_collections() -> list[str]:
    """Collections never exported because they hold token material (sealed tokens,
    OAuth flows): deleted outright at deletion, whatever feature declared them."""
    return [name for name, spec in USER_DATA.items() if spec.kind == "owned" and not spec.export]


def _owned(collection: str, uid: str):
    from google.cloud.firestore import FieldFilter

    return db.client().collection(collection).where(filter=FieldFilter("uid", "==", uid)).stream()


def _disconnect_all(uid: str) -> int:
    """Every connected account disconnected as the person would (accounts.disconnect:
    revoked at the network, its pending targets cancelled, tokens and account deleted)."""
    from accounts import disconnect

    count = 0
    for snap in list(_owned(ACCOUNTS, uid)):
        disconnect.disconnect(snap, cancel_reason="The postr account was deleted.", why="account_deleted")
        count += 1
    # Tokens whose account document is already gone (a disconnect that stopped halfway),
    # pending OAuth flows, and any other token material a feature declared export=False.
    for collection in _secret_collections():
        _delete_all(list(_owned(collection, uid)))
    return count


class _Writes:
    """Writes committed in batches of at most BATCH, as they come."""

    def __init__(self):
        self._batch, self._size, self.total = None, 0, 0

    def update(self, ref, changes: dict) -> None:
        self._next().update(ref, changes)

    def set(self, ref, data: dict) -> None:
        self._next().set(ref, data)

    def delete(self, ref) -> None:
        self._next().delete(ref)

    def _next(self):
        if self._size == BATCH:
            self.flush()
        if self._batch is None:
            self._batch = db.client().batch()
        self._size += 1
        self.total += 1
        return self._batch

    def flush(self) -> None:
        if self._batch is not None and self._size:
            self._batch.commit()
        self._batch, self._size = None, 0


def _delete_all(snaps) -> None:
    writes = _Writes()
    for snap in snaps:
        writes.delete(snap.reference)
    writes.flush()


def _cancel_posts(uid: str) -> int:
    """Posts not yet out, and each of their targets not yet out, become cancelled,
    and their publish tasks are deleted (where the queue allows; a task that still
    fires finds the post cancelled and does nothing). A post already publishing is
    left to finish."""
    writes = _Writes()
    cancelled = []
    for snap in _owned(POSTS, uid):
        post = snap.to_dict()
        if post.get("status") not in PENDING_POST:
            continue
        changes = {"status": "cancelled", "cancelledReason": "account_deleted", "updatedAt": clock.now()}
        for account_id, target in (post.get("targets") or {}).items():
            if (target or {}).get("status") in PENDING_TARGET:
                changes[f"targets.{account_id}.status"] = "cancelled"
                changes[f"targets.{account_id}.error"] = "The postr account was deleted."
        writes.update(snap.reference, changes)
        cancelled.append((snap.id, post))
    writes.flush()
    for post_id, before in cancelled:
        try:
            publish_tasks.sync(post_id, {**before, "status": "cancelled"}, before)
        except Exception as exc:  # the cancelled status already stops the publish
            log.warn("privacy: publish task not deleted", postId=post_id, error=type(exc).__name__)
    return writes.total


def _mark_content(uid: str, deleted_at) -> int:
    """Mark every content document with the deletion time, and list every document the
    person leaves behind under the marker (users/{uid}/purgeLists/{kind}-{n}) with the
    time it may go: content CONTENT_RETENTION_YEARS after the deletion, payment records
    PAYMENT_RETENTION_YEARS, the privacy-request register LEGAL_RETENTION_YEARS (policy
    6). Listing again rewrites the lists whole, so it can run any number of times.
    Returns how many documents are listed."""
    from privacy import retention

    writes = _Writes()
    paths: dict[str, list[str]] = {}
    for name, spec in USER_DATA.items():
        if spec.kind != "owned" or name == ACCOUNTS or not spec.export:
            continue  # accounts and token material are deleted outright at deletion
        for snap in _owned(name, uid):
            paths.setdefault(spec.retention, []).append(snap.reference.path)
            if spec.retention == "content" and (snap.to_dict() or {}).get("deletedAt") != deleted_at:
                writes.update(snap.reference, {"deletedAt": deleted_at})
    lists = db.doc(USERS, uid).collection(PURGE_LISTS)
    for kind, listed in paths.items():
        purge_at = retention.years_after(deleted_at, retention.retention_years(kind))
        for n, start in enumerate(range(0, len(listed), PURGE_LIST_SIZE)):
            writes.set(lists.document(f"{kind}-{n:04d}"), {"deletedAt": deleted_at, "purgeAt": purge_at,
                                                            "retention": kind,
                                                            "paths": listed[start:start + PURGE_LIST_SIZE]})
    writes.flush()
    return sum(len(listed) for listed in paths.values())


def sweep_late_writes(limit: int = 100) -> int:
    """List again the content of accounts deleted LATE_SWEEP_AFTER ago (what work in
    flight wrote after the deletion), and mark their markers swept."""
    from google.cloud.firestore import DELETE_FIELD, FieldFilter

    now = clock.now()
    query = (db.client().collection(USERS).where(filter=FieldFilter("lateSweepAt", "<=", now))
             .order_by("lateSweepAt").limit(limit))
    swept = 0
    for marker in query.stream():
        if marker.get("status") != users.DELETED:
            continue
        listed = _mark_content(marker.id, marker.get("deletedAt"))
        marker.reference.update({"lateSweepAt": DELETE_FIELD, "lateSweptAt": now})
        log.info("privacy: late writes of a deleted account listed", uid=marker.id, listed=listed)
        swept += 1
    return swept


def _forget_elsewhere(uid: str) -> None:
    """What the person left with our processors: the Stripe customer (email, name,
    payment methods; the charges and invoices regulations require stay as payment
    records, and billingCustomers/{uid} keeps only the customer id beside them) and,
    where configured, PostHog's record of their events."""
    from billing import customers as billing_customers
    from billing import stripe_api as billing_stripe
    from kernel.collections import BILLING_CUSTOMERS
    from telemetry import product as analytics_product

    customer = billing_customers.find(uid)
    if customer:
        deleted = billing_stripe.delete_customer(customer)
        db.doc(BILLING_CUSTOMERS, uid).update({"customerDeletedAt": clock.now()})
        log.info("privacy: stripe customer deleted", uid=uid, alreadyGone=not deleted)
    analytics_product.forget(uid)


def _delete_archives(uid: str) -> None:
    """Export archives are copies of everything: nothing to keep them for."""
    from google.api_core.exceptions import NotFound

    from kernel import cloud

    for blob in cloud.storage_client().list_blobs(cloud.bucket(), prefix=f"exports/{uid}/"):
        try:
            blob.delete()
        except NotFound:
            pass


def _count_media(uid: str) -> int:
    from kernel import cloud

    return sum(1 for _ in cloud.storage_client().list_blobs(cloud.bucket(), prefix=f"users/{uid}/media/"))


def _delete_auth_user(uid: str) -> None:
    from firebase_admin import auth

    try:
        auth.delete_user(uid)
    except auth.UserNotFoundError:
        pass


def resume_unfinished() -> int:
    """Finish deletions that stopped halfway (run by a scheduled job)."""
    now = clock.now()
    done = 0
    for request in privacy_requests.unfinished("deletion"):
        if now - request["requestedAt"] < RESUME_AFTER:
            continue  # probably still running in its callable
        try:
            finish(request["uid"], request["id"])
        except Exception as exc:  # one person's failure must not hold back the others
            log.error("privacy: resuming a deletion failed", uid=request["uid"], error=type(exc).__name__,
                      detail=str(exc)[:300])
            continue
        done += 1
    return done
