"""A Stripe stand-in on 127.0.0.1 for the endpoints postr calls, answering in the
documented shapes of the API version stripe 16.1.0 pins (2026-10-28.endive).

Why not localstripe (PyPI 1.15.10): it has no Prices, no Checkout Sessions and
no Billing Portal, and what it has answers in legacy shapes: customers carry
`account_balance`, `sources` and `business_vat_id`; subscriptions carry a
top-level `plan` and `current_period_end` instead of per-item periods and
prices. Its CLI also binds every interface. So every endpoint here is this
fixture's own:

    POST /v1/customers                  GET /v1/customers/{id}
    POST /v1/checkout/sessions          GET /v1/checkout/sessions/{id}
    POST /v1/billing_portal/sessions
    GET  /v1/subscriptions/{id}         GET /v1/subscriptions?customer=&status=&limit=
    DELETE /v1/subscriptions/{id}       (cancel at once)

Like Stripe: form-encoded bodies with bracketed keys (decoded by qs-codec),
Bearer secret keys (401 without), unknown parameters refused (400
"Received unknown parameter"), missing objects 404 `resource_missing`, errors
as {"error": {type, code, message, param, doc_url, request_log_url}}, a
`Request-Id` header, and idempotency keys (a repeat returns the first answer
with `Idempotent-Replayed: true`; other parameters with the same key are an
`idempotency_error`). Objects carry the fields the SDK declares for this API
version, minus those Stripe only returns when expanded.

What a real account does by itself (a customer paying on the Checkout page, a
renewal failing, the period ending) is driven by the test through methods
(`complete_checkout`, `fail_renewal`, `pay_renewal`, `update_subscription`,
`cancel_now`) or the same actions over HTTP under /_fake/, for a fake run as
its own process: `python tools/fakes/stripe.py PORT [PRICE_ID ...]`.
`event(type, obj)` builds the webhook event Stripe would send; signing it is
left to stripe's own WebhookSignature helper. Not imitated: payments
themselves, proration, trials, taxes, pagination cursors, portal
configurations, search.
"""

import copy
import json
import secrets
import string
import threading
import time

from qs_codec import decode

try:
    from fakes.base import FakeServer, Reply, Request
except ImportError:  # run as a script: tools/ is the parent of this file's folder
    import pathlib
    import sys

    sys.path[0] = str(pathlib.Path(__file__).resolve().parents[1])
    from fakes.base import FakeServer, Reply, Request

API_VERSION = "2026-10-28.endive"
MONTH = 30 * 24 * 3600

# Request options the SDK never sends as parameters, so any other key is a parameter.
_CUSTOMER_PARAMS = {
    "address", "balance", "business_name", "cash_balance", "description", "email", "expand", "individual_name",
    "invoice_prefix", "invoice_settings", "metadata", "name", "next_invoice_sequence", "payment_method", "phone",
    "preferred_locales", "shipping", "source", "tax", "tax_exempt", "tax_id_data", "test_clock", "validate",
}
_CHECKOUT_PARAMS = {
    "adaptive_pricing", "after_expiration", "allow_promotion_codes", "allowed_payment_method_types", "automatic_tax",
    "billing_address_collection", "branding_settings", "cancel_url", "client_reference_id", "consent_collection",
    "currency", "custom_fields", "custom_text", "customer", "customer_account", "customer_creation", "customer_email",
    "customer_update", "discounts", "excluded_payment_method_types", "expand", "expires_at", "integration_identifier",
    "invoice_creation", "line_items", "locale", "managed_payments", "metadata", "mode", "name_collection",
    "optional_items", "origin_context", "payment_intent_data", "payment_method_collection",
    "payment_method_configuration", "payment_method_data", "payment_method_options", "permissions",
    "phone_number_collection", "redirect_on_completion", "return_url", "saved_payment_method_options",
    "setup_intent_data", "shipping_address_collection", "shipping_options", "submit_type", "subscription_data",
    "success_url", "tax_id_collection", "ui_mode", "wallet_options",
}
_PORTAL_PARAMS = {"after_expiration", "configuration", "customer", "customer_account", "expand", "flow_data", "locale",
                  "on_behalf_of", "return_url"}
_SUBSCRIPTION_LIST_PARAMS = {"automatic_tax", "collection_method", "created", "current_period_end",
                             "current_period_start", "customer", "customer_account", "ending_before", "expand",
                             "limit", "plan", "price", "starting_after", "status", "test_clock"}
