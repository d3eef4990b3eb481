"""The Cloud Task of each post schedule, kept in step with the post document.

One task per (post, schedule version), named `post-<id>-v<version>`: an edit of
the time bumps the version, so the old task is deleted and a new one created;
deleting or pausing the post deletes its task; enqueuing the same schedule
twice is one task. `sync(post_id, after, before)` is the one place that does
it: the Firestore trigger on posts calls it for every write, whoever wrote the
post, and the post callables call it too (the offline Firestore stand-in fires
no triggers). Where a task cannot be deleted (the local emulator) the publisher
finds it stale by its version and does nothing.
"""

import datetime as _dt

from kernel import clock, log, settings, tasks

FUNCTION = "publish_post"
# Tasks are made this far ahead at most (Cloud Tasks holds 30 days); the sweeper
# enqueues later posts when they come within reach (ENQUEUE_AT).
HORIZON = tasks.MAX_AHEAD - _dt.timedelta(days=1)
DEADLINE_S = 1800  # the most an HTTP task may run: video uploads


def queue() -> str:
    return settings.POSTS_TASKS_QUEUE.value


def task_id(post_id: str, version: int, retry: int = 0) -> str:
    return f"post-{post_id}-v{version}" + (f"-r{retry}" if retry else "")


def wants_task(post: dict | None) -> bool:
    return bool(post) and post.get("status") == "scheduled" and post.get("scheduledAt") is not None


def enqueue_at(scheduled_at: _dt.datetime | None) -> _dt.datetime | None:
    """When the sweeper must create the task of a post too far ahead for Cloud Tasks."""
    if scheduled_at is None or scheduled_at - clock.now() <= HORIZON:
        return None
    return scheduled_at - HORIZON + _dt.timedelta(hours=1)


def sync(post_id: str, after: dict | None, before: dict | None = None) -> str | None:
    """Make the queue match the post. Returns the task id queued (or found), if any."""
    old = (before or {}).get("scheduleVersion")
    new = (after or {}).get("scheduleVersion")
    # The old task goes when the schedule moved, or the post was deleted, paused, cancelled or
    # made a draft; not when it started publishing (that task is the one running now).
    withdrawn = after is None or after.get("status") in ("draft", "paused", "cancelled")
    if old and wants_task(before) and (old != new or withdrawn):
        tasks.delete(queue(), task_id(post_id, old))
    if not wants_task(after):
        return None
    at = after["scheduledAt"]
    if at - clock.now() > HORIZON:
        return None  # too far for Cloud Tasks; the sweeper makes it at ENQUEUE_AT
    tid = task_id(post_id, new)
    paused_at = (before or {}).get("pausedAt")
    if before and not wants_task(before) and old == new and paused_at is not None:
        # Resumed after a pause (billing): Cloud Tasks keeps a deleted task's name taken for a
        # while, so the resumed schedule's task is named from the pause it ends.
        tid += f"-p{int(paused_at.timestamp())}"
    created = tasks.enqueue(queue(), FUNCTION, {"postId": post_id, "version": new}, task_id=tid,
                            schedule_time=at, deadline_s=DEADLINE_S)
    log.info("publish task queued" if created else "publish task already queued", postId=post_id, version=new)
    return tid


def enqueue_retry(post_id: str, version: int, retry: int, at: _dt.datetime) -> None:
    """A later try of the targets that met a transient error."""
    tasks.enqueue(queue(), FUNCTION, {"postId": post_id, "version": version}, task_id=task_id(post_id, version, retry),
                  schedule_time=at, deadline_s=DEADLINE_S)


def sync_or_leave_to_sweeper(post_id: str, after: dict | None, before: dict | None) -> None:
    """`sync` for a post already saved: a failure is logged, not raised, because the
    sweeper publishes the post from its dueAt (and queues it from enqueueAt) anyway."""
    try:
        sync(post_id, after, before)
    except Exception as exc:  # saved already: the sweeper publishes it from dueAt if no task fires
        log.warn("publish task not synced; the sweeper will catch it", postId=post_id, error=type(exc).__name__)
