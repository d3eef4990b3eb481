"""What Meta's Graph hosts have in common, for platforms/facebook/,
instagram/ and threads.py: one request helper, one mapping of Graph error
bodies onto platforms.errors, the sign-in URL, token answers, the refusal of a
post `validate` finds problems in, the first comment, and insights and
throttling headers read. Threads and Instagram, whose APIs share a design,
also share meta_graph/containers.py.

Meta documents the same error body on all three hosts ({"error": {"message",
"type", "code", "error_subcode", "is_transient", "error_user_msg",
"fbtrace_id"}}) and the same code classes: 102 and 190 for a token that no
longer works, 10 and 200-299 for a permission the token lacks. Which codes
mean throttling or a passing fault differs a little per host, and so does the
wording people see, so those stay with each network (its `display_name`
fills the shared sentences).
"""

import dataclasses
import datetime as _dt
import json
from collections.abc import Iterator

from platforms import http, oauth
from platforms.base import AppCredentials, Platform, Published, Tokens
from platforms.errors import (AuthExpired, OutcomeUnknown, PartlyPublished, Permanent, PlatformError, RateLimited,
                              Transient)

AUTH_CODES = frozenset({102, 190})
PERMISSION_CODES = frozenset({10, *range(200, 300)})


class PermissionMissing(AuthExpired):
    """The token works but lacks a permission (Graph codes 10, 200-299): only a
    reconnect that grants it helps, so it is an AuthExpired to callers."""


def json_or_none(response):
    """The answer's JSON; None when it is not JSON (a proxy's HTML page).
    Not http.json_object: a Graph write may answer a bare `true`, and an answer
    that is JSON but not an object must stay apart from an empty object."""
    try:
        return response.json()
    except ValueError:
        return None


