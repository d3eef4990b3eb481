"""AI writing as the person sees it: posts that fit their networks (checked with
the networks' own validate), rewrites, hashtags by the networks' rules, the
model their plan and preference give, bad input refused with nothing metered,
and their AI history."""

import json

import pytest

from platforms import get
from platforms.base import PostContent

LONG_FOR_X = " ".join(["Our bakery opens a second shop downtown next Monday with fresh bread"] * 6)


def schema_properties(request: dict) -> list[str]:
    return list(request["response_format"]["json_schema"]["schema"]["properties"])


def nothing_metered(uid, openai_fake, xai_fake, ledger, counter, history_docs):
    assert openai_fake.completions() == [] and xai_fake.completions() == []
    assert ledger(uid) == [] and history_docs(uid) == []
    assert counter(uid) is None


# --- generate ---------------------------------------------------------------------------


def test_generate_writes_a_post_per_network_that_fits(call, user, openai_fake, ledger, history_docs):
    openai_fake.answer({"x": "Fresh bread downtown from Monday! #bakery", "threads": "We open downtown on Monday."})
    status, body = call("ai_generate", {"brief": "Second shop opens downtown Monday", "networks": ["x", "threads"],
                                        "tone": "warm", "length": "short"}, user.token)
    assert status == 200, body
    result = body["result"]
    assert result["model"] == "openai:gpt-4o-mini"
    assert result["posts"] == [
        {"network": "x", "text": "Fresh bread downtown from Monday! #bakery", "fits": True, "adjustments": [],
         "problems": []},
        {"network": "threads", "text": "We open downtown on Monday.", "fits": True, "adjustments": [],
         "problems": []},
    ]
    [request] = openai_fake.completions()
    assert schema_properties(request) == ["x", "threads"]
    assert "Second shop opens downtown Monday" in request["messages"][-1]["content"]
    assert "at most 280 characters" in request["messages"][0]["content"]
    assert [(e["feature"], e["purpose"]) for e in ledger(user.uid)] == [("generate", "draft")]
    [entry] = history_docs(user.uid)
    assert entry["input"]["brief"] == "Second shop opens downtown Monday"
    assert entry["output"]["posts"] == result["posts"]
    assert result["id"]


def test_a_post_too_long_is_asked_for_again_shorter(call, user, openai_fake, ledger):
    assert get("x").validate(PostContent(text=LONG_FOR_X))  # X refuses the first answer
    openai_fake.answer({"x": LONG_FOR_X, "threads": "Opening Monday."})
    openai_fake.answer({"x": "Second shop downtown, Monday!"})
    status, body = call("ai_generate", {"brief": "Second shop Monday", "networks": ["x", "threads"]}, user.token)
    assert status == 200, body
    x, threads = body["result"]["posts"]
    assert x == {"network": "x", "text": "Second shop downtown, Monday!", "fits": True,
                 "adjustments": ["regenerated"], "problems": []}
    assert threads["adjustments"] == []
    draft, again = openai_fake.completions()
    assert schema_properties(again) == ["x"]  # only the post that did not fit
    assert json.loads(again["messages"][-2]["content"])["x"] == LONG_FOR_X
    assert "X allows 280" in again["messages"][-1]["content"]
    assert [e["purpose"] for e in sorted(ledger(user.uid), key=lambda e: e["purpose"])] == ["draft", "regenerate"]
    assert body["result"]["usage"]["calls"] == 2


def test_still_too_long_is_trimmed_at_a_word_boundary_and_said_so(call, user, openai_fake):
    openai_fake.answer({"x": LONG_FOR_X}, times=2)
    status, body = call("ai_generate", {"brief": "Second shop Monday", "networks": ["x"]}, user.token)
    assert status == 200, body
    [post] = body["result"]["posts"]
    assert post["adjustments"] == ["regenerated", "trimmed"]
    assert post["fits"] is True and post["problems"] == []
    assert post["text"].endswith("\u2026")
    kept = post["text"].removesuffix("\u2026")
    assert LONG_FOR_X.startswith(kept) and LONG_FOR_X[len(kept)] == " "  # whole words only
    assert get("x").validate(PostContent(text=post["text"])) == []


