"""Billing over HTTP through the Functions emulator, as the web app and Stripe reach
it: Checkout through the callable, then the signed checkout.session.completed
POSTed to the stripe_webhook HTTP function.

The emulator's functions read their params from functions/.env.local and
functions/.secret.local, written by tools/localstack.py, which also runs the
Stripe stand-in (tools/fakes/stripe.py) on 127.0.0.1."""

import json
import urllib.error
import urllib.request

import pytest
from billing_helpers import plan_claim, profile, sign


def post(url: str, body: bytes, headers: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@pytest.fixture
def stack_stripe(stack):
    return stack.env["STRIPE_API_BASE"], stack.secrets["STRIPE_WEBHOOK_SECRET"]


def test_checkout_and_its_webhook_over_http(stack, stack_stripe, main, call_http, user, db):
    base, secret = stack_stripe
    status, body = call_http("create_checkout_session", {"plan": "pro"}, user.token)
    assert status == 200, body
    session_id = body["result"]["sessionId"]

    _, made = post(f"{base}/_fake/checkout/sessions/{session_id}/complete", b"", {})
    _, event = post(f"{base}/_fake/events", json.dumps(
        {"type": "checkout.session.completed", "object": made["session"]}).encode(),
        {"Content-Type": "application/json"})
    payload = json.dumps(event)
    webhook = stack.callable_url("stripe_webhook")

    forged = post(webhook, payload.encode(), {"Content-Type": "application/json",
                                              "Stripe-Signature": sign(payload, "whsec_forged")})
    assert forged[0] == 400
    assert profile(db, user.uid)["plan"] == "free"

    status, answer = post(webhook, payload.encode(), {"Content-Type": "application/json",
                                                      "Stripe-Signature": sign(payload, secret)})
    assert (status, answer) == (200, {"received": True})
    assert profile(db, user.uid)["plan"] == "pro" and plan_claim(user.uid) == "pro"
    status, body = call_http("get_subscription", {}, user.token)
    assert body["result"]["subscription"]["status"] == "active"
