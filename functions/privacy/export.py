"""Data export (policy 7.1): everything postr keeps about a person, in one zip.

`start` records the request and queues a task; the task runs `build`, which
writes exports/{uid}/{id}.zip in Cloud Storage: one JSON file per collection
that kernel.collections.USER_DATA marks `export=True` (minus its private fields),
the person's media files under media/, and a manifest. Token material is never
in it: the collections holding it are declared export=False, and sealed values
are dropped wherever they appear. The archive is streamed: documents are
written one at a time and media copied in chunks into a resumable upload, so
memory stays bounded whatever the size. The person then gets a short-lived
signed link (kernel.signed_urls) in-app and by email.

One export runs at a time per person: `users/{uid}.activeExportId` is claimed
in a transaction, and released when the build ends. A build that died holds
it no longer than STALE_AFTER.
"""

import base64
import datetime as _dt
import json
import posixpath
import re
import zipfile

from kernel import clock, db, log, notify, settings, users
from kernel import signed_urls as privacy_links
from kernel.collections import EXPORTS, USER_DATA, USERS
from kernel.errors import FailedPrecondition, NotFound, Unavailable
from privacy import requests as privacy_requests
from privacy import tasks as privacy_tasks

QUEUED, BUILDING, READY, FAILED, EXPIRED = "queued", "building", "ready", "failed", "expired"
RUNNING = (QUEUED, BUILDING)
# A build holds its export this long; a delivery arriving later may take it over.
LEASE = _dt.timedelta(minutes=35)
# A request still queued or building after this long is taken as dead: a new one may start.
STALE_AFTER = _dt.timedelta(hours=2)
MAX_ATTEMPTS = 3
FORMAT = "postr-export/1"
BUILDER = "build_export"
# Resumable uploads go in multiples of 256 KiB; 8 MiB keeps requests few and memory small.
UPLOAD_CHUNK = 8 * 1024 * 1024
READ_CHUNK = 4 * 1024 * 1024
_SEALED = re.compile(r"^v\d+\.[^.]+\.[A-Za-z0-9_-]{30,}={0,2}$")
_EXPORT_ID = re.compile(r"^[A-Za-z0-9]{1,64}$")
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def archive_path(uid: str, export_id: str) -> str:
    return f"exports/{uid}/{export_id}.zip"


# --- starting ---------------------------------------------------------------------


def start(uid: str) -> dict:
    """Record an export request and queue its build. FailedPrecondition while one runs."""
    client = db.client()
    user_ref = client.collection(USERS).document(uid)
    export_ref = client.collection(EXPORTS).document()
    now = clock.now()
    request_ref, request = privacy_requests.new(uid, "export", status=privacy_requests.IN_PROGRESS,
                                                ref=export_ref.id, now=now)

    def claim(tx) -> None:
        profile = user_ref.get(transaction=tx)
        active = (profile.to_dict() or {}).get("activeExportId")
        if active:
            running = client.collection(EXPORTS).document(active).get(transaction=tx)
            data = running.to_dict() or {}
            if running.exists and data.get("status") in RUNNING and now - data["requestedAt"] < STALE_AFTER:
                raise FailedPrecondition(
                    "Your data export is already being prepared. We will send you the link when it is ready.",
                    {"exportId": active},
                )
        tx.create(export_ref, {"uid": uid, "status": QUEUED, "requestedAt": now, "updatedAt": now, "attempts": 0,
                               "privacyRequestId": request_ref.id})
        tx.create(request_ref, request)
        tx.update(user_ref, {"activeExportId": export_ref.id})

    db.transaction(claim)
    try:
        privacy_tasks.enqueue(BUILDER, {"exportId": export_ref.id}, task_id=f"export-{export_ref.id}")
    except Exception:
        _unclaim(uid, export_ref.id, request_ref.id)
        raise
    log.info("privacy: export requested", uid=uid, exportId=export_ref.id)
    return {"exportId": export_ref.id, "status": QUEUED, "requestedAt": now}


def _unclaim(uid: str, export_id: str, request_id: str) -> None:
    """The build could not be queued: leave nothing behind, so the person can simply retry."""
    from kernel.collections import PRIVACY_REQUESTS

    batch = db.client().batch()
    batch.delete(db.doc(EXPORTS, export_id))
    batch.delete(db.doc(PRIVACY_REQUESTS, request_id))
    batch.update(db.doc(USERS, uid), {"activeExportId": None})
    batch.commit()


# --- building (the task) -------------------------------------------------------------