_SUBSCRIPTION_CANCEL_PARAMS = {"cancellation_details", "expand", "invoice_now", "prorate"}
_STATUSES = {"incomplete", "incomplete_expired", "trialing", "active", "past_due", "canceled", "unpaid", "paused"}


def _id(prefix: str, n: int = 24) -> str:
    return prefix + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(n))


def _now() -> int:
    return int(time.time())


class ApiError(Exception):
    def __init__(self, status: int, message: str, type_: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type_, code, param


class Hold:
    """Keeps one answer back until the test releases it (to interleave concurrent calls)."""

    def __init__(self, path: str):
        self.path = path
        self.arrived = threading.Event()
        self._release = threading.Event()

    def release(self) -> None:
        self._release.set()


class StripeFake(FakeServer):
    def __init__(self, prices: list[str] | None = None, api_key: str | None = None, port: int = 0):
        self.api_key = api_key
        self.customers: dict[str, dict] = {}
        self.prices: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.subscriptions: dict[str, dict] = {}
        self.invoices: dict[str, dict] = {}
        self._idempotent: dict[str, tuple[tuple, Reply]] = {}
        self._holds: list[Hold] = []
        self._state = threading.RLock()
        super().__init__(port)
        for price in prices or ():
            self.add_price(price)

    def setup(self) -> None:
        api = [
            ("POST", r"/v1/customers", self._create_customer),
            ("GET", r"/v1/customers/(?P<id>[^/]+)", self._get_customer),
            ("DELETE", r"/v1/customers/(?P<id>[^/]+)", self._delete_customer),
            ("POST", r"/v1/checkout/sessions", self._create_session),
            ("GET", r"/v1/checkout/sessions/(?P<id>[^/]+)", self._get_session),
            ("POST", r"/v1/billing_portal/sessions", self._create_portal_session),
            ("GET", r"/v1/subscriptions/(?P<id>[^/]+)", self._get_subscription),
            ("GET", r"/v1/subscriptions", self._list_subscriptions),
            ("DELETE", r"/v1/subscriptions/(?P<id>[^/]+)", self._cancel_subscription),
        ]
        for method, path, handler in api:
            self.route(method, path, self._api(handler))
        self.route("POST", r"/_fake/checkout/sessions/(?P<id>[^/]+)/complete",
                   lambda r: Reply(200, self.complete_checkout(r.match["id"])))
        self.route("POST", r"/_fake/subscriptions/(?P<id>[^/]+)/fail_renewal",
                   lambda r: Reply(200, self.fail_renewal(r.match["id"])))
        self.route("POST", r"/_fake/subscriptions/(?P<id>[^/]+)/pay_renewal",
                   lambda r: Reply(200, self.pay_renewal(r.match["id"])))
        self.route("POST", r"/_fake/subscriptions/(?P<id>[^/]+)/cancel",
                   lambda r: Reply(200, self.cancel_now(r.match["id"])))
        self.route("POST", r"/_fake/events",
                   lambda r: Reply(200, self.event(r.json["type"], r.json["object"], r.json.get("previous_attributes"))))

    # --- the API surface ------------------------------------------------------------

    def _api(self, handler):
        def serve(req: Request) -> Reply:
            request_id = _id("req_", 14)
            try:
                self._authenticate(req)
                params = decode(req.body.decode() if req.method == "POST" else _query(req))
                if req.method == "POST" and req.headers.get("idempotency-key"):
                    reply = self._idempotent_call(req, params, handler)
                else:
                    with self._state:
                        reply = Reply(200, handler(req, params))
            except ApiError as exc:
                reply = Reply(exc.status, _error_body(exc, request_id))
            reply.headers = {**reply.headers, "Request-Id": request_id, "Stripe-Version": API_VERSION}
            return reply

        return serve

    def _authenticate(self, req: Request) -> None:
        auth = req.headers.get("authorization", "")
        key = ""
        if auth.startswith("Bearer "):
            key = auth[7:].strip()
        elif auth.startswith("Basic "):  # curl -u sk_test_...:
            import base64

            key = base64.b64decode(auth[6:]).decode(errors="replace").split(":", 1)[0]
        if not key:
            raise ApiError(401, "You did not provide an API key. You need to provide your API key in the "
                                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")
        if not key.startswith(("sk_", "rk_")) or (self.api_key and key != self.api_key):
            raise ApiError(401, f"Invalid API Key provided: {key[:8]}{'*' * 4}{key[-4:]}")

    def _idempotent_call(self, req: Request, params: dict, handler) -> Reply:
        key = req.headers["idempotency-key"]
        fingerprint = (req.path, json.dumps(params, sort_keys=True))
        with self._state:
            if key in self._idempotent:
                first, reply = self._idempotent[key]
                if first != fingerprint:
                    raise ApiError(400, f"Keys for idempotent requests can only be used with the same parameters "
                                        f"they were first used with. Try using a key other than '{key}' if you "
                                        "meant to execute a different request.", type_="idempotency_error")
                return Reply(reply.status, copy.deepcopy(reply.body), {"Idempotent-Replayed": "true"})
            # A refused request is not saved (Stripe saves nothing when validation fails), so it can be retried.
            reply = Reply(200, handler(req, params))
            self._idempotent[key] = (fingerprint, Reply(reply.status, copy.deepcopy(reply.body)))
            return reply

    def _dispatch(self, req: Request) -> Reply:
        reply = super()._dispatch(req)
        with self._lock:
            hold = next((h for h in self._holds if req.path.startswith(h.path)), None)
            if hold:
                self._holds.remove(hold)
        if hold:
            hold.arrived.set()
            hold._release.wait(30)
        return reply

    def hold_next(self, path: str) -> Hold:
        """The next answer to a request under `path` is computed at arrival, then held."""
        hold = Hold(path)
        with self._lock:
            self._holds.append(hold)
        return hold

    # customers

    def _create_customer(self, req: Request, p: dict) -> dict:
        _known(p, _CUSTOMER_PARAMS)
        customer = _customer(p)
        self.customers[customer["id"]] = customer
        return copy.deepcopy(customer)

    def _get_customer(self, req: Request, p: dict) -> dict:
        customer = self._find(self.customers, req.match["id"], "customer")
        if customer.get("deleted"):
            return {"id": customer["id"], "object": "customer", "deleted": True}
        return copy.deepcopy(customer)

    def _delete_customer(self, req: Request, p: dict) -> dict:
        """DELETE /v1/customers/{id}: the customer is gone (a deleted object on retrieve),
        its subscriptions are cancelled at once; charges and invoices stay, as Stripe keeps
        them. A second delete is a 404 resource_missing, as Stripe answers."""
        customer = self._find(self.customers, req.match["id"], "customer")
        if customer.get("deleted"):
            raise ApiError(404, f"No such customer: '{customer['id']}'", code="resource_missing", param="id")
        now = _now()
        for sub in self.subscriptions.values():
            if sub.get("customer") == customer["id"] and sub["status"] not in ("canceled", "incomplete_expired"):
                sub.update(status="canceled", ended_at=now, canceled_at=now, cancel_at=None, cancel_at_period_end=False)
        self.customers[customer["id"]] = {"id": customer["id"], "object": "customer", "deleted": True}
        return {"id": customer["id"], "object": "customer", "deleted": True}

    # checkout

    def _create_session(self, req: Request, p: dict) -> dict:
        _known(p, _CHECKOUT_PARAMS)
        mode = p.get("mode")
        if not mode:
            raise ApiError(400, "Missing required param: mode.", code="parameter_missing", param="mode")
        if mode != "subscription":
            raise ApiError(400, f"This stand-in implements mode=subscription only, not {mode!r}.", param="mode")
        if p.get("customer"):
            self._find(self.customers, p["customer"], "customer", "customer")
        items = p.get("line_items")
        if not isinstance(items, list) or not items:
            raise ApiError(400, "Missing required param: line_items.", code="parameter_missing", param="line_items")
        for i, item in enumerate(items):
            price = item.get("price")
            if not price:
                raise ApiError(400, f"Missing required param: line_items[{i}][price].", code="parameter_missing",
                               param=f"line_items[{i}][price]")
            self._find(self.prices, price, "price", f"line_items[{i}][price]")
        session = _session(p, self.prices)
        self.sessions[session["id"]] = session
        return _public(session)

    def _get_session(self, req: Request, p: dict) -> dict:
        return _public(self._find(self.sessions, req.match["id"], "checkout.session"))

    def _create_portal_session(self, req: Request, p: dict) -> dict:
        _known(p, _PORTAL_PARAMS)
        if not p.get("customer"):
            raise ApiError(400, "Missing required param: customer.", code="parameter_missing", param="customer")
        self._find(self.customers, p["customer"], "customer", "customer")
        return _portal_session(p)

    # subscriptions

    def _get_subscription(self, req: Request, p: dict) -> dict:
        return _public(self._find(self.subscriptions, req.match["id"], "subscription"))

    def _list_subscriptions(self, req: Request, p: dict) -> dict:
        _known(p, _SUBSCRIPTION_LIST_PARAMS)
        status = p.get("status")
        if status is not None and status not in _STATUSES | {"all", "ended"}:
            raise ApiError(400, f"Invalid status: must be one of {', '.join(sorted(_STATUSES | {'all', 'ended'}))}",
                           param="status")
        try:
            limit = int(p.get("limit", 10))
        except ValueError:
            raise ApiError(400, "Invalid integer: limit", param="limit") from None
        if not 1 <= limit <= 100:
            raise ApiError(400, "Invalid limit: must be between 1 and 100", param="limit")
        if p.get("customer"):
            self._find(self.customers, p["customer"], "customer", "customer")
        subs = [s for s in self.subscriptions.values() if not p.get("customer") or s["customer"] == p["customer"]]
        if status is None:
            subs = [s for s in subs if s["status"] != "canceled"]
        elif status == "ended":
            subs = [s for s in subs if s["status"] in ("canceled", "incomplete_expired")]
        elif status != "all":
            subs = [s for s in subs if s["status"] == status]
        subs.sort(key=lambda s: (s["created"], s["_seq"]), reverse=True)
        return {"object": "list", "data": [_public(s) for s in subs[:limit]], "has_more": len(subs) > limit,
                "url": "/v1/subscriptions"}

    def _cancel_subscription(self, req: Request, p: dict) -> dict:
        """Cancel at once: the subscription answers `canceled`, with canceled_at and ended_at
        now and cancellation_details.reason `cancellation_requested`."""
        _known(p, _SUBSCRIPTION_CANCEL_PARAMS)
        sub = self._find(self.subscriptions, req.match["id"], "subscription")
        if sub["status"] in ("canceled", "incomplete_expired"):
            # Not documented; this stand-in refuses, and postr never cancels an ended subscription.
            raise ApiError(400, f"This subscription is already {sub['status']}.")
        now = _now()
        sub.update(status="canceled", ended_at=now, canceled_at=now, cancel_at=None, cancel_at_period_end=False)
        sub["cancellation_details"] = {**sub["cancellation_details"], "reason": "cancellation_requested",
                                       **(p.get("cancellation_details") or {})}
        return _public(sub)

    def _find(self, table: dict, object_id: str, kind: str, param: str | None = None) -> dict:
        """A missing object named in the path is a 404; named by a parameter, a 400 on that parameter."""
        if object_id not in table:
            raise ApiError(404 if param is None else 400, f"No such {kind}: '{object_id}'",
                           code="resource_missing", param=param or "id")
        return table[object_id]

    # --- what happens on Stripe's side (driven by tests) ------------------------------

    def add_price(self, price_id: str, unit_amount: int = 1200, currency: str = "usd") -> dict:
        with self._state:
            self.prices[price_id] = _price(price_id, unit_amount, currency)
            return copy.deepcopy(self.prices[price_id])

    def complete_checkout(self, session_id: str) -> dict:
        """The customer pays on the Checkout page: the subscription starts, its first invoice is paid."""
        with self._state:
            session = self.sessions[session_id]
            price = self.prices[session["_line_items"][0]["price"]]
            customer = self.customers[session["customer"]] if session["customer"] else None
            if customer is None:
                customer = _customer({"email": session.get("customer_email")})
                self.customers[customer["id"]] = customer
            sub = _subscription(customer["id"], price, session["_subscription_metadata"], seq=len(self.subscriptions))
            self.subscriptions[sub["id"]] = sub
            invoice = self._invoice(sub, "subscription_create", paid=True)
            session.update({
                "status": "complete", "payment_status": "paid", "customer": customer["id"], "subscription": sub["id"],
                "invoice": invoice["id"], "amount_subtotal": price["unit_amount"], "amount_total": price["unit_amount"],
                "currency": price["currency"],
            })
            session["customer_details"]["email"] = customer.get("email")
            return {"session": _public(session), "subscription": _public(sub), "invoice": copy.deepcopy(invoice)}

    def fail_renewal(self, subscription_id: str) -> dict:
        """A renewal charge fails: the invoice stays open and the subscription goes past_due."""
        with self._state:
            sub = self.subscriptions[subscription_id]
            previous = {"status": sub["status"], "latest_invoice": sub["latest_invoice"]}
            invoice = self._invoice(sub, "subscription_cycle", paid=False)
            sub["status"] = "past_due"
            return {"subscription": _public(sub), "previous_attributes": previous, "invoice": copy.deepcopy(invoice)}

    def pay_renewal(self, subscription_id: str) -> dict:
        """A renewal is paid (first try or a retry): a new period starts, the subscription is active."""
        with self._state:
            sub = self.subscriptions[subscription_id]
            open_invoice = self.invoices.get(sub["latest_invoice"] or "")
            item = sub["items"]["data"][0]
            previous = {"status": sub["status"], "latest_invoice": sub["latest_invoice"],
                        "items": copy.deepcopy(sub["items"])}
            if open_invoice and open_invoice["status"] == "open":
                invoice = _mark_paid(open_invoice)
            else:
                invoice = self._invoice(sub, "subscription_cycle", paid=True)
            item["current_period_start"] = item["current_period_end"]
            item["current_period_end"] = item["current_period_start"] + MONTH
            sub["status"] = "active"
            return {"subscription": _public(sub), "previous_attributes": previous, "invoice": copy.deepcopy(invoice)}

    def update_subscription(self, subscription_id: str, *, price: str | None = None, status: str | None = None,
                            cancel_at_period_end: bool | None = None) -> dict:
        """A change made in the Billing Portal or the Dashboard."""
        with self._state:
            sub = self.subscriptions[subscription_id]
            previous: dict = {}
            if price is not None:
                previous["items"] = copy.deepcopy(sub["items"])
                item = sub["items"]["data"][0]
                item["price"] = copy.deepcopy(self.prices[price])
                item["plan"] = _plan_of_price(self.prices[price])
            if status is not None:
                previous["status"] = sub["status"]
                sub["status"] = status
            if cancel_at_period_end is not None:
                previous.update(cancel_at_period_end=sub["cancel_at_period_end"], cancel_at=sub["cancel_at"],
                                canceled_at=sub["canceled_at"])
                sub["cancel_at_period_end"] = cancel_at_period_end
                sub["cancel_at"] = sub["items"]["data"][0]["current_period_end"] if cancel_at_period_end else None
                sub["canceled_at"] = _now() if cancel_at_period_end else None
                sub["cancellation_details"]["reason"] = "cancellation_requested" if cancel_at_period_end else None
            return {"subscription": _public(sub), "previous_attributes": previous}

    def cancel_now(self, subscription_id: str) -> dict:
        """The subscription ends (its period ran out after a cancellation, or it was cancelled at once)."""
        with self._state:
            sub = self.subscriptions[subscription_id]
            now = _now()
            sub.update(status="canceled", ended_at=now, canceled_at=sub["canceled_at"] or now)
            return {"subscription": _public(sub)}

    def event(self, type_: str, obj: dict, previous_attributes: dict | None = None, created: int | None = None) -> dict:
        """The webhook event Stripe sends for a change, as a plain dict (sign its JSON yourself)."""
        data = {"object": copy.deepcopy(obj)}
        if previous_attributes is not None:
            data["previous_attributes"] = copy.deepcopy(previous_attributes)
        return {
            "id": _id("evt_"), "object": "event", "account": None, "api_version": API_VERSION, "context": None,
            "created": created or _now(), "data": data, "livemode": False, "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None}, "type": type_,
        }

    def _invoice(self, sub: dict, reason: str, paid: bool) -> dict:
        invoice = _invoice(sub, reason, paid)
        self.invoices[invoice["id"]] = invoice
        sub["latest_invoice"] = invoice["id"]
        return invoice


# --- objects, in the API version's shapes -----------------------------------------------


def _query(req: Request) -> str:
    from urllib.parse import urlencode

    return urlencode([(k, v) for k, values in req.query.items() for v in values])


def _known(params: dict, allowed: set[str]) -> None:
    for name in params:
        if name not in allowed:
            raise ApiError(400, f"Received unknown parameter: {name}", param=name)


def _error_body(exc: ApiError, request_id: str) -> dict:
    error = {"message": exc.message, "type": exc.type,
             "request_log_url": f"https://dashboard.stripe.com/test/logs/{request_id}"}
    if exc.code:
        error["code"] = exc.code
        error["doc_url"] = f"https://docs.stripe.com/error-codes/{exc.code.replace('_', '-')}"
    if exc.param:
        error["param"] = exc.param
    return {"error": error}


def _public(obj: dict) -> dict:
    """The object as the API returns it (without the stand-in's own bookkeeping)."""
    return {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}


def _address() -> dict:
    return {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None, "state": None}


def _customer(p: dict) -> dict:
    return {
        "id": _id("cus_", 14), "object": "customer", "address": p.get("address"), "balance": int(p.get("balance", 0)),
        "business_name": p.get("business_name"), "created": _now(), "currency": None, "customer_account": None,
        "default_source": None, "delinquent": False, "description": p.get("description"), "discount": None,
        "email": p.get("email"), "individual_name": p.get("individual_name"),
        "invoice_prefix": _id("", 8).upper(),
        "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None,
                             "rendering_options": None},
        "livemode": False, "metadata": dict(p.get("metadata") or {}), "name": p.get("name"),
        "next_invoice_sequence": 1, "phone": p.get("phone"), "preferred_locales": list(p.get("preferred_locales") or []),
        "shipping": None, "tax_exempt": p.get("tax_exempt", "none"), "test_clock": None,
    }


def _price(price_id: str, unit_amount: int, currency: str) -> dict:
    return {
        "id": price_id, "object": "price", "active": True, "billing_scheme": "per_unit", "created": _now(),
        "currency": currency, "custom_unit_amount": None, "livemode": False, "lookup_key": None, "metadata": {},
        "nickname": None, "product": _id("prod_", 14),
        "recurring": {"interval": "month", "interval_count": 1, "meter": None, "trial_period_days": None,
                      "usage_type": "licensed"},
        "tax_behavior": "unspecified", "tiers_mode": None, "transform_quantity": None, "type": "recurring",
        "unit_amount": unit_amount, "unit_amount_decimal": str(unit_amount),
    }


def _plan_of_price(price: dict) -> dict:
    """The legacy Plan view Stripe still puts beside each item's Price."""
    return {
        "id": price["id"], "object": "plan", "active": True, "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"], "billing_scheme": "per_unit", "created": price["created"],
        "currency": price["currency"], "interval": "month", "interval_count": 1, "livemode": False, "metadata": {},
        "meter": None, "nickname": None, "product": price["product"], "tiers_mode": None, "transform_usage": None,
        "trial_period_days": None, "usage_type": "licensed",
    }


