"""Every request to a network goes through one guarded client (platforms.http):
the address is looked up and vetted when the connection is made, and the
connection goes to that vetted address, so a name whose DNS answer changes
between a check and the connection (rebinding, a TTL of 0) never reaches a
private, loopback or metadata address."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpcore
import pytest

from platforms import http
from platforms.errors import Permanent
from platforms.mastodon import check_instance_url

PUBLIC = "1.1.1.1"


@pytest.fixture
def guarded(monkeypatch):
    monkeypatch.setenv("ALLOW_PRIVATE_HOSTS", "false")


@pytest.fixture
def loopback_server():
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], hits
    server.shutdown()


@pytest.fixture
def rebinding(monkeypatch):
    """rebind.example answers a public address to the first lookup and loopback after."""
    real = socket.getaddrinfo
    lookups = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        ip = PUBLIC if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port or 443))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def test_a_name_that_answers_public_then_loopback_never_reaches_loopback(guarded, rebinding, loopback_server):
    port, hits = loopback_server
    # The check when the person gives the address sees a public server...
    assert check_instance_url(f"https://rebind.example:{port}") == f"https://rebind.example:{port}"
    # ...and the connection, looked up again, would go to loopback: refused before it is made.
    with pytest.raises(Permanent) as refused:
        http.send("mastodon", "GET", f"http://rebind.example:{port}/api/v1/instance", idempotent=True)
    assert "loopback" in refused.value.message
    assert hits == [] and len(rebinding) == 2


def test_the_connection_goes_to_the_very_address_that_was_vetted(guarded, rebinding, monkeypatch):
    connected = []

    def connect_tcp(self, host, port, **kwargs):
        connected.append(host)
        raise httpcore.ConnectError("recorded, not connected")

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect_tcp)
    with pytest.raises(Exception):
        http.send("bluesky", "GET", "https://rebind.example/xrpc/_health", idempotent=True)
    assert connected == [PUBLIC]  # one lookup, vetted, and that address dialled: no second lookup
    assert len(rebinding) == 1


@pytest.mark.parametrize("address", ["127.0.0.1", "169.254.169.254", "10.0.0.8", "[::1]", "[::ffff:127.0.0.1]",
                                     "0.0.0.0"])
def test_private_and_metadata_addresses_are_refused_for_every_network(guarded, address, loopback_server):
    for network in ("x", "mastodon", "bluesky", "linkedin"):
        with pytest.raises(Permanent) as refused:
            http.send(network, "GET", f"http://{address}:{loopback_server[0]}/", idempotent=True)
        assert "postr only connects to public servers" in refused.value.message
    assert loopback_server[1] == []


def test_a_name_with_one_private_answer_among_public_ones_is_refused(guarded, monkeypatch):
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "mixed.example":
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in (PUBLIC, "192.168.1.1")]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(Permanent) as refused:
        http.send("mastodon", "GET", "https://mixed.example/", idempotent=True)
    assert "private" in refused.value.message
