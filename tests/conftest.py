"""Fixtures: the local stack (tools/localstack.py) once per run, real Auth-emulator
users, and two ways to call a callable: in-process (through the real
firebase_functions wrapper, so clocks can be injected) and over HTTP through the
Functions emulator."""

import json
import os
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT / "tools")]

import localstack  # noqa: E402
from localstack import AuthError  # noqa: E402

# The contract fakes and the local PDS listen on loopback, which deployed code
# refuses to reach (SSRF); the tests that show the refusal turn this off.
os.environ.setdefault("ALLOW_PRIVATE_HOSTS", "true")


@pytest.fixture(scope="session")
def stack():
    # One local stack per machine at a time (fixed ports): a second test run waits here.
    with localstack.running(functions=True) as s:
        saved = dict(os.environ)
        os.environ.update(s.params)
        os.environ.update(s.env)
        os.environ.update(s.secrets)
        print(f"\n[stack] Firestore: {s.firestore_mode}; Storage: {s.storage_mode}", file=sys.stderr)
        yield s
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def main(stack):
    """The functions codebase, imported in-process against the stack."""
    import main as functions_main

    return functions_main


@pytest.fixture(scope="session")
def db(stack):
    from kernel import db as core_db

    return core_db.client()


class User(dict):
    @property
    def uid(self) -> str:
        return self["localId"]

    @property
    def token(self) -> str:
        return self["idToken"]


_EMULATOR_DROPS = ("ECONNRESET", "socket hang up")


@pytest.fixture
def new_user(stack):
    """A factory of real users signed up through the Auth emulator (which runs our
    blocking hooks in the Functions emulator). They have given an adult's birth date,
    as a person must before using anything beyond their profile (policy 10), unless
    made with onboarded=False."""

    def make(display_name: str = "Test Person", *, onboarded: bool = True) -> User:
        for attempt in range(3):
            email = f"u{uuid.uuid4().hex[:12]}@example.com"
            try:
                created = stack.sign_up(email, "password-123", display_name)
                break
            except AuthError as exc:
                # The Functions emulator's Python runtime binds each worker to a port and
                # now and then drops a forwarded blocking-hook request (firebase-tools
                # #5423, #6628): that is the emulator's plumbing, not our hook, so a new
                # person is signed up; any other refusal is the test's business.
                if attempt == 2 or not any(s in exc.message for s in _EMULATOR_DROPS):
                    raise
        person = User(created, email=email, password="password-123")
        if onboarded:
            from kernel import clock, db

            db.doc("users", person.uid).update({"onboarding.birthDate": "1990-01-01",
                                                "onboarding.completedAt": clock.now()})
        return person

    return make


@pytest.fixture
def user(new_user) -> User:
    return new_user()


@pytest.fixture
def call(main):
    """Call a callable in-process: call(name, data, token) -> (http status, body)."""
    import flask

    app = flask.Flask("postr-tests")

    def invoke(name: str, data=None, token: str | None = None, raw_body=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        body = raw_body if raw_body is not None else json.dumps({"data": data})
        with app.test_request_context("/", method="POST", data=body, headers=headers):
            response = getattr(main, name)(flask.request)
        return response.status_code, response.get_json()

    return invoke


@pytest.fixture
def call_http(stack):
    """Call a callable over HTTP through the Functions emulator, as the web app does."""

    def invoke(name: str, data=None, token: str | None = None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(
            stack.callable_url(name), data=json.dumps({"data": data}).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    return invoke


class Outbox:
    """The Resend stand-in's record of what was sent."""

    def __init__(self, url: str):
        self.url = url

    def sent_to(self, address: str) -> list[dict]:
        with urllib.request.urlopen(f"{self.url}/_fake/outbox", timeout=5) as r:
            return [m for m in json.loads(r.read()) if address in m["to"]]

    def fail_next(self, *statuses: int) -> None:
        req = urllib.request.Request(
            f"{self.url}/_fake/fail", data=json.dumps(list(statuses)).encode(), method="POST"
        )
        urllib.request.urlopen(req, timeout=5).read()


@pytest.fixture
def outbox(stack) -> Outbox:
    return Outbox(stack.env["RESEND_API_URL"])


@pytest.fixture
def x_fake(stack, monkeypatch):
    """The X contract fake with our local app's client, wired to platforms/x/ (X_API_URL)."""
    from fakes.x import XFake

    with XFake(client_id=os.environ["X_CLIENT_ID"], client_secret=os.environ["X_CLIENT_SECRET"]) as fake:
        monkeypatch.setenv("X_API_URL", fake.url)
        yield fake
