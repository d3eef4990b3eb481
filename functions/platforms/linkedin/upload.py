"""A post's media on LinkedIn: the Images API (`initializeUpload`, then PUT
the bytes to `uploadUrl`), and the Videos API (`initializeUpload` with the
size, PUT each byte range to its `uploadUrl` (ETag per part),
`finalizeUpload`, then wait for AVAILABLE)."""

import time
from collections.abc import Iterator

from platforms import http
from platforms.base import Media, PostContent, Tokens
from platforms.errors import Permanent, Transient
from platforms.linkedin.api import NAME, api, encode, error, rest_headers
from platforms.media import wait_until_processed

UPLOAD_CHUNK = 1024 * 1024
# A video is usually AVAILABLE within seconds of finalizeUpload; past two
# minutes the publish is retried later (with a fresh upload) instead.
VIDEO_WAIT_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 30.0, 30.0)


class _Reader:
    """Hands out exact byte ranges from a stream of chunks of any size, so a
    video part never needs the whole file in memory. (platforms.media.pieces
    cuts one size for every piece; LinkedIn gives each part its own range.)"""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = iter(chunks)
        self._buffer = b""

    def take(self, count: int) -> Iterator[bytes]:
        while count > 0:
            if not self._buffer:
                self._buffer = next(self._chunks, b"")
                if not self._buffer:
                    raise Permanent(NAME, "The video file is shorter than its recorded size; upload it again.")
            piece, self._buffer = self._buffer[:count], self._buffer[count:]
            count -= len(piece)
            yield piece


def media_content(tokens: Tokens, owner: str, content: PostContent) -> dict | None:
    """The post's `content` for its media, uploaded; None without media."""
    images = [m for m in content.media if m.kind == "image"]
    videos = [m for m in content.media if m.kind == "video"]
    if videos:
        video = videos[0]
        media = {"id": _upload_video(tokens, owner, video)}
        if content.options.get("title"):
            media["title"] = content.options["title"]
        return {"media": media}
    if not images:
        return None
    entries = []
    for image in images:
        entry = {"id": _upload_image(tokens, owner, image)}
        if image.alt_text:
            entry["altText"] = image.alt_text
        entries.append(entry)
    if len(entries) == 1:
        return {"media": entries[0]}
    return {"multiImage": {"images": entries}}


def _upload_image(tokens: Tokens, owner: str, image: Media) -> str:
    response = http.send(NAME, "POST", api("/rest/images?action=initializeUpload"), idempotent=True,
                         headers=rest_headers(tokens), json={"initializeUploadRequest": {"owner": owner}})
    value = http.json_object(response).get("value") or {}
    if response.status_code != 200:
        raise error(response, "preparing the image upload")
    if not value.get("uploadUrl") or not value.get("image"):
        raise Transient(NAME, "LinkedIn did not give an upload address for the image; will retry.", status=200)
    put = http.send(NAME, "PUT", value["uploadUrl"], idempotent=True, content=image.chunks(UPLOAD_CHUNK),
                    headers={"Authorization": f"Bearer {tokens.access_token}", "Content-Length": str(image.size)})
    if put.status_code not in (200, 201):
        raise error(put, "uploading the image")
    return value["image"]


def _upload_video(tokens: Tokens, owner: str, video: Media) -> str:
    response = http.send(NAME, "POST", api("/rest/videos?action=initializeUpload"), idempotent=True,
                         headers=rest_headers(tokens),
                         json={"initializeUploadRequest": {"owner": owner, "fileSizeBytes": video.size,
                                                           "uploadCaptions": False, "uploadThumbnail": False}})
    value = http.json_object(response).get("value") or {}
    if response.status_code != 200:
        raise error(response, "preparing the video upload")
    urn, parts = value.get("video"), value.get("uploadInstructions") or []
    expected = 0
    for part in parts:
        if part.get("firstByte") != expected or not part.get("uploadUrl"):
            raise Transient(NAME, "LinkedIn gave unusable video upload instructions; will retry.", status=200)
        expected = part["lastByte"] + 1
    if not urn or not parts or expected != video.size:
        raise Transient(NAME, "LinkedIn gave unusable video upload instructions; will retry.", status=200)

    reader = _Reader(video.chunks(UPLOAD_CHUNK))
    etags = []
    for part in parts:
        size = part["lastByte"] - part["firstByte"] + 1
        put = http.send(NAME, "PUT", part["uploadUrl"], idempotent=True, content=reader.take(size),
                        headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)})
        if put.status_code not in (200, 201) or not put.headers.get("etag"):
            raise error(put, "uploading the video")
        etags.append(put.headers["etag"].strip('"'))

    done = http.send(NAME, "POST", api("/rest/videos?action=finalizeUpload"), idempotent=True,
                     headers=rest_headers(tokens),
                     json={"finalizeUploadRequest": {"video": urn, "uploadToken": value.get("uploadToken") or "",
                                                     "uploadedPartIds": etags}})
    if done.status_code != 200:
        raise error(done, "finishing the video upload")
    wait_until_processed(NAME, lambda: _video_status(tokens, urn), ready="AVAILABLE", failed="PROCESSING_FAILED",
                    pauses=VIDEO_WAIT_DELAYS, pause=_pause,
                    failed_message="LinkedIn could not process the video; check it is a valid MP4.",
                    pending_message="LinkedIn is still processing the video; will retry.")
    return urn


def _video_status(tokens: Tokens, urn: str) -> str | None:
    response = http.send(NAME, "GET", api(f"/rest/videos/{encode(urn)}"), idempotent=True,
                         headers=rest_headers(tokens))
    if response.status_code != 200:
        raise error(response, "checking the video")
    return http.json_object(response).get("status")


def _pause(seconds: float) -> None:
    time.sleep(seconds)
