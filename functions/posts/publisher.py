"""Publishing a post to its targets, each exactly once.

Cloud Tasks delivers at least once and a retry may arrive while the first try
still runs; the sweeper may come too. So every target is claimed in one
Firestore transaction before any network is called (scheduled -> publishing),
and only the run that claimed it calls the network and records the outcome. A
delivery that finds nothing to claim does nothing.

Outcomes per target:
- published: the network's post id and URL recorded (a thread cut short keeps
  what went out, with a warning; it is never sent again);
- transient error or rate limit: tried again here after a short backoff with
  jitter (a network's retry-after honoured), then later through a retry task
  (LATER), then failed with what happened;
- token expired: refreshed once and tried again (accounts.calls);
- permanent error: failed, with the network's reason; the others go on;
- no answer after sending (OutcomeUnknown), or a claim whose worker vanished
  (LEASE): unconfirmed, never retried blindly.
The owner is told of every failed, unconfirmed or incomplete target.
"""

import concurrent.futures
import contextvars
import datetime as _dt
import random
import threading
import time
import uuid

from accounts import calls as account_calls
from kernel import clock, db, log, notify
from kernel.collections import POSTS, USERS
from kernel.users import ACTIVE
from platforms.errors import OutcomeUnknown, PartlyPublished, PlatformError, RateLimited, Transient
from posts import content as posts_content
from posts import model as posts_model
from posts import schedule as posts_schedule
from posts import tasks as publish_tasks
from posts.model import CANCELLED, FAILED, PUBLISHED, PUBLISHING, SCHEDULED, TARGET_DONE, UNCONFIRMED, summary_status

EARLY_SLACK = _dt.timedelta(seconds=5)  # clocks differ a little between machines
LEASE = _dt.timedelta(seconds=publish_tasks.DEADLINE_S + 60)  # a claim outliving its task's deadline is lost
QUICK_TRIES = 3  # tries within one delivery
QUICK_BASE_S = 1.0
QUICK_CAP_S = 8.0
QUICK_WAIT_MAX_S = 10.0  # a longer retry-after waits for a later try
LATER = (_dt.timedelta(minutes=2), _dt.timedelta(minutes=10), _dt.timedelta(minutes=30), _dt.timedelta(hours=2))

_slots: dict[str, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _slot(network: str) -> threading.BoundedSemaphore:
    with _slots_lock:
        if network not in _slots:
            import platforms

            # Concurrent publishes per network in one instance (Platform.max_concurrent_publishes).
            _slots[network] = threading.BoundedSemaphore(platforms.get(network).max_concurrent_publishes)
        return _slots[network]


def run(post_id: str, version: int | None = None, *, received_at: _dt.datetime | None = None) -> dict:
    """Publish what is due of the post. `version`: the schedule version the task
    was made for (None: the current one, for the sweeper); `received_at`: when the
    task reached us (kept to measure what the handler adds). Returns what happened."""
    ref = db.doc(POSTS, post_id)
    now = clock.now()
    verdict, claimed, lost, post = _claim(ref, version, now, received_at or now)
    if verdict == "series":
        return _run_series(ref, post, received_at)
    if verdict != "claim":
        return {"outcome": verdict}
    return _publish_claimed(ref, post, claimed, lost)


def publish(ref, received_at: _dt.datetime | None = None) -> dict:
    """Publish what is due of a post whatever its schedule version (a series' occurrence)."""
    now = clock.now()
    verdict, claimed, lost, post = _claim(ref, None, now, received_at or now)
    if verdict != "claim":
        return {"outcome": verdict}
    return _publish_claimed(ref, post, claimed, lost)


def _publish_claimed(ref, post: dict, claimed: list[str], lost: list[str]) -> dict:
    if not claimed and not lost:
        # Another run holds the targets, or none is left to publish (all cancelled by a
        # disconnect, say): the post's status and due time still follow its targets.
        if post.get("status") in (SCHEDULED, PUBLISHING):
            _settle(ref)
        return {"outcome": "nothing_to_claim"}
    outcomes = {aid: {"status": UNCONFIRMED} for aid in lost}
    if len(claimed) == 1 and not lost and _only_one_left(post, claimed[0]):
        # The usual post: one target, or the last one. Nobody else may change its targets
        # now (edits wait while it publishes; the others are done), so its outcome and
        # the post's own status go in one write, with no transaction to read them again.
        [aid] = claimed
        outcomes[aid] = _outcome(ref, post, aid)
        final = _record(ref, post, aid, outcomes[aid])
    else:
        if claimed:
            workers = min(len(claimed), 16)
            with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="publish") as pool:
                # Each worker runs in a copy of this context, so its logs keep the task's request id.
                futures = {aid: pool.submit(contextvars.copy_context().run, _target, ref, post, aid)
                           for aid in claimed}
                for aid, future in futures.items():
                    outcomes[aid] = future.result()
        final = _settle(ref)
    _tell_owner(ref.id, post, outcomes)
    _count_published(post, outcomes)
    log.info("post run", postId=ref.id, status=final.get("status"),
             targets={aid: o["status"] for aid, o in outcomes.items()})
    return {"outcome": final.get("status"), "targets": {aid: o["status"] for aid, o in outcomes.items()}}


