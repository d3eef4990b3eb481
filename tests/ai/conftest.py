"""Fixtures for AI writing: the real openai SDK against two OpenAI-compatible
fakes on 127.0.0.1 (tools/fakes/openai_compat.py), one answering as OpenAI and
one as xAI (reasoning tokens outside completion_tokens), with the provider keys
and addresses pointed at them. Retries wait milliseconds here, not seconds."""

import dataclasses

import pytest
from google.cloud.firestore_v1.base_query import FieldFilter

from fakes.openai_compat import OpenAICompatFake

OPENAI_KEY = "sk-test-openai"
XAI_KEY = "xai-test-key"
XAI_REASONING = 7


@pytest.fixture(scope="session")
def _fakes():
    with OpenAICompatFake(api_key=OPENAI_KEY, models=("gpt-4o-mini", "gpt-4o")) as openai_server, \
            OpenAICompatFake(api_key=XAI_KEY, models=("grok-4.3",), usage="xai",
                             reasoning_tokens=XAI_REASONING) as xai_server:
        yield openai_server, xai_server


@pytest.fixture
def openai_fake(_fakes):
    _fakes[0].reset()
    yield _fakes[0]
    _fakes[0].reset()


@pytest.fixture
def xai_fake(_fakes):
    _fakes[1].reset()
    yield _fakes[1]
    _fakes[1].reset()


@pytest.fixture(autouse=True)
def ai_env(stack, openai_fake, xai_fake, monkeypatch):
    from ai import providers as ai_providers

    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{openai_fake.url}/v1")
    monkeypatch.setenv("XAI_API_KEY", XAI_KEY)
    monkeypatch.setenv("XAI_BASE_URL", f"{xai_fake.url}/v1")
    monkeypatch.setattr(ai_providers, "POLICY", dataclasses.replace(
        ai_providers.POLICY, backoff_s=0.01, request_timeout_s=1.0, max_retry_after_s=2.0, budget_s=20.0))


def where_uid(db, collection: str, uid: str) -> list[dict]:
    return [d.to_dict() for d in db.collection(collection).where(filter=FieldFilter("uid", "==", uid)).stream()]


@pytest.fixture
def ledger(db):
    return lambda uid: where_uid(db, "aiUsage", uid)


@pytest.fixture
def history_docs(db):
    return lambda uid: where_uid(db, "aiHistory", uid)


@pytest.fixture
def counter(db):
    """The month's counter document of a user (None when never written)."""

    def read(uid: str, month: str | None = None) -> dict | None:
        from ai import metering as ai_metering
        from kernel import clock

        snap = db.collection("aiUsageMonthly").document(f"{uid}_{month or ai_metering.month_of(clock.now())}").get()
        return snap.to_dict() if snap.exists else None

    return read


@pytest.fixture
def set_profile(db):
    """Change what a test needs in a profile (plan, preferred model) directly."""

    def update(uid: str, **fields):
        db.collection("users").document(uid).update(fields)

    return update

