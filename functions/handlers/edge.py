"""The edge between Cloud Functions and handlers.

`callable_handler(Schema)` marks a handler and its one payload schema; `run`
serves a callable request with it: request id, caller check, account check,
payload validation, and the mapping of domain errors to HttpsError codes.
Handlers never see an unauthenticated request, an inactive account or an
unvalidated payload, and never trust a uid from the payload: the caller is
`Caller.uid`, taken from the verified ID token.

The account check is the edge's, for every callable: an ID token stays valid
for up to an hour after its account is disabled or deleted, so the profile is
read on every call (`Caller.profile()`, started as the call arrives) and an
account that is not active is refused (PERMISSION_DENIED) whatever the payload.

A network's refusal (platforms.errors) reaching the edge is mapped here too, by
one table, `NETWORK_ERRORS`: what it means to the person depends only on what the
call gave the network to judge, which the handler declares (`network_judges`):
"input" for something the person just entered (a server address, an app password,
a Page they picked), "account" (the default) for a connected account.
A handler that reads the profile beside other work (the AI calls, beside their
token hold) declares `checks_account=True` and calls `caller.profile()` before
anything the person can see happens.
"""

import datetime as _dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from firebase_functions import https_fn

from kernel import log
from kernel.errors import FailedPrecondition, InvalidArgument, PostrError, Unauthenticated, Unavailable
from platforms.errors import AuthExpired, OutcomeUnknown, PlatformError, RateLimited, Transient

_CODES = {code.value: code for code in https_fn.FunctionsErrorCode}


class Account:
    """The caller's profile, read once per call; the read starts when the call arrives."""

    def __init__(self, uid: str):
        from kernel import users

        self._read = _pool().submit(users.load_active, uid)

    def load(self) -> tuple:
        return self._read.result()


@functools.cache
def _pool():
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=16, thread_name_prefix="profile")


@dataclass(frozen=True)
class Caller:
    uid: str
    claims: dict = field(default_factory=dict)
    account: Account | None = field(default=None, compare=False, repr=False)
    # False for the callables a person may use before giving a birth date (profile, onboarding, privacy rights).
    needs_onboarding: bool = field(default=True, compare=False)

    @classmethod
    def arriving(cls, uid: str, claims: dict | None = None, *, needs_onboarding: bool = True) -> "Caller":
        """A caller as a call arrives: their profile is being read already."""
        return cls(uid=uid, claims=dict(claims or {}), account=Account(uid), needs_onboarding=needs_onboarding)

    def profile(self) -> tuple:
        """(snapshot, data) of the caller's profile; PermissionDenied unless the account is active,
        FailedPrecondition (onboarding_required) before a birth date is given where one is needed."""
        from kernel import users

        snap, data = users.load_active(self.uid) if self.account is None else self.account.load()
        if self.needs_onboarding:
            users.require_onboarded(data)
        return snap, data

    @property
    def email(self) -> str | None:
        return self.claims.get("email")

    @property
    def auth_time(self) -> _dt.datetime | None:
        ts = self.claims.get("auth_time")
        return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc) if ts else None


def callable_handler(schema, *, checks_account: bool = False, before_onboarding: bool = False,
                     network_judges: str = "account"):
    """Declare the payload schema (a pydantic model) of a callable handler; whether it
    checks the caller's account itself (`caller.profile()`, see the module doc);
    whether a person may use it before giving a birth date (policy 10: only the
    profile, onboarding and the privacy rights, which do not depend on age); and what
    a network it calls judges (see `NETWORK_ERRORS`)."""
    if network_judges not in NETWORK_ERRORS:
        raise ValueError(f"network_judges must be one of {sorted(NETWORK_ERRORS)}")

    def mark(fn: Callable) -> Callable:
        fn.schema = schema
        fn.checks_account = checks_account
        fn.before_onboarding = before_onboarding
        fn.network_judges = network_judges
        return fn

    return mark


def json_guard(endpoint: Callable) -> Callable:
    """Wrap an https_fn.on_call endpoint so a body that is not JSON is refused as
    INVALID_ARGUMENT (firebase-functions 0.6.0 answers it with a 500 INTERNAL)."""
    import functools

    @functools.wraps(endpoint)  # keeps the __firebase_endpoint__ the CLI discovers
    def guarded(request):
        if request.method == "POST" and request.get_json(silent=True) is None:
            import json

            from flask import Response

            body = {"error": {"status": "INVALID_ARGUMENT", "message": "The request body must be JSON: {\"data\": ...}."}}
            return Response(json.dumps(body), status=400, mimetype="application/json")
        return endpoint(request)

    return guarded


