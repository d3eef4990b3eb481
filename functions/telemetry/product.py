"""Product analytics, for what people do in postr, never what they write: one entry
point, `capture`, sends each event to every configured sink (PostHog; Google
Analytics 4 through telemetry.ga4), and `forget` asks PostHog to delete a
person when their account is deleted.

Each sink is off unless configured (PostHog: POSTHOG_PROJECT_API_KEY; GA:
GA4_MEASUREMENT_ID and GA4_API_SECRET). Every event first asks
kernel.optouts.product_analytics_allowed (policy 2.4, 7.4), once for all
sinks: a person who opted out, or a deleted or unknown account, sends nothing
anywhere. Identity is pseudonymous: PostHog's distinct id is the uid, GA's
client id a hash of it. Properties are names and counts chosen by the caller,
never post text, handles, emails or tokens; for the events below only the
listed properties go out, and their strings must look like names. PostHog's
GeoIP lookup stays off. Sends are synchronous (the SDK's sync_mode): a Cloud
Function's CPU may be frozen between requests, so a background queue could be
lost. A sink's failure is logged and swallowed, and never stops the others.
"""

import functools
import re

from kernel import log, settings
from telemetry import ga4 as analytics_ga

# Property values are small and plain: names, ids of our own, counts, flags.
_ALLOWED_TYPES = (str, int, float, bool, type(None))

# The events the backend sees. Names are GA-valid (snake case, 40 characters at most), so
# both sinks get the same name; "sign_up" is GA's recommended name, which GA reports as such.
SIGNED_UP = "sign_up"
ONBOARDED = "onboarding_completed"
ACCOUNT_CONNECTED = "account_connected"
POST_PUBLISHED = "post_published"
SUBSCRIPTION_STARTED = "subscription_started"
SUBSCRIPTION_ENDED = "subscription_ended"

# What each may carry. Strings are names (a network, a plan, a sign-in provider, a Stripe
# status), ints are counts.
EVENT_PROPERTIES: dict[str, dict[str, type]] = {
    SIGNED_UP: {"method": str},                       # sign-in provider id: "password", "google.com"
    ONBOARDED: {},
    ACCOUNT_CONNECTED: {"network": str, "accounts": int},  # accounts: how many are connected now
    POST_PUBLISHED: {"network": str},                 # one event per network the post went out on
    SUBSCRIPTION_STARTED: {"plan": str},
    SUBSCRIPTION_ENDED: {"plan": str, "status": str},  # the plan that ended; Stripe's subscription status
}
# A name, not text: a string of one of the events above that does not look like this is dropped.
_NAME_VALUE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")
# The deletion runs inside the account deletion, which has minutes: wait longer than for an event.
FORGET_TIMEOUT_S = 10.0


@functools.cache
def _client(api_key: str, host: str):
    from posthog import Posthog
    from posthog.capture_mode import CaptureMode

    return Posthog(api_key, host=host, sync_mode=True, disable_geoip=True, timeout=3, max_retries=1,
                   capture_mode=CaptureMode.V0)


def configured() -> bool:
    """PostHog capture is configured (each sink has its own `configured`)."""
    return bool(settings.POSTHOG_PROJECT_API_KEY.value)


def _properties(event: str, properties: dict | None) -> dict:
    plain = {k: v for k, v in (properties or {}).items() if isinstance(k, str) and isinstance(v, _ALLOWED_TYPES)}
    declared = EVENT_PROPERTIES.get(event)
    if declared is None:
        return plain
    out = {}
    for name, kind in declared.items():
        value = plain.get(name)
        if kind is int and isinstance(value, int) and not isinstance(value, bool):
            out[name] = value
        elif kind is str and isinstance(value, str) and _NAME_VALUE.fullmatch(value):
            out[name] = value
    return out


