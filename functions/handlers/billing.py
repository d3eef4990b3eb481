"""Billing: Checkout and Billing Portal sessions, the current subscription, and
the Stripe webhook.

Card data never reaches postr: people pay on Stripe's pages, and we keep only
Stripe ids and what Stripe reports (policy 2.1, 4.2). The plan itself is
written only by billing.sync, from Stripe's own state, whatever the
browser or an event body says.
"""

import json
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from billing import customers as billing_customers
from billing import stripe_api as billing_stripe
from billing import sync as billing_sync
from handlers.edge import Caller, callable_handler
from handlers.schema import Strict
from kernel import clock, db, log, plans, settings
from kernel.collections import BILLING_EVENTS, SUBSCRIPTIONS
from kernel.errors import FailedPrecondition, PostrError, Unavailable


def _check_plan(value: str) -> str:
    if value not in plans.PLANS:
        raise ValueError(f"unknown plan {value!r}; choose one of: {', '.join(plans.PAID_PLANS)}")
    if not plans.PLANS[value].paid:
        raise ValueError(f"the {value} plan needs no checkout; to leave a paid plan, cancel it in the billing portal")
    return value


class CreateCheckoutSession(Strict):
    plan: Annotated[str, StringConstraints(max_length=32), AfterValidator(_check_plan)]


class CreatePortalSession(Strict):
    pass


class GetSubscription(Strict):
    pass


@callable_handler(CreateCheckoutSession)
def create_checkout_session(caller: Caller, payload: CreateCheckoutSession) -> dict:
    _, profile = caller.profile()
    wanted = plans.PLANS[payload.plan]
    current = profile.get("plan") or plans.DEFAULT_PLAN
    _refuse_if_subscribed(current, wanted)
    price = plans.price_id(wanted.name)
    if not price:
        log.error("billing: no Stripe price configured", plan=wanted.name)
        raise Unavailable(f"The {wanted.title} plan cannot be bought right now. Please try again later.")

    customer = billing_customers.ensure(caller.uid, profile.get("email"))
    # The profile may lag a checkout whose webhook has not arrived yet; Stripe knows.
    subscription, subscribed = billing_sync.current(billing_sync.subscriptions(customer))
    if subscription and subscription.get("status") in billing_sync.LIVE:
        _refuse_if_subscribed(subscribed, wanted, live=True)

    frontend = settings.FRONTEND_URL.value.rstrip("/")
    params = {
        "mode": "subscription",
        "customer": customer,
        "client_reference_id": caller.uid,
        "line_items": [{"price": price, "quantity": 1}],
        "success_url": f"{frontend}/billing?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{frontend}/billing?checkout=cancelled",
        "metadata": {"uid": caller.uid, "plan": wanted.name},
        "subscription_data": {"metadata": {"uid": caller.uid, "plan": wanted.name}},
    }
    with billing_stripe.calling("checkout.sessions.create"):
        session = billing_stripe.client().v1.checkout.sessions.create(params=params)
    log.info("billing: checkout session created", uid=caller.uid, plan=wanted.name, checkoutSession=session.id)
    return {"sessionId": session.id, "url": session.url}


def _refuse_if_subscribed(current: str | None, wanted: plans.Plan, live: bool = False) -> None:
    """One subscription per person: a second Checkout would bill them twice."""
    if current == wanted.name:
        raise FailedPrecondition(f"You are already on the {wanted.title} plan.")
    if live or current != plans.DEFAULT_PLAN:
        what = f"the {plans.PLANS[current].title} plan" if current in plans.PLANS else "a subscription"
        raise FailedPrecondition(f"You already have {what}. Change plans in the billing portal.")


@callable_handler(CreatePortalSession)
def create_portal_session(caller: Caller, _payload: CreatePortalSession) -> dict:
    customer = billing_customers.find(caller.uid)
    if not customer:
        raise FailedPrecondition("You have no billing account yet. Choose a paid plan first.")
    params = {"customer": customer, "return_url": f"{settings.FRONTEND_URL.value.rstrip('/')}/billing"}
    with billing_stripe.calling("billing_portal.sessions.create"):
        session = billing_stripe.client().v1.billing_portal.sessions.create(params=params)
    return {"url": session.url}