def _count_published(post: dict, outcomes: dict) -> None:
    """One product event per network a post went out on (names only, never the text)."""
    from telemetry import product as analytics_product

    for network in sorted({post["targets"][aid].get("network") for aid, o in outcomes.items()
                           if o.get("status") == PUBLISHED}):
        analytics_product.capture(post.get("uid"), analytics_product.POST_PUBLISHED, {"network": network})


def _only_one_left(post: dict, aid: str) -> bool:
    return all(t.get("status") in TARGET_DONE for other, t in (post.get("targets") or {}).items() if other != aid)


def _claim(ref, version: int | None, now: _dt.datetime, received_at: _dt.datetime):
    """One transaction that checks what publishing relies on (the post is there, its
    schedule is the task's version, it is due and not cancelled or paused) and makes
    the due targets ours (publishing); claims whose worker vanished become
    unconfirmed. Returns (verdict, claimed ids, lost ids, post as claimed): the
    verdict is "claim", or the outcome that ends the run (gone, stale, not_due,
    the post's status) or "series" (a series fires its occurrence instead)."""
    def take(tx):
        snap = ref.get(transaction=tx)
        if not snap.exists:
            return "gone", [], [], {}
        post = snap.to_dict()
        if version is not None and post.get("scheduleVersion") != version:
            return "stale", [], [], post
        if post.get("status") not in (SCHEDULED, PUBLISHING):
            return post.get("status"), [], [], post
        at = post.get("scheduledAt")
        if at is None or at > now + EARLY_SLACK:
            return "not_due", [], [], post
        if post.get("recurrence"):
            return "series", [], [], post
        targets = {aid: dict(t) for aid, t in (post.get("targets") or {}).items()}
        due = [aid for aid, t in targets.items() if t.get("status") == SCHEDULED]
        if due and (db.doc(USERS, post.get("uid") or "-").get(transaction=tx).to_dict() or {}).get("status") != ACTIVE:
            # A disabled or deleted account publishes nothing more (policy 7.3, 10), and the
            # sweeper stops looking: its pending targets end cancelled.
            closed = {"status": CANCELLED, "error": "The postr account is closed."}
            changes = {f"targets.{aid}.{k}": v for aid in due for k, v in closed.items()}
            after = {aid: ({**t, **closed} if aid in due else t) for aid, t in targets.items()}
            tx.update(ref, {**changes, **_summary(after), "cancelledReason": "account_closed"})
            return "account_closed", [], [], post
        claimed, lost, changes = [], [], {}
        claim_id = uuid.uuid4().hex
        for aid, t in targets.items():
            retry_at = t.get("retryAt")
            if t.get("status") == SCHEDULED and (retry_at is None or retry_at <= now + EARLY_SLACK):
                claimed.append(aid)
                mine = {"status": PUBLISHING, "claimId": claim_id, "claimedAt": now,
                        "attempts": int(t.get("attempts") or 0) + 1}
            elif t.get("status") == PUBLISHING and t.get("claimedAt") and t["claimedAt"] + LEASE <= now:
                lost.append(aid)
                mine = {"status": UNCONFIRMED, "error": (
                    "postr lost track of this publish while it was under way; it may or may not be on the "
                    "network. Check your profile there before posting it again.")}
            else:
                continue
            t.update(mine)
            changes.update({f"targets.{aid}.{k}": v for k, v in mine.items()})
        if changes:
            changes.update({"status": PUBLISHING, "dueAt": now + LEASE, "updatedAt": now,
                            "lastRun": {"receivedAt": received_at, "claimedAt": now, "claimId": claim_id}})
            tx.update(ref, changes)
        return "claim", claimed, lost, {**post, "targets": targets}

    return db.transaction(take)


