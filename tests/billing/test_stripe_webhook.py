"""The Stripe webhook, in-process through main.stripe_webhook: payloads signed
with stripe's own WebhookSignature helper and verified by the real
construct_event; event bodies in the shapes of the API version the SDK pins
(built by the stand-in from the objects it serves). Plans come from Stripe's
latest state, so replays and any order of arrival end in the same place."""

import datetime as dt
import json
import time

import pytest
from billing_helpers import PRICES, billing_state, owned, plan_claim, profile

from kernel import clock


def events_of(db, uid):
    return {e["id"]: e for e in owned(db, "billingEvents", uid)}


def subscription_doc(db, uid):
    return db.collection("subscriptions").document(uid).get().to_dict()


def notices(db, uid, kind):
    return [n for n in owned(db, "notifications", uid) if n["kind"] == kind]


# --- each handled event type ------------------------------------------------------


def test_checkout_completed_grants_the_plan_on_profile_and_claims(db, user, stripe_fake, checkout):
    made = checkout(user, "pro")

    assert profile(db, user.uid)["plan"] == "pro"
    assert plan_claim(user.uid) == "pro"
    sub = subscription_doc(db, user.uid)
    assert sub["stripeSubscriptionId"] == made["subscription"]["id"]
    assert sub["status"] == "active" and sub["plan"] == "pro" and sub["priceId"] == PRICES["pro"]
    assert sub["currentPeriodEnd"] == dt.datetime.fromtimestamp(
        made["subscription"]["items"]["data"][0]["current_period_end"], dt.timezone.utc)
    [record] = events_of(db, user.uid).values()
    assert record["type"] == "checkout.session.completed"
    assert record["checkout"]["subscriptionId"] == made["subscription"]["id"]
    assert record["checkout"]["amountTotal"] == 1200 and record["result"]["plan"] == "pro"


def test_subscription_created_alone_grants_the_plan(db, user, stripe_fake, deliver, checkout):
    made = checkout(user, "pro", send=False)
    status, body = deliver(stripe_fake.event("customer.subscription.created", made["subscription"]))
    assert (status, body) == (200, {"received": True})
    assert profile(db, user.uid)["plan"] == "pro" and plan_claim(user.uid) == "pro"


def test_a_plan_change_in_the_portal_arrives_as_subscription_updated(db, user, stripe_fake, deliver, checkout):
    made = checkout(user, "pro")
    changed = stripe_fake.update_subscription(made["subscription"]["id"], price=PRICES["business"])

    assert deliver(stripe_fake.event("customer.subscription.updated", changed["subscription"],
                                     changed["previous_attributes"]))[0] == 200
    assert profile(db, user.uid)["plan"] == "business" and plan_claim(user.uid) == "business"
    assert subscription_doc(db, user.uid)["priceId"] == PRICES["business"]


def test_cancellation_keeps_the_plan_until_the_period_ends(db, user, stripe_fake, deliver, checkout):
    made = checkout(user, "pro")
    sub_id = made["subscription"]["id"]
    cancelled = stripe_fake.update_subscription(sub_id, cancel_at_period_end=True)
    deliver(stripe_fake.event("customer.subscription.updated", cancelled["subscription"],
                              cancelled["previous_attributes"]))

    state = subscription_doc(db, user.uid)
    assert profile(db, user.uid)["plan"] == "pro"  # paid until the end of the period
    assert state["cancelAtPeriodEnd"] is True and state["cancelAt"] == state["currentPeriodEnd"]

    ended = stripe_fake.cancel_now(sub_id)  # the period is over
    assert deliver(stripe_fake.event("customer.subscription.deleted", ended["subscription"]))[0] == 200
    assert profile(db, user.uid)["plan"] == "free" and plan_claim(user.uid) == "free"
    assert subscription_doc(db, user.uid)["status"] == "canceled"
    [notice] = notices(db, user.uid, "plan_downgraded")
    assert notice["title"] == "Your Pro plan has ended"


