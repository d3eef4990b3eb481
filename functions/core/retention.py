"""The retention purge (policy 6): content, media, analytics and AI history of
accounts deleted more than CONTENT_RETENTION_YEARS (2) ago are erased.

What is purged is read from the declaration (core.collections.USER_DATA):
every collection with retention="content"; payment records
(retention="payment") and the privacy request register (retention="legal")
are never touched. Account deletion marks each content document with the
deletion time (`deletedAt`), so a run asks only for what it deletes
(`deletedAt <= cutoff`, oldest first) and never reads live data, however much
of it there is.

A run, in an order that keeps every stop consistent:
1. content documents, collection by collection, in batches of at most 500 deletes;
2. for each expired profile marker (users/{uid} with status deleted): its media
   and any export archive in Storage (listed only when the marker does not say
   there are none: deletion counts them), then any document still carrying its uid
   that was not marked (written after the deletion), then the marker itself,
   last of all, so the next run still knows whose media to look for.
A run stops after `max_deletes` deletions (PURGE_MAX_DELETES) or when stopped
from outside; what it left is still marked and the next run continues. A
second run over the same data finds nothing: the purge is idempotent. It logs
counts only. In dry-run mode it counts what it would delete and deletes nothing.
"""

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field

from core import clock, db, log, settings
from core.collections import USER_DATA, USERS

BATCH = 500
# Firestore's `in` takes at most 30 values.
IN_LIMIT = 30


def cutoff(now: _dt.datetime, years: int) -> _dt.datetime:
    """`years` calendar years before `now` (29 February falls back to the 28th).
    A plain datetime, built anew: replace() on Firestore's DatetimeWithNanoseconds
    makes an object the client cannot encode."""
    day = now.day if (now.month, now.day) != (2, 29) else 28
    return _dt.datetime(now.year - years, now.month, day, now.hour, now.minute, now.second, now.microsecond,
                        tzinfo=now.tzinfo)


def content_collections() -> list[str]:
    return [name for name, spec in USER_DATA.items() if spec.kind == "owned" and spec.retention == "content"]


@dataclass
class Report:
    cutoff: _dt.datetime
    dry_run: bool
    removed: dict = field(default_factory=dict)
    media: int = 0
    profiles: int = 0
    batches: int = 0
    # Documents the run's queries returned: only what it deletes (plus the markers it reads).
    read: int = 0
    complete: bool = False

    @property
    def total(self) -> int:
        return sum(self.removed.values()) + self.media + self.profiles

    def as_dict(self) -> dict:
        return {"cutoff": self.cutoff, "dryRun": self.dry_run, "removed": dict(self.removed), "media": self.media,
                "profiles": self.profiles, "batches": self.batches, "read": self.read, "total": self.total,
                "complete": self.complete}


class _Budget(Exception):
    """The run's bound is reached."""


def purge(*, dry_run: bool | None = None, max_deletes: int | None = None,
          after_batch: Callable[[Report], None] | None = None) -> dict:
    """One run of the purge. `after_batch` is called after each commit (a test uses it
    to stop a run halfway)."""
    dry_run = settings.PURGE_DRY_RUN.value if dry_run is None else dry_run
    limit = settings.PURGE_MAX_DELETES.value if max_deletes is None else max_deletes
    report = Report(cutoff=cutoff(clock.now(), settings.CONTENT_RETENTION_YEARS.value), dry_run=dry_run)
    if dry_run:
        _count(report)
    else:
        run = _Run(report, limit, after_batch)
        try:
            run.content()
            run.profiles()
            report.complete = True
        except _Budget:
            pass
    # Counts only; per collection as a list, since a collection name such as
    # accountTokens would read as a secret's key to core.log and be redacted.
    log.info("retention purge", cutoff=report.cutoff.isoformat(), dryRun=dry_run, complete=report.complete,
             batches=report.batches, read=report.read, media=report.media, profiles=report.profiles,
             total=report.total, removed=[{"collection": k, "count": v} for k, v in report.removed.items()])
    return report.as_dict()


