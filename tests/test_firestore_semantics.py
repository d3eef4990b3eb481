"""The Firestore semantics our code relies on, checked on whichever Firestore the
run uses (official emulator, or the stand-in): the same tests, no branches."""

import threading
import uuid

import pytest
from google.api_core.exceptions import AlreadyExists, NotFound
from google.cloud import firestore


def test_concurrent_transactions_lose_no_update(db):
    counter = db.collection("semantics").document(uuid.uuid4().hex)
    counter.set({"n": 0})

    @firestore.transactional
    def increment(tx):
        snap = counter.get(transaction=tx)
        tx.update(counter, {"n": snap.get("n") + 1})

    def worker():
        for _ in range(25):
            increment(db.transaction())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter.get().get("n") == 100


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
