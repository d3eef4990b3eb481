"""The retention purge (policy 6), from the declaration (kernel.collections.USER_DATA):
a deleted account's content, media, analytics and AI history go
CONTENT_RETENTION_YEARS (2) after the deletion, its payment records
(retention="payment") PAYMENT_RETENTION_YEARS (10) after it, and its entries in
the privacy-request register (retention="legal") LEGAL_RETENTION_YEARS (6) after
it; a live account's register entries go that long after they were completed.

Account deletion lists every document it leaves behind under the profile
marker (users/{uid}/purgeLists, privacy.deletion), each list with the time
it may go (`purgeAt`), and lists again a day later for what work in flight
wrote after it. So a run finds what it deletes with one collection-group query
on `purgeAt`, oldest first, and never reads live data, however much of it
there is; the lists of several accounts share a commit of up to 500 deletes.

A run, in an order that keeps every stop consistent:
1. the purge lists whose time has come: each list's documents and the list itself in one
   commit (a run's bound that falls inside a list deletes a prefix of it and
   takes those paths off the list, in the same commit);
2. for each expired profile marker (users/{uid} with status deleted):
   when the marker does not say the late listing ran (an older deletion, or one
   whose listing never ran), every document still carrying its uid, found by uid
   collection by collection; its media and any export archive in Storage (listed
   only when the marker does not say there are none: deletion counts them);
   then the marker itself, last of all, so the next run still knows whose media
   to look for (the lists of longer-kept records stay under its path);
3. register entries completed more than LEGAL_RETENTION_YEARS ago.
A run stops after `max_deletes` deletions (PURGE_MAX_DELETES) or when stopped
from outside; what it left is still listed or marked and the next run
continues. A second run over the same data finds nothing: the purge is
idempotent. It logs counts only. In dry-run mode it counts what it would delete
and deletes nothing.
"""

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field

from kernel import clock, db, log, settings
from kernel.collections import PURGE_LISTS, USER_DATA, USERS

BATCH = 500
# Firestore's `in` takes at most 30 values.
IN_LIMIT = 30
# Purge lists read per query: up to 100 x 450 paths.
LIST_PAGE = 100


def cutoff(now: _dt.datetime, years: int) -> _dt.datetime:
    """`years` calendar years before `now` (29 February falls back to the 28th).
    A plain datetime, built anew: replace() on Firestore's DatetimeWithNanoseconds
    makes an object the client cannot encode."""
    day = now.day if (now.month, now.day) != (2, 29) else 28
    return _dt.datetime(now.year - years, now.month, day, now.hour, now.minute, now.second, now.microsecond,
                        tzinfo=now.tzinfo)


def years_after(at: _dt.datetime, years: int) -> _dt.datetime:
    """`years` calendar years after `at` (29 February moves to the 28th), the inverse of cutoff."""
    day = at.day if (at.month, at.day) != (2, 29) else 28
    return _dt.datetime(at.year + years, at.month, day, at.hour, at.minute, at.second, at.microsecond,
                        tzinfo=at.tzinfo)


def retention_years(kind: str) -> int:
    """How long a deleted account's documents of each retention kind are kept (policy 6)."""
    return {"content": settings.CONTENT_RETENTION_YEARS, "payment": settings.PAYMENT_RETENTION_YEARS,
            "legal": settings.LEGAL_RETENTION_YEARS}[kind].value


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
    # Documents the run's queries returned: what it deletes found by uid, plus the purge
    # lists and markers it reads.
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
            run.lists()
            run.profiles()
            run.register()
            report.complete = True
        except _Budget:
            pass
    # Counts only; per collection as a list, since a collection name such as
    # accountTokens would read as a secret's key to kernel.log and be redacted.
    log.info("retention purge", cutoff=report.cutoff.isoformat(), dryRun=dry_run, complete=report.complete,
             batches=report.batches, read=report.read, media=report.media, profiles=report.profiles,
             total=report.total, removed=[{"collection": k, "count": v} for k, v in report.removed.items()])
    return report.as_dict()