def test_when_asking_again_fails_the_first_answer_is_trimmed_and_only_it_is_charged(call, user, openai_fake,
                                                                                    ledger):
    openai_fake.answer({"x": LONG_FOR_X})
    openai_fake.server_error(500, times=3)
    status, body = call("ai_generate", {"brief": "Second shop Monday", "networks": ["x"]}, user.token)
    assert status == 200, body
    [post] = body["result"]["posts"]
    assert post["adjustments"] == ["trimmed"] and post["fits"] is True
    assert body["result"]["usage"]["calls"] == 1
    assert [e["purpose"] for e in ledger(user.uid)] == ["draft"]


def test_text_that_cannot_fit_is_reported_not_cut_mid_word(call, user, openai_fake):
    one_word = "Bread" * 80  # 400 characters and no word boundary to cut at
    openai_fake.answer({"x": one_word}, times=2)
    status, body = call("ai_generate", {"brief": "bread", "networks": ["x"]}, user.token)
    assert status == 200, body
    [post] = body["result"]["posts"]
    assert post["text"] == one_word
    assert post["fits"] is False and post["adjustments"] == ["regenerated"]
    assert post["problems"][0]["field"] == "text" and "280" in post["problems"][0]["message"]


# --- enhance ----------------------------------------------------------------------------


def test_enhance_applies_a_named_instruction(call, user, openai_fake, history_docs):
    openai_fake.answer("  Our new shop opens on Monday.  ")
    status, body = call("ai_enhance", {"text": "our new shop open monday", "instruction": "fix_grammar"}, user.token)
    assert status == 200, body
    assert body["result"]["text"] == "Our new shop opens on Monday."
    [request] = openai_fake.completions()
    assert "Fix spelling, grammar and punctuation only" in request["messages"][-1]["content"]
    assert "our new shop open monday" in request["messages"][-1]["content"]
    [entry] = history_docs(user.uid)
    assert entry["input"] == {"text": "our new shop open monday", "instruction": "fix_grammar", "network": None}
    assert entry["output"]["text"] == "Our new shop opens on Monday."


def test_enhance_for_a_network_makes_it_fit(call, user, openai_fake):
    openai_fake.answer(LONG_FOR_X)
    openai_fake.answer("Second shop downtown on Monday.")
    status, body = call("ai_enhance", {"text": "We open a second shop", "instruction": "make it exciting",
                                       "network": "x"}, user.token)
    assert status == 200, body
    result = body["result"]
    assert (result["network"], result["text"], result["fits"]) == ("x", "Second shop downtown on Monday.", True)
    assert result["adjustments"] == ["regenerated"]
    first = openai_fake.completions()[0]
    assert "Instruction: make it exciting" in first["messages"][-1]["content"]


# --- hashtags ---------------------------------------------------------------------------


def test_hashtags_are_cleaned_and_unique_whatever_the_case(call, user, openai_fake):
    openai_fake.answer({"hashtags": ["#Coffee", "COFFEE", "Morning Routine", "2024", "cafe_life", "morningroutine",
                                     "Latte!"]})
    status, body = call("ai_hashtags", {"text": "Fresh #coffee every day", "network": "instagram", "count": 5},
                        user.token)
    assert status == 200, body
    assert body["result"]["hashtags"] == ["#MorningRoutine", "#CafeLife", "#Latte"]


def test_threads_gets_one_tag(call, user, openai_fake):
    openai_fake.answer({"hashtags": ["Bakery", "Bread", "Downtown"]})
    status, body = call("ai_hashtags", {"text": "Second shop opens Monday", "network": "threads", "count": 5},
                        user.token)
    assert status == 200, body
    assert body["result"]["hashtags"] == ["#Bakery"]
    assert "Suggest 1 relevant" in openai_fake.completions()[0]["messages"][0]["content"]


