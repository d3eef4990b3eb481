"""A Mastodon instance's address, which a person types: checked before any
request (SSRF). https only, and never a host that resolves to a private,
loopback, link-local or reserved address (platforms.addresses).
"""

import urllib.parse

from platforms import addresses
from platforms.errors import Permanent, PlatformError

NETWORK = "mastodon"


class InstanceRefused(Permanent):
    """An instance address postr will not talk to; `message` says why."""


def _parse_instance(url: str, allow_http: bool) -> tuple[str, str, str, int | None]:
    """(scheme, host as typed, ASCII host, port) of an instance address, or
    InstanceRefused; no lookup."""
    raw = (url or "").strip()
    if not raw:
        raise InstanceRefused(NETWORK, "Enter the address of your Mastodon server, like https://mastodon.social.")
    if "://" not in raw:
        raw = "https://" + raw
    parts = urllib.parse.urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or (scheme == "http" and not allow_http):
        raise InstanceRefused(NETWORK, "The server address must start with https://.", detail="scheme")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise InstanceRefused(NETWORK, "That server address has an invalid port.", detail="port") from None
    if not host or parts.username is not None or parts.password is not None:
        raise InstanceRefused(NETWORK, "Enter the server's address only, like https://mastodon.social.", detail="host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InstanceRefused(NETWORK, "Enter the server's address only, without a path, like https://mastodon.social.",
                              detail="path")
    try:
        ascii_host = host if addresses.is_ip(host) else host.encode("idna").decode("ascii")
    except UnicodeError:
        raise InstanceRefused(NETWORK, f"{host} is not a valid server name.", detail="idna") from None
    return scheme, host, ascii_host, port


def _base_url(scheme: str, ascii_host: str, port: int | None) -> str:
    netloc = f"[{ascii_host}]" if ":" in ascii_host else ascii_host
    if port and port != (443 if scheme == "https" else 80):
        netloc += f":{port}"
    return f"{scheme}://{netloc}"


def instance_key(url: str) -> str | None:
    """The normalized base URL of an instance address, without any lookup
    (for caches); None if it is not an acceptable address at all."""
    try:
        scheme, _, ascii_host, port = _parse_instance(url, allow_http=True)
    except PlatformError:
        return None
    return _base_url(scheme, ascii_host, port)


def check_instance_url(url: str, allow_private: bool = False) -> str:
    """The instance's base URL (`https://host[:port]`, no path) if postr may
    talk to it; InstanceRefused otherwise. A bare host ("mastodon.social")
    means https. Every address the host resolves to must be public.
    `allow_private` is for tests and local fakes only: it lets loopback and
    private addresses through, and plain http for those alone."""
    scheme, host, ascii_host, port = _parse_instance(url, allow_http=allow_private)
    resolved = addresses.resolve(ascii_host, port or (443 if scheme == "https" else 80), network=NETWORK,
                                 what="Mastodon server", refused=InstanceRefused)
    kinds = {str(ip): addresses.address_kind(ip) for ip in resolved}
    blocked = {a: k for a, k in kinds.items() if k}
    if blocked and not allow_private:
        address, kind = next(iter(blocked.items()))
        raise InstanceRefused(NETWORK, f"{host} points to a {kind} address ({address}); postr only connects to "
                              "public Mastodon servers.", detail=f"address:{kind}")
    if scheme == "http" and len(blocked) < len(kinds):
        raise InstanceRefused(NETWORK, "The server address must start with https://.", detail="scheme")
    return _base_url(scheme, ascii_host, port)


def hostname(base: str) -> str | None:
    """The host of an instance's base URL, as messages name the server."""
    return urllib.parse.urlsplit(base).hostname
