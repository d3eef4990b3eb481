"""Retention purge: batched and targeted, against deleting one document at a time.

Seeds N accounts deleted and past the two-year window (each with posts, metric
snapshots and AI history, marked the way account deletion marks them) among
10N live accounts with the same data, then times, in one run:
- purge: core.retention.purge() (range query on deletedAt, deletes in batches of 500);
- one by one: the same documents (the same N accounts seeded again, identical ids
  and data) deleted with one delete request each, the refs known in advance (the
  baseline is not charged for finding them); the two alternate which goes first
  from round to round, since the stand-in keeps deleted documents' slots and
  slows a little as a run goes on;
- purge again after doubling the live data to 20N accounts, on a fresh N expired:
  the purge reads only what it deletes, so the live data should not matter.
Each is the median of 3 rounds on freshly seeded data, after one warm-up purge.
Firestore is the stack's (tools/localstack.Stack(functions=False)), under the
machine-wide lock the tests take.

Last line: `purge_speedup <one-by-one time / purge time>`. Goal: at least 10.
Usage: python bench/purge.py [N]

Measured here on the Firestore stand-in (N=30, 2026-11-30): purge_speedup about
2 (goal 10, not met); doubling the live data: time ratio about 1.4-1.6 (the
stand-in scans a whole collection for every query). Why 10 is out of reach on
the stand-in, measured with 10N live accounts:
- a single delete is a loopback round trip of 0.86-0.92 ms;
- a commit of 500 deletes takes about 36 ms (0.073 ms per document), so even a
  purge that found its documents for free would be at most about 12 times faster;
- finding them costs more than deleting them: the stand-in ignores the
  select([]) projection and streams every matched document whole, one gRPC
  message each; 500 of them take 105-135 ms through the client (0.21-0.27 ms per
  document; 63 ms even reading only the names through the raw GAPIC call);
- every query scans its whole collection: a range query on `metrics` costs 4-5
  ms before it returns anything, a `uid in [30 uids]` query about 30 ms (the
  stand-in converts the 30 values again for every document), about 70 ms per 30
  accounts over all content collections;
- commits sent concurrently (4 in flight, tried) gain nothing: the stand-in is
  one Node thread and the client's decoding holds the GIL.
So a purge that queries for what it deletes is bounded near 0.9 / (0.073 +
0.21) = 3.2 here. Against Firestore itself a projected query returns names only
and its cost follows the results, not the collection, which favours the batched
purge by a much larger factor; that is not measured here.
"""

import datetime as dt
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
    with localstack.running(functions=False) as stack:
        os.environ.update(stack.env)
        print(f"Firestore: {stack.firestore_mode}", flush=True)
        run(n)


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


def new_uids(accounts: int, tag: str) -> list[str]:
    return [f"bench-{tag}-{i}-{uuid.uuid4().hex[:6]}" for i in range(accounts)]


def seed(accounts: int, deleted: bool, tag: str, uids: list[str] | None = None) -> list[tuple[str, str]]:
    """Write the accounts' documents; the same uids write the same documents again."""
    from core import db

    client = db.client()
    written, batch, size = [], client.batch(), 0
    for uid in uids or new_uids(accounts, tag):
        for collection, doc_id, data in account_docs(uid, deleted):
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
        uids = new_uids(n, f"a{r}")
        for purging in ((True, False) if r % 2 == 0 else (False, True)):
            refs = seed(n, deleted=True, tag="", uids=uids)
            if purging:
                elapsed, report = timed_purge()
                purges.append(elapsed)
            else:
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