def build(export_id: str) -> str:
    """Build one export; safe to run twice. Returns what happened: built, done
    (already finished), busy (another delivery holds it), retry (failed, try again),
    failed (gave up), gone."""
    if not _EXPORT_ID.match(export_id or ""):
        return "gone"
    ref = db.doc(EXPORTS, export_id)
    claimed = _claim(ref)
    if claimed in ("done", "busy", "gone"):
        return claimed
    data = claimed
    uid = data["uid"]
    profile = db.doc(USERS, uid).get()
    if not profile.exists or profile.get("status") != users.ACTIVE:
        _finish(ref, uid, data, {"status": FAILED, "error": "account_closed"})
        return "gone"
    try:
        summary = _write_archive(uid, export_id)
    except Exception as exc:
        attempts = data.get("attempts", 0)
        log.error("privacy: export build failed", uid=uid, exportId=export_id, attempt=attempts,
                  error=type(exc).__name__, detail=str(exc)[:300])
        if attempts >= MAX_ATTEMPTS:
            _finish(ref, uid, data, {"status": FAILED, "error": type(exc).__name__})
            notify.notify(uid, kind="export_failed", category="transactional",
                          title="Your data export could not be prepared",
                          body="Something went wrong while preparing your data export. Please request it again; "
                               "if it fails again, write to support@minnerlabs.com.",
                          dedupe_key=f"export_failed:{export_id}")
            return "failed"
        ref.update({"status": QUEUED, "leaseUntil": None, "updatedAt": clock.now()})
        return "retry"
    now = clock.now()
    _finish(ref, uid, data, {"status": READY, "completedAt": now, "archivePath": archive_path(uid, export_id),
                             "archiveExpiresAt": now + _dt.timedelta(days=settings.EXPORT_ARCHIVE_DAYS.value),
                             **summary})
    _tell_ready(uid, export_id)
    log.info("privacy: export built", uid=uid, exportId=export_id, sizeBytes=summary["sizeBytes"],
             mediaFiles=summary["mediaFiles"])
    return "built"


def _claim(ref):
    """Take the export for this delivery (a lease), in a transaction."""
    def take(tx):
        snap = ref.get(transaction=tx)
        if not snap.exists:
            return "gone"
        data = snap.to_dict()
        now = clock.now()
        if data["status"] in (READY, FAILED, EXPIRED):
            return "done"
        if data["status"] == BUILDING and data.get("leaseUntil") and data["leaseUntil"] > now:
            return "busy"
        attempts = data.get("attempts", 0) + 1
        tx.update(ref, {"status": BUILDING, "attempts": attempts, "leaseUntil": now + LEASE, "updatedAt": now,
                        "startedAt": data.get("startedAt") or now})
        return {**data, "attempts": attempts}

    return db.transaction(take)


def _finish(ref, uid: str, data: dict, changes: dict) -> None:
    client = db.client()
    user_ref = client.collection(USERS).document(uid)

    def write(tx) -> None:
        profile = user_ref.get(transaction=tx)
        tx.update(ref, {**changes, "leaseUntil": None, "updatedAt": clock.now()})
        if profile.exists and profile.get("status") == users.ACTIVE and \
                (profile.to_dict() or {}).get("activeExportId") == ref.id:
            tx.update(user_ref, {"activeExportId": None})
        if data.get("privacyRequestId"):
            if changes["status"] == READY:
                privacy_requests.complete(data["privacyRequestId"], writer=tx)
            else:  # not fulfilled: the request stays open for the operator, with why
                privacy_requests.record_failure(data["privacyRequestId"], changes.get("error") or "failed",
                                                writer=tx)

    db.transaction(write)


def _write_archive(uid: str, export_id: str) -> dict:
    from kernel import cloud

    blob = cloud.bucket().blob(archive_path(uid, export_id))
    counts: dict[str, int] = {}
    media = 0
    with blob.open("wb", chunk_size=UPLOAD_CHUNK, ignore_flush=True, content_type="application/zip") as out:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for name, spec in USER_DATA.items():
                if spec.export:
                    counts[name] = _write_collection(archive, uid, name, spec)
            for source in cloud.storage_client().list_blobs(cloud.bucket(), prefix=media_prefix(uid)):
                _copy_media(archive, source, uid)
                media += 1
            manifest = {"format": FORMAT, "uid": uid, "exportId": export_id, "generatedAt": _iso(clock.now()),
                        "collections": counts, "mediaFiles": media,
                        "notes": "One JSON file per kind of data; media/ holds your uploaded files as they were "
                                 "uploaded. Sign-in tokens of connected accounts are never exported."}
            archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    blob.reload()
    return {"sizeBytes": blob.size, "counts": counts, "mediaFiles": media}


def media_prefix(uid: str) -> str:
    return f"users/{uid}/media/"


def _write_collection(archive: zipfile.ZipFile, uid: str, name: str, spec) -> int:
    from google.cloud.firestore import FieldFilter

    if spec.kind == "profile":
        snap = db.doc(name, uid).get()
        docs = [snap] if snap.exists else []
    else:
        docs = db.client().collection(name).where(filter=FieldFilter("uid", "==", uid)).stream()
    count = 0
    with archive.open(f"{name}.json", "w", force_zip64=True) as entry:
        entry.write(b"[")
        for snap in docs:
            record = {"id": snap.id, **_scrub({k: v for k, v in (snap.to_dict() or {}).items()
                                               if k not in spec.private_fields})}
            entry.write((b",\n" if count else b"\n") + json.dumps(record, default=_plain, ensure_ascii=False).encode())
            count += 1
        entry.write(b"\n]\n")
    return count


