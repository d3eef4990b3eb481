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