@callable_handler(GetSubscription)
def get_subscription(caller: Caller, _payload: GetSubscription) -> dict:
    _, profile = caller.profile()
    plan = plans.plan(profile.get("plan"))
    snap = db.doc(SUBSCRIPTIONS, caller.uid).get()
    state = (snap.to_dict() or {}) if snap.exists else {}
    subscription = None
    if state.get("stripeSubscriptionId"):
        subscription = {
            "plan": state.get("plan"),
            "status": state.get("status"),
            "currentPeriodEnd": state.get("currentPeriodEnd"),
            "cancelAtPeriodEnd": state.get("cancelAtPeriodEnd", False),
            "cancelAt": state.get("cancelAt"),
            "graceUntil": state.get("graceUntil"),
        }
    return {"plan": plan.name, "limits": plan.limits(), "subscription": subscription}


# --- webhook -----------------------------------------------------------------------

HANDLED = frozenset({
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
})
_OBJECT_OF = {"checkout.session": "checkout.session", "customer.subscription": "subscription", "invoice": "invoice"}


class Malformed(Exception):
    """A correctly signed body that is not a Stripe event we can read."""


def stripe_webhook(req):
    """POST from Stripe: verify, record once, sync the customer's plan. 400 for a bad
    signature or a malformed event (nothing written); 500 makes Stripe retry later."""
    log.new_request_id(req.headers.get("X-Cloud-Trace-Context"))
    if req.method != "POST":
        return _reply(405, {"error": "Stripe webhooks are POST requests."})
    secret = settings.secret_value(settings.STRIPE_WEBHOOK_SECRET)
    if not secret:
        log.error("billing: STRIPE_WEBHOOK_SECRET is not configured")
        return _reply(500, {"error": "The webhook is not configured."})

    import stripe

    payload = req.get_data()  # the raw bytes, exactly as Stripe signed them
    try:
        event = stripe.Webhook.construct_event(payload, req.headers.get("Stripe-Signature"), secret)
        body = _parse(event.to_dict())
    except stripe.SignatureVerificationError as exc:
        log.security_event("stripe_webhook_signature_refused", None, reason=str(exc).split(":")[0][:80])
        return _reply(400, {"error": "The Stripe-Signature header is missing, malformed, too old or does not match."})
    except (ValueError, AttributeError, TypeError, Malformed) as exc:
        # Only a sender holding the signing secret gets this far: its body is not an event we can read.
        reason = str(exc) if isinstance(exc, Malformed) else "The body is not a JSON Stripe event."
        log.warn("billing: malformed webhook event", reason=reason)
        return _reply(400, {"error": reason})

    try:
        return _handle(body)
    except PostrError as exc:
        return _reply(500, {"error": exc.message})
    except Exception as exc:  # unexpected: Stripe retries, and we have the log
        log.error("billing: webhook failed", eventId=body["id"], eventType=body["type"], error=type(exc).__name__,
                  detail=str(exc)[:300])
        return _reply(500, {"error": "The event could not be processed; it will be retried."})


def _parse(event: dict) -> dict:
    eid, etype, created = event.get("id"), event.get("type"), event.get("created")
    if not isinstance(eid, str) or not eid.startswith("evt_"):
        raise Malformed("Malformed event: 'id' must be a Stripe event id (evt_...).")
    if not isinstance(etype, str) or not etype:
        raise Malformed("Malformed event: 'type' is missing.")
    if not isinstance(created, int):
        raise Malformed("Malformed event: 'created' must be a Unix timestamp.")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise Malformed("Malformed event: 'data.object' must be an object.")
    if etype in HANDLED:
        expected = _OBJECT_OF[etype.rsplit(".", 1)[0]]
        if obj.get("object") != expected:
            raise Malformed(f"Malformed event: {etype} carries an object of type {expected!r}, "
                            f"not {obj.get('object')!r}.")
        customer = obj.get("customer")
        if isinstance(customer, dict):
            customer = customer.get("id")
        if not isinstance(customer, str) or not customer:
            raise Malformed(f"Malformed event: a {etype} event must name its customer (data.object.customer).")
        obj = {**obj, "customer": customer}
    return {"id": eid, "type": etype, "created": created, "object": obj,
            "livemode": bool(event.get("livemode")), "apiVersion": event.get("api_version")}


