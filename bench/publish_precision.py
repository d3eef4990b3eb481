"""Publish precision: how late a scheduled post reaches its network.

On the local stack (tools/localstack.Stack with the Functions emulator), posts
are created through the create_post handler, which queues each one's named task
with its schedule time in the Cloud Tasks emulator; the emulator delivers it to
the Functions emulator's publish_post, which publishes to the Mastodon contract
fake running in this process. Posts are spread SPACING_S apart so the
emulator's one-at-a-time delivery per queue does not queue them behind each
other; one post goes first to warm the workers.

lateness = when the fake receives the status - the post's scheduled time.
handler  = when the fake receives the status - when publish_post received the task
           (the post's lastRun.receivedAt): what our handler adds.
Prints p50/p99 of both and, last, `publish_p99_lateness_s <value>` (goal <= 1.0).
Usage: python bench/publish_precision.py [posts]
"""

import datetime as _dt
import os
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT / "tools")]
UTC = _dt.timezone.utc
SPACING_S = 1.0
LEAD_S = 6.0  # the first measured post is due this long after it is created


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    import localstack

    with localstack.running(functions=True) as stack:
        for values in (stack.params, stack.env, stack.secrets):
            os.environ.update(values)
        run(count)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def run(count: int) -> None:
    from accounts import store as account_store
    from fakes.mastodon import MastodonFake
    from handlers import edge, posts
    from kernel import db, users
    from platforms.base import Profile, Tokens

    arrivals: dict[str, float] = {}
    arrived = threading.Condition()

    class TimedMastodon(MastodonFake):
        def create_status(self, req):
            at = time.time()
            with arrived:
                arrivals.setdefault(self._text(req), at)
                arrived.notify_all()
            return super().create_status(req)

        def _text(self, req) -> str:
            from fakes.mastodon import form

            return form(req).get("status", [""])[0]

    fake = TimedMastodon().start()
    try:
        uid = f"bench-{uuid.uuid4().hex[:12]}"
        db.doc("users", uid).set({**users.new_profile(uid, None, "Bench"), "plan": "business",
                                  "onboarding": {"completedAt": None, "birthDate": "1990-01-01"}})
        tokens = Tokens(access_token=fake.issue_token(), scopes=["read", "write"], extra={"instance": fake.url})
        account, _ = account_store.save(uid, "mastodon", Profile("acct", "bench", "Bench", None, None), tokens)
        caller = edge.Caller.arriving(uid)

        def schedule(text: str, at: _dt.datetime) -> str:
            payload = edge.validate(posts.CreatePost, {"text": text, "accountIds": [account],
                                                       "scheduledAt": at.isoformat()})
            return posts.create_post(caller, payload)["id"]

        def wait_for(texts: set[str], timeout: float) -> None:
            deadline = time.time() + timeout
            with arrived:
                while not texts <= set(arrivals) and time.time() < deadline:
                    arrived.wait(0.2)

        warm = f"warm-up {uuid.uuid4().hex[:6]}"
        schedule(warm, _dt.datetime.now(UTC) + _dt.timedelta(seconds=2))
        wait_for({warm}, 90)
        if warm not in arrivals:
            raise SystemExit("the warm-up post never arrived: is the Functions emulator delivering tasks?")
        time.sleep(1.0)  # its task's response and retries settle
        start = _dt.datetime.now(UTC) + _dt.timedelta(seconds=LEAD_S)
        wanted = {}
        for i in range(count):
            text = f"precision {i} {uuid.uuid4().hex[:6]}"
            at = start + _dt.timedelta(seconds=i * SPACING_S)
            wanted[text] = (schedule(text, at), at)
        wait_for(set(wanted), LEAD_S + count * SPACING_S + 60)
    finally:
        fake.stop()
    missing = [t for t in wanted if t not in arrivals]
    if missing:
        raise SystemExit(f"{len(missing)} of {count} posts never reached the network")
    lateness, handler = [], []
    for text, (post_id, at) in wanted.items():
        lateness.append(arrivals[text] - at.timestamp())
        received = (db.doc("posts", post_id).get().get("lastRun") or {}).get("receivedAt")
        handler.append(arrivals[text] - received.timestamp())
    early = sum(1 for v in lateness if v < 0)
    worst = sorted(range(count), key=lambda i: -lateness[i])[:3]
    print("latest: " + ", ".join(f"post {i}: {lateness[i]:.3f} s (handler {handler[i] * 1000:.0f} ms)" for i in worst))
    print(f"posts {count}, {SPACING_S:.1f} s apart; early (before their time): {early}")
    print(f"lateness  p50 {statistics.median(lateness):6.3f} s   p99 {percentile(lateness, 99):6.3f} s   "
          f"max {max(lateness):6.3f} s")
    print(f"handler   p50 {statistics.median(handler) * 1000:6.1f} ms  p99 {percentile(handler, 99) * 1000:6.1f} ms"
          "  (publish_post's entry to the network request)")
    print(f"publish_p99_lateness_s {percentile(lateness, 99):.3f}")


if __name__ == "__main__":
    main()
