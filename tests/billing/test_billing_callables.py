"""Checkout, Billing Portal and subscription callables, in-process through the real
firebase_functions wrapper, with the real stripe SDK talking HTTP to the Stripe
stand-in on 127.0.0.1."""

import threading

from billing_helpers import PRICES, billing_state, owned, profile


def form(request) -> dict:
    from qs_codec import decode

    return decode(request.body.decode())


def customers_made_for(fake, uid: str) -> list:
    return [r for r in fake.received("POST", "/v1/customers") if form(r).get("metadata", {}).get("uid") == uid]


def test_checkout_for_a_plan_opens_a_stripe_checkout_session(call, user, db, stripe_fake):
    status, body = call("create_checkout_session", {"plan": "pro"}, user.token)

    assert status == 200, body
    result = body["result"]
    assert result["url"].startswith("https://checkout.stripe.com/")
    session = stripe_fake.sessions[result["sessionId"]]
    [customer_doc] = owned(db, "billingCustomers", user.uid)
    assert session["customer"] == customer_doc["stripeCustomerId"]
    assert session["mode"] == "subscription" and session["client_reference_id"] == user.uid
    assert session["_line_items"] == [{"price": PRICES["pro"], "quantity": 1}]
    assert session["success_url"].startswith("http://127.0.0.1:3000/billing?checkout=success")
    assert "{CHECKOUT_SESSION_ID}" in session["success_url"]
    customer = stripe_fake.customers[customer_doc["stripeCustomerId"]]
    assert customer["email"] == user["email"] and customer["metadata"] == {"uid": user.uid}
    assert profile(db, user.uid)["plan"] == "free"  # nothing is granted before Stripe says it is paid


def test_the_stripe_customer_is_created_once_and_reused(call, user, db, stripe_fake):
    first = call("create_checkout_session", {"plan": "pro"}, user.token)[1]["result"]
    second = call("create_checkout_session", {"plan": "business"}, user.token)[1]["result"]

    assert stripe_fake.sessions[first["sessionId"]]["customer"] == stripe_fake.sessions[second["sessionId"]]["customer"]
    assert len(customers_made_for(stripe_fake, user.uid)) == 1
    assert len(owned(db, "billingCustomers", user.uid)) == 1


def test_two_checkouts_at_once_make_one_customer(call, user, db, stripe_fake):
    hold = stripe_fake.hold_next("/v1/customers")
    results = []

    def checkout(plan):
        results.append(call("create_checkout_session", {"plan": plan}, user.token))

    first = threading.Thread(target=checkout, args=("pro",))
    first.start()
    assert hold.arrived.wait(30)  # the first checkout is asking Stripe for a customer...
    second = threading.Thread(target=checkout, args=("business",))
    second.start()
    second.join(0.5)  # ...while the second one starts
    hold.release()
    first.join(60)
    second.join(60)

    assert [status for status, _ in results] == [200, 200], results
    customers = {stripe_fake.sessions[body["result"]["sessionId"]]["customer"] for _, body in results}
    assert len(customers) == 1
    assert len(customers_made_for(stripe_fake, user.uid)) == 1


def test_an_unknown_plan_is_refused_and_nothing_is_written(call, user, db, stripe_fake):
    before, requests = billing_state(db, user.uid), len(stripe_fake.requests)
    status, body = call("create_checkout_session", {"plan": "platinum"}, user.token)

    assert status == 400
    assert body["error"]["status"] == "INVALID_ARGUMENT"
    assert "unknown plan 'platinum'; choose one of: pro, business" in body["error"]["message"]
    assert billing_state(db, user.uid) == before and len(stripe_fake.requests) == requests


def test_the_free_plan_needs_no_checkout(call, user, db, stripe_fake):
    before = billing_state(db, user.uid)
    status, body = call("create_checkout_session", {"plan": "free"}, user.token)
    assert status == 400 and "needs no checkout" in body["error"]["message"]
    assert billing_state(db, user.uid) == before


def test_bad_payloads_are_refused(call, user):
    assert call("create_checkout_session", {}, user.token)[1]["error"]["message"] == "'plan' is required."
    assert call("create_checkout_session", {"plan": "pro", "uid": "someone-else"}, user.token)[1]["error"][
        "message"] == "Unknown field 'uid'."
    assert call("create_checkout_session", {"plan": 3}, user.token)[0] == 400
    assert call("create_checkout_session", {"plan": "pro"})[1]["error"]["status"] == "UNAUTHENTICATED"


