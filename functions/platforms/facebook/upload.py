"""Photo and video bytes sent to Facebook.

Photos: a photo's link when it has one (Facebook fetches it while answering),
otherwise its bytes as a multipart `source`. Videos: the Resumable Upload API
with the user token (`POST /{app-id}/uploads` for a session, `POST
/upload:{session}` with a `file_offset` header for each piece, `GET
/upload:{session}` for where to resume), authorised by an `Authorization:
OAuth` header as that API requires. The session belongs to our app, whose id
`Tokens.extra` holds; the last piece's answer carries the file handle that
publishing the video takes (`fbuploader_video_file_chunk`).
"""

import re
from collections.abc import Iterator

from platforms.base import Media, Tokens
from platforms.errors import Permanent, Transient
from platforms.facebook.api import API_VERSION, FACEBOOK_API_URL, NAME, NUMERIC_ID
from platforms.facebook.rules import MAX_IMAGE_BYTES
from platforms.media import MB, pieces

# Upload pieces: one piece in memory at a time; a dropped piece costs this much.
UPLOAD_CHUNK = 8 * MB
# A piece that fails is resumed from the offset Facebook reports, this often.
MAX_RESUMES = 3
RESUME_DELAYS = (1.0, 2.0, 4.0)


def photo_source(media: Media, fields: dict) -> dict:
    """A photo's link when it has one (Facebook fetches it while answering);
    otherwise its bytes, uploaded as `source`."""
    if media.url:
        return {"data": {**fields, "url": media.url}}
    # A photo is at most 4 MB (validate), so it is read whole, never more.
    data = bytearray()
    for piece in media.chunks(256 * 1024):
        data += piece
        if len(data) > MAX_IMAGE_BYTES:
            raise Permanent(NAME, "The photo is larger than announced and than Facebook takes (4 MB).",
                            detail="photo too large")
    extension = media.mime_type.split("/")[-1]
    return {"data": fields, "files": {"source": (f"photo.{extension}", bytes(data), media.mime_type)}}


def video_handle(platform, tokens: Tokens, media: Media) -> str:
    """The Resumable Upload API: a session for our app, then the file in
    pieces of `platform.chunk_size`, each POSTed with the offset it starts at.
    A piece that fails is resumed from the offset Facebook says it holds.
    Returns the file handle."""
    app_id = str(tokens.extra.get("app_id") or "")
    if not NUMERIC_ID.fullmatch(app_id):
        raise Permanent(NAME, "This Facebook connection predates video uploads; connect Facebook again.",
                        detail="no app id")
    session = platform._call("POST", f"/{app_id}/uploads", token=tokens.access_token, data={
        "file_name": "video.mp4", "file_length": str(media.size), "file_type": media.mime_type})
    session_id = str(session.get("id") or "")
    # The id may carry its own query (`upload:<id>?sig=<sig>`): it is used as given.
    if not re.fullmatch(r"upload:[^\s#]+", session_id) or ".." in session_id:
        raise Transient(NAME, "Facebook did not start the video upload; will retry.", detail="no session id")
    url = f"{FACEBOOK_API_URL.value.rstrip('/')}/{API_VERSION}/{session_id}"
    auth = {"Authorization": f"OAuth {tokens.access_token}"}
    offset, handle = 0, None
    for piece in pieces(media, platform.chunk_size):
        handle = _send_piece(platform, url, auth, offset, piece, last=offset + len(piece) >= media.size)
        offset += len(piece)
    if offset != media.size:
        raise Permanent(NAME, f"The video was {offset} bytes, not the {media.size} announced; upload it again.",
                        detail="size mismatch")
    if not handle:
        raise Transient(NAME, "Facebook did not confirm the video upload; will retry.", detail="no handle")
    return handle


def _send_piece(platform, url: str, auth: dict, start: int, piece: bytes, *, last: bool) -> str | None:
    end, sent_from = start + len(piece), start
    for attempt in range(MAX_RESUMES + 1):
        if attempt:
            platform.sleep(RESUME_DELAYS[min(attempt - 1, len(RESUME_DELAYS) - 1)])
            try:
                status = platform._call("GET", url, headers=auth, absolute=True)
            except Transient:
                if attempt == MAX_RESUMES:
                    raise
                continue
            held = status.get("file_offset")
            if not isinstance(held, int) or not start <= held <= end:
                raise Transient(NAME, "The video upload to Facebook lost its place; will retry.",
                                detail=f"file_offset {held} outside {start}-{end}")
            if held == end:
                # Facebook holds the whole piece; only the answer was lost.
                # The last answer carries the handle, which no status read returns.
                if last:
                    raise Transient(NAME, "Facebook did not confirm the video upload; will retry.",
                                    detail="final answer lost")
                return None
            sent_from = held
        rest = piece[sent_from - start:]
        try:
            body = platform._call("POST", url, headers={**auth, "file_offset": str(sent_from),
                                                        "Content-Type": "application/octet-stream",
                                                        "Content-Length": str(len(rest))},
                                  content=_once(rest), absolute=True)
            return body.get("h")
        except Transient:
            if attempt == MAX_RESUMES:
                raise
    return None


def _once(data: bytes) -> Iterator[bytes]:
    """The body as a one-shot stream. httpx keeps a request's body alive in a
    reference cycle (response <-> stream) until the garbage collector runs;
    given bytes, every piece sent would stay in memory until then. A spent
    generator lets go of its piece at once; Content-Length is set by the caller,
    so the body is sent as one sized message, not chunked."""
    yield data