def _target(ref, post: dict, aid: str) -> dict:
    """Publish to one account; record and return the outcome fields."""
    result = _outcome(ref, post, aid)
    ref.update({f"targets.{aid}.{k}": v for k, v in result.items()} | {"updatedAt": clock.now()},
               retry=db.record_retry())
    return result


def _outcome(ref, post: dict, aid: str) -> dict:
    """Publish to one account; the outcome fields of its target."""
    target = post["targets"][aid]
    network = target.get("network")
    try:
        result = _attempt(post, aid, network, target)
    except Exception as exc:  # a bug after the network may have been called: do not guess
        log.error("publish crashed", postId=ref.id, accountId=aid, error=type(exc).__name__, detail=str(exc)[:300])
        from telemetry import sentry as analytics_error_tracking

        analytics_error_tracking.capture(exc, where="publisher")
        result = {"status": UNCONFIRMED, "error": "Something went wrong on our side while publishing; it may or may "
                                                  "not be on the network. Check your profile there."}
    result.setdefault("error", None)
    return result


def _record(ref, post: dict, aid: str, result: dict) -> dict:
    """The one target's outcome and the post's status from it, in one write."""
    targets = {**post["targets"], aid: {**post["targets"][aid], **result}}
    changes = {f"targets.{aid}.{k}": v for k, v in result.items()} | _summary(targets)
    ref.update(changes, retry=db.record_retry())
    final = {**post, "targets": targets, **_summary(targets)}
    _queue_retry(ref, final)
    return final


def _attempt(post: dict, aid: str, network: str, target: dict) -> dict:
    content = posts_content.content_for(post, aid, network)
    tries = 0
    with _slot(network):
        while True:
            tries += 1
            try:
                done = account_calls.call_as(aid, lambda platform, tokens: platform.publish(tokens, content))
                return _published(done, content, network, warning=None)
            except PartlyPublished as err:
                # The start of the post is out: it is recorded and never sent again.
                if isinstance(err.cause, OutcomeUnknown):
                    return _unconfirmed(err.cause, err.published)
                return _published(err.published, content, network, warning=err.message)
            except OutcomeUnknown as err:
                return _unconfirmed(err, None)
            except (Transient, RateLimited) as err:
                wait = _quick_wait(err, tries)
                if wait is None:
                    return _later(target, err)
                time.sleep(wait)
            except PlatformError as err:
                return {"status": FAILED, "error": err.message, "failedAt": clock.now()}


def _unconfirmed(err, published) -> dict:
    return {"status": UNCONFIRMED, "error": f"{err.message} postr did not try again, to avoid posting it twice. "
                                            "Check your profile there.", **(_ids(published) if published else {})}


def _quick_wait(err, tries: int) -> float | None:
    """Seconds to wait before trying again in this delivery; None: try later."""
    if tries >= QUICK_TRIES:
        return None
    after = getattr(err, "retry_after", None)
    if after is not None:
        return after + random.uniform(0, 0.25) if after <= QUICK_WAIT_MAX_S else None
    return random.uniform(0, min(QUICK_CAP_S, QUICK_BASE_S * 2 ** (tries - 1)))  # full jitter


def _later(target: dict, err) -> dict:
    deferrals = int(target.get("deferrals") or 0)
    if deferrals >= len(LATER):
        return {"status": FAILED, "failedAt": clock.now(),
                "error": f"{err.message} postr tried {deferrals + 1} times over several hours and gave up."}
    wait = LATER[deferrals].total_seconds()
    after = getattr(err, "retry_after", None)
    wait = max(wait, after or 0) * random.uniform(1.0, 1.2)
    at = clock.now() + _dt.timedelta(seconds=wait)
    return {"status": SCHEDULED, "retryAt": at, "deferrals": deferrals + 1,
            "error": f"{err.message} postr will try again at {at.strftime('%H:%M')} UTC."}


