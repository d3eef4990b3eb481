"""Billing fixtures: the Stripe stand-in (tools/fakes/stripe.py) on 127.0.0.1 with
the params pointing the real stripe SDK at it, webhook delivery in-process through
main.stripe_webhook with payloads signed by stripe's own helper, and a person who
has gone through Checkout."""

import json

import pytest
from billing_helpers import API_KEY, PRICES, SIGN, WEBHOOK_SECRET, sign


@pytest.fixture(scope="session")
def stripe_server():
    from fakes.stripe import StripeFake

    fake = StripeFake(prices=list(PRICES.values()), api_key=API_KEY).start()
    yield fake
    fake.stop()


@pytest.fixture
def stripe_fake(stripe_server, monkeypatch):
    for name, value in {
        "STRIPE_API_BASE": stripe_server.url,
        "STRIPE_SECRET_KEY": API_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_PRICE_PRO": PRICES["pro"],
        "STRIPE_PRICE_BUSINESS": PRICES["business"],
    }.items():
        monkeypatch.setenv(name, value)
    return stripe_server


@pytest.fixture
def deliver(main, stripe_fake):
    """deliver(event) -> (status, json): POST a signed event to the webhook in-process.
    body= sends raw text instead; header= a Stripe-Signature of your own (None: none)."""
    import flask

    app = flask.Flask("billing-webhook-tests")

    def send(event: dict | None = None, *, body: str | bytes | None = None, header=SIGN, secret=WEBHOOK_SECRET,
             timestamp: int | None = None, method: str = "POST"):
        payload = body if body is not None else json.dumps(event)
        headers = {"Content-Type": "application/json"}
        if header is SIGN:
            text = payload.decode() if isinstance(payload, bytes) else payload
            headers["Stripe-Signature"] = sign(text, secret, timestamp)
        elif header is not None:
            headers["Stripe-Signature"] = header
        with app.test_request_context("/", method=method, data=payload, headers=headers):
            response = main.stripe_webhook(flask.request)
        return response.status_code, response.get_json()

    return send


@pytest.fixture
def checkout(call, stripe_fake, deliver):
    """checkout(user, plan) -> what Stripe made: the callable's session, paid on the
    stand-in, and its checkout.session.completed delivered."""

    def run(user, plan: str = "pro", *, send: bool = True) -> dict:
        status, body = call("create_checkout_session", {"plan": plan}, user.token)
        assert status == 200, body
        made = stripe_fake.complete_checkout(body["result"]["sessionId"])
        if send:
            status, _ = deliver(stripe_fake.event("checkout.session.completed", made["session"]))
            assert status == 200
        return made

    return run
