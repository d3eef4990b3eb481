"""Posting to a Mastodon instance: media uploads (waited on until the server
has processed them) and statuses, each with an Idempotency-Key.
"""

import hashlib
import mimetypes
from collections.abc import Callable, Mapping
from typing import Any

from platforms.base import Media, PostContent, Tokens
from platforms.errors import Permanent, Transient
from platforms.mastodon import api
from platforms.mastodon.address import NETWORK, hostname
from platforms.mastodon.rules import status_text
from platforms.media import MB, MediaFile

UPLOAD_CHUNK = MB  # pieces asked of Media.chunks while the upload streams


def upload(base: str, tokens: Tokens, media: Media, *, wait_s: float, sleep: Callable[[float], None]) -> str:
    extension = mimetypes.guess_extension(media.mime_type) or "." + media.mime_type.rsplit("/", 1)[-1]
    files = {"file": (f"upload{extension}", MediaFile(NETWORK, media, UPLOAD_CHUNK), media.mime_type)}
    data = {"description": media.alt_text} if media.alt_text else {}
    # A repeated upload only leaves an unattached file the server removes, so it is safe to retry.
    response = api.send("POST", base, "/api/v2/media", tokens=tokens, idempotent=True, data=data, files=files)
    attachment = api.answer(response, base)
    media_id = str(api.field(attachment, "id", base))
    if response.status_code == 202 or not attachment.get("url"):
        _wait_for_media(base, tokens, media_id, wait_s=wait_s, sleep=sleep)
    return media_id


def _wait_for_media(base: str, tokens: Tokens, media_id: str, *, wait_s: float,
                    sleep: Callable[[float], None]) -> None:
    """Poll GET /api/v1/media/:id (206 while processing, 200 with a url when
    done) with doubling pauses, for at most `wait_s` in all."""
    delay, waited = 1.0, 0.0
    while waited + delay <= wait_s:
        sleep(delay)
        waited += delay
        response = api.send("GET", base, f"/api/v1/media/{api.path_id(media_id)}", tokens=tokens, idempotent=True)
        if response.status_code == 200 and api.answer(response, base).get("url"):
            return
        delay = min(delay * 2, 30.0)
    raise Transient(NETWORK, f"{hostname(base)} is still processing the media after {waited:.0f} seconds; will retry.",
                    detail="media processing")


def post_status(base: str, tokens: Tokens, text: str, options: Mapping[str, Any], *,
                media_ids: list[str], reply_to: str | None, key: str) -> Mapping[str, Any]:
    data: dict[str, Any] = {}
    if text:
        data["status"] = text
    if media_ids:
        data["media_ids[]"] = media_ids
    if reply_to:
        data["in_reply_to_id"] = str(reply_to)
    for name in ("visibility", "spoiler_text", "sensitive", "language"):
        if options.get(name) not in (None, ""):
            data[name] = options[name]
    # The Idempotency-Key makes a repeat return the first status, so a
    # request whose answer was lost can be retried (hence idempotent=True).
    try:
        response = api.send("POST", base, "/api/v1/statuses", tokens=tokens, idempotent=True, data=data,
                            headers={"Idempotency-Key": key})
    except Permanent as exc:
        if exc.status == 422 and "finished processing" in (exc.detail or ""):
            raise Transient(NETWORK, exc.message, status=422, detail=exc.detail) from None
        raise
    status = api.answer(response, base)
    api.field(status, "id", base)
    return status


def content_key(base: str, content: PostContent) -> str:
    """A stable Idempotency-Key when the caller gave none: the same post to the
    same instance gives the same key."""
    digest = hashlib.sha256(base.encode())
    for part in [content, *content.thread]:
        digest.update(b"\x00" + status_text(part).encode())
        for m in part.media:
            digest.update(f"\x01{m.mime_type}:{m.size}:{m.alt_text or ''}".encode())
    digest.update(b"\x02" + (content.first_comment or "").encode())
    for name in ("visibility", "spoiler_text", "sensitive", "language"):
        digest.update(f"\x03{name}={content.options.get(name)!r}".encode())
    return "postr-" + digest.hexdigest()[:40]
