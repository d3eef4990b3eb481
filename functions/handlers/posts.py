"""Posts: create, update, delete, get, list, publish now, duplicate; the task
that publishes a post at its time (posts.publisher), the sweeper that catches
what a lost task would miss (posts.sweeper), and the Firestore trigger that
keeps each post's task in step (posts.tasks).

Everything a post names is checked before anything is written (posts.compose):
a refused call writes nothing and queues nothing.
"""

import datetime as _dt
import zoneinfo
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from handlers.edge import Caller, callable_handler
from handlers.schema import Id, IsoDateTime, Strict
from kernel import clock, db, log, tasks
from kernel.collections import POSTS
from kernel.errors import Aborted, FailedPrecondition, InvalidArgument, Unavailable, from_store
from posts import compose, media as posts_media, model as posts_model, publisher, sweeper, tasks as publish_tasks
from posts.model import DRAFT, PAUSED, PUBLISHING, SCHEDULED

TEXT_MAX = 10_000
CHANGED_MEANWHILE = "The post changed meanwhile (it may be publishing). Reload it and try again."


def _check_timezone(value: str) -> str:
    if value not in zoneinfo.available_timezones():
        raise ValueError(f"{value!r} is not an IANA timezone such as 'Europe/Paris' or 'America/New_York'")
    return value


def _aware(value: _dt.datetime | None) -> _dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("needs a UTC offset or Z, such as 2026-12-01T09:00:00+01:00")
    return value.astimezone(_dt.timezone.utc) if value is not None else None


def _check_link(value: str | None) -> str | None:
    if value is not None and not value.startswith(("https://", "http://")):
        raise ValueError("must be an http(s) address")
    return value


Text = Annotated[str, StringConstraints(max_length=TEXT_MAX)]
Instant = Annotated[IsoDateTime, AfterValidator(_aware)]
OptionValue = str | int | bool


class MediaItem(Strict):
    path: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    altText: Annotated[str, StringConstraints(max_length=1500)] | None = None


class ThreadPart(Strict):
    text: Text = ""
    media: Annotated[list[MediaItem], Field(max_length=posts_media.MAX_MEDIA)] = []


class Override(Strict):
    text: Text | None = None
    options: Annotated[dict[Annotated[str, StringConstraints(max_length=64)], OptionValue],
                       Field(max_length=20)] | None = None


class RecurrenceIn(Strict):
    every: Annotated[int, Field(ge=1, le=365)]
    unit: Literal["days", "weeks", "months"]
    until: Instant | None = None


class PostFields(Strict):
    text: Text = ""
    media: Annotated[list[MediaItem], Field(max_length=posts_media.MAX_MEDIA)] = []
    thread: Annotated[list[ThreadPart], Field(max_length=25)] = []
    firstComment: Text | None = None
    link: Annotated[str, StringConstraints(max_length=2000), AfterValidator(_check_link)] | None = None
    accountIds: Annotated[list[Id], Field(min_length=1, max_length=50)]
    overrides: dict[Id, Override] = {}
    # Absent or null: a draft. An instant with its offset; shown in `timezone`.
    scheduledAt: Instant | None = None
    timezone: Annotated[str, StringConstraints(max_length=64), AfterValidator(_check_timezone)] | None = None
    recurrence: RecurrenceIn | None = None


class CreatePost(PostFields):
    pass


class UpdatePost(Strict):
    postId: Id
    text: Text | None = None
    media: Annotated[list[MediaItem], Field(max_length=posts_media.MAX_MEDIA)] | None = None
    thread: Annotated[list[ThreadPart], Field(max_length=25)] | None = None
    firstComment: Text | None = None
    link: Annotated[str, StringConstraints(max_length=2000), AfterValidator(_check_link)] | None = None
    accountIds: Annotated[list[Id], Field(min_length=1, max_length=50)] | None = None
    overrides: dict[Id, Override] | None = None
    scheduledAt: Instant | None = None
    timezone: Annotated[str, StringConstraints(max_length=64), AfterValidator(_check_timezone)] | None = None
    recurrence: RecurrenceIn | None = None


class PostRef(Strict):
    postId: Id


class ListPosts(Strict):
    status: Literal[posts_model.STATUSES] | None = None  # type: ignore[valid-type]
    start: Instant | None = None  # from this instant (scheduled time; creation time for drafts)
    end: Instant | None = None  # up to, not including
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    pageToken: Annotated[str, StringConstraints(max_length=200)] | None = None


# --- building a post ------------------------------------------------------------------


def _fields(payload) -> dict:
    data = payload.model_dump()
    if data.get("recurrence") is not None:
        data["recurrence"] = dict(data["recurrence"])
    return data


