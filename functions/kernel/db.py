"""Firestore access. One client per process, made on first use.

google-cloud-firestore is used directly rather than firebase_admin.firestore: it
picks up FIRESTORE_EMULATOR_HOST with anonymous credentials, where the Admin SDK
insists on Application Default Credentials that the emulators do not have.
"""

import functools

from kernel import settings


@functools.cache
def client():
    from google.cloud import firestore

    return firestore.Client(project=settings.project_id())


def doc(collection: str, doc_id: str):
    return client().collection(collection).document(doc_id)


def transaction(fn, *, attempts: int = 5):
    """Run `fn(tx)` in a transaction and return what it returns. Firestore aborts
    transactions that contend for the same documents and the client retries them
    `attempts` times; contention that outlasts them is `errors.Aborted` (a
    retryable "try again"), never an internal error, and the aborted attempts
    wrote nothing."""
    from google.api_core.exceptions import Aborted
    from google.cloud import firestore

    from kernel import errors

    try:
        return firestore.transactional(fn)(client().transaction(max_attempts=attempts))
    except ValueError as exc:
        # The client gives up with ValueError("Failed to commit transaction in N attempts.") from the last Aborted.
        if isinstance(exc.__cause__, Aborted):
            raise errors.Aborted(errors.CONTENDED, {"retryable": True}) from exc
        raise


@functools.cache
def record_retry():
    """The retry of a write that records what already happened (a post went out): it
    must land. A transaction holding the document (a concurrent claim) makes a plain
    write wait and, past the lock timeout, abort; such a write is tried again with
    backoff for a minute. Only for writes that are the same when applied twice."""
    from google.api_core import exceptions, retry

    return retry.Retry(predicate=retry.if_exception_type(exceptions.Aborted, exceptions.ServiceUnavailable,
                                                         exceptions.DeadlineExceeded),
                       initial=0.05, maximum=2.0, multiplier=2.0, timeout=60.0)


def server_timestamp():
    from google.cloud import firestore

    return firestore.SERVER_TIMESTAMP


def commit(batch) -> list[dict]:
    """Commit a batch, and give for each of its writes what its transforms left:
    {field path: value after the commit}. Firestore answers a commit with each
    write's transform results, in the order of that write's field transforms
    (WriteResult.transform_results), so an Increment tells its new total without
    a read, and without the transaction a read would need."""
    from google.cloud.firestore_v1._helpers import decode_value

    # The client orders a write's transforms itself (by field path): read them off the writes it built.
    paths = [[t.field_path for t in write.update_transforms] for write in batch._write_pbs]
    results = batch.commit()
    return [{path: decode_value(value, client()) for path, value in zip(fields, result.transform_results)}
            for fields, result in zip(paths, results)]