def test_invoice_paid_is_kept_as_a_payment_record(db, user, stripe_fake, deliver, checkout):
    made = checkout(user, "pro")
    renewed = stripe_fake.pay_renewal(made["subscription"]["id"])
    event = stripe_fake.event("invoice.paid", renewed["invoice"])

    assert deliver(event)[0] == 200
    record = events_of(db, user.uid)[event["id"]]
    invoice = record["invoice"]
    assert invoice["id"] == renewed["invoice"]["id"] and invoice["status"] == "paid"
    assert invoice["amountPaid"] == 1200 and invoice["currency"] == "usd"
    assert invoice["subscriptionId"] == made["subscription"]["id"]
    assert "card" not in json.dumps(record, default=str)  # ids and amounts only
    assert profile(db, user.uid)["plan"] == "pro"


def test_payment_failure_starts_a_grace_period_with_a_notice(db, user, stripe_fake, deliver, checkout, outbox):
    made = checkout(user, "pro")
    failed = stripe_fake.fail_renewal(made["subscription"]["id"])
    event = stripe_fake.event("invoice.payment_failed", failed["invoice"])

    assert deliver(event)[0] == 200
    state = subscription_doc(db, user.uid)
    assert state["status"] == "past_due"
    assert dt.timedelta(days=6, hours=23) < state["graceUntil"] - clock.now() <= dt.timedelta(days=7)
    assert profile(db, user.uid)["plan"] == "pro"  # still usable during the grace period
    [notice] = notices(db, user.uid, "payment_failed")
    assert notice["category"] == "transactional" and "billing portal" in notice["body"]
    assert [m["subject"] for m in outbox.sent_to(user["email"])] == ["Your payment didn't go through"]
    assert events_of(db, user.uid)[event["id"]]["invoice"]["status"] == "open"

    # The same failure reported again (subscription.updated) neither restarts the grace nor repeats the notice.
    deliver(stripe_fake.event("customer.subscription.updated", failed["subscription"], failed["previous_attributes"]))
    assert subscription_doc(db, user.uid)["graceUntil"] == state["graceUntil"]
    assert len(notices(db, user.uid, "payment_failed")) == 1


def test_a_payment_within_the_grace_period_ends_it(db, user, stripe_fake, deliver, checkout):
    made = checkout(user, "pro")
    failed = stripe_fake.fail_renewal(made["subscription"]["id"])
    deliver(stripe_fake.event("invoice.payment_failed", failed["invoice"]))
    paid = stripe_fake.pay_renewal(made["subscription"]["id"])

    assert deliver(stripe_fake.event("invoice.paid", paid["invoice"]))[0] == 200
    state = subscription_doc(db, user.uid)
    assert state["status"] == "active" and state["graceUntil"] is None
    assert profile(db, user.uid)["plan"] == "pro"


def test_an_unpaid_grace_period_ends_on_the_free_plan_with_data_paused_not_deleted(
        db, user, stripe_fake, deliver, checkout, main):
    from handlers import billing

    made = checkout(user, "pro")
    for i in range(5):  # two more than the free plan allows
        db.collection("accounts").document(f"{user.uid}-acc{i}").set({
            "uid": user.uid, "status": "active", "network": "x",
            "connectedAt": dt.datetime(2026, 1, 1 + i, tzinfo=dt.timezone.utc)})
    failed = stripe_fake.fail_renewal(made["subscription"]["id"])
    deliver(stripe_fake.event("invoice.payment_failed", failed["invoice"]))
    grace_until = subscription_doc(db, user.uid)["graceUntil"]

    with clock.frozen(grace_until - dt.timedelta(minutes=1)):
        billing.expire_grace_periods()
    assert profile(db, user.uid)["plan"] == "pro"

    with clock.frozen(grace_until + dt.timedelta(minutes=1)):
        billing.expire_grace_periods()
    assert profile(db, user.uid)["plan"] == "free" and plan_claim(user.uid) == "free"
    accounts = {a["connectedAt"].day: a for a in owned(db, "accounts", user.uid)}
    assert len(accounts) == 5  # nothing deleted
    assert [accounts[d]["status"] for d in (1, 2, 3)] == ["active"] * 3
    assert [(accounts[d]["status"], accounts[d]["pausedReason"]) for d in (4, 5)] == [("paused", "plan_limit")] * 2
    [notice] = notices(db, user.uid, "plan_downgraded")
    assert "2 connected account(s)" in notice["body"] and "not deleted" in notice["body"]


