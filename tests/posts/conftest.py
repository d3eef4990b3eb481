"""Fixtures for posts and publishing: connected accounts on contract fakes,
uploads in the Storage emulator, the publish task run in-process, and the
Cloud Tasks emulator's queue as the platform sees it."""

import datetime as _dt
import json
import threading
import uuid

import pytest
from posts_helpers import UTC

from fakes.mastodon import MastodonFake


@pytest.fixture
def mastodon(stack):
    with MastodonFake() as fake:
        yield fake


@pytest.fixture
def mastodon2(stack):
    """A second Mastodon server, so one target can fail while another succeeds."""
    with MastodonFake() as fake:
        yield fake


@pytest.fixture
def connect_x(connect, x_fake):
    """connect_x(user, refresh_token=None) -> (account id, granted tokens) on the X fake."""
    from platforms.base import Tokens

    def make(user, refresh_token: str | None = None):
        granted = x_fake.grant()
        expires = _dt.datetime.now(UTC) + _dt.timedelta(days=60)
        tokens = Tokens(access_token=granted["access_token"], refresh_token=refresh_token or granted["refresh_token"],
                        expires_at=expires, scopes=granted["scope"].split())
        return connect(user, x_fake, network="x", tokens=tokens), granted

    return make


@pytest.fixture
def connect(stack):
    """connect(user, fake, ...) -> account id: a connected account as the connect flow saves it."""
    from accounts import store as account_store
    from platforms.base import Profile, Tokens

    def make(user, fake, network: str = "mastodon", tokens: Tokens | None = None, handle: str | None = None) -> str:
        if tokens is None:
            tokens = Tokens(access_token=fake.issue_token(), scopes=["read", "write"], extra={"instance": fake.url})
        handle = handle or f"alice{uuid.uuid4().hex[:6]}"
        profile = Profile(account_id=uuid.uuid4().hex[:10], handle=handle, display_name="Alice", avatar_url=None,
                          followers_count=1)
        account_id, _ = account_store.save(user.uid, network, profile, tokens)
        return account_id

    return make


@pytest.fixture
def upload(stack):
    """upload(path, data, content_type, metadata=None): an object in the Storage emulator."""
    from kernel import cloud

    def put(path: str, data: bytes, content_type: str, metadata: dict | None = None) -> str:
        blob = cloud.bucket().blob(path)
        if metadata:
            blob.metadata = metadata
        blob.upload_from_string(data, content_type=content_type)
        return path

    return put


@pytest.fixture
def run_task(main):
    """Deliver a publish task in-process, as Cloud Tasks does: run_task(post_id, version) -> (status, body)."""
    import flask

    app = flask.Flask("postr-publish-tests")

    def deliver(post_id: str, version: int):
        body = json.dumps({"postId": post_id, "version": version})
        with app.test_request_context("/publish_post", method="POST", data=body,
                                      headers={"Content-Type": "application/json"}):
            response = main.publish_post(flask.request)
        return response.status_code, response.get_json()

    return deliver


@pytest.fixture
def quick_retries(monkeypatch):
    """Backoff within a delivery in milliseconds, so retry tests do not sleep for seconds."""
    from posts import publisher

    monkeypatch.setattr(publisher, "QUICK_BASE_S", 0.01)
    monkeypatch.setattr(publisher, "QUICK_CAP_S", 0.05)


@pytest.fixture
def queued(stack):
    """The names of the tasks waiting in the publish queue (the emulator's ListTasks)."""
    from kernel import cloud
    from posts import tasks as publish_tasks

    def names() -> set[str]:
        from google.api_core import exceptions

        try:
            tasks = cloud.tasks_client().list_tasks(parent=cloud.queue_path(publish_tasks.queue()))
            return {t.name.rsplit("/", 1)[1] for t in tasks}
        except (exceptions.NotFound, exceptions.FailedPrecondition, exceptions.Unknown):
            return set()  # no queue yet (the emulator answers UNKNOWN for a missing one)

    return names


class Clock:
    """A clock tests move by hand (kernel.clock.use)."""

    def __init__(self, at: _dt.datetime):
        self.at = at
        self._lock = threading.Lock()

    def __call__(self) -> _dt.datetime:
        with self._lock:
            return self.at

    def set(self, at: _dt.datetime) -> None:
        with self._lock:
            self.at = at


@pytest.fixture
def clock_at():
    """clock_at(instant) -> Clock: every clock.now() in this process answers it until moved."""
    from kernel import clock

    ctx = []

    def start(at: _dt.datetime) -> Clock:
        c = Clock(at)
        cm = clock.use(c)
        cm.__enter__()
        ctx.append(cm)
        return c

    yield start
    for cm in reversed(ctx):
        cm.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _nothing_left_due(stack):
    """Tests move the clock years ahead; posts an earlier test left scheduled must not
    be swept (against fakes that are gone) by the next test's sweeper."""
    yield
    from kernel import db

    epoch = _dt.datetime(1970, 1, 1, tzinfo=UTC)
    posts = db.client().collection("posts")
    for field in ("dueAt", "enqueueAt"):
        for snap in posts.where(field, ">", epoch).stream():
            snap.reference.update({field: None})