# --- callables --------------------------------------------------------------------------


@callable_handler(CreatePost)
def create_post(caller: Caller, payload: CreatePost) -> dict:
    _, profile = caller.profile()
    now = clock.now()
    post = compose.build(caller.uid, profile, _fields(payload), now=now)
    ref = db.client().collection(POSTS).document()
    compose.check_month_limit(caller.uid, profile.get("plan"), post["scheduledAt"], None)
    post.update(createdAt=now, updatedAt=now, scheduleVersion=1 if post["scheduledAt"] else 0,
                sortKey=posts_model.sort_key(post["scheduledAt"] or now, ref.id))
    ref.create(post)
    publish_tasks.sync_or_leave_to_sweeper(ref.id, post, None)
    log.info("post created", uid=caller.uid, postId=ref.id, status=post["status"], targets=len(post["targets"]))
    return posts_model.public_view(ref.id, post)


@callable_handler(UpdatePost)
def update_post(caller: Caller, payload: UpdatePost) -> dict:
    _, profile = caller.profile()
    snap = compose.own(caller.uid, payload.postId)
    before = snap.to_dict()
    if before.get("status") not in posts_model.EDITABLE:
        raise FailedPrecondition(f"This post is {before.get('status')} and can no longer be changed. "
                                 "Duplicate it to post it again.")
    fields = {**compose.fields_of(before), **payload.model_dump(exclude={"postId"}, exclude_unset=True)}
    now = clock.now()
    post = compose.build(caller.uid, profile, fields, now=now)
    schedule_changed = any(post.get(k) != before.get(k) for k in ("scheduledAt", "recurrence", "status"))
    version = int(before.get("scheduleVersion") or 0) + (1 if schedule_changed else 0)
    if before.get("status") == PAUSED:  # billing decides when it goes again, from its own marks
        post.update(status=PAUSED, **{k: before.get(k) for k in ("pausedReason", "pausedFromStatus", "pausedAt")})
    if before.get("recurrence") and not schedule_changed:
        # A series edited in its words only keeps its place: same anchor, same next occurrence.
        post.update(seriesAnchor=before.get("seriesAnchor"), occurrence=before.get("occurrence"))
    if post["status"] == SCHEDULED:
        compose.check_month_limit(caller.uid, profile.get("plan"), post["scheduledAt"], snap.id)
    post.update(updatedAt=now, scheduleVersion=version, createdAt=before.get("createdAt"),
                sortKey=posts_model.sort_key(post["scheduledAt"] or before.get("createdAt") or now, snap.id))
    compose.replace(snap, before, post, "The post changed while you were editing it (it may be publishing). "
                                 "Reload it and try again.")
    publish_tasks.sync_or_leave_to_sweeper(snap.id, {**before, **post}, before)
    return posts_model.public_view(snap.id, {**before, **post})


@callable_handler(PostRef)
def delete_post(caller: Caller, payload: PostRef) -> dict:
    snap = compose.own(caller.uid, payload.postId)
    before = snap.to_dict()
    if before.get("status") == PUBLISHING:
        raise FailedPrecondition("This post is being published right now. Wait a moment, then delete it.")
    compose.if_unchanged(snap, lambda option: snap.reference.delete(option=option), CHANGED_MEANWHILE)
    publish_tasks.sync_or_leave_to_sweeper(snap.id, None, before)
    log.info("post deleted", uid=caller.uid, postId=snap.id, status=before.get("status"))
    return {"deleted": snap.id}


@callable_handler(PostRef)
def get_post(caller: Caller, payload: PostRef) -> dict:
    snap = compose.own(caller.uid, payload.postId)
    return posts_model.public_view(snap.id, snap.to_dict())


@callable_handler(ListPosts)
def list_posts(caller: Caller, payload: ListPosts) -> dict:
    from google.cloud.firestore import FieldFilter, Query

    if payload.start and payload.end and payload.start >= payload.end:
        raise InvalidArgument("'start' must be before 'end'.")
    query = db.client().collection(POSTS).where(filter=FieldFilter("uid", "==", caller.uid))
    if payload.status:
        query = query.where(filter=FieldFilter("status", "==", payload.status))
    lower = posts_model.sort_key(payload.start, "") if payload.start else None
    if payload.pageToken and lower is not None and payload.pageToken < lower:
        raise InvalidArgument("That page token does not belong to this date range.")
    if lower is not None:
        query = query.where(filter=FieldFilter("sortKey", ">=", lower))
    if payload.end:
        query = query.where(filter=FieldFilter("sortKey", "<", posts_model.sort_key(payload.end, "")))
    query = query.order_by("sortKey", direction=Query.ASCENDING)
    if payload.pageToken:
        query = query.start_after({"sortKey": payload.pageToken})
    snaps = list(query.limit(payload.limit + 1).stream())
    page = snaps[: payload.limit]
    more = len(snaps) > payload.limit
    return {"posts": [posts_model.public_view(s.id, s.to_dict()) for s in page],
            "nextPageToken": page[-1].get("sortKey") if more and page else None}