def _copy_media(archive: zipfile.ZipFile, source, uid: str) -> None:
    relative = source.name[len(media_prefix(uid)):]
    # A name a client chose: keep it inside media/ whatever it contains.
    safe = posixpath.normpath("/" + relative).lstrip("/") or "unnamed"
    info = zipfile.ZipInfo(f"media/{safe}", date_time=_zip_time(source.updated))
    info.compress_type = zipfile.ZIP_STORED  # images and video are compressed already
    with archive.open(info, "w", force_zip64=(source.size or 0) > 2**31 - 1) as entry, \
            source.open("rb", chunk_size=READ_CHUNK) as reader:
        while chunk := reader.read(READ_CHUNK):
            entry.write(chunk)


def _zip_time(when: _dt.datetime | None) -> tuple:
    when = when or clock.now()
    return max(when.timetuple()[:6], (1980, 1, 1, 0, 0, 0))


def _scrub(value):
    """Drop sealed ciphertexts wherever they are: the declaration keeps token
    collections out, and this keeps any sealed value that strays elsewhere out too."""
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if not (isinstance(v, str) and _SEALED.match(v))}
    if isinstance(value, list):
        return [_scrub(v) for v in value if not (isinstance(v, str) and _SEALED.match(v))]
    return value


def _plain(value):
    if isinstance(value, _dt.datetime):
        return _iso(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if hasattr(value, "latitude") and hasattr(value, "longitude"):
        return {"latitude": value.latitude, "longitude": value.longitude}
    if hasattr(value, "path"):  # a DocumentReference
        return value.path
    return str(value)


def _iso(when: _dt.datetime) -> str:
    return when.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z")


# --- telling the person, and the link ---------------------------------------------------------


def _tell_ready(uid: str, export_id: str) -> None:
    minutes = settings.EXPORT_LINK_MINUTES.value
    try:
        url, _ = privacy_links.signed_download(archive_path(uid, export_id), minutes)
        how = (f"Download it here within {minutes} minutes: {url}\n\nAfter that, open Settings > Privacy in postr "
               "for a fresh link.")
    except privacy_links.SigningUnavailable:
        how = "Open Settings > Privacy in postr to download it."
    days = settings.EXPORT_ARCHIVE_DAYS.value
    notify.notify(uid, kind="export_ready", category="transactional", title="Your postr data export is ready",
                  body=f"{how}\n\nThe archive is kept for {days} days, then deleted.",
                  dedupe_key=f"export_ready:{export_id}")


def latest(uid: str, export_id: str | None) -> dict:
    """The person's export (the given one, or the newest), with a fresh link when it is ready."""
    from google.cloud.firestore import FieldFilter

    if export_id:
        snap = db.doc(EXPORTS, export_id).get() if _EXPORT_ID.match(export_id) else None
        if snap is None or not snap.exists or snap.get("uid") != uid:
            raise NotFound("No such export of yours.")
        found = [snap]
    else:
        found = sorted(db.client().collection(EXPORTS).where(filter=FieldFilter("uid", "==", uid)).stream(),
                       key=lambda s: (s.to_dict() or {}).get("requestedAt") or _EPOCH, reverse=True)[:1]
        if not found:
            raise NotFound("You have not requested a data export yet.")
    snap = found[0]
    data = snap.to_dict()
    view = {"exportId": snap.id, "status": data["status"], "requestedAt": data["requestedAt"],
            "completedAt": data.get("completedAt"), "sizeBytes": data.get("sizeBytes"),
            "archiveExpiresAt": data.get("archiveExpiresAt"), "downloadUrl": None, "downloadExpiresAt": None}
    if data["status"] == READY:
        if data.get("archiveExpiresAt") and data["archiveExpiresAt"] <= clock.now():
            view["status"] = EXPIRED
        else:
            try:
                view["downloadUrl"], view["downloadExpiresAt"] = privacy_links.signed_download(
                    data["archivePath"], settings.EXPORT_LINK_MINUTES.value)
            except privacy_links.SigningUnavailable as exc:
                raise Unavailable("The download link cannot be made right now. Please try again later.") from exc
    return view


def expire_archives(limit: int = 500) -> int:
    """Delete archives past EXPORT_ARCHIVE_DAYS (a copy of everything must not linger)."""
    from google.api_core.exceptions import NotFound as Missing
    from google.cloud.firestore import FieldFilter

    from kernel import cloud

    query = (db.client().collection(EXPORTS).where(filter=FieldFilter("archiveExpiresAt", "<=", clock.now()))
             .order_by("archiveExpiresAt").limit(limit))
    done = 0
    for snap in query.stream():
        try:
            cloud.bucket().blob(snap.get("archivePath")).delete()
        except Missing:
            pass
        # Without an expiry the document leaves this query for good (a range filter
        # on a timestamp matches timestamps only).
        snap.reference.update({"status": EXPIRED, "archiveExpiresAt": None, "archiveDeletedAt": clock.now(),
                               "updatedAt": clock.now()})
        done += 1
    return done
