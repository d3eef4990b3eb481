"""Retention purge: batched and targeted, against deleting one document at a time.

Seeds N accounts deleted and past the two-year window (each with posts, metric
snapshots and AI history, marked the way account deletion marks them) among
10N live accounts with the same data, then times, in one run:
- purge: core.retention.purge() (range query on deletedAt, deletes in batches of 500);
- one by one: deleting another N expired accounts' documents (the same shape and
  count) with one delete request each, the refs known in advance (the baseline
  is not charged for finding them);
- purge again after doubling the live data to 20N accounts, on a fresh N expired:
  the purge reads only what it deletes, so the live data should not matter.
Each is the median of 3 rounds on freshly seeded data, after one warm-up purge.
Firestore is the stack's (tools/localstack.Stack(functions=False)), under the
machine-wide lock the tests take.

Last line: `purge_speedup <one-by-one time / purge time>`. Goal: at least 10.
Usage: python bench/purge.py [N]

Measured here on the Firestore stand-in (N=30): purge_speedup about 1.8 (1.1 to
1.8 over runs on a busy machine), goal not met; doubling the live data: ratio
about 0.9 (the purge read exactly the 1080 documents it deleted both times).
Why, measured: a single delete is a loopback round trip of about 1 ms, while
the stand-in ignores the select([]) projection, so each matched document comes
back whole and the Python client decodes it (about 0.25 ms per document per
query), and a 500-delete commit takes about 50 ms. Against Firestore itself a
single delete costs a network round trip and a projected query returns only
names, which favours the batched purge by a much larger factor; that is not
measured here.
"""

import datetime as dt
import fcntl
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT / "tools")]

NOW = dt.datetime(2031, 6, 15, tzinfo=dt.timezone.utc)
EXPIRED_AT = NOW - dt.timedelta(days=2 * 365 + 30)
POSTS, SNAPSHOTS, HISTORY = 5, 4, 10  # per account: posts, metric snapshots per post, AI history entries


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    import signal

    import localstack

    # A stop signal unwinds through `finally`, so the stack's services never outlive the bench.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    lock = open("/tmp/postr-localstack.lock", "w")
    print("waiting for the local stack lock (a test run may hold it)...", flush=True)
    fcntl.flock(lock, fcntl.LOCK_EX)
    stack = localstack.Stack(functions=False)
    try:
        stack.start()
        os.environ.update(stack.env)
        print(f"Firestore: {stack.firestore_mode}", flush=True)
        run(n)
    finally:
        stack.stop()
        lock.close()


def account_docs(uid: str, deleted: bool) -> list[tuple[str, str, dict]]:
    """(collection, id, data) of one account, marked as deletion marks them when deleted."""
    mark = {"deletedAt": EXPIRED_AT} if deleted else {}
    profile = ({"uid": uid, "status": "deleted", "deletedAt": EXPIRED_AT, "mediaObjects": 0} if deleted else
               {"uid": uid, "status": "active", "email": f"{uid}@example.com", "plan": "free"})
    docs = [("users", uid, profile)]
    for p in range(POSTS):
        docs.append(("posts", f"{uid}-p{p}", {"uid": uid, "status": "published", "text": "hello " * 20, **mark}))
        for s in range(SNAPSHOTS):
            docs.append(("metrics", f"{uid}-p{p}-s{s}", {"uid": uid, "postId": f"{uid}-p{p}", "likes": s,
                                                        "reposts": s, "collectedAt": EXPIRED_AT, **mark}))
    for h in range(HISTORY):
        docs.append(("aiHistory", f"{uid}-h{h}", {"uid": uid, "feature": "generate", "model": "openai:gpt-4o-mini",
                                                  "input": {"brief": "a brief " * 10}, **mark}))
    return docs


def seed(accounts: int, deleted: bool, tag: str) -> list[tuple[str, str]]:
    from core import db

    client = db.client()
    written, batch, size = [], client.batch(), 0
    for i in range(accounts):
        for collection, doc_id, data in account_docs(f"bench-{tag}-{i}-{uuid.uuid4().hex[:6]}", deleted):
            batch.set(client.collection(collection).document(doc_id), data)
            written.append((collection, doc_id))
            size += 1
            if size == 500:
                batch.commit()
                batch, size = client.batch(), 0
    if size:
        batch.commit()
    return written


def timed_purge() -> tuple[float, dict]:
    from core import clock, retention

    with clock.frozen(NOW):
        started = time.perf_counter()
        report = retention.purge(dry_run=False, max_deletes=10**9)
        elapsed = time.perf_counter() - started
    assert report["complete"], report
    return elapsed, report


def one_by_one(refs: list[tuple[str, str]]) -> float:
    from core import db

    client = db.client()
    targets = [client.collection(c).document(d) for c, d in refs]
    started = time.perf_counter()
    for ref in targets:
        ref.delete()
    return time.perf_counter() - started


def run(n: int, rounds: int = 3) -> None:
    import statistics

    per_account = 1 + POSTS * (1 + SNAPSHOTS) + HISTORY
    print(f"N={n} expired accounts, {per_account} documents each; live accounts 10N={10 * n}; "
          f"medians of {rounds} rounds", flush=True)
    t = time.perf_counter()
    seed(10 * n, deleted=False, tag="live")
    print(f"seeded {10 * n * per_account} live documents in {time.perf_counter() - t:.1f} s", flush=True)
    timed_purge()  # warm-up: every collection queried once, nothing to delete

    purges, singles = [], []
    for r in range(rounds):
        seed(n, deleted=True, tag=f"a{r}")
        elapsed, report = timed_purge()
        purges.append(elapsed)
        refs = seed(n, deleted=True, tag=f"b{r}")
        singles.append(one_by_one(refs))
    purge_10, single = statistics.median(purges), statistics.median(singles)
    print(f"purge (10N live): {purge_10:.2f} s for {report['total']} deletions in {report['batches']} batches, "
          f"{report['read']} documents read", flush=True)
    print(f"one by one: {single:.2f} s for {len(refs)} deletions ({single / len(refs) * 1000:.2f} ms each)",
          flush=True)

    seed(10 * n, deleted=False, tag="live2")
    doubled = []
    for r in range(rounds):
        seed(n, deleted=True, tag=f"c{r}")
        elapsed, report_20 = timed_purge()
        doubled.append(elapsed)
    purge_20 = statistics.median(doubled)
    print(f"purge (20N live): {purge_20:.2f} s for {report_20['total']} deletions in {report_20['batches']} batches, "
          f"{report_20['read']} documents read", flush=True)
    print(f"purge_time_ratio_live_doubled {purge_20 / purge_10:.2f}")
    print(f"purge_speedup {single / purge_10:.1f}")


if __name__ == "__main__":
    main()
