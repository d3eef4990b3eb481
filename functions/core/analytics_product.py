"""Product analytics (PostHog), for what people do in postr, never what they write.

Off when POSTHOG_PROJECT_API_KEY is unset. Every event first asks
core.privacy_optouts.product_analytics_allowed (policy 2.4, 7.4): a person who
opted out, or a deleted or unknown account, sends nothing at all. The distinct
id is the uid (pseudonymous); properties are names and counts chosen by the
caller, never post text, handles or tokens, and PostHog's GeoIP lookup stays
off. Events are sent synchronously (the SDK's sync_mode): a Cloud Function's
CPU may be frozen between requests, so a background queue could be lost.
A failure to send is logged and never fails the caller.
"""

import functools

from core import log, settings

# Property values are small and plain: names, ids of our own, counts, flags.
_ALLOWED_TYPES = (str, int, float, bool, type(None))


@functools.cache
def _client(api_key: str, host: str):
    from posthog import Posthog
    from posthog.capture_mode import CaptureMode

    return Posthog(api_key, host=host, sync_mode=True, disable_geoip=True, timeout=3, max_retries=1,
                   capture_mode=CaptureMode.V0)


def configured() -> bool:
    return bool(settings.POSTHOG_PROJECT_API_KEY.value)


def capture(uid: str, event: str, properties: dict | None = None) -> bool:
    """Send one event for `uid`; False when nothing was sent (off, opted out, or failed)."""
    if not configured() or not uid:
        return False
    from core import privacy_optouts

    if not privacy_optouts.product_analytics_allowed(uid):
        return False
    clean = {k: v for k, v in (properties or {}).items() if isinstance(v, _ALLOWED_TYPES)}
    try:
        client = _client(settings.POSTHOG_PROJECT_API_KEY.value, settings.POSTHOG_HOST.value)
        sent = client.capture(event, distinct_id=uid, properties={**clean, "$process_person_profile": False})
    except Exception as exc:  # analytics never breaks the product
        log.warn("product analytics: event not sent", event=event, error=type(exc).__name__)
        return False
    return sent is not None