def test_instagram_caps_hashtags_at_30_counting_those_in_the_text(call, user, openai_fake, ledger, counter,
                                                                 history_docs, xai_fake):
    full = " ".join(f"#tag{i}" for i in range(30))
    status, body = call("ai_hashtags", {"text": f"Our bread {full}", "network": "instagram"}, user.token)
    assert status == 400
    assert body["error"]["status"] == "FAILED_PRECONDITION"
    assert "at most 30" in body["error"]["message"]
    nothing_metered(user.uid, openai_fake, xai_fake, ledger, counter, history_docs)

    openai_fake.answer({"hashtags": ["Bread", "Bakery", "Downtown", "Monday"]})
    almost = " ".join(f"#tag{i}" for i in range(28))
    status, body = call("ai_hashtags", {"text": f"Our bread {almost}", "network": "instagram", "count": 5},
                        user.token)
    assert status == 200, body
    assert body["result"]["hashtags"] == ["#Bread", "#Bakery"]


def test_hashtags_that_would_push_a_post_past_its_limit_are_dropped_and_listed(call, user, openai_fake):
    text = "x" * 260
    openai_fake.answer({"hashtags": ["Bread", "Bakery", "Downtown"]})
    status, body = call("ai_hashtags", {"text": text, "network": "x", "count": 3}, user.token)
    assert status == 200, body
    result = body["result"]
    assert result["hashtags"] == ["#Bread", "#Bakery"] and result["dropped"] == ["#Downtown"]
    assert get("x").validate(PostContent(text=f"{text}\n\n#Bread #Bakery")) == []


# --- models, plans and bad input ----------------------------------------------------------


def test_the_preferred_model_is_used_when_the_plan_has_it(call, user, set_profile, openai_fake, xai_fake, ledger):
    set_profile(user.uid, plan="pro", **{"settings.preferredAiModel": "xai:grok-4.3"})
    xai_fake.answer("Hello there.")
    status, body = call("ai_enhance", {"text": "hello", "instruction": "friendlier"}, user.token)
    assert status == 200, body
    assert body["result"]["model"] == "xai:grok-4.3"
    assert openai_fake.completions() == [] and len(xai_fake.completions()) == 1
    assert xai_fake.received()[0].headers["authorization"] == f"Bearer {xai_fake.api_key}"
    assert [e["provider"] for e in ledger(user.uid)] == ["xai"]


@pytest.mark.parametrize("name, payload, fragment", [
    ("ai_generate", {"brief": "   ", "networks": ["x"]}, "'brief': string should have at least 1 character"),
    ("ai_generate", {"brief": "b" * 2001, "networks": ["x"]}, "'brief': string should have at most 2000"),
    ("ai_generate", {"brief": "hi", "networks": ["myspace"]}, "unknown network 'myspace'"),
    ("ai_generate", {"brief": "hi", "networks": []}, "'networks'"),
    ("ai_generate", {"brief": "hi", "networks": ["x"], "model": "openai:gpt-9"}, "unknown model 'openai:gpt-9'"),
    ("ai_generate", {"brief": "hi", "networks": ["x"], "uid": "someone-else"}, "Unknown field 'uid'"),
    ("ai_generate", {"brief": "hi", "networks": ["x"], "length": "epic"}, "'length'"),
    ("ai_enhance", {"text": "", "instruction": "shorter"}, "'text'"),
    ("ai_enhance", {"text": "t" * 5001, "instruction": "shorter"}, "at most 5000"),
    ("ai_enhance", {"text": "hi"}, "'instruction' is required"),
    ("ai_hashtags", {"text": "hi", "network": "myspace"}, "unknown network 'myspace'"),
    ("ai_hashtags", {"text": "hi", "network": "x", "count": 31}, "'count'"),
])
def test_bad_input_is_refused_and_nothing_is_metered(call, user, openai_fake, xai_fake, ledger, counter,
                                                     history_docs, name, payload, fragment):
    status, body = call(name, payload, user.token)
    assert status == 400
    assert body["error"]["status"] == "INVALID_ARGUMENT"
    assert fragment in body["error"]["message"]
    nothing_metered(user.uid, openai_fake, xai_fake, ledger, counter, history_docs)