def test_a_person_already_on_the_plan_is_refused_and_nothing_is_written(call, user, db, stripe_fake, checkout):
    checkout(user, "pro")
    assert profile(db, user.uid)["plan"] == "pro"
    before, requests = billing_state(db, user.uid), len(stripe_fake.requests)

    status, body = call("create_checkout_session", {"plan": "pro"}, user.token)
    assert status == 400 and body["error"]["status"] == "FAILED_PRECONDITION"
    assert body["error"]["message"] == "You are already on the Pro plan."
    status, body = call("create_checkout_session", {"plan": "business"}, user.token)
    assert body["error"]["message"] == "You already have the Pro plan. Change plans in the billing portal."
    assert billing_state(db, user.uid) == before and len(stripe_fake.requests) == requests


def test_a_paid_checkout_whose_webhook_is_late_still_counts(call, user, db, stripe_fake, checkout):
    checkout(user, "pro", send=False)  # paid at Stripe; the event has not arrived
    assert profile(db, user.uid)["plan"] == "free"

    status, body = call("create_checkout_session", {"plan": "pro"}, user.token)
    assert status == 400 and body["error"]["message"] == "You are already on the Pro plan."
    customer = owned(db, "billingCustomers", user.uid)[0]["stripeCustomerId"]
    assert [s["customer"] for s in stripe_fake.subscriptions.values()].count(customer) == 1


def test_stripe_being_down_is_unavailable_and_a_retry_works(call, user, db, stripe_fake):
    from fakes.base import Reply

    stripe_fake.fail_next(Reply(500, {"error": {"type": "api_error", "message": "down"}}), path="/v1/customers", times=3)
    status, body = call("create_checkout_session", {"plan": "pro"}, user.token)
    assert status == 503 and body["error"]["status"] == "UNAVAILABLE"
    assert "try again" in body["error"]["message"]
    assert owned(db, "billingCustomers", user.uid) == []  # the claim was let go

    status, body = call("create_checkout_session", {"plan": "pro"}, user.token)
    assert status == 200


def test_an_unconfigured_price_is_reported_not_guessed(call, user, db, stripe_fake, monkeypatch):
    monkeypatch.setenv("STRIPE_PRICE_BUSINESS", "")
    before = billing_state(db, user.uid)
    status, body = call("create_checkout_session", {"plan": "business"}, user.token)
    assert status == 503 and body["error"]["message"] == "The Business plan cannot be bought right now. Please try again later."
    assert billing_state(db, user.uid) == before


def test_the_portal_needs_a_billing_account(call, user, stripe_fake):
    status, body = call("create_portal_session", {}, user.token)
    assert status == 400 and body["error"]["status"] == "FAILED_PRECONDITION"
    assert body["error"]["message"] == "You have no billing account yet. Choose a paid plan first."


def test_the_portal_opens_for_the_callers_own_customer(call, user, db, stripe_fake, checkout):
    checkout(user, "pro")
    status, body = call("create_portal_session", {}, user.token)

    assert status == 200
    assert body["result"]["url"].startswith("https://billing.stripe.com/")
    [request] = stripe_fake.received("POST", "/v1/billing_portal/sessions")[-1:]
    customer = owned(db, "billingCustomers", user.uid)[0]["stripeCustomerId"]
    assert form(request) == {"customer": customer, "return_url": "http://127.0.0.1:3000/billing"}
    assert call("create_portal_session", {"customer": "cus_other"}, user.token)[1]["error"][
        "message"] == "Unknown field 'customer'."


def test_get_subscription_for_a_free_and_a_paying_person(call, user, stripe_fake, checkout):
    status, body = call("get_subscription", {}, user.token)
    assert status == 200
    assert body["result"]["plan"] == "free" and body["result"]["subscription"] is None
    assert body["result"]["limits"]["connectedAccounts"] == 3

    made = checkout(user, "pro")
    result = call("get_subscription", {}, user.token)[1]["result"]
    assert result["plan"] == "pro" and result["limits"]["video"] is True
    period_end = made["subscription"]["items"]["data"][0]["current_period_end"]
    assert result["subscription"]["status"] == "active" and result["subscription"]["cancelAtPeriodEnd"] is False
    import datetime as dt

    assert result["subscription"]["currentPeriodEnd"] == dt.datetime.fromtimestamp(
        period_end, dt.timezone.utc).isoformat().replace("+00:00", "Z")
