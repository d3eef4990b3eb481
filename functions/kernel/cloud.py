"""Google Cloud clients for Storage and Cloud Tasks, made on first use.

Both point at local emulators when their variables are set: STORAGE_EMULATOR_HOST
(google-cloud-storage reads it itself; anonymous credentials stop it asking for a
token), and POSTR_TASKS_EMULATOR_HOST, because google-cloud-tasks has no emulator
variable of its own (firebase-tools' CLOUD_TASKS_EMULATOR_HOST names its own,
different emulator).
"""

import functools
import os

from kernel import settings


@functools.cache
def storage_client():
    from google.cloud import storage

    if os.environ.get("STORAGE_EMULATOR_HOST"):
        from google.auth.credentials import AnonymousCredentials

        return storage.Client(project=settings.project_id(), credentials=AnonymousCredentials())
    return storage.Client(project=settings.project_id())


def bucket():
    return storage_client().bucket(settings.STORAGE_BUCKET.value or f"{settings.project_id()}.appspot.com")


@functools.cache
def tasks_client():
    from google.cloud import tasks_v2

    host = os.environ.get("POSTR_TASKS_EMULATOR_HOST")
    if host:
        import grpc
        from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

        return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=grpc.insecure_channel(host)))
    return tasks_v2.CloudTasksClient()


def queue_path(queue: str) -> str:
    return tasks_client().queue_path(settings.project_id(), settings.TASKS_LOCATION.value, queue)