def test_a_model_outside_the_plan_is_refused_and_nothing_is_metered(call, user, openai_fake, xai_fake, ledger,
                                                                   counter, history_docs):
    status, body = call("ai_generate", {"brief": "hi", "networks": ["x"], "model": "xai:grok-4.3"}, user.token)
    assert status == 403
    error = body["error"]
    assert error["status"] == "PERMISSION_DENIED"
    assert "free plan does not include Grok 4.3" in error["message"]
    assert error["details"] == {"reason": "model_not_in_plan", "model": "xai:grok-4.3",
                                "allowed": ["openai:gpt-4o-mini"]}
    nothing_metered(user.uid, openai_fake, xai_fake, ledger, counter, history_docs)


def test_a_preferred_model_outside_the_plan_says_where_to_change_it(call, user, set_profile, openai_fake, xai_fake,
                                                                   ledger, counter, history_docs):
    set_profile(user.uid, **{"settings.preferredAiModel": "xai:grok-4.3"})
    status, body = call("ai_hashtags", {"text": "hi", "network": "x"}, user.token)
    assert status == 403
    assert "in your settings" in body["error"]["message"]
    nothing_metered(user.uid, openai_fake, xai_fake, ledger, counter, history_docs)


def test_a_provider_without_a_key_is_unavailable_and_nothing_is_metered(call, user, set_profile, monkeypatch,
                                                                       openai_fake, xai_fake, ledger, counter,
                                                                       history_docs):
    set_profile(user.uid, plan="pro")
    monkeypatch.delenv("XAI_API_KEY")
    status, body = call("ai_enhance", {"text": "hi", "instruction": "shorter", "model": "xai:grok-4.3"}, user.token)
    assert status == 503
    assert body["error"]["details"]["reason"] == "provider_not_configured"
    nothing_metered(user.uid, openai_fake, xai_fake, ledger, counter, history_docs)


def test_signed_out_callers_are_refused(call):
    status, body = call("ai_generate", {"brief": "hi", "networks": ["x"]})
    assert status == 401


# --- history ----------------------------------------------------------------------------


def test_history_lists_the_callers_requests_newest_first_page_by_page(call, user, new_user, openai_fake):
    for i in range(3):
        openai_fake.answer(f"Version {i}.")
        assert call("ai_enhance", {"text": f"text {i}", "instruction": "shorter"}, user.token)[0] == 200
    openai_fake.answer({"hashtags": ["Bread"]})
    assert call("ai_hashtags", {"text": "bread", "network": "x"}, user.token)[0] == 200

    status, body = call("ai_history", {"limit": 3}, user.token)
    assert status == 200, body
    first = body["result"]
    assert [i["feature"] for i in first["items"]] == ["hashtags", "enhance", "enhance"]
    assert [i["input"].get("text") for i in first["items"]] == ["bread", "text 2", "text 1"]
    assert first["items"][1]["output"]["text"] == "Version 2."
    assert first["nextCursor"]
    status, body = call("ai_history", {"limit": 3, "before": first["nextCursor"]}, user.token)
    second = body["result"]
    assert [i["input"]["text"] for i in second["items"]] == ["text 0"]
    assert second["nextCursor"] is None

    status, body = call("ai_history", {"feature": "hashtags"}, user.token)
    assert [i["output"]["hashtags"] for i in body["result"]["items"]] == [["#Bread"]]
    stranger = new_user()
    status, body = call("ai_history", {}, stranger.token)
    assert body["result"] == {"items": [], "nextCursor": None}


def test_a_malformed_history_cursor_is_refused(call, user):
    status, body = call("ai_history", {"before": "2026-01-01; drop"}, user.token)
    assert status == 400 and body["error"]["status"] == "INVALID_ARGUMENT"


def test_a_caption_for_instagram_is_judged_on_its_words_not_on_missing_media(call, user, openai_fake, ledger):
    # Instagram's validate also says a post needs an image; AI writes only the caption.
    openai_fake.answer({"instagram": "Our second shop opens Monday #bakery"})
    status, body = call("ai_generate", {"brief": "Second shop opens Monday", "networks": ["instagram"]}, user.token)
    assert status == 200, body
    assert body["result"]["posts"] == [{"network": "instagram", "text": "Our second shop opens Monday #bakery",
                                        "fits": True, "adjustments": [], "problems": []}]
    assert len(ledger(user.uid)) == 1  # no second, "shorter" call was made
