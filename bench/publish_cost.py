"""Publish cost: what publishing one target asks of Firestore and Cloud Tasks, counted.

A one-target post, due now, is published the way its Cloud Task runs it
(posts.publisher.run) to the Mastodon contract fake (tools/fakes/mastodon.py, in
this process), against the stack's official Firestore emulator and Cloud Tasks
emulator (tools/localstack.Stack(functions=False)), under the machine-wide lock
the tests take. A gRPC interceptor (bench/rpc_count.py) counts, per run: the
documents read (by queries, gets and transactions), the documents written (each
write of a commit), and the Cloud Tasks requests. Counts, not times: they are
the same on the emulators as in production.

Prints the breakdown and, last, `publish_ops_per_target <reads + writes + task
operations per published target>` (the largest of the runs). Goal: at most 6.
Usage: python bench/publish_cost.py [runs]
"""

import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT / "tools"), str(ROOT / "bench")]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    import rpc_count

    import localstack

    rpc_count.install()
    with localstack.running(functions=False) as stack:
        os.environ.update(stack.env)
        os.environ["ALLOW_PRIVATE_HOSTS"] = "true"  # the fake is on loopback
        if "TOKEN_ENCRYPTION_KEYS" not in os.environ:
            from kernel.crypto import Keyring

            os.environ["TOKEN_ENCRYPTION_KEYS"] = Keyring.generate("bench")
        run(runs)


def run(runs: int) -> None:
    import rpc_count

    from accounts import store as account_store
    from fakes.mastodon import MastodonFake
    from kernel import clock, db, users
    from platforms.base import Profile, Tokens
    from posts import model as posts_model, publisher

    fake = MastodonFake().start()
    try:
        uid = f"bench-{uuid.uuid4().hex[:12]}"
        db.doc("users", uid).set({**users.new_profile(uid, None, "Bench"), "plan": "business"})
        tokens = Tokens(access_token=fake.issue_token(), scopes=["read", "write"], extra={"instance": fake.url})
        account = account_store.save(uid, "mastodon", Profile("acct", "bench", "Bench", None, None), tokens)[0]

        def publish() -> dict:
            now = clock.now()
            ref = db.client().collection("posts").document()
            ref.set({"uid": uid, "text": f"Counted {ref.id}", "status": "scheduled", "scheduledAt": now,
                     "scheduleVersion": 1, "timezone": "UTC", "dueAt": now, "targetAccountIds": [account],
                     "targets": {account: {"network": "mastodon", "status": "scheduled"}},
                     "sortKey": posts_model.sort_key(now, ref.id)})
            rpc_count.RECORDER.clear()
            outcome = publisher.run(ref.id, 1)
            assert outcome["outcome"] == "published", outcome
            calls = rpc_count.RECORDER.snapshot()
            return {"firestore": rpc_count.summary(calls, "Firestore"), "tasks": rpc_count.summary(calls, "CloudTasks")}

        publish()  # warm: imports, pooled connections
        counted = [publish() for _ in range(runs)]
        assert len(fake.received("POST", r"/api/v1/statuses")) == runs + 1  # one status per run
    finally:
        fake.stop()
    worst = max(counted, key=lambda c: c["firestore"]["read"] + c["firestore"]["written"] + c["tasks"]["requests"])
    fs, tasks = worst["firestore"], worst["tasks"]
    ops = fs["read"] + fs["written"] + tasks["requests"]
    print(f"runs {runs}, one target each; the costliest run:")
    print(f"  Firestore: {fs['read']} documents read, {fs['written']} written, in {fs['requests']} requests "
          f"{fs['byMethod']}")
    print(f"  Cloud Tasks: {tasks['requests']} requests {tasks['byMethod']}")
    print(f"publish_ops_per_target {ops}")


if __name__ == "__main__":
    main()
