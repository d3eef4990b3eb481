"""Cloud Tasks for privacy work that outlasts a callable: building an export
archive, announcing a policy version page by page.

Each task is an HTTP POST of a JSON body to one of our private HTTP functions
(PRIVACY_TASKS_URL/<function>), named from what it does so a repeated enqueue is
the same task (Cloud Tasks refuses a duplicate name; the local emulator accepts
it, and every handler is idempotent anyway). In production Cloud Tasks signs an
OIDC token as TASKS_SERVICE_ACCOUNT and Cloud Run lets only that account in.
"""

import json
import re

from core import cloud, log, settings
from core.errors import Unavailable

_TASK_ID = re.compile(r"^[A-Za-z0-9_-]{1,500}$")


def enqueue(function: str, payload: dict, *, task_id: str, deadline_s: int = 1800) -> None:
    """Queue one delivery of `payload` to the HTTP function `function`.
    Raises Unavailable when the queue cannot be reached."""
    from google.api_core import exceptions
    from google.cloud import tasks_v2
    from google.protobuf import duration_pb2

    if not _TASK_ID.match(task_id):
        raise ValueError(f"task id {task_id!r} has characters Cloud Tasks does not allow")
    queue = cloud.queue_path(settings.PRIVACY_TASKS_QUEUE.value)
    url = f"{settings.PRIVACY_TASKS_URL.value.rstrip('/')}/{function}"
    request = tasks_v2.HttpRequest(
        http_method=tasks_v2.HttpMethod.POST,
        url=url,
        headers={"Content-Type": "application/json"},  # the emulator defaults to form encoding
        body=json.dumps(payload).encode(),
    )
    account = settings.TASKS_SERVICE_ACCOUNT.value
    if account:
        request.oidc_token = tasks_v2.OidcToken(service_account_email=account, audience=url)
    task = tasks_v2.Task(name=f"{queue}/tasks/{task_id}", http_request=request,
                         dispatch_deadline=duration_pb2.Duration(seconds=deadline_s))
    client = cloud.tasks_client()
    try:
        try:
            client.create_task(parent=queue, task=task)
        except (exceptions.NotFound, exceptions.FailedPrecondition) as exc:
            # A fresh project or emulator has no queue yet: make it once, then queue. (Cloud
            # Tasks answers NOT_FOUND; gcloud-tasks-emulator FAILED_PRECONDITION "... does not exist".)
            if isinstance(exc, exceptions.FailedPrecondition) and "does not exist" not in str(exc):
                raise
            log.warn("tasks queue missing; creating it", queue=settings.PRIVACY_TASKS_QUEUE.value)
            _create_queue(client, queue)
            client.create_task(parent=queue, task=task)
    except exceptions.AlreadyExists:
        pass  # the same task was queued before: nothing to add
    except exceptions.GoogleAPICallError as exc:
        log.error("tasks enqueue failed", function=function, error=type(exc).__name__)
        raise Unavailable("The request could not be queued. Please try again in a moment.") from None


def _create_queue(client, queue: str) -> None:
    from google.api_core import exceptions
    from google.cloud import tasks_v2

    try:
        client.create_queue(parent=queue.rsplit("/queues/", 1)[0], queue=tasks_v2.Queue(name=queue))
    except exceptions.AlreadyExists:
        pass


def json_body(request) -> dict | None:
    """A task's JSON body, or None when it is not a JSON object."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None
