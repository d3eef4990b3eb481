"""Fixtures for analytics: connected accounts and published posts seeded straight
into Firestore (tokens sealed by accounts.store, posts in the shape
kernel/collections.py documents), the network contract fakes, the loopback
PostHog and Sentry endpoints, and a fresh stretch of time per test."""

import datetime as _dt
import itertools
import uuid

import pytest

UTC = _dt.timezone.utc
_stretches = itertools.count()


@pytest.fixture
def epoch(stack) -> _dt.datetime:
    """A time of its own for each test, years ahead, so posts of other tests
    (published now) never fall in this test's collection window."""
    return _dt.datetime(2031, 1, 6, 9, 0, tzinfo=UTC) + _dt.timedelta(days=120 * next(_stretches))


@pytest.fixture(autouse=True)
def no_leftover_trackers(stack, db):
    """The collector takes every due tracker in the database: start each test
    with none left by another test."""
    from kernel.collections import ANALYTICS_STATE, METRIC_TARGETS

    for name in (METRIC_TARGETS, ANALYTICS_STATE):
        refs = [s.reference for s in db.collection(name).stream()]
        for start in range(0, len(refs), 400):
            batch = db.batch()
            for ref in refs[start:start + 400]:
                batch.delete(ref)
            batch.commit()
    yield


@pytest.fixture
def uid(db) -> str:
    """A person with an active profile (the collector reads nothing for a closed account)."""
    from kernel import users

    person = f"analytics-{uuid.uuid4().hex[:12]}"
    db.collection("users").document(person).set(users.new_profile(person, None, "Tester"))
    return person


@pytest.fixture
def connect(db):
    """connect(uid, network, tokens, status="active") -> account id, as account_store saves it."""
    from accounts import store as account_store
    from kernel.collections import ACCOUNTS
    from platforms.base import Profile

    def save(uid: str, network: str, tokens, *, status: str = "active", handle: str = "tester") -> str:
        profile = Profile(account_id=uuid.uuid4().hex[:10], handle=handle, display_name="Tester", avatar_url=None,
                          followers_count=None)
        account_id, _ = account_store.save(uid, network, profile, tokens)
        if status != "active":
            db.collection(ACCOUNTS).document(account_id).update({"status": status})
        return account_id

    return save


@pytest.fixture
def seed_post(db):
    """seed_post(uid, {account_id: (network, network post id, published_at)}) -> post id:
    a post as the publisher leaves it once its targets are out."""
    from kernel.collections import POSTS

    def write(uid: str, targets: dict, *, status: str = "published", target_status: str = "published") -> str:
        post_id = uuid.uuid4().hex[:20]
        published = min(t[2] for t in targets.values())
        db.collection(POSTS).document(post_id).set({
            "uid": uid, "status": status, "text": "seeded post", "scheduledAt": published, "timezone": "UTC",
            "publishedAt": published, "targetAccountIds": list(targets),
            "targets": {account_id: {"network": network, "status": target_status, "error": None,
                                     "postId": network_post_id, "url": f"https://example.test/{network_post_id}",
                                     "publishedAt": at}
                        for account_id, (network, network_post_id, at) in targets.items()},
        })
        return post_id

    return write


@pytest.fixture
def snapshots(db):
    """The metrics documents of a post, oldest first."""
    from google.cloud.firestore import FieldFilter

    def read(post_id: str) -> list[dict]:
        docs = db.collection("metrics").where(filter=FieldFilter("postId", "==", post_id)).stream()
        return sorted((d.to_dict() for d in docs), key=lambda d: d["collectedAt"])

    return read


@pytest.fixture
def tracker(db):
    def read(post_id: str, account_id: str) -> dict | None:
        snap = db.collection("metricTargets").document(f"{post_id}__{account_id}").get()
        return snap.to_dict() if snap.exists else None

    return read


@pytest.fixture
def x_post(x_fake):
    """x_post(tokens, **public_metrics) -> a post on the X fake with those counts."""
    from platforms import x
    from platforms.base import PostContent

    def make(tokens, **counts) -> str:
        post_id = x.XPlatform(sleep=lambda s: None).publish(tokens, PostContent(text=uuid.uuid4().hex)).post_id
        x_fake.tweets[post_id]["public_metrics"].update(counts)
        return post_id

    return make


@pytest.fixture
def x_tokens(x_fake):
    from platforms.base import Tokens

    def grant() -> Tokens:
        granted = x_fake.grant()
        return Tokens(access_token=granted["access_token"], refresh_token=granted["refresh_token"],
                      scopes=granted["scope"].split())

    return grant


@pytest.fixture
def posthog(stack, monkeypatch):
    from fakes.posthog import PostHogFake

    with PostHogFake(api_key="phc_analytics_tests") as fake:
        monkeypatch.setenv("POSTHOG_PROJECT_API_KEY", fake.api_key)
        monkeypatch.setenv("POSTHOG_HOST", fake.url)
        yield fake


@pytest.fixture
def sentry(stack, monkeypatch):
    from fakes.sentry import SentryFake

    with SentryFake() as fake:
        monkeypatch.setenv("SENTRY_DSN", fake.dsn)
        monkeypatch.setenv("SENTRY_ENVIRONMENT", "tests")
        yield fake


@pytest.fixture
def ga4(monkeypatch):
    """The loopback GA4 Measurement Protocol endpoint, configured as postr's GA web stream
    (it needs no local stack; the opt-out check still reads Firestore when a test uses it)."""
    from fakes.ga4 import GA4Fake

    with GA4Fake() as fake:
        monkeypatch.setenv("GA4_MEASUREMENT_ID", fake.measurement_id)
        monkeypatch.setenv("GA4_API_SECRET", fake.api_secret)
        monkeypatch.setenv("GA4_BASE_URL", fake.url)
        yield fake


@pytest.fixture
def posthog_alone(monkeypatch):
    """The PostHog fake without the local stack: capture, and the private API that
    analytics_product.forget uses (project id, personal API key, app host)."""
    from fakes.posthog import PostHogFake

    with PostHogFake(api_key="phc_product_tests") as fake:
        monkeypatch.setenv("POSTHOG_PROJECT_API_KEY", fake.api_key)
        monkeypatch.setenv("POSTHOG_HOST", fake.url)
        monkeypatch.setenv("POSTHOG_PROJECT_ID", fake.project_id)
        monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", fake.personal_api_key)
        monkeypatch.setenv("POSTHOG_API_HOST", fake.url)
        yield fake
