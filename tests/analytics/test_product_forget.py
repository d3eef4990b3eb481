"""analytics_product.forget (issue 16): at account deletion PostHog is asked, through its
documented private API, to delete the person and their events. Off unless configured,
never raises. PostHog's deletion reaches events through their person, so capture lets
PostHog keep a person per uid."""

import json

import httpx
import pytest

from fakes.base import Reply
from kernel import optouts as privacy_optouts
from telemetry import product as analytics_product

UID = "Zq8uT3xYb1WcL0mN5pR7sV2eA4d9"
OTHER = "Kp2vR8nWq4LsT6yXb0MdC3fH7jZ1"


@pytest.fixture(autouse=True)
def no_leftover_trackers():
    """Nothing here reads Firestore (overrides the directory's tracker cleanup, which needs the stack)."""
    yield


def capture_with_person(posthog, distinct_id: str, event: str = "thing_done") -> None:
    """An event as a person-processing client sends it (the default in PostHog's SDKs)."""
    answer = httpx.post(f"{posthog.url}/i/v0/e/", json={"api_key": posthog.api_key, "event": event,
                                                        "distinct_id": distinct_id, "properties": {}})
    assert answer.status_code == 200


def persons(posthog, distinct_id: str) -> list[dict]:
    answer = httpx.get(f"{posthog.url}/api/projects/{posthog.project_id}/persons/",
                       params={"distinct_id": distinct_id},
                       headers={"Authorization": f"Bearer {posthog.personal_api_key}"})
    assert answer.status_code == 200
    return answer.json()["results"]


def deletion_requests(posthog):
    return posthog.received("POST", r"/api/projects/[^/]+/persons/bulk_delete/")


def test_not_configured_asks_nothing(posthog_alone, monkeypatch):
    monkeypatch.delenv("POSTHOG_PERSONAL_API_KEY")
    assert analytics_product.forget(UID) is False
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", posthog_alone.personal_api_key)
    monkeypatch.delenv("POSTHOG_PROJECT_ID")
    assert analytics_product.forget(UID) is False
    assert analytics_product.forget("") is False
    assert posthog_alone.requests == []


def test_a_person_and_their_events_are_deleted(posthog_alone):
    capture_with_person(posthog_alone, UID)
    capture_with_person(posthog_alone, UID, "other_thing")
    capture_with_person(posthog_alone, OTHER)
    (person,) = persons(posthog_alone, UID)

    assert analytics_product.forget(UID) is True

    (request,) = deletion_requests(posthog_alone)
    assert request.path == f"/api/projects/{posthog_alone.project_id}/persons/bulk_delete/"
    assert request.headers["authorization"] == f"Bearer {posthog_alone.personal_api_key}"
    assert json.loads(request.body) == {"distinct_ids": [UID], "delete_events": True}
    assert persons(posthog_alone, UID) == []  # the person is gone at once
    assert posthog_alone.deletions == [{"person_uuid": person["uuid"], "seq": posthog_alone.deletions[0]["seq"]}]
    assert len(posthog_alone.events_for(UID)) == 2  # events go in PostHog's later batch

    assert posthog_alone.run_deletions() == 2
    assert posthog_alone.events_for(UID) == []
    assert len(posthog_alone.events_for(OTHER)) == 1 and persons(posthog_alone, OTHER)


def test_what_capture_sends_is_reached_by_forget(posthog_alone, monkeypatch):
    """capture lets PostHog keep a person per uid, so an account's deletion reaches its events."""
    monkeypatch.setattr(privacy_optouts, "product_analytics_allowed", lambda uid: True)
    assert analytics_product.capture(UID, analytics_product.ONBOARDED) is True
    assert persons(posthog_alone, UID) != []

    assert analytics_product.forget(UID) is True
    assert len(deletion_requests(posthog_alone)) == 1
    posthog_alone.run_deletions()
    assert posthog_alone.events_for(UID) == [] and persons(posthog_alone, UID) == []


@pytest.mark.parametrize("change", [{"POSTHOG_PERSONAL_API_KEY": "phx_revoked"}, {"POSTHOG_PROJECT_ID": "999"}],
                         ids=["revoked key (401)", "another project (404)"])
def test_a_refusal_is_false_and_never_raised(posthog_alone, monkeypatch, change):
    capture_with_person(posthog_alone, UID)
    for name, value in change.items():
        monkeypatch.setenv(name, value)
    assert analytics_product.forget(UID) is False
    assert persons(posthog_alone, UID)  # still there


def test_a_key_without_the_scope_is_refused(monkeypatch):
    from fakes.posthog import PostHogFake

    with PostHogFake(scopes=("person:read",)) as fake:
        monkeypatch.setenv("POSTHOG_PROJECT_ID", fake.project_id)
        monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", fake.personal_api_key)
        monkeypatch.setenv("POSTHOG_API_HOST", fake.url)
        assert analytics_product.forget(UID) is False
        answer = httpx.post(f"{fake.url}/api/projects/{fake.project_id}/persons/bulk_delete/",
                            headers={"Authorization": f"Bearer {fake.personal_api_key}"},
                            json={"distinct_ids": [UID]})
        assert answer.status_code == 403 and "person:write" in answer.json()["detail"]


@pytest.mark.parametrize("failure", ["5xx", "timeout", "unreachable"])
def test_an_unwell_posthog_is_false_and_never_raised(posthog_alone, monkeypatch, failure):
    monkeypatch.setattr(analytics_product, "FORGET_TIMEOUT_S", 0.3)
    if failure == "5xx":
        posthog_alone.fail_next(Reply(503, {"detail": "unavailable"}), path="bulk_delete")
    elif failure == "timeout":
        posthog_alone.fail_next(Reply(202, {"persons_found": 1}, delay=1.0), path="bulk_delete")
    else:
        monkeypatch.setenv("POSTHOG_API_HOST", "http://127.0.0.1:9")
    assert analytics_product.forget(UID) is False


def test_the_fake_private_api_checks_what_posthog_checks(posthog_alone):
    url = f"{posthog_alone.url}/api/projects/{posthog_alone.project_id}/persons/"
    auth = {"Authorization": f"Bearer {posthog_alone.personal_api_key}"}
    assert httpx.get(url).status_code == 401
    assert httpx.post(url + "bulk_delete/", json={"distinct_ids": [UID]}).status_code == 401
    for body in ({}, {"distinct_ids": [UID], "ids": ["x"]}, {"distinct_ids": [str(i) for i in range(1001)]}):
        assert httpx.post(url + "bulk_delete/", headers=auth, json=body).status_code == 400

    capture_with_person(posthog_alone, UID)
    kept = httpx.post(url + "bulk_delete/", headers=auth,
                      json={"distinct_ids": [UID], "delete_events": True, "keep_person": True})
    assert kept.status_code == 202
    assert kept.json() == {"persons_found": 1, "persons_deleted": 0, "events_queued_for_deletion": True,
                           "recordings_queued_for_deletion": False, "deletion_errors": []}
    assert persons(posthog_alone, UID) and posthog_alone.run_deletions() == 1
