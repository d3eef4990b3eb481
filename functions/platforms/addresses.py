"""Which servers postr may talk to when a person gives the address (a Mastodon
instance, a Bluesky PDS): never one that resolves to a private, loopback,
link-local or reserved address (SSRF). Only the local stack and tests set
ALLOW_PRIVATE_HOSTS, so their loopback fakes are reachable."""

import ipaddress
import socket

from firebase_functions.params import BoolParam

from platforms.errors import Permanent, Transient

ALLOW_PRIVATE_HOSTS = BoolParam("ALLOW_PRIVATE_HOSTS", default=False)


def private_allowed() -> bool:
    return bool(ALLOW_PRIVATE_HOSTS.value)


def address_kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is off limits, or None for a public one."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for kind, flag in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                       ("unspecified", ip.is_unspecified), ("multicast", ip.is_multicast),
                       ("private", ip.is_private), ("reserved", ip.is_reserved)):
        if flag:
            return kind
    return None if ip.is_global else "reserved"


def resolve(host: str, port: int, *, network: str, what: str,
            refused: type[Permanent] = Permanent) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        if exc.errno == socket.EAI_AGAIN:
            raise Transient(network, f"Could not look up {host} right now; try again.", detail="EAI_AGAIN") from None
        raise refused(network, f"There is no server at {host}. Check the address of your {what}.",
                      detail="unresolvable") from None
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def vetted(host: str, port: int, *, network: str) -> list[str]:
    """The addresses of `host` postr may connect to, looked up now: all of them, or a
    refusal naming the first that is off limits (a name that also answers a private
    address is refused whole: a second lookup could pick that one)."""
    if is_ip(host):
        found = [ipaddress.ip_address(host)]
    else:
        found = resolve(host, port, network=network, what="server")
    if not private_allowed():
        for ip in found:
            kind = address_kind(ip)
            if kind:
                raise Permanent(network, f"{host} points to a {kind} address ({ip}); postr only connects to public "
                                         "servers.", detail=f"address:{kind}")
    return list(dict.fromkeys(str(ip) for ip in found))


class GuardedBackend:
    """An httpcore network backend that connects only to addresses vetted at connect
    time (SSRF, DNS rebinding): the name is looked up here, once, every address it
    gives is checked, and the socket goes to one of those very addresses. httpcore
    still gives TLS the name (SNI and certificate check) and the request keeps it
    in Host, so nothing else changes for the server."""

    def __init__(self, network: str):
        import httpcore

        self.network = network
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        import httpcore

        failure: Exception | None = None
        for address in vetted(host, port, network=self.network):
            try:
                return self._inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                               socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # the next address, as a resolver's list is meant to be tried
        raise failure or httpcore.ConnectError(f"no address for {host}")

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        import httpcore

        raise httpcore.ConnectError("postr does not connect to unix sockets")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
