"""Retention purge: what it asks of Firestore per 1,000 expired documents, counted.

The official Firestore emulator answers a query by scanning the collection, where
production walks an index, so time measured here says little about production
(measured at 5c754ab: the purge took twice as long when the live data doubled,
though it read exactly what it deleted). Requests and documents are the same on
both, so this counts them (bench/rpc_count.py, a gRPC interceptor):

- seeds 10N live accounts and N accounts deleted more than two years ago, each
  with posts, metric snapshots and AI history; the deleted ones go through
  account deletion's own listing (privacy.deletion._mark_content) and its
  late listing a day later (sweep_late_writes), as production would have done;
- runs privacy.retention.purge() and counts its Firestore requests (queries,
  their pages, commits) and the documents it read and deleted;
- doubles the live data to 20N, seeds N more expired accounts, and counts again.

Prints both runs; the last line is `purge_requests_per_1000 <requests per 1,000
documents deleted, the larger of the two runs>`. Goals: at most 12 requests per
1,000, at most 1.0 document read per document deleted, and neither changing when
the live data doubles.
Usage: python bench/purge.py [N]
"""

import datetime as dt
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT / "tools"), str(ROOT / "bench")]

NOW = dt.datetime(2031, 6, 15, tzinfo=dt.timezone.utc)
EXPIRED_AT = NOW - dt.timedelta(days=2 * 365 + 30)
POSTS, SNAPSHOTS, HISTORY = 5, 4, 10  # per account: posts, metric snapshots per post, AI history entries


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    import signal

    import rpc_count

    import localstack

    rpc_count.install()
    # A stop signal unwinds through `finally`, so the stack's services never outlive the bench.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    with localstack.running(functions=False) as stack:
        os.environ.update(stack.env)
        print(f"Firestore: {stack.firestore_mode}", flush=True)
        run(n)


def account_docs(uid: str, deleted: bool) -> list[tuple[str, str, dict]]:
    """(collection, id, data) of one account; a deleted one's profile is its marker."""
    profile = ({"uid": uid, "status": "deleted", "deletedAt": EXPIRED_AT, "mediaObjects": 0,
                "lateSweepAt": EXPIRED_AT + dt.timedelta(days=1)} if deleted else
               {"uid": uid, "status": "active", "email": f"{uid}@example.com", "plan": "free"})
    docs = [("users", uid, profile)]
    for p in range(POSTS):
        docs.append(("posts", f"{uid}-p{p}", {"uid": uid, "status": "published", "text": "hello " * 20}))
        for s in range(SNAPSHOTS):
            docs.append(("metrics", f"{uid}-p{p}-s{s}", {"uid": uid, "postId": f"{uid}-p{p}", "likes": s,
                                                        "reposts": s, "collectedAt": EXPIRED_AT}))
    for h in range(HISTORY):
        docs.append(("aiHistory", f"{uid}-h{h}", {"uid": uid, "feature": "generate", "model": "openai:gpt-4o-mini",
                                                  "input": {"brief": "a brief " * 10}}))
    return docs


def seed(accounts: int, deleted: bool, tag: str) -> int:
    """Write the accounts' documents; deleted ones are then listed as deletion lists them."""
    from kernel import clock, db
    from privacy import deletion as privacy_deletion

    client = db.client()
    uids = [f"bench-{tag}-{i}-{uuid.uuid4().hex[:6]}" for i in range(accounts)]
    batch, size, written = client.batch(), 0, 0
    for uid in uids:
        for collection, doc_id, data in account_docs(uid, deleted):
            batch.set(client.collection(collection).document(doc_id), data)
            size += 1
            written += 1
            if size == 500:
                batch.commit()
                batch, size = client.batch(), 0
    if size:
        batch.commit()
    if deleted:
        for uid in uids:
            privacy_deletion._mark_content(uid, EXPIRED_AT)
        with clock.frozen(EXPIRED_AT + dt.timedelta(days=1, minutes=1)):
            while privacy_deletion.sweep_late_writes():
                pass
    return written


def counted_purge(label: str) -> float:
    import rpc_count

    from kernel import clock
    from privacy import retention

    rpc_count.RECORDER.clear()
    with clock.frozen(NOW):
        started = time.perf_counter()
        report = retention.purge(dry_run=False, max_deletes=10**9)
        elapsed = time.perf_counter() - started
    assert report["complete"], report
    calls = rpc_count.summary(rpc_count.RECORDER.snapshot())
    deleted = report["total"] - report["media"]
    if not deleted:
        print(f"{label}: nothing to delete; {calls['requests']} Firestore requests {calls['byMethod']}", flush=True)
        return 0.0
    per_1000 = calls["requests"] * 1000 / deleted
    print(f"{label}: {deleted} documents deleted with {calls['requests']} Firestore requests "
          f"{calls['byMethod']} = {per_1000:.1f} per 1,000; {calls['read']} documents read = "
          f"{calls['read'] / deleted:.3f} per document deleted; {calls['written']} writes; "
          f"{elapsed:.2f} s on the emulator", flush=True)
    return per_1000


def run(n: int) -> None:
    per_account = 1 + POSTS * (1 + SNAPSHOTS) + HISTORY
    print(f"N={n} expired accounts, {per_account} documents each (the marker included)", flush=True)
    t = time.perf_counter()
    seed(10 * n, deleted=False, tag="live")
    print(f"seeded {10 * n * per_account} live documents in {time.perf_counter() - t:.1f} s", flush=True)
    counted_purge("warm-up, nothing expired")
    seed(n, deleted=True, tag="a")
    live_10 = counted_purge("purge, 10N live")
    seed(10 * n, deleted=False, tag="live2")
    seed(n, deleted=True, tag="b")
    live_20 = counted_purge("purge, 20N live")
    print(f"purge_requests_per_1000 {max(live_10, live_20):.1f}")


if __name__ == "__main__":
    main()
