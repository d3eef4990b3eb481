"""Google Analytics 4 (policy 2.4, 4.2), fed from the server through the Measurement
Protocol (developers.google.com/analytics/devguides/collection/protocol/ga4).

Off unless both GA4_MEASUREMENT_ID and the GA4_API_SECRET secret are set. Only
telemetry.product.capture calls `send`, after it has asked
kernel.optouts.product_analytics_allowed (policy 7.4): nothing reaches
Google for a person who opted out, or for a deleted or unknown account.

Identity: `client_id` is a stable hash of the uid, and no `user_id` is sent.
The reference makes `client_id` the required identifier of a web data stream
(it is what GA counts users by) and `user_id` optional, for joining one
person's activity across devices and streams. postr has no GA tag in the
browser to join with, so a `user_id` would only repeat the same pseudonym;
leaving it out also keeps us clear of GA's User-ID rules. The hash, not the uid,
so Google never holds a key of our database; unkeyed, so it survives secret
rotation and the operator can work out a person's client id for GA's User
Deletion API (which takes a CLIENT_ID but needs a property Editor's OAuth
identity, not the api_secret, so it is not called from here).

What is sent: one event per request, its name and params. Names follow the
documented rules (a letter first, letters, digits and underscores, at most 40
characters, no reserved name or prefix); an event whose name breaks them is
not sent to GA at all. Params keep at most 25 plain values; a string over 100
characters is dropped, not cut (a long string is more likely text than a
name); booleans go as "true"/"false". `non_personalized_ads` and consent
`ad_user_data`/`ad_personalization` DENIED: these events are for product
analytics, never ads. No IP, location, device, timestamp or session.

The endpoint answers 2xx to anything it receives, valid or not (the
reference's "Response codes"), so a 2xx means delivered, not accepted; the
payload rules are therefore kept here and checked against the documented
validation rules in tests (tools/fakes/ga4.py). Sent synchronously with a short
timeout, no retry; a failure is logged and never raised.
"""

import hashlib
import re

from kernel import log, settings

# The sending-events guide's reserved names and prefixes.
RESERVED_EVENT_NAMES = frozenset({
    "ad_activeview", "ad_click", "ad_exposure", "ad_query", "ad_reward", "adunit_exposure", "app_background",
    "app_clear_data", "app_exception", "app_remove", "app_store_refund", "app_store_subscription_cancel",
    "app_store_subscription_convert", "app_store_subscription_renew", "app_update", "app_upgrade",
    "dynamic_link_app_open", "dynamic_link_app_update", "dynamic_link_first_open", "error", "firebase_campaign",
    "firebase_in_app_message_action", "firebase_in_app_message_dismiss", "firebase_in_app_message_impression",
    "first_open", "first_visit", "in_app_purchase", "notification_dismiss", "notification_foreground",
    "notification_open", "notification_receive", "os_update", "session_start", "session_start_with_rollout",
    "user_engagement",
})
RESERVED_PARAM_NAMES = frozenset({"firebase_conversion"})
RESERVED_PREFIXES = ("google_", "ga_", "firebase_")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
MAX_PARAMS = 25
MAX_VALUE_LENGTH = 100  # a standard (not 360) property
TIMEOUT_S = 3.0


def configured() -> bool:
    return bool(settings.GA4_MEASUREMENT_ID.value and settings.secret_value(settings.GA4_API_SECRET))


def client_id(uid: str) -> str:
    """The person's GA client id: 128 bits of SHA-256 over a fixed prefix and the uid."""
    return hashlib.sha256(f"postr-ga4:{uid}".encode()).hexdigest()[:32]


def valid_event_name(name: str) -> bool:
    return bool(_NAME.fullmatch(name or "")) and name not in RESERVED_EVENT_NAMES \
        and not name.startswith(RESERVED_PREFIXES)


def _valid_param_name(name: str) -> bool:
    return bool(_NAME.fullmatch(name)) and name not in RESERVED_PARAM_NAMES and not name.startswith(RESERVED_PREFIXES)


def params(properties: dict) -> dict:
    """The properties GA may take, as GA takes them."""
    out: dict = {}
    for name, value in properties.items():
        if len(out) == MAX_PARAMS:
            break
        if not isinstance(name, str) or not _valid_param_name(name) or value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, str) and len(value) > MAX_VALUE_LENGTH:
            continue
        elif not isinstance(value, str | int | float):
            continue
        out[name] = value
    return out


def payload(uid: str, event: str, properties: dict) -> dict:
    return {
        "client_id": client_id(uid),
        "non_personalized_ads": True,
        "consent": {"ad_user_data": "DENIED", "ad_personalization": "DENIED"},
        "events": [{"name": event, "params": params(properties)}],
    }


def send(uid: str, event: str, properties: dict) -> bool:
    """Send one event; False when GA is off, the name is not GA's, or sending failed.
    Callers: analytics_product.capture only (it asks the opt-out first)."""
    if not configured() or not uid:
        return False
    if not valid_event_name(event):
        log.warn("google analytics: event name breaks GA's rules; not sent", event=event)
        return False
    import httpx

    url = settings.GA4_BASE_URL.value.rstrip("/") + "/mp/collect"
    query = {"measurement_id": settings.GA4_MEASUREMENT_ID.value,
             "api_secret": settings.secret_value(settings.GA4_API_SECRET)}
    try:
        response = httpx.post(url, params=query, json=payload(uid, event, properties), timeout=TIMEOUT_S)
    except Exception as exc:  # analytics never breaks the product; the URL holds the secret, so no str(exc)
        log.warn("google analytics: event not sent", event=event, error=type(exc).__name__)
        return False
    if not response.is_success:
        log.warn("google analytics: event not sent", event=event, status=response.status_code)
        return False
    return True
