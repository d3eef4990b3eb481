"""The edge between Cloud Functions and handlers.

`callable_handler(Schema)` marks a handler and its one payload schema; `run`
serves a callable request with it: request id, caller check, payload validation,
and the mapping of domain errors to HttpsError codes. Handlers never see an
unauthenticated request or an unvalidated payload, and never trust a uid from
the payload: the caller is `Caller.uid`, taken from the verified ID token.
"""

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from firebase_functions import https_fn

from core import log
from core.errors import InvalidArgument, PostrError, Unauthenticated

_CODES = {code.value: code for code in https_fn.FunctionsErrorCode}


@dataclass(frozen=True)
class Caller:
    uid: str
    claims: dict = field(default_factory=dict)

    @property
    def email(self) -> str | None:
        return self.claims.get("email")

    @property
    def auth_time(self) -> _dt.datetime | None:
        ts = self.claims.get("auth_time")
        return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc) if ts else None


def callable_handler(schema):
    """Declare the payload schema (a pydantic model) of a callable handler."""

    def mark(fn: Callable) -> Callable:
        fn.schema = schema
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


def to_https_error(err: PostrError) -> https_fn.HttpsError:
    return https_fn.HttpsError(_CODES[err.code], err.message, err.details)


def run(req: https_fn.CallableRequest, handler: Callable) -> Any:
    log.new_request_id(req.raw_request.headers.get("X-Cloud-Trace-Context") if req.raw_request else None)
    name = getattr(handler, "__name__", "handler")
    try:
        if req.auth is None or not req.auth.uid:
            raise Unauthenticated("Sign in to continue.")
        caller = Caller(uid=req.auth.uid, claims=dict(req.auth.token or {}))
        payload = validate(handler.schema, req.data)
        return jsonable(handler(caller, payload))
    except PostrError as err:
        log.info("callable refused", callable=name, errorCode=err.code)
        raise to_https_error(err) from None
    except https_fn.HttpsError:
        raise
    except Exception as exc:  # anything unexpected: log it, report it, tell the caller plainly
        from core.errors import from_store

        if (transient := from_store(exc)) is not None:
            log.warn("callable met contention or a busy store", callable=name, error=type(exc).__name__)
            raise to_https_error(transient) from None
        log.error("callable failed", callable=name, error=type(exc).__name__, detail=str(exc)[:500])
        from core import analytics_error_tracking

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
        problems = [_problem(e) for e in exc.errors(include_url=False)]
        raise InvalidArgument("; ".join(p["message"] for p in problems), {"problems": problems}) from None


def _problem(err: dict) -> dict:
    where = ".".join(str(p) for p in err["loc"]) or "data"
    if err["type"] == "extra_forbidden":
        message = f"Unknown field '{where}'."
    elif err["type"] == "missing":
        message = f"'{where}' is required."
    else:
        text = err["msg"].removeprefix("Value error, ")
        message = f"'{where}': {text[0].lower() + text[1:] if text else text}."
    return {"field": where, "message": message}


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
