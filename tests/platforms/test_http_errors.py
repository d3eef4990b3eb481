"""How platforms.http.send maps what goes wrong while a request is being sent
onto the taxonomy, provoked for real against a loopback listener (httpx and
httpcore unpatched): a server that drops an upload half-way, one that refuses
it early with a status, and a request that breaks HTTP on our side (a body
shorter or longer than its Content-Length, an illegal header)."""

import socket
import threading
from dataclasses import dataclass

import pytest

from platforms import http
from platforms.errors import OutcomeUnknown, Permanent, Transient

NETWORK = "loopback"
PIECE = b"v" * (1024 * 1024)
WAIT_S = 10.0  # a bound for the listener to finish a connection, not a speed check


@dataclass
class Seen:
    head: bytes  # request line and headers, as received
    body: int  # body bytes received before the connection ended


class Listener:
    """An HTTP/1.1 listener on 127.0.0.1 that does what a real server may do
    during an upload, which tools/fakes FakeServer cannot (it reads every body
    whole): after the head it reads up to `keep` body bytes (None: until the
    client closes), sends `answer` (raw bytes, may be empty) and closes,
    leaving any unread body behind."""

    def __init__(self, *, keep: int | None, answer: bytes = b""):
        self.keep, self.answer = keep, answer
        self.seen: list[Seen] = []
        self.finished = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)  # accept() wakes up to notice __exit__
        self._stop = threading.Event()
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/upload"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "Listener":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(WAIT_S)
        self._sock.close()

    def wait(self) -> Seen:
        assert self.finished.wait(WAIT_S), "the listener never finished the connection"
        return self.seen[0]

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            conn.settimeout(WAIT_S)
            with conn:
                self.seen.append(self._read(conn))
                if self.answer:
                    conn.sendall(self.answer)
            self.finished.set()

    def _read(self, conn: socket.socket) -> Seen:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return Seen(head=data, body=0)
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        received = len(body)
        while self.keep is None or received < self.keep:
            try:
                chunk = conn.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            received += len(chunk)
        return Seen(head=head, body=received)


def pieces(count: int, tail: bytes = b""):
    """A streamed body, as the modules send media: `count` MiB, then `tail`."""
    for _ in range(count):
        yield PIECE
    if tail:
        yield tail


def upload(url: str, *, idempotent: bool, body, length: int, **headers):
    return http.send(NETWORK, "PUT" if idempotent else "POST", url, idempotent=idempotent, content=body,
                     headers={"Content-Type": "video/mp4", "Content-Length": str(length), **headers})


# --- the server drops the connection during the upload ---------------------------------
# httpcore stops writing when the socket breaks and reads for an answer (a server may
# refuse early with a status), so the drop surfaces as RemoteProtocolError or ReadError.
@pytest.mark.parametrize("idempotent, error, says", [
    (True, Transient, "will retry"),
    (False, OutcomeUnknown, "may have gone through"),
])
def test_server_dropping_an_upload_half_way(idempotent, error, says):
    size = 64 * len(PIECE)  # far more than loopback buffers hold, so the client is still writing
    with Listener(keep=256 * 1024) as server:
        with pytest.raises(error) as err:
            upload(server.url, idempotent=idempotent, body=pieces(64), length=size)
        seen = server.wait()
    assert seen.head.startswith(b"PUT /upload" if idempotent else b"POST /upload")
    assert 0 < seen.body < size  # part of the body reached the server
    assert says in err.value.message and err.value.network == NETWORK
    assert err.value.detail in ("RemoteProtocolError", "ReadError", "WriteError")


def test_server_refusing_an_upload_early_answers_with_its_status():
    # The answer a server sends before dropping the rest of the body is what the module
    # classifies (here a 413), not a transport error.
    answer = (b"HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\nContent-Length: 24\r\n"
              b"Connection: close\r\n\r\n{\"error\": \"too_large_x\"}")
    with Listener(keep=0, answer=answer) as server:
        response = upload(server.url, idempotent=False, body=pieces(64), length=64 * len(PIECE))
        server.wait()
    assert response.status_code == 413
    assert http.json_object(response) == {"error": "too_large_x"}


# --- the request breaks HTTP on our side -------------------------------------------------
def test_file_shorter_than_its_size_is_permanent_when_idempotent():
    declared = 3 * len(PIECE) + 10
    with Listener(keep=None) as server:
        with pytest.raises(Permanent) as err:
            upload(server.url, idempotent=True, body=pieces(3), length=declared)
        seen = server.wait()
    assert seen.body == 3 * len(PIECE)  # all it had went out; the server waits for more in vain
    assert "upload the media again" in err.value.message
    assert err.value.detail == "LocalProtocolError"


def test_file_longer_than_its_size_is_permanent_when_idempotent():
    with Listener(keep=None) as server:
        with pytest.raises(Permanent) as err:
            upload(server.url, idempotent=True, body=pieces(2, tail=b"extra"), length=2 * len(PIECE))
        server.wait()
    assert "upload the media again" in err.value.message


def test_file_longer_than_its_size_may_have_reached_the_server_whole_so_a_post_is_unconfirmed():
    # The bytes up to the declared length went out before the overflow was caught: to
    # the server that is a complete request, which it may act on.
    with Listener(keep=None) as server:
        with pytest.raises(OutcomeUnknown) as err:
            upload(server.url, idempotent=False, body=pieces(2, tail=b"extra"), length=2 * len(PIECE))
        seen = server.wait()
    assert seen.body == 2 * len(PIECE)
    assert "may have gone through" in err.value.message


def test_file_shorter_than_its_size_is_unconfirmed_when_not_idempotent():
    with Listener(keep=None) as server:
        with pytest.raises(OutcomeUnknown):
            upload(server.url, idempotent=False, body=pieces(1), length=len(PIECE) + 1)
        server.wait()


def test_illegal_header_is_permanent_and_keeps_the_value_out_of_the_error():
    with Listener(keep=None) as server:
        with pytest.raises(Permanent) as err:
            upload(server.url, idempotent=True, body=pieces(1), length=len(PIECE),
                   Authorization="Bearer tok-SECRET\r\nX-Injected: 1")
        seen = server.wait()
    assert seen.head == b""  # refused before anything was written
    assert "SECRET" not in str(err.value) and "SECRET" not in (err.value.detail or "")
