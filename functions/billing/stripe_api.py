"""The Stripe client, made on first use, and the one place Stripe errors become
domain errors.

stripe is imported here, inside functions, so a cold start of any function
that never talks to Stripe does not pay for it. The API address is a param
(STRIPE_API_BASE) so the local stack and the tests reach a loopback stand-in
through the real SDK.
"""

import contextlib
import functools

from kernel import log, settings
from kernel.errors import Unavailable


def client():
    key = settings.secret_value(settings.STRIPE_SECRET_KEY)
    if not key:
        log.error("billing: STRIPE_SECRET_KEY is not configured")
        raise Unavailable("Payments are not available right now. Please try again later.")
    return _client(key, settings.STRIPE_API_BASE.value)


@functools.lru_cache(maxsize=4)
def _client(key: str, api_base: str):
    import stripe

    # The SDK retries connection errors, 409s and 5xx itself, with an idempotency key on POSTs.
    return stripe.StripeClient(key, base_addresses={"api": api_base}, max_network_retries=2)


@contextlib.contextmanager
def calling(what: str):
    """Run a Stripe call; its failure becomes Unavailable for the person and a log
    line (type, status, Stripe's code and request id; never the key) for us."""
    import stripe

    try:
        yield
    except stripe.StripeError as exc:
        log.error(
            "stripe call failed", call=what, error=type(exc).__name__, httpStatus=exc.http_status,
            stripeCode=exc.code, stripeRequestId=exc.request_id,
        )
        raise Unavailable("Our payment provider could not be reached. Please try again in a moment.") from None


def delete_customer(customer_id: str) -> bool:
    """Delete the Stripe customer (account deletion, policy 7.3): its email, name and
    saved payment methods go; its charges and invoices stay at Stripe, the payment
    records regulations require. DELETE /v1/customers/{id}; a customer already
    deleted answers 404 resource_missing, which is the same outcome. False: it was
    already gone."""
    import stripe

    with calling("customers.delete"):
        try:
            client().v1.customers.delete(customer_id)
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404 and exc.code == "resource_missing":
                return False
            raise
    return True


def cancel_subscription_now(subscription_id: str) -> dict:
    """End a subscription at once, not at the period's end (account deletion, policy 7.3):
    DELETE /v1/subscriptions/{id}, which answers the canceled subscription. No final
    invoice and no proration (Stripe's defaults). DELETE needs no idempotency key."""
    with calling("subscriptions.cancel"):
        return client().v1.subscriptions.cancel(subscription_id).to_dict()
