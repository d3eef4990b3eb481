"""Named Cloud Tasks that POST a JSON body to one of our HTTP functions, at a time.

A task's name is chosen by the caller from what it does, so enqueuing the same
work twice is one task: Cloud Tasks answers ALREADY_EXISTS, which is success
here. (gcloud-tasks-emulator accepts a duplicate name and delivers twice, so
every handler is idempotent anyway.) In production Cloud Tasks signs an OIDC
token as TASKS_SERVICE_ACCOUNT and Cloud Run lets only that account in.

Cloud Tasks holds a task at most 30 days ahead (MAX_AHEAD): later work is
enqueued when it comes within reach (the publisher's sweeper does that for posts).
"""

import datetime as _dt
import json
import re

from kernel import cloud, log, settings
from kernel.errors import Unavailable

_TASK_ID = re.compile(r"^[A-Za-z0-9_-]{1,500}$")
MAX_AHEAD = _dt.timedelta(days=30)


def functions_url(function: str) -> str:
    """The address of one of this codebase's HTTP functions."""
    return f"{settings.PRIVACY_TASKS_URL.value.rstrip('/')}/{function}"


def enqueue(queue_name: str, function: str, payload: dict, *, task_id: str,
            schedule_time: _dt.datetime | None = None, deadline_s: int = 1800) -> bool:
    """Queue one delivery of `payload` to the HTTP function `function`, at
    `schedule_time` (None: now). Returns False when a task of that name exists.
    Raises Unavailable when the queue cannot be reached."""
    from google.api_core import exceptions
    from google.cloud import tasks_v2
    from google.protobuf import duration_pb2, timestamp_pb2

    if not _TASK_ID.match(task_id):
        raise ValueError(f"task id {task_id!r} has characters Cloud Tasks does not allow")
    queue = cloud.queue_path(queue_name)
    url = functions_url(function)
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
    if schedule_time is not None:
        stamp = timestamp_pb2.Timestamp()
        stamp.FromDatetime(schedule_time.astimezone(_dt.timezone.utc).replace(tzinfo=None))
        task.schedule_time = stamp
    client = cloud.tasks_client()
    try:
        try:
            client.create_task(parent=queue, task=task)
        except (exceptions.NotFound, exceptions.FailedPrecondition) as exc:
            # A fresh project or emulator has no queue yet: make it once, then queue. (Cloud
            # Tasks answers NOT_FOUND; gcloud-tasks-emulator FAILED_PRECONDITION "... does not exist".)
            if isinstance(exc, exceptions.FailedPrecondition) and "does not exist" not in str(exc):
                raise
            log.warn("tasks queue missing; creating it", queue=queue_name)
            _create_queue(client, queue)
            client.create_task(parent=queue, task=task)
    except exceptions.AlreadyExists:
        return False  # the same task was queued before: nothing to add
    except exceptions.GoogleAPICallError as exc:
        log.error("tasks enqueue failed", function=function, error=type(exc).__name__)
        raise Unavailable("The request could not be queued. Please try again in a moment.") from None
    return True


def delete(queue_name: str, task_id: str) -> bool:
    """Delete a queued task; False when it is gone already or cannot be deleted
    here (gcloud-tasks-emulator has no DeleteTask: its handler must then find the
    work stale by itself, which ours do)."""
    from google.api_core import exceptions

    try:
        cloud.tasks_client().delete_task(name=f"{cloud.queue_path(queue_name)}/tasks/{task_id}")
    except exceptions.NotFound:
        return False
    except exceptions.GoogleAPICallError as exc:
        log.info("task not deleted", queue=queue_name, taskId=task_id, error=type(exc).__name__)
        return False
    return True


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