def _handle(body: dict):
    from google.api_core.exceptions import AlreadyExists

    ref = db.doc(BILLING_EVENTS, body["id"])
    if ref.get().exists:
        log.info("billing: event already recorded", eventId=body["id"], eventType=body["type"])
        return _reply(200, {"received": True, "duplicate": True})

    obj, etype = body["object"], body["type"]
    customer = obj.get("customer") if isinstance(obj.get("customer"), str) else None
    uid, result = None, {}
    if etype not in HANDLED:
        result = {"ignored": "unhandled_type"}
    else:
        outcome = billing_sync.sync_customer(customer)
        if outcome is None:
            result = {"ignored": "unknown_customer"}
            log.warn("billing: event for a customer postr did not create", eventId=body["id"], stripeCustomerId=customer)
        else:
            uid = outcome.uid
            result = {"plan": outcome.plan, "subscriptionStatus": outcome.subscription.get("status"),
                      "stale": outcome.stale}

    record = {
        "id": body["id"],
        "type": etype,
        "uid": uid,
        "stripeCustomerId": customer,
        "objectId": obj.get("id"),
        "createdAt": billing_sync.timestamp(body["created"]),
        "receivedAt": clock.now(),
        "livemode": body["livemode"],
        "apiVersion": body["apiVersion"],
        "result": result,
        **_details(etype, obj),
    }
    try:
        ref.create(record)
    except AlreadyExists:
        pass  # the same event delivered twice at once: the other delivery recorded it
    log.info("billing: event processed", eventId=body["id"], eventType=etype, uid=uid, **result)
    return _reply(200, {"received": True})


def _details(etype: str, obj: dict) -> dict:
    """What a payment record keeps of the event's object: ids and amounts, never card data."""
    if etype.startswith("invoice."):
        parent = obj.get("parent") or {}
        return {"invoice": {
            "id": obj.get("id"),
            "number": obj.get("number"),
            "status": obj.get("status"),
            "currency": obj.get("currency"),
            "total": obj.get("total"),
            "amountDue": obj.get("amount_due"),
            "amountPaid": obj.get("amount_paid"),
            "attemptCount": obj.get("attempt_count"),
            "subscriptionId": (parent.get("subscription_details") or {}).get("subscription"),
            "periodStart": billing_sync.timestamp(obj.get("period_start")),
            "periodEnd": billing_sync.timestamp(obj.get("period_end")),
            "hostedInvoiceUrl": obj.get("hosted_invoice_url"),
        }}
    if etype.startswith("checkout.session."):
        return {"checkout": {
            "id": obj.get("id"),
            "subscriptionId": obj.get("subscription"),
            "amountTotal": obj.get("amount_total"),
            "currency": obj.get("currency"),
            "paymentStatus": obj.get("payment_status"),
        }}
    if etype.startswith("customer.subscription."):
        return {"subscription": {"id": obj.get("id"), "status": obj.get("status")}}
    return {}


def _reply(status: int, body: dict):
    from flask import Response

    return Response(json.dumps(body), status=status, mimetype="application/json")


def expire_grace_periods(_event=None) -> None:
    """Scheduled: downgrade people whose payment grace period ended unpaid."""
    log.new_request_id()
    done = billing_sync.expire_grace_periods()
    log.info("billing: grace periods checked", expired=done)