class _Run:
    def __init__(self, report: Report, limit: int, after_batch):
        self.report, self.left, self.after_batch = report, limit, after_batch

    def _room(self) -> int:
        if self.left <= 0:
            raise _Budget()
        return min(BATCH, self.left)

    def _delete(self, refs: list, what: str) -> None:
        batch = db.client().batch()
        for ref in refs:
            batch.delete(ref)
        batch.commit()
        self.left -= len(refs)
        self.report.batches += 1
        if what == USERS:
            self.report.profiles += len(refs)
        else:
            self.report.removed[what] = self.report.removed.get(what, 0) + len(refs)
        if self.after_batch:
            self.after_batch(self.report)

    def content(self) -> None:
        from google.cloud.firestore import FieldFilter

        for name in content_collections():
            while True:
                room = self._room()
                query = (db.client().collection(name)
                         .where(filter=FieldFilter("deletedAt", "<=", self.report.cutoff))
                         .order_by("deletedAt").limit(room).select([]))
                refs = [snap.reference for snap in query.stream()]
                self.report.read += len(refs)
                if refs:
                    self._delete(refs, name)
                if len(refs) < room:
                    break  # a short page was the last one

    def profiles(self) -> None:
        while True:
            markers = _expired_markers(self.report.cutoff, IN_LIMIT)
            self.report.read += len(markers)
            if not markers:
                return
            for uid, marker in markers.items():
                # Deletion counted the media (and removed export archives); a marker
                # without the count (older, or a deletion that stopped) is listed.
                if marker.get("mediaObjects") != 0:
                    self._media(uid)
            self._unmarked(list(markers))
            room = self._room()  # a bounded run never passes its bound, markers included
            self._delete([db.doc(USERS, uid) for uid in list(markers)[:room]], USERS)

    def _media(self, uid: str) -> None:
        from google.api_core.exceptions import NotFound

        from core import cloud

        for prefix in (f"users/{uid}/media/", f"exports/{uid}/"):
            for blob in cloud.storage_client().list_blobs(cloud.bucket(), prefix=prefix, max_results=self._room()):
                self._room()
                try:
                    blob.delete()
                except NotFound:
                    pass  # gone since the listing: what we wanted
                self.left -= 1
                self.report.media += 1

    def _unmarked(self, uids: list[str]) -> None:
        """Documents of these people that carry no deletion mark (written after the
        deletion, or by a feature whose marks were missed): by uid, before the marker goes."""
        from google.cloud.firestore import FieldFilter

        for name in content_collections():
            while True:
                room = self._room()
                query = (db.client().collection(name).where(filter=FieldFilter("uid", "in", uids))
                         .limit(room).select([]))
                refs = [snap.reference for snap in query.stream()]
                self.report.read += len(refs)
                if refs:
                    self._delete(refs, name)
                if len(refs) < room:
                    break


def _expired_markers(before: _dt.datetime, limit: int) -> dict[str, dict]:
    from google.cloud.firestore import FieldFilter

    query = (db.client().collection(USERS).where(filter=FieldFilter("deletedAt", "<=", before))
             .order_by("deletedAt").limit(limit))
    return {snap.id: snap.to_dict() for snap in query.stream() if snap.get("status") == "deleted"}


def _count(report: Report) -> None:
    """Dry run: what a run would delete, counted, nothing written."""
    from google.cloud.firestore import FieldFilter

    from core import cloud

    for name in content_collections():
        query = db.client().collection(name).where(filter=FieldFilter("deletedAt", "<=", report.cutoff))
        report.removed[name] = int(query.count().get()[0][0].value)
    markers = db.client().collection(USERS).where(filter=FieldFilter("deletedAt", "<=", report.cutoff))
    uids = [snap.id for snap in markers.stream() if snap.get("status") == "deleted"]
    report.profiles = len(uids)
    for uid in uids:
        for prefix in (f"users/{uid}/media/", f"exports/{uid}/"):
            report.media += sum(1 for _ in cloud.storage_client().list_blobs(cloud.bucket(), prefix=prefix))