# --- replays and order of arrival ------------------------------------------------------


def test_a_replayed_event_changes_nothing(db, user, stripe_fake, deliver, checkout):
    made = checkout(user, "pro")
    failed = stripe_fake.fail_renewal(made["subscription"]["id"])
    event = stripe_fake.event("invoice.payment_failed", failed["invoice"])
    assert deliver(event) == (200, {"received": True})
    before, lists = billing_state(db, user.uid), len(stripe_fake.received("GET", "/v1/subscriptions"))

    assert deliver(event) == (200, {"received": True, "duplicate": True})
    assert billing_state(db, user.uid) == before
    assert len(stripe_fake.received("GET", "/v1/subscriptions")) == lists  # not even looked at again


def test_updated_before_created_ends_in_the_latest_state(db, user, stripe_fake, deliver, checkout):
    made = checkout(user, "pro", send=False)
    sub_id = made["subscription"]["id"]
    created = stripe_fake.event("customer.subscription.created", made["subscription"])
    upgraded = stripe_fake.update_subscription(sub_id, price=PRICES["business"])
    updated = stripe_fake.event("customer.subscription.updated", upgraded["subscription"], upgraded["previous_attributes"])

    deliver(updated)
    assert profile(db, user.uid)["plan"] == "business"
    deliver(created)  # late, and its body still says pro
    assert profile(db, user.uid)["plan"] == "business" and plan_claim(user.uid) == "business"
    deliver(stripe_fake.event("checkout.session.completed", made["session"]))
    assert profile(db, user.uid)["plan"] == "business"


def test_deleted_before_updated_stays_cancelled(db, user, stripe_fake, deliver, checkout):
    made = checkout(user, "pro")
    sub_id = made["subscription"]["id"]
    cancelled = stripe_fake.update_subscription(sub_id, cancel_at_period_end=True)
    updated = stripe_fake.event("customer.subscription.updated", cancelled["subscription"],
                                cancelled["previous_attributes"])
    deleted = stripe_fake.event("customer.subscription.deleted", stripe_fake.cancel_now(sub_id)["subscription"])

    deliver(deleted)
    assert profile(db, user.uid)["plan"] == "free"
    deliver(updated)  # late: its body says active
    assert profile(db, user.uid)["plan"] == "free" and plan_claim(user.uid) == "free"
    assert subscription_doc(db, user.uid)["status"] == "canceled"


def test_an_older_answer_from_stripe_never_overwrites_a_newer_one(db, user, stripe_fake, deliver, checkout):
    import threading

    made = checkout(user, "pro")
    sub_id = made["subscription"]["id"]
    hold = stripe_fake.hold_next("/v1/subscriptions")
    slow = threading.Thread(target=deliver, args=(stripe_fake.event("invoice.paid", made["invoice"]),))
    slow.start()
    assert hold.arrived.wait(30)  # Stripe answered "active" to the first sync; the answer is in flight

    ended = stripe_fake.cancel_now(sub_id)
    assert deliver(stripe_fake.event("customer.subscription.deleted", ended["subscription"]))[0] == 200
    assert profile(db, user.uid)["plan"] == "free"
    hold.release()
    slow.join(60)

    assert profile(db, user.uid)["plan"] == "free" and plan_claim(user.uid) == "free"
    assert subscription_doc(db, user.uid)["status"] == "canceled"
    stale = [e for e in owned(db, "billingEvents", user.uid) if e["type"] == "invoice.paid"]
    assert stale[0]["result"]["stale"] is True


def test_a_new_subscription_wins_over_late_news_of_an_old_one(db, user, stripe_fake, deliver, checkout):
    first = checkout(user, "pro")
    ended = stripe_fake.cancel_now(first["subscription"]["id"])
    old_deleted = stripe_fake.event("customer.subscription.deleted", ended["subscription"])
    deliver(old_deleted)
    second = checkout(user, "business")

    deliver(stripe_fake.event("customer.subscription.updated", first["subscription"]))  # stale news of the old one
    assert profile(db, user.uid)["plan"] == "business"
    assert subscription_doc(db, user.uid)["stripeSubscriptionId"] == second["subscription"]["id"]


# --- refused deliveries: 400 and nothing written -----------------------------------------