def usage_wait(response) -> float | None:
    """Seconds until Meta lets the account back in: the longest
    `estimated_time_to_regain_access` (minutes) in the Business Use Case
    header (`X-Business-Use-Case-Usage`); None when it names no wait."""
    raw = response.headers.get("x-business-use-case-usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
        minutes = [entry.get("estimated_time_to_regain_access") for entries in usage.values()
                   for entry in entries if isinstance(entry, dict)]
    except (ValueError, AttributeError, TypeError):
        return None
    minutes = [m for m in minutes if isinstance(m, int | float) and m > 0]
    return float(max(minutes)) * 60 if minutes else None


def insight_values(body: dict) -> dict[str, int]:
    """{metric: value} from an insights answer: media metrics carry
    `values[0].value`, account totals carry `total_value.value`."""
    out = {}
    for item in body.get("data") or []:
        name = item.get("name")
        if "total_value" in item and isinstance(item["total_value"], dict):
            value = item["total_value"].get("value")
        else:
            values = item.get("values") or []
            value = values[0].get("value") if values else None
        if name and isinstance(value, int):
            out[name] = value
    return out


class GraphPlatform(Platform):
    """A network on a Meta Graph host. Subclasses name the host and its
    version, the codes their host uses for throttling and passing faults, and
    the sentences that differ from the shared ones."""

    api_url = None  # a StringParam, read on every call (tests point it at a fake)
    auth_url = None  # a StringParam: the sign-in page
    api_version = ""
    rate_limit_codes: frozenset[int] = frozenset()
    transient_codes: frozenset[int] = frozenset()
    # Instagram's publishing examples send JSON with a Bearer header; the other
    # hosts take a form with the documented `access_token` in it.
    bearer_posts = False
    # Some Graph writes (Facebook's) answer a bare `true`.
    bare_true_is_success = False
    # Where a caller reads Meta's own message from the error's detail.
    detail_has_message = False
    permission_words = ("{network} no longer lets postr do this for your account; reconnect {network} and allow "
                        "every permission it asks for.")
    rate_limited_words = "{network} is limiting requests for this account; will retry."
    # What a person reads when a publish was sent and the answer is unreadable.
    unreadable_outcome = ""

    # --- OAuth -------------------------------------------------------------------------
    def authorization_url(self, app: AppCredentials, *, state: str, redirect_uri: str,
                          code_challenge: str | None = None) -> str:
        # Meta's sign-in pages take the scopes comma-separated, and no PKCE.
        return oauth.authorization_url(self._authorization_endpoint(), client_id=app.client_id,
                                       redirect_uri=redirect_uri, state=state, scopes=self.scopes,
                                       scope_separator=",")

    def _authorization_endpoint(self) -> str:
        return self.auth_url.value

    def _no_token(self) -> Permanent:
        network = self.display_name
        return Permanent(self.name, f"{network} did not return an access token; connect {network} again.")

    def _tokens(self, body: dict, *, scopes: list[str], extra: dict) -> Tokens:
        """A token answer as Tokens. There is no refresh token: a long-lived
        Meta token is renewed with the token itself. An `expires_in` that is
        not whole seconds leaves the expiry unknown."""
        if not body.get("access_token"):
            raise self._no_token()
        expires_at = None
        if str(body.get("expires_in") or "").isdigit():
            from kernel import clock

            expires_at = clock.now() + _dt.timedelta(seconds=int(body["expires_in"]))
        return Tokens(access_token=body["access_token"], refresh_token=None, expires_at=expires_at,
                      scopes=scopes, extra=extra)

    def _renewed(self, body: dict, held: Tokens) -> Tokens:
        """A renewal's answer, keeping what the connection held besides the token."""
        return self._tokens(body, scopes=list(held.scopes), extra=dict(held.extra))

    # --- HTTP --------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, token: str | None = None, params: dict | None = None,
              data: dict | None = None, json_body: dict | None = None, files: dict | None = None,
              headers: dict | None = None, content: bytes | Iterator[bytes] | None = None, base: str | None = None,
              versioned: bool = True, absolute: bool = False, idempotent: bool = True) -> dict:
        if absolute:
            url = path
        else:
            root = (base or self.api_url.value).rstrip("/")
            url = f"{root}/{self.api_version}{path}" if versioned else f"{root}{path}"
        params = dict(params or {})
        if token is not None:
            # Tokens stay out of URLs wherever the API allows it.
            if method != "POST":
                params["access_token"] = token
            elif self.bearer_posts:
                headers = {**(headers or {}), "Authorization": f"Bearer {token}"}
            else:
                data = {**(data or {}), "access_token": token}
        kwargs: dict = {"params": params or None}
        for key, value in (("data", data), ("json", json_body), ("files", files), ("headers", headers),
                           ("content", content)):
            if value is not None:
                kwargs[key] = value
        response = http.send(self.name, method, url, idempotent=idempotent, **kwargs)
        body = json_or_none(response)
        if response.status_code >= 400 or (isinstance(body, dict) and "error" in body):
            raise self._graph_error(response, body)
        if body is True and self.bare_true_is_success:
            return {"success": True}
        if not isinstance(body, dict):
            # A publish that may have happened must not be retried blindly.
            if idempotent:
                raise Transient(self.name, f"{self.display_name} answered with something unreadable; will retry.",
                                status=response.status_code)
            raise OutcomeUnknown(self.name, self.unreadable_outcome, status=response.status_code)
        return body

    def _post(self, token: str, path: str, fields: dict, *, idempotent: bool = True) -> dict:
        """POST fields as the host takes them: JSON where it is a Bearer host, else a form."""
        body = {"json_body": fields} if self.bearer_posts else {"data": fields}
        return self._call("POST", path, token=token, idempotent=idempotent, **body)

    def _link(self, token: str, object_id: str, field: str) -> str | None:
        """A published object's link field. The post is already live: a failed
        lookup costs the link, never the post."""
        try:
            body = self._call("GET", f"/{object_id}", token=token, params={"fields": field})
        except PlatformError as exc:
            from kernel import log

            log.warn(f"{self.name} permalink unavailable", post_id=object_id, error=type(exc).__name__)
            return None
        return body.get(field)

    # --- publishing ----------------------------------------------------------------------
    def _with_first_comment(self, token: str, published: Published, comment: str | None) -> Published:
        """The post with its first comment (`POST /{object-id}/comments`), made
        as the account that published it."""
        if not comment:
            return published
        try:
            body = self._post(token, f"/{published.post_id}/comments", {"message": comment}, idempotent=False)
            comment_id = self._comment_id(body)
        except PlatformError as exc:
            # The post is live: say so, so the caller records it instead of
            # publishing it a second time.
            raise PartlyPublished(published, exc) from exc
        return dataclasses.replace(published, comment_id=comment_id)

    def _comment_id(self, body: dict) -> str | None:
        return str(body["id"]) if body.get("id") else None

    # --- errors -------------------------------------------------------------------------
    def _graph_error(self, response, body) -> PlatformError:
        """Map a Graph API error body (or a bare status) onto the taxonomy."""
        status = response.status_code
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return http.classify_status(self.name, response, "", detail=f"HTTP {status}")
        code, subcode = error.get("code"), error.get("error_subcode")
        said = error.get("error_user_msg") or error.get("message") or ""
        detail = f"code={code} subcode={subcode} type={error.get('type')} fbtrace_id={error.get('fbtrace_id')}"
        if self.detail_has_message:
            detail += f" message={error.get('message')}"
        kw = {"status": status, "detail": detail}
        network = self.display_name
        if code in AUTH_CODES:
            return AuthExpired(self.name, f"Your {network} connection has expired or was removed; reconnect "
                                          f"{network}.", **kw)
        known = self._known_subcode(response, error, kw)
        if known is not None:
            return known
        if code in PERMISSION_CODES:
            return PermissionMissing(self.name, self.permission_words.format(network=network), **kw)
        if code in self.rate_limit_codes or status == 429:
            return RateLimited(self.name, self.rate_limited_words.format(network=network),
                               retry_after=self._retry_after(response), **kw)
        if error.get("is_transient") or code in self.transient_codes or status >= 500:
            return Transient(self.name, f"{network} had a temporary problem; will retry.", **kw)
        refusal = self._known_refusal(error, said, kw)
        if refusal is not None:
            return refusal
        return Permanent(self.name, f"{network} refused this: {said}" if said else f"{network} refused the request.",
                         **kw)

    def _known_subcode(self, response, error: dict, kw: dict) -> PlatformError | None:
        """A subcode that says more than the code (Instagram's publishing
        table); checked right after an expired token, before the code classes."""
        return None

    def _known_refusal(self, error: dict, said: str, kw: dict) -> PlatformError | None:
        """A refusal the network words itself; checked after the code classes,
        so a throttled or passing fault is never mistaken for one."""
        return None

    def _retry_after(self, response) -> float | None:
        return http.retry_after(response)
