"""Fixtures for the privacy tests: a signing key generated here (the Storage
emulator verifies no signature, so our signing is checked by the tests), tasks
captured and delivered in-process, operators made with the server-only claim,
the Stripe stand-in, and the X contract fake for connected accounts."""

import json
import urllib.parse

import pytest
from privacy_helpers import API_KEY, PRICES, SIGNER_EMAIL


@pytest.fixture(scope="session")
def signer():
    """A service-account key made with cryptography, as google-auth loads one."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from google.oauth2 import service_account

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    info = {"type": "service_account", "project_id": "demo-postr", "private_key_id": "privacy-tests-1",
            "private_key": pem, "client_email": SIGNER_EMAIL, "client_id": "1",
            "token_uri": "https://oauth2.googleapis.com/token"}
    return service_account.Credentials.from_service_account_info(info), key.public_key()


@pytest.fixture
def signing(signer, monkeypatch):
    from kernel import signed_urls as privacy_links

    monkeypatch.setattr(privacy_links, "signing_credentials", lambda: signer[0])
    return signer[1]


class Tasks:
    """Tasks queued by privacy.tasks, kept here and delivered on demand
    through the real HTTP entry points of main.py."""

    def __init__(self, main):
        self.main = main
        self.queued: list[tuple[str, dict, str]] = []

    def enqueue(self, function: str, payload: dict, *, task_id: str, deadline_s: int = 1800) -> None:
        self.queued.append((function, payload, task_id))

    def deliver(self, function: str, payload: dict) -> tuple[int, dict]:
        import flask

        app = flask.Flask("privacy-task-tests")
        with app.test_request_context("/", method="POST", data=json.dumps(payload),
                                      headers={"Content-Type": "application/json"}):
            response = getattr(self.main, function)(flask.request)
        return response.status_code, response.get_json()

    def run_all(self, function: str | None = None) -> list[tuple[int, dict]]:
        """Deliver every queued task (and those they queue), oldest first."""
        outcomes = []
        while True:
            pending = [t for t in self.queued if function is None or t[0] == function]
            if not pending:
                return outcomes
            task = pending[0]
            self.queued.remove(task)
            outcomes.append(self.deliver(task[0], task[1]))


@pytest.fixture
def tasks(main, monkeypatch) -> Tasks:
    from privacy import tasks as privacy_tasks

    captured = Tasks(main)
    monkeypatch.setattr(privacy_tasks, "enqueue", captured.enqueue)
    return captured


@pytest.fixture
def sign_in(stack):
    """A fresh ID token for a user (a new auth_time, and the claims as they are now)."""

    def fresh(user) -> str:
        return stack.sign_in(user["email"], user["password"])["idToken"]

    return fresh


@pytest.fixture
def operator(new_user, sign_in):
    from privacy import operators as privacy_operators

    person = new_user("Operator")
    privacy_operators.set_operator(person.uid, True)
    person["idToken"] = sign_in(person)
    return person


@pytest.fixture
def upload():
    """upload(uid, name, data) -> the object's name under users/{uid}/media/."""
    from kernel import cloud

    def put(uid: str, name: str, data: bytes, content_type: str = "image/png") -> str:
        blob = cloud.bucket().blob(f"users/{uid}/media/{name}")
        blob.chunk_size = 1024 * 1024
        blob.upload_from_string(data, content_type=content_type)
        return blob.name

    return put


@pytest.fixture(scope="session")
def stripe_server():
    from fakes.stripe import StripeFake

    fake = StripeFake(prices=list(PRICES.values()), api_key=API_KEY).start()
    yield fake
    fake.stop()


@pytest.fixture
def stripe_fake(stripe_server, monkeypatch):
    for name, value in {"STRIPE_API_BASE": stripe_server.url, "STRIPE_SECRET_KEY": API_KEY,
                        "STRIPE_PRICE_PRO": PRICES["pro"], "STRIPE_PRICE_BUSINESS": PRICES["business"]}.items():
        monkeypatch.setenv(name, value)
    return stripe_server


@pytest.fixture
def subscribed(call, stripe_fake):
    """subscribed(user) -> the Stripe subscription id: Checkout through the callable,
    paid on the stand-in, and the person's plan synced from Stripe."""
    from billing import customers as billing_customers, sync as billing_sync

    def run(user, plan: str = "pro") -> str:
        status, body = call("create_checkout_session", {"plan": plan}, user.token)
        assert status == 200, body
        made = stripe_fake.complete_checkout(body["result"]["sessionId"])
        billing_sync.sync_user(user.uid, billing_customers.find(user.uid))
        return made["subscription"]["id"]

    return run


@pytest.fixture
def connect_x(main, call, x_fake):
    """connect_x(user) -> account id: the OAuth flow as the browser runs it."""
    import flask

    app = flask.Flask("privacy-connect-tests")

    def connect(user) -> str:
        status, body = call("start_connection", {"network": "x"}, user.token)
        assert status == 200, body
        url = x_fake.consent(body["result"]["authorizationUrl"])
        query = urllib.parse.urlsplit(url).query
        with app.test_request_context(f"/oauth_callback?{query}", headers={"Cookie": f"__session={user.token}"}):
            response = main.oauth_callback(flask.request)
        outcome = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(response.headers["Location"]).query))
        assert outcome.get("connected") == "x", outcome
        return outcome["account"]

    return connect
