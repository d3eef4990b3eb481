"""The sweeper, every minute: publishes what is due and was not (a lost task, a
deferred retry, a claim whose worker vanished), and queues the tasks of posts
now within reach of Cloud Tasks (posts.tasks.HORIZON)."""

import datetime as _dt

from kernel import clock, db, log
from kernel.collections import POSTS
from posts import publisher, tasks as publish_tasks
from posts.model import PUBLISHING, SCHEDULED

GRACE = _dt.timedelta(seconds=30)  # a live task fires on time; the sweeper only catches lost ones
BATCH = 100


def sweep() -> dict:
    """One sweep: {swept, outcomes (post id -> publisher outcome), queued}."""
    import concurrent.futures

    from google.cloud.firestore import FieldFilter, Query

    now = clock.now()
    posts = db.client().collection(POSTS)
    due = list(posts.where(filter=FieldFilter("dueAt", "<=", now - GRACE))
               .order_by("dueAt", direction=Query.ASCENDING).limit(BATCH).stream())
    live = [s for s in due if s.get("status") in (SCHEDULED, PUBLISHING)]
    for s in due:
        if s not in live:  # paused, cancelled...: nothing to publish from it, so the sweeper stops looking
            s.reference.update({"dueAt": None})
    outcomes = {}
    if live:
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(len(live), 8)) as pool:
            outcomes = dict(zip([s.id for s in live], pool.map(lambda s: publisher.run(s.id)["outcome"], live)))
    queued = 0
    for s in posts.where(filter=FieldFilter("enqueueAt", "<=", now)).limit(BATCH).stream():
        publish_tasks.sync_or_leave_to_sweeper(s.id, s.to_dict(), None)
        s.reference.update({"enqueueAt": None})
        queued += 1
    result = {"swept": len(live), "outcomes": outcomes, "queued": queued}
    if live or queued:
        log.info("publish sweep", swept=len(live), queued=queued)
    return result