def _session(p: dict, prices: dict) -> dict:
    sid = _id("cs_test_", 58)
    now = _now()
    subscription_data = p.get("subscription_data") or {}
    return {
        "id": sid, "object": "checkout.session", "adaptive_pricing": {"enabled": False}, "after_expiration": None,
        "allow_promotion_codes": None, "allowed_payment_method_types": None, "amount_subtotal": None,
        "amount_total": None,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": None, "branding_settings": None, "cancel_url": p.get("cancel_url"),
        "client_reference_id": p.get("client_reference_id"), "client_secret": None, "collected_information": None,
        "consent": None, "consent_collection": None, "created": now, "currency": None, "currency_conversion": None,
        "custom_fields": [], "custom_text": {"after_submit": None, "shipping_address": None, "submit": None,
                                             "terms_of_service_acceptance": None},
        "customer": p.get("customer"), "customer_account": None, "customer_creation": None,
        "customer_details": {"address": None, "business_name": None, "email": p.get("customer_email"),
                             "individual_name": None, "name": None, "phone": None, "tax_exempt": "none",
                             "tax_ids": []},
        "customer_email": p.get("customer_email"), "discounts": [], "excluded_payment_method_types": None,
        "expires_at": now + 24 * 3600, "integration_identifier": None, "invoice": None, "invoice_creation": None,
        "livemode": False, "locale": p.get("locale"), "managed_payments": None,
        "metadata": dict(p.get("metadata") or {}), "mode": p["mode"], "name_collection": None,
        "optional_items": None, "origin_context": None, "payment_intent": None, "payment_link": None,
        "payment_method_collection": "always", "payment_method_configuration_details": None,
        "payment_method_options": {}, "payment_method_types": ["card"], "payment_status": "unpaid",
        "permissions": None, "phone_number_collection": {"enabled": False}, "presentment_details": None,
        "recovered_from": None, "redirect_on_completion": None, "return_url": None,
        "saved_payment_method_options": {"allow_redisplay_filters": ["always"], "payment_method_remove": None,
                                         "payment_method_save": None},
        "setup_intent": None, "shipping_address_collection": None, "shipping_cost": None, "shipping_options": [],
        "status": "open", "submit_type": None, "subscription": None, "success_url": p.get("success_url"),
        "tax_id_collection": {"enabled": False, "required": "never"},
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": p.get("ui_mode", "hosted"), "url": f"https://checkout.stripe.com/c/pay/{sid}",
        "wallet_options": None,
        "_line_items": [{"price": i["price"], "quantity": int(i.get("quantity", 1))} for i in p["line_items"]],
        "_subscription_metadata": dict(subscription_data.get("metadata") or {}),
    }


