"""AI overhead: what postr's code adds around one provider call.

Against an OpenAI-compatible fake (tools/fakes/openai_compat.py, in its own
process) that answers after PROVIDER_LATENCY_S, as a real model takes hundreds
of milliseconds, it runs, interleaved in one run:
- bare: the SDK call our code makes (chat.completions.parse with the same
  messages, schema and token budget), on a client of its own;
- ours: the ai_generate callable's work for one network, from the payload on:
  schema validation, the profile (plan and model) read beside the token hold,
  the same provider call, the charge with its ledger and history entries, the
  network's validate (everything except the platform's token check).
Firestore is the stack's official emulator (tools/localstack.Stack(functions=False)),
started here under the same machine-wide lock the tests take. Its requests
are counted with a gRPC interceptor (bench/rpc_count.py): requests, and
sequential round trips (requests in flight together count once).

Prints the Firestore requests and round trips of one call, the medians, and as
its last line `ai_overhead_ratio <median ours / median bare>`. Goals: at most 2
round trips, a ratio of at most 1.05.
Usage: python bench/ai_overhead.py [calls]
"""

import contextlib
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT / "tools"), str(ROOT / "bench")]
API_KEY = "sk-bench"
PROVIDER_LATENCY_S = 0.3
WARM_UP = 30
PAYLOAD = {"brief": "Our bakery opens a second shop downtown on Monday, with fresh bread from 7am.",
           "networks": ["x"], "tone": "warm", "length": "short"}


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    import rpc_count

    import localstack

    rpc_count.install()
    with localstack.running(functions=False) as stack:
        fake = subprocess.Popen([sys.executable, "-m", "fakes.openai_compat", API_KEY, "0", "openai",
                                 str(PROVIDER_LATENCY_S)], cwd=ROOT / "tools", stdout=subprocess.PIPE, text=True)
        try:
            base_url = fake.stdout.readline().strip()
            os.environ.update(stack.env)
            os.environ.update({"OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": base_url})
            run(calls, base_url)
        finally:
            fake.terminate()
            fake.wait(timeout=10)


def run(calls: int, base_url: str) -> None:
    import openai

    from ai import models as ai_models, prompts as ai_prompts
    from handlers import ai, edge
    from kernel import db, users

    uid = f"bench-{uuid.uuid4().hex[:12]}"
    profile = users.new_profile(uid, "bench@example.com", "Bench")
    db.doc("users", uid).set({**profile, "plan": "business",  # an allowance no run exhausts
                              "onboarding": {"completedAt": None, "birthDate": "1990-01-01"}})

    model = ai_models.get("openai:gpt-4o-mini")
    networks = PAYLOAD["networks"]
    messages = ai_prompts.generate(PAYLOAD["brief"], networks, PAYLOAD["tone"], PAYLOAD["length"], None)
    schema = ai._posts_model(networks)
    bare_client = openai.OpenAI(base_url=base_url, api_key=API_KEY, max_retries=0)

    def bare():
        bare_client.chat.completions.parse(model=model.name, messages=messages, response_format=schema,
                                           max_completion_tokens=ai_prompts.completion_budget(networks), timeout=25)

    def ours():
        # As the edge serves a call: the caller's profile read starts as it arrives.
        result = ai.ai_generate(edge.Caller.arriving(uid), edge.validate(ai.Generate, PAYLOAD))
        assert result["posts"][0]["fits"], result

    import rpc_count

    snap = db.doc("users", uid)
    bare_s, ours_s, read_s, counts = [], [], [], []
    # Our log lines are still written (their cost is ours), only not to the terminal.
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        for _ in range(WARM_UP):  # warm both paths: imports, connections, caches, the emulator's JIT
            bare()
            ours()
        for _ in range(calls):
            bare_s.append(timed(bare))
            rpc_count.RECORDER.clear()
            ours_s.append(timed(ours))
            counts.append(rpc_count.summary(rpc_count.RECORDER.snapshot()))
            read_s.append(timed(snap.get))
    b, o, r = statistics.median(bare_s), statistics.median(ours_s), statistics.median(read_s)
    requests = max(c["requests"] for c in counts)
    rounds = max(c["roundTrips"] for c in counts)
    print(f"calls: {calls} each, interleaved; the provider answers in {PROVIDER_LATENCY_S * 1000:.0f} ms")
    print(f"Firestore per call (the most of any call): {requests} requests {counts[-1]['byMethod']}, "
          f"{rounds} sequential round trips (the profile read runs beside the token hold)")
    waited = statistics.median(c["waitedS"] for c in counts)
    print(f"bare SDK call median: {b * 1000:.2f} ms   ours median: {o * 1000:.2f} ms   "
          f"added: {(o - b) * 1000:.2f} ms, of which waiting on Firestore {waited * 1000:.2f} ms; "
          f"one Firestore read median: {r * 1000:.2f} ms")
    print(f"ai_round_trips {rounds}")
    print(f"ai_overhead_ratio {o / b:.3f}")


if __name__ == "__main__":
    main()
