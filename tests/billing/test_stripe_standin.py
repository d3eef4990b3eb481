"""The Stripe stand-in against the real stripe SDK: the objects it answers carry
only fields the SDK declares for the API version it pins (no legacy names such as
a subscription's top-level `current_period_end`), and its errors, auth and
idempotency behave as Stripe documents them, so the SDK raises the same errors."""

import pytest
import stripe
from billing_helpers import API_KEY, PRICES

from fakes.stripe import API_VERSION, StripeFake

# Fields Stripe returns only when asked to expand them, or only on deleted objects.
NOT_BY_DEFAULT = {
    stripe.Customer: {"cash_balance", "invoice_credit_balance", "sources", "subscriptions", "tax", "tax_ids", "deleted"},
    stripe.checkout.Session: {"line_items"},
    stripe.billing_portal.Session: set(),
    stripe.Subscription: set(),
    stripe.SubscriptionItem: {"deleted"},
    stripe.Price: {"currency_options", "tiers", "deleted"},
    stripe.Plan: {"tiers", "deleted"},
    stripe.Invoice: {"confirmation_secret", "payments", "deleted"},
    stripe.InvoiceLineItem: set(),
    stripe.Event: set(),
}


def declared(cls) -> set[str]:
    return {k for k in cls.__annotations__ if not k.startswith("_") and k != "OBJECT_NAME"}


def assert_shape(obj: dict, cls) -> None:
    assert set(obj) == declared(cls) - NOT_BY_DEFAULT[cls], cls.__name__


@pytest.fixture
def fake():
    with StripeFake(prices=list(PRICES.values()), api_key=API_KEY) as f:
        yield f


@pytest.fixture
def sdk(fake):
    return stripe.StripeClient(API_KEY, base_addresses={"api": fake.url}, max_network_retries=0)


def test_the_standin_speaks_the_api_version_the_sdk_pins():
    assert API_VERSION == stripe.api_version


def test_objects_have_the_documented_fields_of_this_api_version(fake, sdk):
    customer = sdk.v1.customers.create(params={"email": "a@example.com", "metadata": {"uid": "u1"}})
    session = sdk.v1.checkout.sessions.create(params={
        "mode": "subscription", "customer": customer.id, "line_items": [{"price": PRICES["pro"], "quantity": 1}],
        "success_url": "https://example.com/ok", "subscription_data": {"metadata": {"uid": "u1"}}})
    portal = sdk.v1.billing_portal.sessions.create(params={"customer": customer.id, "return_url": "https://e.x/b"})
    made = fake.complete_checkout(session.id)
    failed = fake.fail_renewal(made["subscription"]["id"])
    sub = sdk.v1.subscriptions.retrieve(made["subscription"]["id"])

    # What the SDK parsed is what the server sent; the SDK maps each to its class.
    assert isinstance(customer, stripe.Customer) and isinstance(sub, stripe.Subscription)
    assert isinstance(session, stripe.checkout.Session) and isinstance(portal, stripe.billing_portal.Session)
    assert_shape(customer.to_dict(), stripe.Customer)
    assert_shape(session.to_dict(), stripe.checkout.Session)
    assert_shape(portal.to_dict(), stripe.billing_portal.Session)
    assert_shape(sub.to_dict(), stripe.Subscription)
    item = sub.to_dict()["items"]["data"][0]
    assert_shape(item, stripe.SubscriptionItem)
    assert_shape(item["price"], stripe.Price)
    assert_shape(item["plan"], stripe.Plan)
    for invoice in (made["invoice"], failed["invoice"]):
        assert_shape(invoice, stripe.Invoice)
        assert_shape(invoice["lines"]["data"][0], stripe.InvoiceLineItem)
    event = fake.event("customer.subscription.updated", failed["subscription"], failed["previous_attributes"])
    assert_shape(event, stripe.Event)

    # The values a billing integration reads, where this API version puts them.
    assert customer.metadata["uid"] == "u1" and customer.email == "a@example.com"
    assert session.url.startswith("https://checkout.stripe.com/") and session.status == "open"
    assert portal.url.startswith("https://billing.stripe.com/") and portal.return_url == "https://e.x/b"
    assert sub.status == "past_due" and sub.items.data[0].price.id == PRICES["pro"]
    assert sub.items.data[0].current_period_end > sub.items.data[0].current_period_start
    assert failed["invoice"]["parent"]["subscription_details"]["subscription"] == sub.id
    assert made["session"]["subscription"] == sub.id and made["session"]["status"] == "complete"


def test_missing_objects_and_bad_parameters_raise_what_the_sdk_raises_for_stripe(fake, sdk):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        sdk.v1.subscriptions.retrieve("sub_nope")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"
    assert missing.value.request_id.startswith("req_")

    with pytest.raises(stripe.InvalidRequestError) as no_price:
        sdk.v1.checkout.sessions.create(params={"mode": "subscription", "line_items": [{"price": "price_nope"}]})
    assert no_price.value.http_status == 400 and no_price.value.param == "line_items[0][price]"

    with pytest.raises(stripe.InvalidRequestError, match="unknown parameter: colour"):
        sdk.v1.customers.create(params={"colour": "blue"})

    with pytest.raises(stripe.InvalidRequestError) as unknown_customer:
        sdk.v1.subscriptions.list(params={"customer": "cus_nope"})
    assert unknown_customer.value.param == "customer"


def test_a_wrong_or_missing_key_is_refused(fake):
    wrong = stripe.StripeClient("sk_test_wrong", base_addresses={"api": fake.url}, max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError):
        wrong.v1.customers.create(params={"email": "a@example.com"})
    assert fake.customers == {}


def test_an_idempotency_key_returns_the_first_answer_and_refuses_other_parameters(fake, sdk):
    first = sdk.v1.customers.create(params={"email": "a@example.com"}, options={"idempotency_key": "k1"})
    again = sdk.v1.customers.create(params={"email": "a@example.com"}, options={"idempotency_key": "k1"})
    assert again.id == first.id and len(fake.customers) == 1
    assert fake.received("POST", "/v1/customers")[-1].headers["idempotency-key"] == "k1"
    with pytest.raises(stripe.IdempotencyError):
        sdk.v1.customers.create(params={"email": "b@example.com"}, options={"idempotency_key": "k1"})


def test_listing_subscriptions_follows_the_status_filter(fake, sdk):
    customer = sdk.v1.customers.create(params={"email": "a@example.com"})
    ids = []
    for _ in range(2):
        session = sdk.v1.checkout.sessions.create(params={
            "mode": "subscription", "customer": customer.id, "line_items": [{"price": PRICES["pro"]}]})
        ids.append(fake.complete_checkout(session.id)["subscription"]["id"])
    fake.cancel_now(ids[0])

    default = sdk.v1.subscriptions.list(params={"customer": customer.id})
    everything = sdk.v1.subscriptions.list(params={"customer": customer.id, "status": "all"})
    assert [s.id for s in default.data] == [ids[1]]  # canceled ones only when asked for
    assert [s.id for s in everything.data] == [ids[1], ids[0]]  # newest first
    assert everything.data[1].status == "canceled" and everything.data[1].ended_at