def _portal_session(p: dict) -> dict:
    return {
        "id": _id("bps_"), "object": "billing_portal.session", "after_expiration": None,
        "configuration": p.get("configuration") or "bpc_" + _id("", 24), "created": _now(),
        "customer": p["customer"], "customer_account": None, "flow": None, "livemode": False,
        "locale": p.get("locale"), "on_behalf_of": p.get("on_behalf_of"), "return_url": p.get("return_url"),
        "url": f"https://billing.stripe.com/p/session/test_{_id('', 40)}",
    }


def _subscription(customer_id: str, price: dict, metadata: dict, seq: int) -> dict:
    now = _now()
    sid = _id("sub_")
    return {
        "id": sid, "object": "subscription", "application": None, "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": now, "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": None, "type": "classic"}, "billing_schedules": [], "billing_thresholds": None,
        "cancel_at": None, "cancel_at_period_end": False, "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically", "created": now, "currency": price["currency"],
        "customer": customer_id, "customer_account": None, "days_until_due": None,
        "default_payment_method": _id("pm_"), "default_source": None, "default_tax_rates": [], "description": None,
        "discounts": [], "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": {
            "object": "list", "has_more": False, "url": f"/v1/subscription_items?subscription={sid}",
            "data": [{
                "id": _id("si_", 14), "object": "subscription_item", "billed_until": None, "billing_thresholds": None,
                "created": now, "current_period_end": now + MONTH, "current_period_start": now, "current_trial": None,
                "discounts": [], "metadata": {}, "plan": _plan_of_price(price), "price": copy.deepcopy(price),
                "quantity": 1, "subscription": sid, "tax_rates": [],
            }],
        },
        "latest_invoice": None, "livemode": False, "managed_payments": None, "metadata": dict(metadata),
        "next_pending_invoice_item_invoice": None, "on_behalf_of": None, "pause_collection": None,
        "payment_settings": {"payment_method_options": None, "payment_method_types": None,
                             "save_default_payment_method": "off"},
        "pending_invoice_item_interval": None, "pending_setup_intent": None, "pending_update": None,
        "presentment_details": None, "schedule": None, "start_date": now, "status": "active", "status_details": None,
        "test_clock": None, "transfer_data": None, "trial_end": None,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}}, "trial_start": None,
        "_seq": seq,
    }


