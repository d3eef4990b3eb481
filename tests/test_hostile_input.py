"""What a careless or hostile caller can send every callable, and what it gets
back: the right refusal, an answer of bounded size, nothing written, never
INTERNAL. Specific cases first, then generated payloads (Hypothesis) for every
callable in main.py."""

import ast
import json
import pathlib

import pytest
from google.cloud.firestore_v1.base_query import FieldFilter
from hypothesis import HealthCheck, given, settings, strategies as st
from test_callable_guard import callable_names

from kernel.collections import USER_DATA

ANSWER_MAX = 16 * 1024


def refused(status: int, body: dict, code: str = "INVALID_ARGUMENT") -> bool:
    return status in (400, 403, 404, 409, 412, 429) and body["error"]["status"] == code


@pytest.mark.parametrize("confirm", [1, 1.0, "true", "yes", [True], {"value": True}, None])
def test_a_deletion_is_confirmed_by_the_literal_true_and_nothing_else(call, user, db, confirm):
    status, body = call("delete_account", {"confirm": confirm}, user.token)
    assert refused(status, body), body
    assert "'confirm': must be true (the JSON literal) to confirm" in body["error"]["message"]
    assert db.collection("users").document(user.uid).get().get("status") == "active"


@pytest.mark.parametrize("name, payload, field", [
    ("create_post", {"text": "hi", "accountIds": ["a1"], "scheduledAt": 1767225600}, "scheduledAt"),
    ("create_post", {"text": "hi", "accountIds": ["a1"], "scheduledAt": "1767225600"}, "scheduledAt"),
    ("list_posts", {"start": 1767225600}, "start"),
    ("list_posts", {"end": 1767225600.5}, "end"),
    ("get_account_analytics", {"accountId": "a1", "start": 20260101}, "start"),
    ("publish_policy_version", {"version": "v9", "summary": "s", "effectiveDate": 1767225600}, "effectiveDate"),
    ("complete_onboarding", {"birthDate": 631152000}, "birthDate"),
])
def test_dates_and_times_are_iso_8601_strings_only(call, user, db, name, payload, field):
    before = db.collection("users").document(user.uid).get().to_dict()
    status, body = call(name, payload, user.token)
    assert status in (400, 403), body
    if status == 400:  # publish_policy_version refuses a non-operator first
        problems = body["error"]["details"]["problems"]
        assert any(p["field"] == field and "ISO 8601 string" in p["message"] for p in problems), body
    assert db.collection("users").document(user.uid).get().to_dict() == before


@pytest.mark.parametrize("name, field", [
    ("list_boards", "accountId"), ("disconnect_account", "accountId"), ("list_pending_choices", "pendingId"),
    ("complete_connection", "pendingId"), ("get_post", "postId"), ("delete_post", "postId"),
    ("publish_now", "postId"), ("duplicate_post", "postId"), ("get_post_analytics", "postId"),
    ("get_account_analytics", "accountId"), ("get_export", "exportId"),
])
@pytest.mark.parametrize("bad", ["posts/abc", "../users", "a/b/c", "", "x" * 129, "id with space", "\u00e9t\u00e9"])
def test_every_id_has_one_pattern_and_a_bad_one_is_invalid_argument(call, user, name, field, bad):
    payload = {field: bad}
    if name == "complete_connection":
        payload["choiceId"] = "123"
    status, body = call(name, payload, user.token)
    assert refused(status, body), (name, bad, body)
    assert any(p["field"] == field for p in body["error"]["details"]["problems"]), body


def test_an_oversize_key_is_quoted_by_its_first_characters_only(call, user):
    key = "k" * 1_000_000
    status, body = call("create_post", {"text": "hi", "accountIds": ["a1"], "overrides": {key: {"text": "x"}}},
                        user.token)
    assert refused(status, body), str(body)[:300]
    assert len(json.dumps(body)) < 2000
    assert "k" * 41 not in json.dumps(body)


def test_ten_thousand_faults_are_listed_twenty_and_counted(call, user):
    status, body = call("create_post", {"text": "hi", "accountIds": ["a/b"] * 50,
                                        **{f"extra{i}": i for i in range(10_000)}}, user.token)
    assert refused(status, body)
    details = body["error"]["details"]
    assert len(details["problems"]) == 20 and details["more"] > 9_000
    assert len(json.dumps(body)) < ANSWER_MAX


# --- generated payloads ---------------------------------------------------------------------

ODD_STRINGS = ["", " ", "a/b", "..", "posts/x", "%2F", "\x00", "\u202e", "\ud7ff", "😀" * 3, "x" * 5000,
               "1990-01-01", "2026-12-01T09:00:00Z", "1767225600", "true", "null", "<script>", "'; drop",
               "https://127.0.0.1/", "mastodon-0123"]

values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63), st.floats(),
              st.text(max_size=40), st.sampled_from(ODD_STRINGS), st.just("y" * 300_000)),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=10) | st.sampled_from(ODD_STRINGS), children,
                                               max_size=4)),
    max_leaves=8,
)


def payloads(schema) -> st.SearchStrategy:
    fields = list(getattr(schema, "model_fields", {}))
    known = {name: values for name in fields}
    return st.one_of(
        st.fixed_dictionaries({}, optional=known),
        st.fixed_dictionaries({}, optional={**known, "unknownField": values}),
        values,  # not even an object
    )


def footprint(db, uid: str) -> dict:
    """Every document that carries the person's uid, with its last update time."""
    seen = {}
    for name, spec in USER_DATA.items():
        if spec.kind == "owned":
            for snap in db.collection(name).where(filter=FieldFilter("uid", "==", uid)).stream():
                seen[f"{name}/{snap.id}"] = snap.update_time
    profile = db.collection("users").document(uid).get()
    seen["users"] = profile.update_time
    return seen


MAIN = pathlib.Path(__file__).resolve().parents[1] / "functions" / "main.py"


def _callables() -> dict[str, tuple[str, str]]:
    """main.py's callables, read from its source (collection must not import it before
    the stack is up): name -> (handlers module, handler)."""
    found = {}
    for node in ast.parse(MAIN.read_text()).body:
        if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call) and getattr(d.func, "id", None) == "on_call" for d in node.decorator_list):
            serve = next(n for n in ast.walk(node) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "_serve")
            found[node.name] = (serve.args[1].value, serve.args[2].value)
    return found


def test_the_source_and_the_module_agree_on_the_callables(main):
    assert sorted(_callables()) == callable_names(main)


@pytest.mark.parametrize("name", sorted(_callables()))
def test_generated_payloads_never_crash_write_or_flood(call, new_user, db, name):
    import importlib

    module, handler = _callables()[name]
    schema = getattr(importlib.import_module(f"handlers.{module}"), handler).schema
    # A call that succeeded may leave work running (an export building, a post publishing),
    # whose writes are not the next call's: after a success the next example is a new person.
    people = [new_user()]

    @settings(max_examples=12, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(payloads(schema))
    def check(data):
        person = people[-1]
        before = footprint(db, person.uid)
        status, body = call(name, data, person.token)
        assert status != 500 and (body.get("error") or {}).get("status") != "INTERNAL", (name, str(data)[:200], body)
        assert len(json.dumps(body)) < ANSWER_MAX, (name, str(data)[:200])
        if status >= 400:
            assert footprint(db, person.uid) == before, (name, str(data)[:200], body)
        else:
            people.append(new_user())

    check()