# The one table from a network's refusal to what the person can do, first match wins.
# The network's own message is kept (platform modules write it for people), except
# where what it says would mislead: an "expired session" while signing in means the
# sign-in details were wrong.
NETWORK_ERRORS: dict[str, tuple[tuple[type, type, str | None], ...]] = {
    "input": (
        (Transient | RateLimited | OutcomeUnknown, Unavailable, None),
        (AuthExpired, InvalidArgument, "{network} did not accept those sign-in details. Check them and try again."),
        (PlatformError, InvalidArgument, None),
    ),
    "account": (
        (Transient | RateLimited | OutcomeUnknown, Unavailable, None),
        (AuthExpired, FailedPrecondition, "Your {network} connection expired; reconnect it."),
        (PlatformError, FailedPrecondition, None),
    ),
}


def from_network(err: PlatformError, judges: str = "account") -> PostrError:
    for kind, error, message in NETWORK_ERRORS[judges]:
        if isinstance(err, kind):
            details = {"network": err.network}
            if isinstance(err, RateLimited) and err.retry_after is not None:
                details["retryAfter"] = err.retry_after
            return error(message.format(network=_display_name(err.network)) if message else err.message, details)
    raise AssertionError("NETWORK_ERRORS ends with PlatformError")  # pragma: no cover


def _display_name(network: str) -> str:
    import platforms

    return platforms.get(network).display_name if network in platforms.REGISTRY else network


def to_https_error(err: PostrError) -> https_fn.HttpsError:
    return https_fn.HttpsError(_CODES[err.code], err.message, err.details)


def run(req: https_fn.CallableRequest, handler: Callable) -> Any:
    log.new_request_id(req.raw_request.headers.get("X-Cloud-Trace-Context") if req.raw_request else None)
    name = getattr(handler, "__name__", "handler")
    try:
        if req.auth is None or not req.auth.uid:
            raise Unauthenticated("Sign in to continue.")
        caller = Caller.arriving(req.auth.uid, req.auth.token, needs_onboarding=not handler.before_onboarding)
        try:
            payload = validate(handler.schema, req.data)
        except InvalidArgument:
            caller.profile()  # an inactive account is refused whatever it sent
            raise
        if not handler.checks_account:
            caller.profile()
            return jsonable(handler(caller, payload))
        try:
            return jsonable(handler(caller, payload))
        except Exception:
            caller.profile()  # an inactive account's refusal comes before any other
            raise
    except PostrError as err:
        log.info("callable refused", callable=name, errorCode=err.code)
        raise to_https_error(err) from None
    except PlatformError as err:
        mapped = from_network(err, handler.network_judges)
        log.info("callable refused", callable=name, errorCode=mapped.code, network=err.network,
                 error=type(err).__name__, detail=err.detail)
        raise to_https_error(mapped) from None
    except https_fn.HttpsError:
        raise
    except Exception as exc:  # anything unexpected: log it, report it, tell the caller plainly
        from kernel.errors import from_store

        if (transient := from_store(exc)) is not None:
            log.warn("callable met contention or a busy store", callable=name, error=type(exc).__name__)
            raise to_https_error(transient) from None
        log.error("callable failed", callable=name, error=type(exc).__name__, detail=str(exc)[:500])
        from telemetry import sentry as analytics_error_tracking

        analytics_error_tracking.capture(exc, where=name)
        raise https_fn.HttpsError(
            https_fn.FunctionsErrorCode.INTERNAL,
            "Something went wrong on our side. It has been logged; please try again.",
        ) from None


def validate(schema, data: Any):
    """Validate a payload against its schema; bad input becomes InvalidArgument
    with one readable line per problem."""
    from pydantic import ValidationError

    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidArgument("The request data must be an object.")
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        problems = [_problem(e) for e in errors[:PROBLEMS_MAX]]
        message, details = "; ".join(p["message"] for p in problems), {"problems": problems}
        if len(errors) > PROBLEMS_MAX:
            message += f"; and {len(errors) - PROBLEMS_MAX} more problems."
            details["more"] = len(errors) - PROBLEMS_MAX
        raise InvalidArgument(message, details) from None


# An answer never repeats much of what the caller sent: a key or value of a megabyte
# is quoted by its first characters, and a payload with ten thousand faults lists twenty.
PROBLEMS_MAX = 20
QUOTE_MAX = 40
MESSAGE_MAX = 300


def short(text: str, limit: int = QUOTE_MAX) -> str:
    """A bounded quote of something the caller sent."""
    return text if len(text) <= limit else text[:limit] + "..."


def _problem(err: dict) -> dict:
    where = short(".".join(short(str(p)) for p in err["loc"]), MESSAGE_MAX // 2) or "data"
    if err["type"] == "extra_forbidden":
        message = f"Unknown field '{where}'."
    elif err["type"] == "missing":
        message = f"'{where}' is required."
    else:
        text = err["msg"].removeprefix("Value error, ")
        message = f"'{where}': {text[0].lower() + text[1:] if text else text}."
    return {"field": where, "message": short(message, MESSAGE_MAX)}


def jsonable(value: Any) -> Any:
    """Callable results are JSON: datetimes become ISO 8601 strings in UTC."""
    if isinstance(value, _dt.datetime):
        return value.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