def card_payment_method(customer_id: str) -> dict:
    """A card PaymentMethod as Stripe answers it and sends it in `payment_method.*` events:
    brand, last four digits, expiry and fingerprint included (never the number)."""
    return {
        "id": _id("pm_"), "object": "payment_method", "allow_redisplay": "always",
        "billing_details": {"address": {"city": None, "country": "FR", "line1": None, "line2": None,
                                        "postal_code": "75011", "state": None},
                            "email": None, "name": "Ada Lovelace", "phone": None, "tax_id": None},
        "card": {"brand": "visa", "checks": {"address_line1_check": None, "address_postal_code_check": "pass",
                                            "cvc_check": "pass"},
                 "country": "US", "display_brand": "visa", "exp_month": 8, "exp_year": 2031,
                 "fingerprint": "Xt5EWLLDS7FJjR1c", "funding": "credit", "generated_from": None, "last4": "4242",
                 "networks": {"available": ["visa"], "preferred": None},
                 "regulated_status": "unregulated",
                 "three_d_secure_usage": {"supported": True}, "wallet": None},
        "created": _now(), "customer": customer_id, "customer_account": None, "livemode": False, "metadata": {},
        "type": "card",
    }


def card_charge(invoice: dict, payment_method: dict) -> dict:
    """The Charge that paid an invoice, as `charge.succeeded` carries it: its
    payment_method_details.card repeats the card's brand, last4, expiry and fingerprint."""
    card = payment_method["card"]
    return {
        "id": _id("ch_"), "object": "charge", "amount": invoice["amount_due"], "amount_captured": invoice["amount_due"],
        "amount_refunded": 0, "billing_details": payment_method["billing_details"], "captured": True,
        "created": _now(), "currency": invoice["currency"], "customer": invoice["customer"],
        "description": "Subscription update", "livemode": False, "metadata": {}, "paid": True,
        "payment_intent": _id("pi_"), "payment_method": payment_method["id"],
        "payment_method_details": {"card": {
            "amount_authorized": invoice["amount_due"], "brand": card["brand"], "checks": card["checks"],
            "country": card["country"], "exp_month": card["exp_month"], "exp_year": card["exp_year"],
            "fingerprint": card["fingerprint"], "funding": card["funding"], "last4": card["last4"],
            "network": "visa", "network_transaction_id": "582021096104040", "three_d_secure": None,
            "wallet": None}, "type": "card"},
        "receipt_email": None, "receipt_url": "https://pay.stripe.com/receipts/test", "refunded": False,
        "status": "succeeded",
    }


