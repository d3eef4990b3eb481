"""A Pin's media_source: images by web address (Pinterest fetches them) or as
base64, a video registered with `POST /v5/media`, sent to its `upload_url`
(Amazon S3) as a multipart/form-data POST with every `upload_parameters`
field and the file last, then watched through `GET /v5/media/{id}` until it
has succeeded or failed."""

import base64
import re
import time

from platforms import http
from platforms.base import Media, PostContent, Tokens
from platforms.errors import Permanent, Transient
from platforms.media import MediaFile, wait_until_processed
from platforms.pinterest.api import NAME, api, bearer, error
from platforms.pinterest.rules import VIDEO_TYPES

UPLOAD_CHUNK = 1024 * 1024
# A video usually finishes processing within a minute; past about two minutes
# the publish is retried later (with a fresh upload) instead.
VIDEO_WAIT_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 30.0, 30.0)


def alt_text(media: list[Media]) -> str | None:
    """A Pin has one alt text: the video's on a video Pin (its image is only the
    cover), else the images' (validate makes a carousel's agree)."""
    videos = [m for m in media if m.kind == "video"]
    return next((m.alt_text for m in videos or media if m.alt_text), None)


def media_source(tokens: Tokens, content: PostContent) -> dict:
    images = [m for m in content.media if m.kind == "image"]
    videos = [m for m in content.media if m.kind == "video"]
    if videos:
        source = {"source_type": "video_id", "media_id": _upload_video(tokens, videos[0])}
        return {**source, **_cover(images[0] if images else None, content.options)}
    if len(images) > 1:
        return {"source_type": "multiple_image_urls", "items": [{"url": m.url} for m in images]}
    image = images[0]
    if image.url:
        return {"source_type": "image_url", "url": image.url}
    return {"source_type": "image_base64", "content_type": image.mime_type,
            "data": base64.b64encode(_read_whole(image)).decode()}


def _read_whole(item: Media) -> bytes:
    """An image (at most 20 MB, checked by validate) as bytes, for image_base64."""
    data = b"".join(item.chunks(UPLOAD_CHUNK))
    if len(data) != item.size:
        raise Permanent(NAME, "The image file does not match its recorded size; upload it again.")
    return data


def _cover(image: Media | None, options: dict) -> dict:
    if image is not None and image.url:
        return {"cover_image_url": image.url}
    if image is not None:
        return {"cover_image_content_type": image.mime_type,
                "cover_image_data": base64.b64encode(_read_whole(image)).decode()}
    if options.get("cover_image_url"):
        return {"cover_image_url": options["cover_image_url"]}
    return {"cover_image_key_frame_time": options["cover_image_key_frame_time"]}


def _upload_video(tokens: Tokens, video: Media) -> str:
    response = http.send(NAME, "POST", api("/v5/media"), idempotent=True, headers=bearer(tokens),
                         json={"media_type": "video"})
    if response.status_code not in (200, 201):
        raise error(response, "preparing the video upload")
    body = http.json_object(response)
    media_id, upload_url = body.get("media_id"), body.get("upload_url")
    fields = body.get("upload_parameters")
    if not media_id or not upload_url or not isinstance(fields, dict):
        raise Transient(NAME, "Pinterest did not give an upload address for the video; will retry.",
                        status=response.status_code)
    extension = VIDEO_TYPES[video.mime_type]
    # A file of known length: the multipart body goes out with a Content-Length
    # (S3 refuses chunked uploads) and the video is never whole in memory.
    stream = MediaFile(NAME, video, UPLOAD_CHUNK)
    put = http.send(NAME, "POST", upload_url, idempotent=True,
                    data={str(k): str(v) for k, v in fields.items()},
                    files={"file": (f"video.{extension}", stream, video.mime_type)})
    if put.status_code not in (200, 201, 204):
        storage_code = re.search(r"<Code>([^<]{1,64})</Code>", put.text)
        raise http.classify_status(NAME, put, "", " ".join(
            [str(put.status_code), *(storage_code.groups() if storage_code else ())]))
    wait_until_processed(NAME, lambda: _video_status(tokens, str(media_id)), ready="succeeded", failed="failed",
                    pauses=VIDEO_WAIT_DELAYS, pause=_pause,
                    failed_message="Pinterest could not process the video; check it is a valid MP4, MOV or M4V file.",
                    pending_message="Pinterest is still processing the video; will retry.")
    return str(media_id)


def _video_status(tokens: Tokens, media_id: str) -> str | None:
    response = http.send(NAME, "GET", api(f"/v5/media/{media_id}"), idempotent=True, headers=bearer(tokens))
    if response.status_code != 200:
        raise error(response, "checking the video")
    return http.json_object(response).get("status")


def _pause(seconds: float) -> None:
    time.sleep(seconds)
