"""HTTP for network modules: one pooled httpx client per network, timeouts on
every request, and transport failures mapped onto the error taxonomy.

Every client is guarded (platforms.addresses.GuardedBackend): whatever the
address (a network's API, a Mastodon instance or Bluesky server a person typed,
later media URLs and webhook endpoints), the connection goes only to an address
vetted when it is made, so a name whose DNS answer changes after a check
(rebinding, a TTL of 0) never reaches a private or metadata address.

`send(...)` returns the response for the module to read; statuses are the
module's to classify (each network words its errors differently), with
`classify_status` as the common fallback.
"""

import functools
from collections.abc import Callable

import h11
import httpx

from platforms.errors import AuthExpired, OutcomeUnknown, Permanent, PlatformError, RateLimited, Transient

TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=60.0, pool=10.0)
LIMITS = httpx.Limits(max_connections=50, max_keepalive_connections=20)


@functools.cache
def client(network: str) -> httpx.Client:
    # trust_env=False: no proxy from the environment may stand between the guard and the network.
    return httpx.Client(timeout=TIMEOUT, headers={"User-Agent": "postr/1.0"}, transport=_guarded_transport(network),
                        trust_env=False)


def _guarded_transport(network: str) -> httpx.HTTPTransport:
    import httpcore

    from platforms.addresses import GuardedBackend

    transport = httpx.HTTPTransport(limits=LIMITS)
    # httpx takes no network backend, so its pool is rebuilt with ours (same TLS context and limits).
    pool = transport._pool
    transport._pool = httpcore.ConnectionPool(
        ssl_context=pool._ssl_context, max_connections=LIMITS.max_connections,
        max_keepalive_connections=LIMITS.max_keepalive_connections, keepalive_expiry=LIMITS.keepalive_expiry,
        http1=True, http2=False, network_backend=GuardedBackend(network))
    return transport


def send(network: str, method: str, url: str, *, idempotent: bool, **kwargs) -> httpx.Response:
    """Send one request. A failure before the request left is Transient; a
    timeout or broken connection after a non-idempotent request left is
    OutcomeUnknown (it may have happened); for idempotent ones, Transient.

    A request that broke HTTP on our side (a body longer or shorter than its
    Content-Length, an illegal header) fails the same way every time, so an
    idempotent one is Permanent; a non-idempotent one is OutcomeUnknown, as
    what was written before the break may be the whole request."""
    try:
        return client(network).request(method, url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise Transient(network, f"Could not reach {network}; will retry.", detail=type(exc).__name__) from None
    # httpcore (HTTP/1.1) reads for an answer after a failed write, so a
    # server that drops an upload half-way surfaces as RemoteProtocolError or
    # ReadError; WriteError is the same event from transports that raise it.
    except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError, httpx.ReadError,
            httpx.WriteError) as exc:
        if idempotent:
            raise Transient(network, f"{network} did not answer in time; will retry.", detail=type(exc).__name__) from None
        raise _unconfirmed(network, exc) from None
    # h11's own class: httpcore 1.0 maps it only for the request line and
    # headers, not for the body.
    except (httpx.LocalProtocolError, h11.LocalProtocolError) as exc:
        if idempotent:
            raise Permanent(network, f"postr could not send this to {network} as prepared (a media file may not "
                                     "match its recorded size); upload the media again.",
                            detail=type(exc).__name__) from None
        raise _unconfirmed(network, exc) from None


def _unconfirmed(network: str, exc: Exception) -> OutcomeUnknown:
    return OutcomeUnknown(network, f"{network} did not confirm the request; it may have gone through.",
                          detail=type(exc).__name__)


def json_object(response: httpx.Response) -> dict:
    """The answer's JSON object; {} when the body is not one (an HTML error
    page, a list, nothing)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def read(response: httpx.Response, refused: Callable[[httpx.Response], PlatformError]) -> dict:
    """The answer's JSON object, or `refused(response)` raised for a status of 400 or more."""
    if response.status_code >= 400:
        raise refused(response)
    return json_object(response)


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from Retry-After (seconds or an HTTP date)."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        import email.utils
        import time

        try:
            return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def classify_status(network: str, response: httpx.Response, message: str, detail: str | None = None) -> PlatformError:
    """The common mapping of an error status onto the taxonomy; modules call it
    after handling the codes their network words specially."""
    status = response.status_code
    kw = {"status": status, "detail": detail}
    if status == 401:
        return AuthExpired(network, message or f"Your {network} connection expired; reconnect it.", **kw)
    if status == 429:
        return RateLimited(network, message or f"{network} is limiting requests; will retry.",
                           retry_after=retry_after(response), **kw)
    if status in (408, 425) or status >= 500:
        return Transient(network, message or f"{network} had a temporary problem; will retry.", **kw)
    return Permanent(network, message or f"{network} refused the request.", **kw)