def test_bad_signatures_are_refused_and_nothing_is_written(db, user, stripe_fake, deliver, checkout):
    made = checkout(user, "pro", send=False)
    event = stripe_fake.event("customer.subscription.created", made["subscription"])
    payload = json.dumps(event)
    before = billing_state(db, user.uid)
    from billing_helpers import sign

    refusals = [
        deliver(event, secret="whsec_someone_else"),  # signed with another secret
        deliver(event, header=None),  # no Stripe-Signature
        deliver(event, header="garbage"),  # malformed header
        deliver(body=payload.replace('"active"', '"trialing"'), header=sign(payload)),  # body changed after signing
        deliver(event, timestamp=int(time.time()) - 301),  # older than the default 300 s tolerance
    ]
    assert [status for status, _ in refusals] == [400] * 5
    assert all("Stripe-Signature" in body["error"] for _, body in refusals)
    assert billing_state(db, user.uid) == before
    assert db.collection("billingEvents").document(event["id"]).get().exists is False

    assert deliver(event, timestamp=int(time.time()) - 240)[0] == 200  # within the tolerance


def test_malformed_events_are_refused_and_nothing_is_written(db, user, stripe_fake, deliver, checkout):
    made = checkout(user, "pro", send=False)
    good = stripe_fake.event("customer.subscription.created", made["subscription"])
    before = billing_state(db, user.uid)

    no_customer = json.loads(json.dumps(good))
    del no_customer["data"]["object"]["customer"]
    wrong_object = stripe_fake.event("invoice.paid", made["subscription"])
    cases = {
        "not json": deliver(body="this is not json"),
        "a list": deliver(body="[]"),
        "no data": deliver({**good, "data": None}),
        "no id": deliver({k: v for k, v in good.items() if k != "id"}),
        "no customer": deliver(no_customer),
        "wrong object": deliver(wrong_object),
    }
    assert {name: status for name, (status, _) in cases.items()} == {name: 400 for name in cases}
    assert cases["no customer"][1]["error"] == (
        "Malformed event: a customer.subscription.created event must name its customer (data.object.customer).")
    assert cases["wrong object"][1]["error"] == (
        "Malformed event: invoice.paid carries an object of type 'invoice', not 'subscription'.")
    assert billing_state(db, user.uid) == before
    assert profile(db, user.uid)["plan"] == "free"


def test_events_postr_does_not_act_on_are_recorded_once(db, stripe_fake, deliver):
    other = stripe_fake.event("customer.created", {"id": "cus_x", "object": "customer", "customer": None})
    assert deliver(other) == (200, {"received": True})
    assert db.collection("billingEvents").document(other["id"]).get().to_dict()["result"] == {
        "ignored": "unhandled_type"}

    import stripe
    from billing_helpers import API_KEY

    # A customer made outside postr (in the Dashboard, say): recorded, not acted on.
    customer = stripe.StripeClient(API_KEY, base_addresses={"api": stripe_fake.url}).v1.customers.create(
        params={"email": "x@example.com"})
    event = stripe_fake.event("customer.subscription.created", {
        "id": "sub_x", "object": "subscription", "customer": customer.id, "status": "active"})
    assert deliver(event)[0] == 200
    record = db.collection("billingEvents").document(event["id"]).get().to_dict()
    assert record["result"] == {"ignored": "unknown_customer"} and record["uid"] is None


def test_only_post_is_accepted(deliver):
    assert deliver(body="", header=None, method="GET")[0] == 405


def test_an_unconfigured_signing_secret_is_a_server_error_not_an_open_door(db, stripe_fake, deliver, monkeypatch):
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET")
    event = stripe_fake.event("customer.created", {"id": "cus_y", "object": "customer"})
    assert deliver(event)[0] == 500
    assert db.collection("billingEvents").document(event["id"]).get().exists is False


# --- overlapping syncs: the claim and the limits follow the state that won ----------------


def _five_accounts(db, uid):
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    for i in range(5):
        db.collection("accounts").document(f"{uid}-a{i}").set(
            {"uid": uid, "network": "mastodon", "status": "active", "handle": f"a{i}",
             "connectedAt": start + dt.timedelta(days=i)})