def _ids(done) -> dict:
    return {"postId": done.post_id, "url": done.url, "partIds": list(done.part_ids), "commentId": done.comment_id}


def _published(done, content, network: str, *, warning: str | None) -> dict:
    wanted_parts, wanted_comment = len(content.thread), bool(content.first_comment)
    if warning is None and (len(done.part_ids) < wanted_parts or (wanted_comment and not done.comment_id)):
        warning = "the rest of the thread or the first comment could not be posted"
    result = {"status": PUBLISHED, "publishedAt": clock.now(), "retryAt": None, **_ids(done)}
    if warning:
        result["warning"] = (f"The post is out, but not all of it: {len(done.part_ids)} of {wanted_parts} "
                             f"follow-up parts{' and no first comment' if wanted_comment and not done.comment_id else ''}"
                             f" ({warning}).")
    return result


def _summary(targets: dict) -> dict:
    """The post's own status, next due time and first publish time, from its targets."""
    status = summary_status(targets)
    waiting = [t["retryAt"] for t in targets.values() if t.get("status") == SCHEDULED and t.get("retryAt")]
    leases = [t["claimedAt"] + LEASE for t in targets.values() if t.get("status") == PUBLISHING and t.get("claimedAt")]
    published = [t["publishedAt"] for t in targets.values() if t.get("status") == PUBLISHED and t.get("publishedAt")]
    return {"status": status or PUBLISHING, "dueAt": min(waiting + leases, default=None), "updatedAt": clock.now(),
            "publishedAt": min(published, default=None)}


def _settle(ref) -> dict:
    """The post's own status and next due time from its targets, in one transaction."""
    def settle(tx):
        post = ref.get(transaction=tx).to_dict() or {}
        changes = _summary(post.get("targets") or {})
        tx.update(ref, changes)
        return {**post, **changes}

    final = db.transaction(settle)
    _queue_retry(ref, final)
    return final


def _queue_retry(ref, final: dict) -> None:
    """A later try of the targets waiting for one (a transient error), as its own task."""
    waiting = [t for t in (final.get("targets") or {}).values() if t.get("status") == SCHEDULED and t.get("retryAt")]
    if waiting:
        first = min(waiting, key=lambda t: t["retryAt"])
        try:
            publish_tasks.enqueue_retry(ref.id, final.get("scheduleVersion") or 0, int(first.get("deferrals") or 1),
                                        first["retryAt"])
        except Exception as exc:  # the sweeper finds it by dueAt
            log.warn("retry task not queued; the sweeper will publish it", postId=ref.id, error=type(exc).__name__)


def _tell_owner(post_id: str, post: dict, outcomes: dict) -> None:
    import platforms

    told = {aid: o for aid, o in outcomes.items() if o.get("status") in (FAILED, UNCONFIRMED) or o.get("warning")}
    if not told:
        return  # the usual case: nothing to read, nothing to send
    uid = post.get("uid")
    profile = db.doc(USERS, uid).get()
    emails = ((profile.to_dict() or {}).get("settings") or {}).get("publishEmails", True) if profile.exists else False
    for aid, outcome in told.items():
        status, warning = outcome.get("status"), outcome.get("warning")
        target = post["targets"][aid]
        name = platforms.get(target.get("network")).display_name
        when = posts_schedule.local_view(post.get("scheduledAt"), post.get("timezone"))
        when_text = f" scheduled for {when['local']}" if when else ""
        preview = (post.get("text") or "").strip().replace("\n", " ")[:60]
        if status == FAILED:
            title, kind = f"A post did not go out on {name}", "publish_failed"
            body = f"Your post{when_text} (\"{preview}\") could not be published on {name}: {outcome.get('error')}"
        elif status == UNCONFIRMED:
            title, kind = f"Check your post on {name}", "publish_unconfirmed"
            body = f"We could not confirm your post{when_text} (\"{preview}\") on {name}: {outcome.get('error')}"
        else:
            title, kind = f"Your post on {name} is incomplete", "publish_incomplete"
            body = f"Your post{when_text} (\"{preview}\") is on {name}. {warning}"
        notify.notify(uid, kind=kind, category="transactional", title=title, body=body, email=emails,
                      dedupe_key=f"publish:{post_id}:{aid}:{status}:{bool(warning)}")


