"""Data export (policy 7.1): a callable starts it, a task builds one zip in Cloud
Storage (JSON per declared collection, plus media), and the person gets a
short-lived signed link in-app and by email. Completeness is checked against
the declaration (kernel.collections.USER_DATA), so a newly declared collection is
covered without touching this file."""

import json
import time
import urllib.request

from privacy_helpers import SIGNER_EMAIL, error_status, open_zip, owned, verify_v4_url

from kernel import clock, crypto
from kernel.collections import USER_DATA
from privacy import export as privacy_export


def seed_every_collection(db, uid: str) -> dict[str, str]:
    """One document in every collection the declaration lists as owned, each with
    its private fields set, so the archive can be checked against the declaration."""
    ids = {}
    for name, spec in USER_DATA.items():
        if spec.kind != "owned":
            continue
        doc_id = f"probe-{name}-{uid[:10]}"
        data = {"uid": uid, "probe": name, "createdAt": clock.now(), **{f: "internal" for f in spec.private_fields}}
        if name == "accountTokens":
            data["access"] = crypto.seal("plaintext-access-token-do-not-export", f"accountTokens/{doc_id}:access")
        if name == "notifications":
            # A sealed value somewhere it should never be: the archive drops it all the same.
            data["stray"] = crypto.seal("stray-secret-do-not-export", "somewhere")
        db.collection(name).document(doc_id).set(data)
        ids[name] = doc_id
    return ids


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read()


def test_export_holds_every_declared_collection_media_and_no_secrets(call, user, db, tasks, signing, upload, outbox,
                                                                       connect_x, x_fake):
    from accounts import store as account_store
    from kernel import cloud

    account_id = connect_x(user)
    access_token = account_store.load_tokens(account_id).access_token
    ids = seed_every_collection(db, user.uid)
    photo = bytes(range(256)) * 400
    media = {upload(user.uid, "photo.png", photo): photo,
             upload(user.uid, "2026/clip.mp4", b"\x00\x00\x00\x18ftypmp42" * 5000, "video/mp4"): None}

    status, body = call("request_export", {}, user.token)
    assert status == 200, body
    export_id = body["result"]["exportId"]
    assert body["result"]["status"] == "queued"
    assert [t[:2] for t in tasks.queued] == [("build_export", {"exportId": export_id})]

    assert tasks.run_all() == [(200, {"outcome": "built"})]
    export = db.collection("exports").document(export_id).get().to_dict()
    assert export["status"] == "ready" and export["archivePath"] == f"exports/{user.uid}/{export_id}.zip"

    # The link, in-app and by email: the same URL, signed by our key, for this blob only, for an hour.
    [note] = [d.to_dict() for d in owned(db, "notifications", user.uid) if d.to_dict().get("kind") == "export_ready"]
    url = next(w for w in note["body"].split() if w.startswith("http"))
    [mail] = [m for m in outbox.sent_to(user["email"]) if m["subject"] == "Your postr data export is ready"]
    assert url in mail["text"]
    signed = verify_v4_url(url, signing)
    assert signed["path"] == f"/{cloud.bucket().name}/exports/{user.uid}/{export_id}.zip"
    assert signed["email"] == SIGNER_EMAIL
    assert signed["expires"] == 3600

    data = download(url)
    assert "plaintext-access-token" not in data.decode("latin-1") and access_token not in data.decode("latin-1")
    archive = open_zip(data)
    names = set(archive.namelist())
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"] == "postr-export/1" and manifest["uid"] == user.uid
    for name, spec in USER_DATA.items():
        if not spec.export:
            assert f"{name}.json" not in names, f"{name} is declared export=False but was exported"
            continue
        records = json.loads(archive.read(f"{name}.json"))
        assert manifest["collections"][name] == len(records)
        if spec.kind == "profile":
            [profile] = records
            assert profile["id"] == user.uid and profile["email"] == user["email"]
            continue
        [probe] = [r for r in records if r["id"] == ids[name]]
        assert probe["probe"] == name and probe["uid"] == user.uid
        assert not set(spec.private_fields) & set(probe), f"{name}: private fields exported"
    assert "accountTokens.json" not in names and "oauthStates.json" not in names
    [account] = [a for a in json.loads(archive.read("accounts.json")) if a["id"] == account_id]
    assert account["network"] == "x" and "access" not in account
    [stray] = [n for n in json.loads(archive.read("notifications.json")) if n["id"] == ids["notifications"]]
    assert "stray" not in stray
    assert not any(crypto._VERSION + "." in json.dumps(json.loads(archive.read(n)))
                   for n in names if n.endswith(".json") and n != "manifest.json")
    assert archive.read("media/photo.png") == photo
    assert "media/2026/clip.mp4" in names and len(media) == manifest["mediaFiles"] == 2

    # The request is on the register, done, with its due date.
    [request] = [d.to_dict() for d in owned(db, "privacyRequests", user.uid) if d.to_dict().get("type") == "export"]
    assert request["status"] == "completed" and request["completedAt"] is not None
    assert (request["dueAt"] - request["requestedAt"]).days == 30


def test_a_second_export_is_refused_while_one_runs_and_nothing_changes(call, user, db, tasks, signing):
    status, body = call("request_export", {}, user.token)
    assert status == 200
    first = body["result"]["exportId"]

    status, body = call("request_export", {}, user.token)
    assert status == 400 and error_status(body) == "FAILED_PRECONDITION"
    assert "already being prepared" in body["error"]["message"]
    assert len(tasks.queued) == 1
    assert [d.id for d in owned(db, "exports", user.uid)] == [first]
    assert len([d for d in owned(db, "privacyRequests", user.uid) if d.get("type") == "export"]) == 1

    tasks.run_all()
    status, body = call("request_export", {}, user.token)
    assert status == 200 and body["result"]["exportId"] != first


