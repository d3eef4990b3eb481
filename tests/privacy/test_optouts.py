"""Opt-outs (policy 7.4): marketing email and product analytics. Every sender
goes through kernel.notify, which refuses marketing without the opt-in; legal
and transactional notices go whatever the choice. Product analytics asks
kernel.optouts first."""

import ast
import pathlib

from privacy_helpers import owned

from kernel import notify, optouts as privacy_optouts

FUNCTIONS = pathlib.Path(__file__).resolve().parents[2] / "functions"
# Direct sends that do not go through notify(), and why each may: none is marketing.
DIRECT_SENDS = {
    "kernel/notify.py": "the sender itself",
    "privacy/deletion.py": "the deletion receipt, to the address the erased profile had (transactional)",
}


def calls_in(path: pathlib.Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            yield node


def test_email_leaves_only_through_core_notify():
    for path in FUNCTIONS.rglob("*.py"):
        if "venv" in path.parts:
            continue
        where = str(path.relative_to(FUNCTIONS))
        source = path.read_text()
        if where != "kernel/notify.py":
            assert "import resend" not in source and "from resend" not in source, f"{where} talks to Resend itself"
        for call in calls_in(path):
            name = getattr(call.func, "attr", getattr(call.func, "id", ""))
            if name == "send_email":
                assert where in DIRECT_SENDS, f"{where} sends email around notify(): {ast.unparse(call)[:80]}"
            if name == "notify" and isinstance(call.func, ast.Attribute):
                category = next((k.value for k in call.keywords if k.arg == "category"), None)
                assert isinstance(category, ast.Constant) and category.value in notify.CATEGORIES, \
                    f"{where}: every notice names its category literally, so opt-outs can be checked here"


def test_marketing_stops_at_the_opt_out_but_legal_notices_do_not(call, user, db, outbox):
    assert notify.notify(user.uid, kind="newsletter", category="marketing", title="Spring news",
                         body="New features")["reason"] == "opted_out"
    assert notify.notify(user.uid, kind="policy_update", category="legal", title="Policy update",
                         body="Read it")["delivered"]
    assert notify.notify(user.uid, kind="export_ready", category="transactional", title="Export ready",
                         body="Download")["delivered"]
    assert [m["subject"] for m in outbox.sent_to(user["email"])] == ["Policy update", "Export ready"]
    assert sorted(d.get("kind") for d in owned(db, "notifications", user.uid)) == ["export_ready", "policy_update"]

    assert call("update_profile", {"marketingEmails": True}, user.token)[0] == 200
    assert privacy_optouts.marketing_email_allowed(user.uid)
    assert notify.notify(user.uid, kind="newsletter", category="marketing", title="Spring news",
                         body="New features")["delivered"]
    assert call("update_profile", {"marketingEmails": False}, user.token)[0] == 200
    assert notify.notify(user.uid, kind="newsletter", category="marketing", title="Summer news",
                         body="More")["reason"] == "opted_out"
    assert [m["subject"] for m in outbox.sent_to(user["email"])].count("Summer news") == 0


def test_product_analytics_follows_the_persons_choice(call, user, sign_in):
    assert privacy_optouts.product_analytics_allowed(user.uid) is True  # on until the person opts out
    assert call("update_profile", {"productAnalytics": False}, user.token)[0] == 200
    assert privacy_optouts.product_analytics_allowed(user.uid) is False
    assert privacy_optouts.product_analytics_allowed("nobody-at-all") is False
    assert call("update_profile", {"productAnalytics": True}, user.token)[0] == 200
    assert call("delete_account", {"confirm": True}, sign_in(user))[0] == 200
    assert privacy_optouts.product_analytics_allowed(user.uid) is False
    assert privacy_optouts.marketing_email_allowed(user.uid) is False