def _invoice(sub: dict, reason: str, paid: bool) -> dict:
    now = _now()
    item = sub["items"]["data"][0]
    price = item["price"]
    amount = price["unit_amount"]
    iid = _id("in_")
    start, end = (item["current_period_start"], item["current_period_end"]) if reason == "subscription_create" \
        else (item["current_period_end"], item["current_period_end"] + MONTH)
    invoice = {
        "id": iid, "object": "invoice", "account_country": "US", "account_name": "postr", "account_tax_ids": None,
        "amount_due": amount, "amount_overpaid": 0, "amount_paid": 0, "amount_paid_off_stripe": 0,
        "amount_remaining": amount, "amount_shipping": 0, "application": None, "attempt_count": 1, "attempted": True,
        "auto_advance": True,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None, "provider": None,
                          "status": None},
        "automatically_finalizes_at": None, "billing_reason": reason, "collection_method": "charge_automatically",
        "created": now, "currency": price["currency"], "custom_fields": None, "customer": sub["customer"],
        "customer_account": None, "customer_address": None, "customer_email": None, "customer_name": None,
        "customer_phone": None, "customer_shipping": None, "customer_tax_exempt": "none", "customer_tax_ids": [],
        "default_payment_method": None, "default_source": None, "default_tax_rates": [], "description": None,
        "discounts": [], "due_date": None, "effective_at": now, "ending_balance": 0, "footer": None,
        "from_invoice": None, "hosted_invoice_url": f"https://invoice.stripe.com/i/acct_test/test_{iid}",
        "invoice_pdf": f"https://pay.stripe.com/invoice/acct_test/test_{iid}/pdf", "issuer": {"type": "self"},
        "last_finalization_error": None, "latest_revision": None,
        "lines": {"object": "list", "has_more": False, "url": f"/v1/invoices/{iid}/lines", "data": [{
            "id": _id("il_"), "object": "line_item", "amount": amount, "currency": price["currency"],
            "description": f"1 × postr ({price['id']})", "discount_amounts": [], "discountable": True,
            "discounts": [], "invoice": iid, "livemode": False, "metadata": {},
            "parent": {"invoice_item_details": None, "type": "subscription_item_details",
                       "subscription_item_details": {"invoice_item": None, "proration": False,
                                                     "proration_details": {"credited_items": None},
                                                     "subscription": sub["id"], "subscription_item": item["id"]}},
            "period": {"end": end, "start": start}, "pretax_credit_amounts": [],
            "pricing": {"price_details": {"price": price["id"], "product": price["product"]},
                        "type": "price_details", "unit_amount_decimal": price["unit_amount_decimal"]},
            "quantity": 1, "quantity_decimal": "1", "subscription": sub["id"], "subtotal": amount, "taxes": [],
        }]},
        "livemode": False, "metadata": {}, "next_payment_attempt": None if paid else now + 3 * 24 * 3600,
        "number": f"{_id('', 8).upper()}-0001", "on_behalf_of": None,
        "parent": {"quote_details": None, "type": "subscription_details",
                   "subscription_details": {"metadata": dict(sub["metadata"]), "subscription": sub["id"],
                                            "subscription_proration_date": None}},
        "payment_settings": {"default_mandate": None, "payment_method_options": None, "payment_method_types": None},
        "period_end": now, "period_start": now, "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0, "receipt_number": None, "rendering": None, "shipping_cost": None,
        "shipping_details": None, "starting_balance": 0, "statement_descriptor": None, "status": "open",
        "status_details": None,
        "status_transitions": {"finalized_at": now, "marked_uncollectible_at": None, "paid_at": None,
                               "voided_at": None},
        "subtotal": amount, "subtotal_excluding_tax": amount, "test_clock": None, "threshold_reason": None,
        "total": amount, "total_discount_amounts": [], "total_excluding_tax": amount, "total_pretax_credit_amounts": [],
        "total_taxes": [], "webhooks_delivered_at": None,
    }
    return _mark_paid(invoice) if paid else invoice


def _mark_paid(invoice: dict) -> dict:
    invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0, next_payment_attempt=None)
    invoice["status_transitions"]["paid_at"] = _now()
    return invoice


if __name__ == "__main__":
    import sys

    # python tools/fakes/stripe.py PORT [price ids...]: the local stack's Stripe.
    fake = StripeFake(prices=sys.argv[2:], port=int(sys.argv[1]) if len(sys.argv) > 1 else 0).start()
    print(f"stripe stand-in ready on {fake.url}", flush=True)
    threading.Event().wait()
