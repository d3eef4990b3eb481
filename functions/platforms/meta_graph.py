"""What Meta's Graph hosts have in common, for platforms/facebook.py,
instagram.py and threads.py: one request helper, one mapping of Graph error
bodies onto platforms.errors, and (for Threads and Instagram, whose APIs share
a design) token exchange and refresh and the polling of media containers.

Meta documents the same error body on all three hosts ({"error": {"message",
"type", "code", "error_subcode", "is_transient", "error_user_msg",
"fbtrace_id"}}) and the same code classes: 102 and 190 for a token that no
longer works, 10 and 200-299 for a permission the token lacks. Which codes
mean throttling or a passing fault differs a little per host, and so does the
wording people see, so those stay with each network (its `display_name`
fills the shared sentences).
"""

import datetime as _dt
import time
from collections.abc import Callable, Iterator

from platforms import http
from platforms.base import AppCredentials, Platform, Tokens
from platforms.errors import AuthExpired, OutcomeUnknown, Permanent, PlatformError, RateLimited, Transient

AUTH_CODES = frozenset({102, 190})
PERMISSION_CODES = frozenset({10, *range(200, 300)})

# Meta recommends checking a container about once a minute for up to five
# minutes; we look at once, then back off so text and images (ready almost at
# once) do not wait a minute, and the total stays about five minutes.
POLL_DELAYS = (2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 60.0, 60.0, 60.0)


class PermissionMissing(AuthExpired):
    """The token works but lacks a permission (Graph codes 10, 200-299): only a
    reconnect that grants it helps, so it is an AuthExpired to callers."""


def json_or_none(response):
    """The answer's JSON; None when it is not JSON (a proxy's HTML page)."""
    try:
        return response.json()
    except ValueError:
        return None


class GraphPlatform(Platform):
    """A network on a Meta Graph host. Subclasses name the host and its
    version, the codes their host uses for throttling and passing faults, and
    the sentences that differ from the shared ones."""

    api_url = None  # a StringParam, read on every call (tests point it at a fake)
    api_version = ""
    rate_limit_codes: frozenset[int] = frozenset()
    transient_codes: frozenset[int] = frozenset()
    # Instagram's publishing examples send JSON with a Bearer header; the other
    # hosts take the documented `access_token` in the form body of a POST.
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


class ContainerPlatform(GraphPlatform):
    """Threads and Instagram: 60-day tokens exchanged for a code's one-hour one
    and refreshed by themselves (no refresh token), and posts made from media
    containers that are published once their status is FINISHED (ERROR and
    EXPIRED are final)."""

    grant_prefix = ""  # Meta names the grants th_exchange_token, ig_refresh_token...

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep, poll_delays: tuple[float, ...] = POLL_DELAYS):
        self.sleep = sleep
        self.poll_delays = poll_delays

    # --- tokens -------------------------------------------------------------------------
    def refresh(self, app: AppCredentials, tokens: Tokens) -> Tokens:
        fresh = self._call("GET", "/refresh_access_token", versioned=False, params={
            "grant_type": f"{self.grant_prefix}_refresh_token",
            "access_token": tokens.access_token,
        })
        return self._tokens(fresh, scopes=list(tokens.scopes), extra=dict(tokens.extra))

    def _long_lived(self, app: AppCredentials, short_token: str) -> dict:
        # The code's token lasts an hour; the 60-day one is what a schedule needs.
        return self._call("GET", "/access_token", versioned=False, params={
            "grant_type": f"{self.grant_prefix}_exchange_token",
            "client_secret": app.client_secret or "",
            "access_token": short_token,
        })

    def _tokens(self, body: dict, *, scopes: list[str], extra: dict) -> Tokens:
        network = self.display_name
        if not body.get("access_token"):
            raise Permanent(self.name, f"{network} did not return an access token; connect {network} again.")
        expires_at = None
        if body.get("expires_in") is not None:
            from kernel import clock

            expires_at = clock.now() + _dt.timedelta(seconds=int(body["expires_in"]))
        return Tokens(access_token=body["access_token"], refresh_token=None, expires_at=expires_at,
                      scopes=scopes, extra=extra)

    # --- containers ---------------------------------------------------------------------
    def _wait_ready(self, tokens: Tokens, container: str, what: str) -> None:
        network = self.display_name
        for delay in (0.0, *self.poll_delays):
            if delay:
                self.sleep(delay)
            state, said = self._container_state(tokens, container)
            if state in ("FINISHED", "PUBLISHED"):
                return
            if state == "ERROR":
                raise self._container_error(what, said)
            if state == "EXPIRED":
                raise Permanent(self.name, f"{network} discarded {what} before it was published (containers expire "
                                           "after 24 hours); publish it again.", detail="container EXPIRED")
        raise Transient(self.name, f"{network} was still processing {what} after about five minutes; will retry.",
                        detail="container IN_PROGRESS")

    def _container_state(self, tokens: Tokens, container: str) -> tuple[str | None, str | None]:
        """The container's status and the network's words on an ERROR."""
        raise NotImplementedError

    def _container_error(self, what: str, said: str | None) -> PlatformError:
        """The error for a container that ended in ERROR, from the network's words."""
        raise NotImplementedError

    def _permalink(self, tokens: Tokens, media_id: str) -> str | None:
        return self._link(tokens.access_token, media_id, "permalink")
