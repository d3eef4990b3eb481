"""Cloud Tasks for privacy work that outlasts a callable: building an export
archive, announcing a policy version page by page.

Each task is a POST of a JSON body to one of our private HTTP functions on the
privacy queue, named from what it does so a repeated enqueue is the same task
(kernel.tasks; every handler is idempotent anyway).
"""

from kernel import settings, tasks


def enqueue(function: str, payload: dict, *, task_id: str, deadline_s: int = 1800) -> None:
    """Queue one delivery of `payload` to the HTTP function `function`.
    Raises Unavailable when the queue cannot be reached."""
    tasks.enqueue(settings.PRIVACY_TASKS_QUEUE.value, function, payload, task_id=task_id, deadline_s=deadline_s)


json_body = tasks.json_body
