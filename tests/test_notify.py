"""Notifications: in-app plus email through Resend (a loopback stand-in), and the
opt-outs of policy 7.4: transactional and legal notices always go, marketing only
to people who opted in."""

import os

import pytest

from kernel import notify


def notifications_of(db, uid):
    from google.cloud.firestore import FieldFilter

    return [d.to_dict() for d in db.collection("notifications").where(filter=FieldFilter("uid", "==", uid)).stream()]


def test_transactional_notice_goes_in_app_and_by_email(user, db, outbox):
    result = notify.notify(user.uid, kind="post_failed", category="transactional",
                           title="A post could not be published", body="Reconnect your X account.")
    assert result["delivered"] and result["email"]["status"] == "sent"
    [note] = notifications_of(db, user.uid)
    assert note["title"] == "A post could not be published"
    assert note["read"] is False and note["email"]["status"] == "sent"
    [mail] = outbox.sent_to(user["email"])
    assert mail["subject"] == "A post could not be published"
    assert mail["text"] == "Reconnect your X account."
    assert mail["id"] == result["email"]["id"]


def test_marketing_needs_an_opt_in(call, user, db, outbox):
    result = notify.notify(user.uid, kind="newsletter", category="marketing", title="News", body="Hello")
    assert result == {"delivered": False, "reason": "opted_out"}
    assert notifications_of(db, user.uid) == []
    assert outbox.sent_to(user["email"]) == []

    assert call("update_profile", {"marketingEmails": True}, user.token)[0] == 200
    result = notify.notify(user.uid, kind="newsletter", category="marketing", title="News", body="Hello")
    assert result["delivered"]
    assert len(outbox.sent_to(user["email"])) == 1


def test_legal_notices_ignore_the_marketing_opt_out(user, outbox):
    result = notify.notify(user.uid, kind="policy_update", category="legal",
                           title="Our privacy policy changed", body="Read what changed.")
    assert result["delivered"]
    assert [m["subject"] for m in outbox.sent_to(user["email"])] == ["Our privacy policy changed"]


def test_a_dedupe_key_sends_once(user, db, outbox):
    for _ in range(3):
        notify.notify(user.uid, kind="reconnect", category="transactional", title="Reconnect X",
                      body="Your X account needs reconnecting.", dedupe_key="reconnect:x:123")
    assert len(notifications_of(db, user.uid)) == 1
    assert len(outbox.sent_to(user["email"])) == 1


def test_an_email_failure_keeps_the_in_app_notice(user, db, outbox):
    outbox.fail_next(500)
    result = notify.notify(user.uid, kind="x", category="transactional", title="T", body="B")
    assert result["email"]["status"] == "failed"
    [note] = notifications_of(db, user.uid)
    assert note["email"]["status"] == "failed"
    assert outbox.sent_to(user["email"]) == []


def test_unconfigured_email_is_reported_not_faked(user, db, outbox, monkeypatch):
    monkeypatch.delenv("RESEND_API_KEY")
    result = notify.notify(user.uid, kind="x", category="transactional", title="T", body="B")
    assert result["email"] == {"status": "not_configured"}
    assert outbox.sent_to(user["email"]) == []


def test_nobody_is_notified_without_a_profile(db, outbox):
    assert notify.notify("no-such-user", kind="x", category="legal", title="T", body="B") == {
        "delivered": False, "reason": "no_profile"}


def test_unknown_category_is_a_programming_error(user):
    with pytest.raises(ValueError):
        notify.notify(user.uid, kind="x", category="spam", title="T", body="B")


def test_operator_mail_goes_to_the_operator_address(outbox, stack):
    import uuid

    subject = f"Support request {uuid.uuid4().hex[:8]}"  # the outbox is shared by the whole run
    result = notify.notify_operator(subject, "Someone needs help.")
    assert result["status"] == "sent"
    sent = outbox.sent_to(os.environ.get("OPERATOR_EMAIL", "support@minnerlabs.com"))
    assert [m["id"] for m in sent if m["subject"] == subject] == [result["id"]]