class _Run:
    def __init__(self, report: Report, limit: int, after_batch):
        self.report, self.left, self.after_batch = report, limit, after_batch
        self.now = clock.now()

    def _room(self) -> int:
        if self.left <= 0:
            raise _Budget()
        return min(BATCH, self.left)

    def _delete(self, refs: list, what: str) -> None:
        batch = db.client().batch()
        for ref in refs:
            batch.delete(ref)
        self._commit(batch, {what: len(refs)})

    def _commit(self, batch, counts: dict[str, int]) -> None:
        batch.commit()
        self.report.batches += 1
        for what, n in counts.items():
            self.left -= n
            if what == USERS:
                self.report.profiles += n
            else:
                self.report.removed[what] = self.report.removed.get(what, 0) + n
        if self.after_batch:
            self.after_batch(self.report)

    def lists(self) -> None:
        """Expired purge lists, packed into commits of at most BATCH deletes."""
        from google.cloud import firestore

        client = db.client()
        while True:
            self._room()
            page = list(_expired_lists(self.now, LIST_PAGE))
            self.report.read += len(page)
            batch, size, counts = client.batch(), 0, {}
            for snap in page:
                paths = snap.get("paths") or []
                if size and size + len(paths) + 1 > BATCH:
                    self._commit(batch, counts)
                    batch, size, counts = client.batch(), 0, {}
                room = self.left - sum(counts.values())
                if room <= 0:
                    break
                take = paths[:room]
                for path in take:
                    batch.delete(client.document(path))
                    what = path.split("/", 1)[0]
                    counts[what] = counts.get(what, 0) + 1
                if len(take) == len(paths):
                    batch.delete(snap.reference)
                else:  # the run's bound: the rest stays listed for the next run
                    batch.update(snap.reference, {"paths": firestore.ArrayRemove(take)})
                size += len(take) + 1
            if size:
                self._commit(batch, counts)
            self._room()  # the bound, reached inside the page: the rest waits for the next run
            if len(page) < LIST_PAGE:
                return

    def profiles(self) -> None:
        while True:
            markers = _expired_markers(self.report.cutoff, IN_LIMIT)
            self.report.read += len(markers)
            if not markers:
                return
            unswept = [uid for uid, marker in markers.items() if not marker.get("lateSweptAt")]
            if unswept:
                self._unmarked(unswept)
            for uid, marker in markers.items():
                # Deletion counted the media (and removed export archives); a marker
                # without the count (older, or a deletion that stopped) is listed.
                if marker.get("mediaObjects") != 0:
                    self._media(uid)
            room = self._room()  # a bounded run never passes its bound, markers included
            self._delete([db.doc(USERS, uid) for uid in list(markers)[:room]], USERS)

    def register(self) -> None:
        """Privacy requests completed more than LEGAL_RETENTION_YEARS ago, live accounts'
        included: the register is proof kept as long as that proof is needed, not forever."""
        from google.cloud.firestore import FieldFilter

        from kernel.collections import PRIVACY_REQUESTS

        before = cutoff(self.now, settings.LEGAL_RETENTION_YEARS.value)
        while True:
            room = self._room()
            query = (db.client().collection(PRIVACY_REQUESTS).where(filter=FieldFilter("completedAt", "<=", before))
                     .order_by("completedAt").limit(room).select([]))
            refs = [snap.reference for snap in query.stream()]
            self.report.read += len(refs)
            if refs:
                self._delete(refs, PRIVACY_REQUESTS)
            if len(refs) < room:
                return

    def _media(self, uid: str) -> None:
        from google.api_core.exceptions import NotFound

        from kernel import cloud

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
        """Documents of these people that no purge list may name (written after the
        deletion by work in flight, when the late listing has not run), found by uid,
        before the marker goes."""
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


def _expired_lists(before: _dt.datetime, limit: int):
    from google.cloud.firestore import FieldFilter

    return (db.client().collection_group(PURGE_LISTS).where(filter=FieldFilter("purgeAt", "<=", before))
            .order_by("purgeAt").limit(limit).stream())


def _expired_markers(before: _dt.datetime, limit: int) -> dict[str, dict]:
    from google.cloud.firestore import FieldFilter

    query = (db.client().collection(USERS).where(filter=FieldFilter("deletedAt", "<=", before))
             .order_by("deletedAt").limit(limit))
    return {snap.id: snap.to_dict() for snap in query.stream() if snap.get("status") == "deleted"}


def _count(report: Report) -> None:
    """Dry run: what a run would delete, counted, nothing written."""
    from google.cloud.firestore import FieldFilter

    from kernel import cloud

    for snap in _expired_lists(clock.now(), 10**9):
        for path in snap.get("paths") or []:
            what = path.split("/", 1)[0]
            report.removed[what] = report.removed.get(what, 0) + 1
    markers = db.client().collection(USERS).where(filter=FieldFilter("deletedAt", "<=", report.cutoff))
    found = {snap.id: snap.to_dict() for snap in markers.stream() if snap.get("status") == "deleted"}
    report.profiles = len(found)
    unswept = [uid for uid, marker in found.items() if not marker.get("lateSweptAt")]
    for start in range(0, len(unswept), IN_LIMIT):
        for name in content_collections():
            query = db.client().collection(name).where(filter=FieldFilter("uid", "in", unswept[start:start + IN_LIMIT]))
            n = int(query.count().get()[0][0].value)
            if n:
                report.removed[name] = report.removed.get(name, 0) + n
    for uid in found:
        for prefix in (f"users/{uid}/media/", f"exports/{uid}/"):
            report.media += sum(1 for _ in cloud.storage_client().list_blobs(cloud.bucket(), prefix=prefix))
