"""Metering of AI calls (policy 8.1): every call in the ledger with tokens the
fakes' word counts let us check by hand, the monthly counter equal to the sum of
the ledger, the plan's limit holding under concurrent calls, and failures that
cost nothing."""

import datetime as dt
import json
import threading
import time

import pytest

from kernel import clock

NOW = dt.datetime(2026, 11, 15, 12, 0, tzinfo=dt.timezone.utc)
FREE_LIMIT = 50_000


def words(text) -> int:
    return len(text.split()) if text else 0


def nothing_held(month: dict) -> bool:
    """No call holds any of the allowance: every hold was settled or released."""
    return all(v == 0 for v in (month.get("held") or {}).values())


def prompt_words(request: dict) -> int:
    return sum(words(m["content"]) for m in request["messages"])


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen(NOW):
        yield


def test_every_call_is_in_the_ledger_and_the_month_equals_its_sum(call, user, set_profile, openai_fake, xai_fake,
                                                                    ledger, counter):
    set_profile(user.uid, plan="pro")
    tags = {"hashtags": ["Coffee", "Morning"]}
    openai_fake.answer(tags)
    status, tagged = call("ai_hashtags", {"text": "Fresh coffee every morning at our cafe", "network": "x",
                                          "count": 2}, user.token)
    assert status == 200, tagged
    rewrite = "Come by for a fresh cup every morning, friends!"
    xai_fake.answer(rewrite)
    status, enhanced = call("ai_enhance", {"text": "Coffee is served daily.", "instruction": "friendlier",
                                           "model": "xai:grok-4.3"}, user.token)
    assert status == 200, enhanced

    entries = ledger(user.uid)
    assert len(entries) == 2
    by_provider = {e["provider"]: e for e in entries}
    [openai_request], [xai_request] = openai_fake.completions(), xai_fake.completions()

    o = by_provider["openai"]
    assert (o["model"], o["feature"], o["purpose"]) == ("openai:gpt-4o-mini", "hashtags", "draft")
    assert o["promptTokens"] == prompt_words(openai_request)
    assert o["completionTokens"] == words(json.dumps(tags)) == 3
    assert o["totalTokens"] == o["promptTokens"] + 3
    # gpt-4o-mini: $0.15 / $0.60 per 1M tokens = 150 / 600 nano-dollars a token
    assert o["costNanoUsd"] == o["promptTokens"] * 150 + 3 * 600

    x = by_provider["xai"]
    assert (x["model"], x["feature"], x["providerModel"]) == ("xai:grok-4.3", "enhance", "grok-4.3")
    assert x["promptTokens"] == prompt_words(xai_request)
    # xAI bills reasoning as output though it reports it outside completion_tokens
    assert x["reasoningTokens"] == xai_fake.reasoning_tokens
    assert x["completionTokens"] == words(rewrite) + xai_fake.reasoning_tokens
    assert x["costNanoUsd"] == x["promptTokens"] * 1250 + x["completionTokens"] * 2500
    assert xai_request["reasoning_effort"] == "low"

    month = counter(user.uid)
    assert month["tokens"] == sum(e["totalTokens"] for e in entries)
    assert month["promptTokens"] == sum(e["promptTokens"] for e in entries)
    assert month["completionTokens"] == sum(e["completionTokens"] for e in entries)
    assert month["costNanoUsd"] == sum(e["costNanoUsd"] for e in entries)
    assert month["calls"] == 2
    assert nothing_held(month)
    # and what each answer told the person
    assert tagged["result"]["usage"]["totalTokens"] == o["totalTokens"]
    assert enhanced["result"]["allowance"] == {"used": month["tokens"], "limit": 1_000_000,
                                               "resetsAt": "2026-12-01T00:00:00Z"}


def test_a_reservation_covers_the_calls_real_tokens(call, user, openai_fake, ledger):
    openai_fake.answer("A much better sentence for the post.")
    status, body = call("ai_enhance", {"text": "a sentense for the post", "instruction": "fix_grammar"}, user.token)
    assert status == 200, body
    [entry] = ledger(user.uid)
    assert entry["totalTokens"] <= entry["reservedTokens"]


