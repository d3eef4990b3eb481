"""The Firestore semantics our code relies on, checked on the official Cloud
Firestore emulator (or the one FIRESTORE_EMULATOR_HOST names)."""

import threading
import uuid

import pytest
from google.api_core.exceptions import AlreadyExists, NotFound
from google.cloud import firestore


def test_contended_transactions_lose_no_update_and_fail_cleanly(db):
    """What Firestore promises under contention: a transaction that commits never
    loses another's update; one that cannot (aborted past its retries) fails with a
    retryable error and writes nothing. The official emulator aborts contended
    transactions ("Transaction lock timeout"), as production does."""
    from kernel import db as core_db, errors

    counter = db.collection("semantics").document(uuid.uuid4().hex)
    counter.set({"n": 0})

    def increment(tx):
        snap = counter.get(transaction=tx)
        tx.update(counter, {"n": snap.get("n") + 1})

    committed, failed, unexpected = [], [], []

    def worker():
        for _ in range(25):
            try:
                core_db.transaction(increment)
                committed.append(1)
            except errors.Aborted as exc:
                failed.append(exc)
            except Exception as exc:  # anything else is a bug in the mapping
                unexpected.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert unexpected == []
    assert len(committed) + len(failed) == 100 and committed
    assert counter.get().get("n") == len(committed)
    assert all(e.details == {"retryable": True} and "try again" in e.message for e in failed)


def test_increments_under_contention_all_land_and_each_commit_sees_its_total(db):
    """The lock-free alternative the hot paths use: Increment transforms never abort,
    and each commit's transform result is the total right after it, so no two
    commits see the same total."""
    from google.cloud import firestore as fs

    from kernel import db as core_db

    counter = db.collection("semantics").document(uuid.uuid4().hex)
    counter.set({"n": 0})
    seen: list[int] = []
    lock = threading.Lock()

    def worker():
        for _ in range(25):
            batch = db.batch()
            batch.update(counter, {"n": fs.Increment(1), "other": fs.Increment(0)})
            [after] = core_db.commit(batch)
            with lock:
                seen.append(after["n"])

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter.get().get("n") == 100
    assert sorted(seen) == list(range(1, 101))


def test_create_fails_when_the_document_exists(db):
    ref = db.collection("semantics").document(uuid.uuid4().hex)
    ref.create({"v": 1})
    with pytest.raises(AlreadyExists):
        ref.create({"v": 2})
    assert ref.get().get("v") == 1


def test_a_failed_batch_writes_nothing(db):
    existing = db.collection("semantics").document(uuid.uuid4().hex)
    existing.set({"v": 1})
    fresh = db.collection("semantics").document(uuid.uuid4().hex)
    batch = db.batch()
    batch.set(fresh, {"v": 1})
    batch.create(existing, {"v": 2})
    with pytest.raises(AlreadyExists):
        batch.commit()
    assert not fresh.get().exists
    assert existing.get().get("v") == 1


def test_update_of_a_missing_document_fails(db):
    with pytest.raises(NotFound):
        db.collection("semantics").document(uuid.uuid4().hex).update({"v": 1})


def test_transaction_create_conflict_leaves_data_as_it_was(db):
    ref = db.collection("semantics").document(uuid.uuid4().hex)
    ref.set({"v": 1})
    other = db.collection("semantics").document(uuid.uuid4().hex)

    @firestore.transactional
    def claim(tx):
        tx.set(other, {"claimed": True})
        tx.create(ref, {"v": 2})

    with pytest.raises(AlreadyExists):
        claim(db.transaction())
    assert not other.get().exists
    assert ref.get().get("v") == 1