# --- recurring series ------------------------------------------------------------


def _run_series(ref, post: dict, received_at: _dt.datetime | None) -> dict:
    """Fire the latest due occurrence of a series as its own post, and move the
    series to its next occurrence. Missed occurrences are counted, not fired."""
    now = clock.now()

    def advance(tx):
        snap = ref.get(transaction=tx)
        current = snap.to_dict() or {}
        if current.get("scheduleVersion") != post.get("scheduleVersion") or current.get("status") != SCHEDULED:
            return None, None, current
        rule = posts_schedule.Recurrence.from_doc(current["recurrence"])
        anchor, tz, start = current["seriesAnchor"], current.get("timezone"), int(current.get("occurrence") or 0)
        k = posts_schedule.latest_due(anchor, tz, rule, start, now + EARLY_SLACK)
        if k is None:
            return None, None, current
        child_ref = db.doc(POSTS, occurrence_id(ref.id, anchor, k))
        child_exists = child_ref.get(transaction=tx).exists
        at = posts_schedule.occurrence(anchor, tz, rule, k)
        if not child_exists:
            tx.create(child_ref, _occurrence_doc(ref.id, current, k, at, now))
        nxt = posts_schedule.occurrence(anchor, tz, rule, k + 1)
        changes = {"updatedAt": now, "missedOccurrences": int(current.get("missedOccurrences") or 0) + (k - start),
                   "lastOccurrence": k}
        if posts_schedule.ends(rule, nxt):
            changes.update({"status": PUBLISHED, "dueAt": None, "seriesEnded": True})
        else:
            version = int(current.get("scheduleVersion") or 0) + 1
            changes.update({"scheduledAt": nxt, "occurrence": k + 1, "scheduleVersion": version, "dueAt": nxt,
                            "enqueueAt": publish_tasks.enqueue_at(nxt)})
        tx.update(ref, changes)
        return child_ref, k, {**current, **changes}

    child_ref, k, after = db.transaction(advance)
    if child_ref is None:
        return {"outcome": "not_due"}
    if (k - int(post.get("occurrence") or 0)) > 0:
        log.info("series ran late; missed occurrences skipped", postId=ref.id, missed=k - int(post.get("occurrence") or 0))
    try:
        # Only the next task is made: the one that fired is the old one (deleting it
        # while it runs could drop its own attempt), and its version is stale now.
        publish_tasks.sync(ref.id, after, None)
    except Exception as exc:  # the sweeper queues it from dueAt
        log.warn("next occurrence not queued yet", postId=ref.id, error=type(exc).__name__)
    result = publish(child_ref, received_at)
    return {**result, "occurrence": k, "postId": child_ref.id}


def occurrence_id(series_id: str, anchor: _dt.datetime, k: int) -> str:
    """The post of a series' k-th occurrence: one per (series, anchor, k), so a rerun
    finds it and a series moved to another first date starts new ones."""
    return f"{series_id}-{int(anchor.timestamp())}-{k}"


def _occurrence_doc(parent_id: str, series: dict, k: int, at: _dt.datetime, now: _dt.datetime) -> dict:
    keep = ("uid", "text", "media", "thread", "firstComment", "link", "overrides", "timezone", "targetAccountIds")
    targets = {aid: {"network": t.get("network"), "status": SCHEDULED}
               for aid, t in (series.get("targets") or {}).items() if t.get("status") != CANCELLED}
    return {**{k_: series.get(k_) for k_ in keep}, "targets": targets, "targetAccountIds": list(targets),
            "status": SCHEDULED, "scheduledAt": at, "dueAt": at, "scheduleVersion": 1, "parentId": parent_id,
            "occurrence": k, "createdAt": now, "updatedAt": now,
            "sortKey": posts_model.sort_key(at, occurrence_id(parent_id, series["seriesAnchor"], k))}