def capture(uid: str, event: str, properties: dict | None = None) -> bool:
    """Send one event for `uid` to every configured sink; False when nothing was sent
    (all off, opted out, or every sink failed)."""
    posthog_on, ga_on = configured(), analytics_ga.configured()
    if not uid or not (posthog_on or ga_on):
        return False
    from kernel import optouts as privacy_optouts

    try:
        allowed = privacy_optouts.product_analytics_allowed(uid)
    except Exception as exc:  # unsure whether the person allows it: send nothing, and do not fail the caller
        log.warn("product analytics: opt-out not readable; nothing sent", event=event, error=type(exc).__name__)
        return False
    if not allowed:
        return False
    clean = _properties(event, properties)
    sent = False
    if posthog_on:
        sent |= _posthog(uid, event, clean)
    if ga_on:
        try:
            sent |= analytics_ga.send(uid, event, clean)
        except Exception as exc:  # analytics never breaks the product
            log.warn("google analytics: event not sent", event=event, error=type(exc).__name__)
    return sent


def _posthog(uid: str, event: str, properties: dict) -> bool:
    try:
        client = _client(settings.POSTHOG_PROJECT_API_KEY.value, settings.POSTHOG_HOST.value)
        # A person record per uid (PostHog's default): PostHog deletes events through their
        # person, so without one an account's deletion could not reach them (policy 7.3).
        sent = client.capture(event, distinct_id=uid, properties=properties)
    except Exception as exc:  # analytics never breaks the product
        log.warn("product analytics: event not sent", event=event, error=type(exc).__name__)
        return False
    return sent is not None


def forget(uid: str) -> bool:
    """Ask PostHog to delete the person whose distinct id is `uid`, and their events.

    PostHog's documented way (posthog.com/docs/privacy/data-deletion, API
    "persons bulk delete"): `POST {POSTHOG_API_HOST}/api/projects/{project}/persons/bulk_delete/`
    with a personal API key (scope person:write) and `{"distinct_ids": [uid],
    "delete_events": true}`; it answers 202 with a summary. The single-person
    DELETE takes PostHog's person UUID only, hence this one call instead of a
    lookup and a delete. Events are deleted later, in PostHog's batch.

    True when PostHog accepted the request; False when not configured
    (POSTHOG_PROJECT_ID or POSTHOG_PERSONAL_API_KEY empty), refused or
    unreachable; logged either way, never raised.

    PostHog deletes events through the person they belong to, which is why
    `capture` lets PostHog keep a person per uid (personless events, with
    $process_person_profile false, would be out of reach: PostHog withdrew its
    deletion-by-distinct-id docs for that reason, PostHog/posthog.com#14457). GA4 has no deletion
    through the Measurement Protocol: its deletion APIs need a GA property
    Editor's OAuth identity, which this backend does not hold.
    """
    project = settings.POSTHOG_PROJECT_ID.value
    key = settings.secret_value(settings.POSTHOG_PERSONAL_API_KEY)
    if not uid:
        return False
    if not project or not key:
        log.info("product analytics: PostHog deletion not configured; nothing asked", uid=uid)
        return False
    import httpx

    url = f"{settings.POSTHOG_API_HOST.value.rstrip('/')}/api/projects/{project}/persons/bulk_delete/"
    try:
        response = httpx.post(url, headers={"Authorization": f"Bearer {key}"},
                              json={"distinct_ids": [uid], "delete_events": True}, timeout=FORGET_TIMEOUT_S)
    except Exception as exc:  # a deletion step elsewhere must not break the account deletion
        log.warn("product analytics: PostHog deletion not sent", uid=uid, error=type(exc).__name__)
        return False
    if not response.is_success:
        log.warn("product analytics: PostHog refused the deletion", uid=uid, status=response.status_code)
        return False
    try:
        summary = response.json()
    except ValueError:
        summary = {}
    if summary.get("deletion_errors"):
        log.warn("product analytics: PostHog could not delete the person", uid=uid,
                 errors=len(summary["deletion_errors"]))
        return False
    found = summary.get("persons_found")
    log.info("product analytics: PostHog deletion requested", uid=uid, personsFound=found,
             eventsQueued=summary.get("events_queued_for_deletion"))
    if found == 0:
        log.warn("product analytics: PostHog has no person for this uid; personless events are not deleted by "
                 "this API", uid=uid)
    return True
