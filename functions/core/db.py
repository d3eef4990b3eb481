"""Firestore access. One client per process, made on first use.

google-cloud-firestore is used directly rather than firebase_admin.firestore: it
picks up FIRESTORE_EMULATOR_HOST with anonymous credentials, where the Admin SDK
insists on Application Default Credentials that the emulators do not have.
"""

import functools

from core import settings


@functools.cache
def client():
    from google.cloud import firestore

    return firestore.Client(project=settings.project_id())


def doc(collection: str, doc_id: str):
    return client().collection(collection).document(doc_id)


def server_timestamp():
    from google.cloud import firestore

    return firestore.SERVER_TIMESTAMP
