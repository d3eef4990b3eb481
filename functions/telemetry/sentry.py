"""Error tracking (Sentry): unexpected exceptions, reported without personal data.

Off when SENTRY_DSN is unset. The SDK is imported and started on the first
report, not at cold start. It is started with no default integrations (none
hooks logging or threads behind our back), without local variables in stack
frames (a frame may hold a token or a post's text) and without user data;
a report carries the exception, its stack and where it happened, never a uid.
Each report is flushed at once: a Cloud Function may be frozen after it answers.
"""

import functools

from kernel import log, settings


@functools.cache
def _start(dsn: str, environment: str) -> bool:
    import sentry_sdk

    # data_collection (sentry-sdk 2.75's replacement for send_default_pii): no user, bodies or frame variables.
    sentry_sdk.init(dsn=dsn, environment=environment, default_integrations=False, auto_enabling_integrations=False,
                    max_breadcrumbs=0, before_send=_scrub,
                    data_collection={"user_info": False, "http_bodies": [], "stack_frame_variables": False,
                                     "database_query_data": False, "queues": False})
    return True


def _scrub(event, _hint):
    # Messages are ours and already free of secrets (kernel.log rules); request data never is sent.
    event.pop("request", None)
    event.pop("user", None)
    event.pop("server_name", None)
    return event


def configured() -> bool:
    return bool(settings.SENTRY_DSN.value)


def capture(exc: BaseException, *, where: str) -> bool:
    """Report an unexpected exception; False when error tracking is off or failed."""
    if not configured():
        return False
    try:
        _start(settings.SENTRY_DSN.value, settings.SENTRY_ENVIRONMENT.value)
        import sentry_sdk

        with sentry_sdk.new_scope() as scope:
            scope.set_tag("where", where)
            sentry_sdk.capture_exception(exc)
        sentry_sdk.flush(timeout=2)
    except Exception as err:  # error tracking never breaks the product
        log.warn("error tracking: report not sent", where=where, error=type(err).__name__)
        return False
    return True
