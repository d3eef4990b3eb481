"""Security rules, evaluated by the official emulators' rules engines.

Firestore rules run on every machine (the official Cloud Firestore emulator is
the stack's Firestore). Storage rules need the official Storage emulator, whose
rules runtime firebase-tools downloads from Google: gcp-storage-emulator has no
rules engine, so those tests run only where it can be had (a connected machine,
or its jar cached: see README) and are skipped, with that reason, elsewhere.
"""

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

import localstack

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def firestore_rules(stack):
    host = stack.env["FIRESTORE_EMULATOR_HOST"]
    body = {"rules": {"files": [{"name": "firestore.rules", "content": (ROOT / "firestore.rules").read_text()}]}}
    req = urllib.request.Request(
        f"http://{host}/emulator/v1/projects/{localstack.PROJECT}:securityRules",
        data=json.dumps(body).encode(), method="PUT", headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(req, timeout=30).read()
    return host


def rest(host, method, path, token=None, body=None):
    url = f"http://{host}/v1/projects/{localstack.PROJECT}/databases/(default)/documents/{path}"
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_people_read_only_their_own_profile(firestore_rules, new_user):
    alice, bob = new_user("Alice"), new_user("Bob")
    assert rest(firestore_rules, "GET", f"users/{alice.uid}", alice.token) == 200
    assert rest(firestore_rules, "GET", f"users/{bob.uid}", alice.token) == 403
    assert rest(firestore_rules, "GET", f"users/{alice.uid}") == 403


@pytest.mark.parametrize("field, value", [
    ("plan", {"stringValue": "business"}),
    ("status", {"stringValue": "active"}),
    ("displayName", {"stringValue": "direct write"}),
])
def test_clients_cannot_write_their_profile(firestore_rules, user, field, value):
    status = rest(firestore_rules, "PATCH", f"users/{user.uid}?updateMask.fieldPaths={field}",
                  user.token, {"fields": {field: value}})
    assert status == 403


def test_notifications_owner_may_only_mark_read(firestore_rules, new_user, db):
    alice, bob = new_user("Alice"), new_user("Bob")
    note_id = uuid.uuid4().hex
    db.collection("notifications").document(note_id).set({"uid": alice.uid, "title": "t", "read": False})
    path = f"notifications/{note_id}"
    assert rest(firestore_rules, "GET", path, alice.token) == 200
    assert rest(firestore_rules, "GET", path, bob.token) == 403
    assert rest(firestore_rules, "PATCH", f"{path}?updateMask.fieldPaths=read", alice.token,
                {"fields": {"read": {"booleanValue": True}}}) == 200
    assert rest(firestore_rules, "PATCH", f"{path}?updateMask.fieldPaths=title", alice.token,
                {"fields": {"title": {"stringValue": "x"}}}) == 403
    assert rest(firestore_rules, "PATCH", f"{path}?updateMask.fieldPaths=read", bob.token,
                {"fields": {"read": {"booleanValue": True}}}) == 403


def test_collections_not_named_in_the_rules_are_closed(firestore_rules, user, db):
    # A collection no code declares (so it is removed again: the declaration test lists the database).
    ref = db.collection("tokens").document(user.uid)
    ref.set({"uid": user.uid, "sealed": "v1.k1.x"})
    try:
        assert rest(firestore_rules, "GET", f"tokens/{user.uid}", user.token) == 403
    finally:
        ref.delete()


@pytest.fixture
def storage_host(stack):
    if stack.storage_mode != "official":
        pytest.skip("storage rules need the official Storage emulator; this run uses gcp-storage-emulator, "
                    "which has no rules engine (see README)")
    return f"127.0.0.1:{stack.ports['storage']}"


def _upload(url, token, content_type, size):
    req = urllib.request.Request(url, data=b"\0" * size, method="POST",
                                 headers={"Content-Type": content_type, "Authorization": f"Firebase {token}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_uploads_only_under_own_prefix_images_and_video_capped(storage_host, new_user):
    alice, bob = new_user("Alice"), new_user("Bob")
    assert _upload_ok(storage_host, alice, f"users/{alice.uid}/media/a.png", "image/png", 1000)
    assert not _upload_ok(storage_host, alice, f"users/{bob.uid}/media/a.png", "image/png", 1000)
    assert not _upload_ok(storage_host, alice, f"users/{alice.uid}/media/a.exe", "application/octet-stream", 1000)
    assert not _upload_ok(storage_host, alice, f"users/{alice.uid}/media/big.png", "image/png", 20 * 1024 * 1024 + 1)
    assert not _upload_ok(storage_host, alice, f"exports/{alice.uid}/x.zip", "application/zip", 10)


def _upload_ok(host, who, path, content_type, size) -> bool:
    bucket = f"{localstack.PROJECT}.appspot.com"
    url = f"http://{host}/v0/b/{bucket}/o?name={urllib.parse.quote(path, safe='')}"
    return _upload(url, who.token, content_type, size) == 200