@pytest.mark.parametrize("script, error_status, requests", [
    (lambda f: f.server_error(500, times=5), "UNAVAILABLE", 3),
    (lambda f: f.server_error(503, times=5), "UNAVAILABLE", 3),
    (lambda f: f.stall(5, times=5), "UNAVAILABLE", 3),
    (lambda f: f.rate_limited(retry_after=None, times=5), "UNAVAILABLE", 3),
    (lambda f: f.quota_exhausted(), "UNAVAILABLE", 1),
    (lambda f: f.policy_violation("invalid_prompt"), "INVALID_ARGUMENT", 1),
    (lambda f: f.policy_violation("content_policy_violation"), "INVALID_ARGUMENT", 1),
], ids=["500", "503", "timeout", "429", "quota", "invalid_prompt", "content_policy"])
def test_a_call_the_provider_did_not_bill_costs_nothing(call, user, openai_fake, ledger, counter, history_docs,
                                                        script, error_status, requests):
    script(openai_fake)
    status, body = call("ai_hashtags", {"text": "Our new bakery opens Monday", "network": "x"}, user.token)
    assert body["error"]["status"] == error_status, body
    assert len(openai_fake.completions()) == requests  # retried a bounded number of times, or not at all
    assert ledger(user.uid) == []
    assert history_docs(user.uid) == []
    month = counter(user.uid)
    assert month["tokens"] == 0 and nothing_held(month)


@pytest.mark.parametrize("script, error_status, outcome", [
    (lambda f: f.refuse(), "INVALID_ARGUMENT", "refused"),
    (lambda f: f.answer("this is not json"), "UNAVAILABLE", "answer_unreadable"),
    (lambda f: f.answer({"hashtags": ["w"] * 300}), "UNAVAILABLE", "answer_cut_off"),
    (lambda f: f.answer({"tags": []}), "UNAVAILABLE", "answer_unreadable"),
], ids=["refusal", "broken_schema", "cut_off", "wrong_shape"])
def test_an_answer_the_provider_billed_is_metered_though_it_was_of_no_use(call, user, openai_fake, ledger, counter,
                                                                          history_docs, script, error_status, outcome):
    """Policy 8.1: every call the provider billed is in the ledger with its tokens and
    outcome, and counts toward the plan's allowance; no history entry (nothing came back)."""
    script(openai_fake)
    status, body = call("ai_hashtags", {"text": "Our new bakery opens Monday", "network": "x"}, user.token)
    assert body["error"]["status"] == error_status, body
    [request] = openai_fake.completions()
    [entry] = ledger(user.uid)
    assert entry["outcome"] == outcome and entry["feature"] == "hashtags"
    assert entry["promptTokens"] == prompt_words(request) > 0
    assert entry["totalTokens"] == entry["promptTokens"] + entry["completionTokens"]
    assert entry["costNanoUsd"] == entry["promptTokens"] * 150 + entry["completionTokens"] * 600
    month = counter(user.uid)
    assert month["tokens"] == entry["totalTokens"] and month["calls"] == 1 and nothing_held(month)
    assert history_docs(user.uid) == []


def test_a_plain_answer_cut_off_by_its_token_budget_is_not_passed_on(call, user, openai_fake, ledger, counter):
    openai_fake.answer(" ".join(["word"] * 400))  # more than the 256 tokens a short text's rewrite may take
    status, body = call("ai_enhance", {"text": "hello", "instruction": "longer"}, user.token)
    assert status == 503
    assert body["error"]["details"] == {"reason": "answer_cut_off"}
    assert openai_fake.completions()[0]["max_completion_tokens"] == 256
    [entry] = ledger(user.uid)  # cut off at the budget: billed for the 256 tokens written
    assert entry["outcome"] == "answer_cut_off" and entry["completionTokens"] == 256
    assert counter(user.uid)["tokens"] == entry["totalTokens"]


def test_retries_are_bounded_then_unavailable_with_a_message(call, user, openai_fake):
    openai_fake.server_error(500, times=10)
    status, body = call("ai_enhance", {"text": "hello", "instruction": "shorter"}, user.token)
    assert status == 503
    assert body["error"]["message"] == "GPT-4o mini had a temporary problem. Please try again."
    assert body["error"]["details"]["attempts"] == 3
    assert len(openai_fake.completions()) == 3