@callable_handler(PostRef)
def publish_now(caller: Caller, payload: PostRef) -> dict:
    _, profile = caller.profile()
    snap = compose.own(caller.uid, payload.postId)
    before = snap.to_dict()
    if before.get("status") == PAUSED:
        raise FailedPrecondition("This post is paused because your plan's monthly limit is reached. Upgrade to "
                                 "publish it.")
    if before.get("status") not in (DRAFT, SCHEDULED):
        raise FailedPrecondition(f"This post is {before.get('status')}. Duplicate it to post it again.")
    if before.get("recurrence"):
        raise FailedPrecondition("Publish now works on single posts. Duplicate this series' post to send it now.")
    now = clock.now()
    post = compose.build(caller.uid, profile, {**compose.fields_of(before), "scheduledAt": now}, now=now, allow_now=True)
    if before.get("status") != SCHEDULED or (before.get("scheduledAt") and before["scheduledAt"].strftime("%Y-%m")
                                              != now.strftime("%Y-%m")):
        compose.check_month_limit(caller.uid, profile.get("plan"), now, snap.id)
    post.update(updatedAt=now, scheduleVersion=int(before.get("scheduleVersion") or 0) + 1,
                createdAt=before.get("createdAt"), sortKey=posts_model.sort_key(now, snap.id))
    compose.replace(snap, before, post, CHANGED_MEANWHILE)
    publish_tasks.sync_or_leave_to_sweeper(snap.id, {**before, **post}, before)
    return posts_model.public_view(snap.id, {**before, **post})


@callable_handler(PostRef)
def duplicate_post(caller: Caller, payload: PostRef) -> dict:
    source = compose.own(caller.uid, payload.postId).to_dict()
    now = clock.now()
    ref = db.client().collection(POSTS).document()
    keep = ("text", "media", "thread", "firstComment", "link", "overrides", "timezone", "targetAccountIds")
    post = {k: source.get(k) for k in keep}
    post.update(uid=caller.uid, status=DRAFT, scheduledAt=None, recurrence=None, dueAt=None, enqueueAt=None,
                targets={aid: {"network": t.get("network"), "status": DRAFT}
                         for aid, t in (source.get("targets") or {}).items()},
                scheduleVersion=0, duplicatedFrom=payload.postId, createdAt=now, updatedAt=now,
                sortKey=posts_model.sort_key(now, ref.id))
    ref.create(post)
    return posts_model.public_view(ref.id, post)


# --- the publish task, the sweeper, the trigger ----------------------------------------


def publish_post(request):
    """The Cloud Task of a post (POST {"postId", "version"}). 2xx ends the task;
    500 makes Cloud Tasks deliver it again, which the claims make safe."""
    import json

    from flask import Response

    received = clock.now()
    log.new_request_id(request.headers.get("X-Cloud-Trace-Context"))
    body = tasks.json_body(request)
    if body is None or not isinstance(body.get("postId"), str) or type(body.get("version")) is not int:
        return Response(json.dumps({"error": "Expected a JSON body {\"postId\": \"...\", \"version\": n}."}),
                        status=400, mimetype="application/json")
    try:
        outcome = publisher.run(body["postId"], body["version"], received_at=received)
    except Exception as exc:
        # Deliveries racing for one post (Cloud Tasks' at-least-once, the sweeper) may outlast
        # the claim's retries: nothing was claimed, so Cloud Tasks simply delivers it again.
        transient = exc if isinstance(exc, Aborted | Unavailable) else from_store(exc)
        if transient is None:
            raise
        log.warn("publish task met contention; Cloud Tasks will retry", postId=body["postId"],
                 error=type(exc).__name__)
        return Response(json.dumps({"error": transient.message, "retryable": True}), status=503,
                        mimetype="application/json")
    return Response(json.dumps(outcome), status=200, mimetype="application/json")


def sweep_due_posts() -> dict:
    return sweeper.sweep()


def on_post_written(event) -> None:
    """Firestore trigger on posts/{postId}: the post's task follows every write."""
    change = event.data
    before = change.before.to_dict() if change.before is not None and change.before.exists else None
    after = change.after.to_dict() if change.after is not None and change.after.exists else None
    publish_tasks.sync(event.params["postId"], after, before)