def test_a_repeated_delivery_builds_and_tells_once(call, user, db, tasks, signing, outbox):
    _, body = call("request_export", {}, user.token)
    export_id = body["result"]["exportId"]
    assert tasks.deliver("build_export", {"exportId": export_id}) == (200, {"outcome": "built"})
    assert tasks.deliver("build_export", {"exportId": export_id}) == (200, {"outcome": "done"})
    assert len([m for m in outbox.sent_to(user["email"]) if "export is ready" in m["subject"]]) == 1
    assert tasks.deliver("build_export", {"exportId": "no-such-export"}) == (200, {"outcome": "gone"})
    assert tasks.deliver("build_export", {"nope": 1})[0] == 400


def test_a_failed_export_leaves_its_request_open_with_why_and_tells_the_person(call, user, db, tasks, signing,
                                                                              outbox, monkeypatch):
    from privacy import export as privacy_export

    def broken(uid, export_id):
        raise OSError("storage refused the archive")

    monkeypatch.setattr(privacy_export, "_write_archive", broken)
    _, body = call("request_export", {}, user.token)
    export_id = body["result"]["exportId"]
    outcomes = [tasks.deliver("build_export", {"exportId": export_id})[1]["outcome"]
                for _ in range(privacy_export.MAX_ATTEMPTS)]
    assert outcomes == ["retry"] * (privacy_export.MAX_ATTEMPTS - 1) + ["failed"]
    [request] = [d.to_dict() for d in owned(db, "privacyRequests", user.uid) if d.to_dict().get("type") == "export"]
    assert request["status"] == "open" and request["completedAt"] is None
    assert request["lastFailure"]["reason"] == "OSError"
    assert [n.get("kind") for n in owned(db, "notifications", user.uid)] == ["export_failed"]
    assert any("could not be prepared" in m["subject"] for m in outbox.sent_to(user["email"]))
    # The operator sees it among the open requests; the person may ask again.
    assert call("request_export", {}, user.token)[0] == 200


def test_get_export_gives_a_fresh_link_to_the_owner_only(call, new_user, db, tasks, signing):
    alice, bob = new_user("Alice"), new_user("Bob")
    status, body = call("get_export", {}, alice.token)
    assert status == 404 and error_status(body) == "NOT_FOUND"
    _, body = call("request_export", {}, alice.token)
    export_id = body["result"]["exportId"]
    status, body = call("get_export", {}, alice.token)
    assert status == 200 and body["result"]["status"] == "queued" and body["result"]["downloadUrl"] is None
    tasks.run_all()
    status, body = call("get_export", {"exportId": export_id}, alice.token)
    assert status == 200 and body["result"]["status"] == "ready"
    assert verify_v4_url(body["result"]["downloadUrl"], signing)["path"].endswith(f"/exports/{alice.uid}/{export_id}.zip")

    status, body = call("get_export", {"exportId": export_id}, bob.token)
    assert status == 404 and error_status(body) == "NOT_FOUND"


def test_archives_expire_after_their_days(call, user, db, tasks, signing):
    import datetime as dt

    from kernel import cloud

    _, body = call("request_export", {}, user.token)
    export_id = body["result"]["exportId"]
    tasks.run_all()
    path = f"exports/{user.uid}/{export_id}.zip"
    assert cloud.bucket().blob(path).exists()
    with clock.frozen(clock.now() + dt.timedelta(days=8)):
        assert privacy_export.expire_archives() >= 1
        status, body = call("get_export", {"exportId": export_id}, user.token)
    assert body["result"]["status"] == "expired" and body["result"]["downloadUrl"] is None
    assert not cloud.bucket().blob(path).exists()
    # An expired export is out of the expiry query for good: later runs never see it again.
    from google.cloud.firestore import FieldFilter

    later = clock.now() + dt.timedelta(days=60)
    assert export_id not in [d.id for d in db.collection("exports")
                             .where(filter=FieldFilter("archiveExpiresAt", "<=", later)).stream()]


def test_the_archive_is_streamed_with_bounded_memory(user, db, upload, monkeypatch):
    """A media file four times the size of what the build may hold in memory at once."""
    import tracemalloc

    monkeypatch.setattr(privacy_export, "UPLOAD_CHUNK", 1024 * 1024)
    monkeypatch.setattr(privacy_export, "READ_CHUNK", 512 * 1024)
    big = bytes(range(251)) * (24 * 1024 * 1024 // 251)
    upload(user.uid, "big.mp4", big, "video/mp4")
    del big
    tracemalloc.start()
    try:
        summary = privacy_export._write_archive(user.uid, "memorycheck")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary["mediaFiles"] == 1 and summary["sizeBytes"] > 24 * 1024 * 1024 - 251
    assert peak < 6 * 1024 * 1024, f"peak {peak} bytes while building a 24 MB archive"


def test_the_task_is_delivered_by_cloud_tasks_to_the_functions_emulator(call, user, db):
    """End to end: the real enqueue, the Cloud Tasks emulator, the build_export HTTP
    function in the Functions emulator. (The emulator has no signing credentials, so
    its notice points to the app instead of carrying a link.)"""
    from kernel import cloud

    status, body = call("request_export", {}, user.token)
    assert status == 200, body
    export_id = body["result"]["exportId"]
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        export = db.collection("exports").document(export_id).get().to_dict()
        if export["status"] in ("ready", "failed"):
            break
        time.sleep(0.5)
    assert export["status"] == "ready", export
    assert cloud.bucket().blob(f"exports/{user.uid}/{export_id}.zip").exists()
    kinds = [d.get("kind") for d in owned(db, "notifications", user.uid)]
    assert "export_ready" in kinds