def test_a_policy_refusal_tells_the_person_to_rephrase(call, user, openai_fake):
    openai_fake.policy_violation()
    status, body = call("ai_enhance", {"text": "hello", "instruction": "shorter"}, user.token)
    assert status == 400
    assert "content policy" in body["error"]["message"] and "Rephrase" in body["error"]["message"]


def test_a_rate_limit_with_a_short_retry_after_is_waited_out(call, user, openai_fake, ledger):
    openai_fake.rate_limited(retry_after=1)
    openai_fake.answer("Shorter text.")
    started = time.monotonic()
    status, body = call("ai_enhance", {"text": "A longer text than needed", "instruction": "shorter"}, user.token)
    assert status == 200, body
    assert body["result"]["text"] == "Shorter text."
    assert len(openai_fake.completions()) == 2
    assert time.monotonic() - started >= 1  # Retry-After was honoured, not ignored
    assert len(ledger(user.uid)) == 1


def test_a_long_retry_after_is_not_waited_for(call, user, openai_fake, counter):
    openai_fake.rate_limited(retry_after=30)
    status, body = call("ai_enhance", {"text": "hello", "instruction": "shorter"}, user.token)
    assert status == 503
    assert body["error"]["details"]["retryAfterS"] == 30
    assert len(openai_fake.completions()) == 1
    assert counter(user.uid)["tokens"] == 0


def test_over_the_limit_is_refused_with_when_the_allowance_resets(call, user, db, openai_fake, ledger):
    with clock.frozen(dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.timezone.utc)):
        db.collection("aiUsageMonthly").document(f"{user.uid}_2026-12").set(
            {"uid": user.uid, "month": "2026-12", "tokens": FREE_LIMIT - 10})
        status, body = call("ai_enhance", {"text": "hello", "instruction": "shorter"}, user.token)
        assert status == 429
        error = body["error"]
        assert error["status"] == "RESOURCE_EXHAUSTED"
        assert "resets on 2027-01-01T00:00:00Z" in error["message"]
        assert error["details"]["resetsAt"] == "2027-01-01T00:00:00Z"
        assert error["details"]["used"] == FREE_LIMIT - 10 and error["details"]["limit"] == FREE_LIMIT
        assert openai_fake.completions() == []
    with clock.frozen(dt.datetime(2027, 1, 1, 0, 0, 1, tzinfo=dt.timezone.utc)):
        openai_fake.answer("Hi.")
        status, body = call("ai_enhance", {"text": "hello", "instruction": "shorter"}, user.token)
        assert status == 200, body
        assert body["result"]["allowance"]["resetsAt"] == "2027-02-01T00:00:00Z"
    assert [e["month"] for e in ledger(user.uid)] == ["2027-01"]


def test_concurrent_calls_at_the_limit_never_pass_it(call, user, db, openai_fake, ledger, counter):
    payload = {"text": "Weekend market: fresh bread, cheese and flowers", "network": "x", "count": 3}
    openai_fake.answer({"hashtags": ["Market", "Bread", "Flowers"]}, times=11)
    status, body = call("ai_hashtags", payload, user.token)
    assert status == 200, body
    [first] = ledger(user.uid)
    reserve = first["reservedTokens"]  # the same payload reserves the same amount every time
    # Leave room for three reservations and a half: three calls may run, not a fourth.
    seeded = FREE_LIMIT - 3 * reserve - reserve // 2
    db.collection("aiUsageMonthly").document(f"{user.uid}_2026-11").update({"tokens": seeded})

    openai_fake.hold()  # answers wait, so every call reserves before any settles
    statuses: list[int] = []

    def one():
        statuses.append(call("ai_hashtags", payload, user.token)[0])

    threads = [threading.Thread(target=one) for _ in range(10)]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(statuses) + len(openai_fake.completions()) - 1 < 10:
            time.sleep(0.05)
        refused_before_release = len(statuses)
        reached_provider = len(openai_fake.completions()) - 1
    finally:
        openai_fake.release()
        for t in threads:
            t.join(timeout=60)
    assert (reached_provider, refused_before_release) == (3, 7)
    assert sorted(statuses) == [200] * 3 + [429] * 7
    entries = ledger(user.uid)
    assert len(entries) == 4 and {e["totalTokens"] for e in entries} == {first["totalTokens"]}
    month = counter(user.uid)
    assert month["tokens"] == seeded + 3 * first["totalTokens"] <= FREE_LIMIT
    assert nothing_held(month)
