"""Fan-out: publishing one post to 10 targets against publishing it to one.

Every target's network (the Mastodon contract fake, tools/fakes/mastodon.py, in
this process) answers a status after 100 ms, as a real network takes its time.
Each round writes a due post and runs the publisher on it the way the task does
(posts.publisher.run: the claim transaction, the publishes, the records, the
settle transaction), one target and ten targets interleaved in one run, against
the stack's Firestore (tools/localstack.Stack(functions=False)), under the same
machine-wide lock the tests take.

Prints the medians and, last, `fanout_ratio <median ten / median one>`.
Goal: at most 1.5 (targets publish concurrently).
Usage: python bench/fanout.py [rounds]
"""

import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT / "tools")]
NETWORK_DELAY_S = 0.1
TARGETS = 10


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    import localstack

    with localstack.running(functions=False) as stack:
        os.environ.update(stack.env)
        os.environ["ALLOW_PRIVATE_HOSTS"] = "true"  # the fake is on loopback
        if "TOKEN_ENCRYPTION_KEYS" not in os.environ:
            from kernel.crypto import Keyring

            os.environ["TOKEN_ENCRYPTION_KEYS"] = Keyring.generate("bench")
        run(rounds)


def run(rounds: int) -> None:
    from accounts import store as account_store
    from fakes.mastodon import MastodonFake
    from kernel import clock, db, users
    from platforms.base import Profile, Tokens
    from posts import model as posts_model, publisher

    class SlowMastodon(MastodonFake):
        def create_status(self, req):
            time.sleep(NETWORK_DELAY_S)
            return super().create_status(req)

    fake = SlowMastodon().start()
    try:
        uid = f"bench-{uuid.uuid4().hex[:12]}"
        db.doc("users", uid).set({**users.new_profile(uid, None, "Bench"), "plan": "business"})
        accounts = []
        for i in range(TARGETS):
            tokens = Tokens(access_token=fake.issue_token(), scopes=["read", "write"], extra={"instance": fake.url})
            profile = Profile(f"acct{i}", f"bench{i}", "Bench", None, None)
            accounts.append(account_store.save(uid, "mastodon", profile, tokens)[0])

        def publish(targets: list[str]) -> float:
            now = clock.now()
            ref = db.client().collection("posts").document()
            ref.set({"uid": uid, "text": f"Fan-out {ref.id}", "status": "scheduled", "scheduledAt": now,
                     "scheduleVersion": 1, "timezone": "UTC", "dueAt": now, "targetAccountIds": targets,
                     "targets": {a: {"network": "mastodon", "status": "scheduled"} for a in targets},
                     "sortKey": posts_model.sort_key(now, ref.id)})
            started = time.perf_counter()
            outcome = publisher.run(ref.id, 1)
            elapsed = time.perf_counter() - started
            assert outcome["outcome"] == "published", outcome
            return elapsed

        publish(accounts[:1]), publish(accounts)  # warm: imports, pooled connections
        one, ten = [], []
        for _ in range(rounds):
            one.append(publish(accounts[:1]))
            ten.append(publish(accounts))
        sent = len(fake.received("POST", r"/api/v1/statuses"))
        assert sent == (rounds + 1) * (TARGETS + 1), sent  # exactly one request per target
    finally:
        fake.stop()
    m1, m10 = statistics.median(one), statistics.median(ten)
    print(f"network answer time:          {NETWORK_DELAY_S * 1000:.0f} ms per status")
    print(f"one target     median {m1 * 1000:7.1f} ms  (p90 {sorted(one)[int(0.9 * len(one)) - 1] * 1000:.1f})")
    print(f"{TARGETS} targets     median {m10 * 1000:7.1f} ms  (p90 {sorted(ten)[int(0.9 * len(ten)) - 1] * 1000:.1f})")
    print(f"rounds {rounds}, one request per target checked")
    print(f"fanout_ratio {m10 / m1:.2f}")


if __name__ == "__main__":
    main()
