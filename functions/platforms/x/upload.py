"""A file to X through the v2 chunked media upload: initialize, append the
segments, finalize, wait while X processes a video, then the alt text."""

from collections.abc import Callable

from platforms.base import Media, Tokens
from platforms.errors import Permanent, Transient
from platforms.media import MB, pieces
from platforms.x import api, rules
from platforms.x.api import NAME

# X's sample code sends 4 MB segments (APPEND takes at most 5 MB) and an upload
# has at most 1000 segments; larger files get larger segments.
CHUNK_BYTES = 4 * MB
MAX_SEGMENTS = 1000
# How long one publish waits for X to process a video before handing back a
# Transient error (the task retries later).
MAX_PROCESSING_WAIT = 300.0


def upload(tokens: Tokens, media: Media, sleep: Callable[[float], None]) -> str:
    """The file sent to X; returns its media id. `sleep` waits between STATUS checks."""
    category = {"gif": "tweet_gif", "image": "tweet_image", "video": "tweet_video"}[rules.kind(media)]
    init = api.call("POST", "/2/media/upload/initialize", tokens, action="start a media upload to X",
                    json={"media_type": media.mime_type, "total_bytes": media.size, "media_category": category})
    media_id = str((init.get("data") or {}).get("id") or "")
    if not api.ID.fullmatch(media_id):
        raise Transient(NAME, "X did not start the media upload; will retry.", detail=api.summary(init))
    sent = 0
    size = max(CHUNK_BYTES, -(-media.size // MAX_SEGMENTS))
    for index, segment in enumerate(pieces(media, size)):
        api.call("POST", f"/2/media/upload/{media_id}/append", tokens, action="upload media to X",
                 data={"segment_index": str(index)},
                 files={"media": ("media", segment, "application/octet-stream")})
        sent += len(segment)
    if sent != media.size:
        raise Permanent(NAME, f"The file was {sent} bytes, not the {media.size} announced; upload it again.")
    final = api.call("POST", f"/2/media/upload/{media_id}/finalize", tokens, action="finish a media upload to X")
    _await_processing(tokens, media_id, (final.get("data") or {}).get("processing_info"), sleep)
    if media.alt_text and category != "tweet_video":
        api.call("POST", "/2/media/metadata", tokens, action="add alt text on X",
                 json={"id": media_id, "metadata": {"alt_text": {"text": media.alt_text}}})
    return media_id


def _await_processing(tokens: Tokens, media_id: str, info: dict | None, sleep: Callable[[float], None]) -> None:
    waited = 0.0
    while info and info.get("state") in ("pending", "in_progress"):
        delay = float(info.get("check_after_secs") or 1)
        if waited + delay > MAX_PROCESSING_WAIT:
            raise Transient(NAME, "X is still processing the video; will retry.", detail=f"media {media_id}")
        sleep(delay)
        waited += delay
        status = api.call("GET", "/2/media/upload", tokens, action="check a media upload on X",
                          params={"command": "STATUS", "media_id": media_id})
        info = (status.get("data") or {}).get("processing_info")
    if info and info.get("state") == "failed":
        error = info.get("error") if isinstance(info.get("error"), dict) else {}
        reason = error.get("message") or error.get("name")
        raise Permanent(NAME, "X could not process the video" + (f": {reason}." if reason else "."),
                        detail=f"media {media_id}: {error}")