def _active_accounts(db, uid) -> int:
    return sum(1 for a in owned(db, "accounts", uid) if a["status"] == "active")



@pytest.mark.parametrize("stop_at", ["after_its_write", "inside_its_enforcement"])
def test_an_older_sync_stopped_at_the_wrong_moment_cannot_undo_a_newer_one(db, user, stripe_fake, deliver,
                                                                           checkout, monkeypatch, stop_at):
    """An older sync (the subscription active: business) stops either between writing its
    state and setting the claim and limits, or inside that step with the claim already
    set; a newer one (the subscription cancelled: free) runs meanwhile. Either way the
    person ends on free: claim free, and three active accounts where free allows three."""
    import threading

    from billing import limits as billing_limits, sync as billing_sync

    made = checkout(user, "business")
    _five_accounts(db, user.uid)
    stopped, go = threading.Event(), threading.Event()
    first = []

    def stop_once():
        if not first:
            first.append(True)
            stopped.set()
            assert go.wait(60)

    if stop_at == "after_its_write":
        real_enforce = billing_sync._enforce

        def enforce(uid):
            stop_once()
            return real_enforce(uid)

        monkeypatch.setattr(billing_sync, "_enforce", enforce)
    else:
        real_limits = billing_limits.apply_plan_limits

        def apply_plan_limits(uid, plan):
            stop_once()  # the older one has read "business" and set its claim; its limits wait
            return real_limits(uid, plan)

        monkeypatch.setattr(billing_limits, "apply_plan_limits", apply_plan_limits)

    older = threading.Thread(target=deliver, args=(stripe_fake.event("invoice.paid", made["invoice"]),))
    older.start()
    assert stopped.wait(30)
    ended = stripe_fake.cancel_now(made["subscription"]["id"])
    newer_done = []
    newer = threading.Thread(target=lambda: newer_done.append(
        deliver(stripe_fake.event("customer.subscription.deleted", ended["subscription"]))[0]))
    newer.start()
    newer.join(2)  # inside its enforcement, the older one holds the lease: the newer waits for it
    go.set()
    older.join(60)
    newer.join(60)
    assert newer_done == [200]
    assert profile(db, user.uid)["plan"] == "free"
    assert plan_claim(user.uid) == "free"
    assert _active_accounts(db, user.uid) == 3
    assert "enforcing" not in subscription_doc(db, user.uid) or subscription_doc(db, user.uid)["enforcing"] is None


def test_no_card_data_is_stored_from_what_stripe_sends(db, user, stripe_fake, deliver, checkout):
    """Policy 4.2: Stripe's events carry card details (brand, last four digits, expiry,
    fingerprint, the cardholder's name and postcode); none of it is stored anywhere."""
    from fakes.stripe import card_charge, card_payment_method

    made = checkout(user, "pro")
    card = card_payment_method(made["subscription"]["customer"])
    renewed = stripe_fake.pay_renewal(made["subscription"]["id"])
    charge = card_charge(renewed["invoice"], card)
    events = [stripe_fake.event("payment_method.attached", card), stripe_fake.event("charge.succeeded", charge),
              stripe_fake.event("invoice.paid", {**renewed["invoice"], "default_payment_method": card}),
              stripe_fake.event("customer.subscription.updated",
                                {**renewed["subscription"], "default_payment_method": card})]
    for event in events:
        assert deliver(event)[0] == 200
    records = [db.collection("billingEvents").document(e["id"]).get() for e in events]
    assert all(r.exists for r in records)  # all four recorded: the scan below reads what was stored
    stored = json.dumps([r.to_dict() for r in records] +
                        [d.to_dict() for name in ("billingEvents", "subscriptions", "billingCustomers", "users",
                                                  "notifications") for d in owned_snaps(db, name, user.uid)],
                        default=str)
    for secret in ("4242", "Xt5EWLLDS7FJjR1c", "2031", "visa", "Ada Lovelace", "75011", "582021096104040"):
        assert secret not in stored, secret


def owned_snaps(db, collection, uid):
    from google.cloud.firestore import FieldFilter

    if collection == "users":
        return [db.collection("users").document(uid).get()]
    return list(db.collection(collection).where(filter=FieldFilter("uid", "==", uid)).stream())
