"""A Bluesky session as Tokens: the server a person names is checked before it
gets their credentials, the session's JWTs are kept with the account's DID,
handle and PDS (from its DID document), and a session opened with an account
password or for an inactive account is told apart."""

import base64
import datetime as _dt
import ipaddress
import json
import urllib.parse

from kernel import clock
from platforms import addresses
from platforms.base import Tokens
from platforms.bluesky.xrpc import NAME, fail
from platforms.errors import PlatformError

APP_PASSWORD_SCOPES = ("com.atproto.appPass", "com.atproto.appPassPrivileged")


def _jwt_claims(token: str) -> dict:
    """The claims of a JWT the PDS issued us, unverified: only its expiry and
    scope are read, for scheduling refreshes and refusing account passwords."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


def check_service_url(url: str) -> str:
    """https to a public server; nothing else gets our credentials (SSRF).
    Only the local stack and tests (ALLOW_PRIVATE_HOSTS) reach loopback, also over http."""
    parts = urllib.parse.urlsplit(url.strip())
    try:
        host, port = parts.hostname or "", parts.port
    except ValueError:
        raise fail("That Bluesky server address has an invalid port.") from None
    allowed = addresses.private_allowed()
    loopback = host == "localhost" or (addresses.is_ip(host) and ipaddress.ip_address(host).is_loopback)
    if not host or parts.scheme not in ("https", "http") or (parts.scheme == "http" and not (allowed and loopback)):
        raise fail("The Bluesky server address must be an https:// URL, like https://bsky.social.")
    if not allowed:
        for ip in addresses.resolve(host, port or 443, network=NAME, what="Bluesky server"):
            kind = addresses.address_kind(ip)
            if kind:
                raise fail(f"{host} points to a {kind} address ({ip}); postr only connects to public "
                           "Bluesky servers.")
    return f"{parts.scheme}://{parts.netloc}"


def _public(url: str) -> bool:
    """A DID document names the PDS, and anyone can write one: check it like a typed address."""
    try:
        check_service_url(url)
        return True
    except PlatformError:
        return False


def _pds_endpoint(did_doc: dict | None) -> str | None:
    """The #atproto_pds service of a DID document, when it is https."""
    for service in (did_doc or {}).get("service") or []:
        if str(service.get("id", "")).endswith("#atproto_pds") and service.get("type") == "AtprotoPersonalDataServer":
            endpoint = service.get("serviceEndpoint")
            if isinstance(endpoint, str) and endpoint.startswith("https://") and _public(endpoint):
                return endpoint.rstrip("/")
    return None


def tokens_of(session: dict, *, service: str, previous: dict | None = None) -> Tokens:
    claims = _jwt_claims(session["accessJwt"])
    exp = claims.get("exp")
    extra = dict(previous or {})
    extra.update({
        "did": session["did"],
        "handle": session["handle"],
        "service": service,
        # The account's own PDS when its DID document names one; else the
        # server signed in to (an entryway such as bsky.social forwards).
        "pds": _pds_endpoint(session.get("didDoc")) or extra.get("pds") or service,
    })
    return Tokens(
        access_token=session["accessJwt"],
        refresh_token=session["refreshJwt"],
        expires_at=_dt.datetime.fromtimestamp(exp, clock.UTC) if isinstance(exp, int | float) else None,
        scopes=[claims["scope"]] if claims.get("scope") else [],
        extra=extra,
    )


def inactive_message(session: dict) -> str | None:
    if session.get("active", True):
        return None
    status = session.get("status") or "inactive"
    return {
        "takendown": "Your Bluesky account has been taken down by its host.",
        "suspended": "Your Bluesky account is suspended.",
        "deactivated": "Your Bluesky account is deactivated; reactivate it in Bluesky first.",
    }.get(status, f"Your Bluesky account is {status}.")
