"""A video to YouTube through the resumable upload protocol: a session is
opened with the video resource, the file goes up in PUTs of whole 256 KiB
multiples, and after an interruption the server is asked how far it got."""

import re
import urllib.parse
from collections.abc import Callable

import httpx

from platforms import http
from platforms.base import Media, Tokens
from platforms.errors import OutcomeUnknown, Permanent, Transient
from platforms.media import KB
from platforms.youtube import api
from platforms.youtube.api import NAME

# Every chunk but the last must be a multiple of 256 KiB; 8 MiB keeps a
# function's memory small and the number of requests modest.
CHUNK_UNIT = 256 * KB
CHUNK_BYTES = 32 * CHUNK_UNIT
# Interruptions in a row (without the server gaining bytes) before giving up;
# the waits between them double: 1, 2, 4, 8, 16 seconds.
MAX_RESUMES = 5
RESUMABLE_STATUSES = (500, 502, 503, 504)
_RANGE = re.compile(r"bytes=0-(\d+)")


def start(tokens: Tokens, video: Media, resource: dict, notify: bool | None) -> str:
    """Open a resumable upload session for `video`; returns its address."""
    params = {"uploadType": "resumable", "part": "snippet,status"}
    if notify is False:
        params["notifySubscribers"] = "false"
    headers = {"Content-Type": "application/json; charset=UTF-8", "X-Upload-Content-Length": str(video.size),
               "X-Upload-Content-Type": video.mime_type}
    # Opening a session publishes nothing, so it may be repeated.
    response = api.send("POST", "/upload/youtube/v3/videos", tokens, idempotent=True, params=params,
                        json=resource, headers=headers)
    api.read(response, "start the upload")
    session = response.headers.get("location", "")
    if not session:
        raise Transient(NAME, "YouTube did not open an upload session; postr will retry.",
                        status=response.status_code, detail="no Location")
    if not _same_service(session):
        raise Permanent(NAME, "YouTube answered with an upload address postr does not trust; nothing was sent.",
                        detail=f"upload session at {urllib.parse.urlsplit(session).netloc or 'nowhere'}")
    return session


def send_file(tokens: Tokens, session: str, video: Media, *, chunk: int, sleep: Callable[[float], None]) -> dict:
    """PUT the file in `chunk`-byte pieces; after an interruption ask the
    server what it holds and go on from there, `sleep` waiting between
    attempts. Returns the created video resource."""
    total = video.size
    source = _Source(video, chunk)
    offset, failures = 0, 0
    asking = False  # the next request asks for the server's offset instead of sending bytes
    maybe_complete = False  # the last byte went out and no answer said otherwise
    while True:
        if asking or offset >= total:
            response = _put(session, tokens, b"", {"Content-Range": f"bytes */{total}"})
        else:
            piece = source.read(offset)
            if offset + len(piece) < total and len(piece) < chunk:
                raise Permanent(NAME, f"The file ended after {offset + len(piece)} of the {total} bytes "
                                      "announced; upload it again.", detail="short file")
            if offset + len(piece) > total:
                raise Permanent(NAME, f"The file is longer than the {total} bytes announced; upload it again.",
                                detail="long file")
            end = offset + len(piece) - 1
            response = _put(session, tokens, piece, {"Content-Range": f"bytes {offset}-{end}/{total}",
                                                      "Content-Type": video.mime_type})
            if response is None and end + 1 == total:
                maybe_complete = True
        if response is None or response.status_code in RESUMABLE_STATUSES:
            failures += 1
            if failures > MAX_RESUMES:
                if maybe_complete:
                    raise OutcomeUnknown(NAME, "YouTube did not confirm the end of the upload; the video may "
                                               "be on YouTube.", detail=f"{failures} interruptions")
                raise Transient(NAME, "The upload to YouTube kept being interrupted; postr will retry.",
                                detail=f"{failures} interruptions at byte {offset}")
            sleep(float(2 ** (failures - 1)))
            asking = True
            continue
        if response.status_code in (200, 201):
            return http.json_object(response)
        if response.status_code == 308:
            held = _held(response)
            if held > offset:
                failures = 0
            elif held >= total:  # all bytes held, yet not finished: ask again, within the limit
                failures += 1
                if failures > MAX_RESUMES:
                    raise OutcomeUnknown(NAME, "YouTube holds the whole file but did not confirm the video; "
                                               "it may be on YouTube.", detail="308 with every byte")
                sleep(float(2 ** (failures - 1)))
            offset, asking, maybe_complete = held, False, False
            continue
        if response.status_code == 404:
            raise Transient(NAME, "YouTube's upload session expired; postr will start the upload again.",
                            status=404, detail=api.summary(http.json_object(response)))
        raise api.error(response, "upload the video")


def _put(session: str, tokens: Tokens, data: bytes, headers: dict) -> httpx.Response | None:
    """One PUT to the upload session; None when no answer came back."""
    # The chunk goes as a one-shot stream, not as bytes: httpx's request
    # and response refer to each other, so bytes given to it would stay in
    # memory until the garbage collector runs, a chunk per request.
    headers = {"Authorization": f"Bearer {tokens.access_token}", "Content-Length": str(len(data)), **headers}
    try:
        return http.send(NAME, "PUT", session, idempotent=True, content=_once(data), headers=headers)
    except (Transient, OutcomeUnknown, httpx.TransportError):
        return None


# --- the file, from any offset -------------------------------------------------------------

class _Source:
    """The video from any byte offset, in pieces of at most `size` bytes,
    holding no more than one piece plus one read of Media.chunks. Going back
    before what is held reads the file again from its start."""

    def __init__(self, media: Media, size: int):
        self._media, self._size = media, size
        self._restart()

    def _restart(self) -> None:
        self._chunks = iter(self._media.chunks(self._size))
        self._start = 0  # file offset of self._held[0]
        self._held = bytearray()

    def read(self, offset: int) -> bytes:
        if offset < self._start:
            self._restart()
        while True:
            drop = min(offset - self._start, len(self._held))
            if drop:
                del self._held[:drop]
                self._start += drop
            if self._start == offset and len(self._held) >= self._size:
                break
            piece = next(self._chunks, None)
            if piece is None:
                break
            self._held += piece
        if self._start != offset:
            return b""
        with memoryview(self._held) as view:
            return bytes(view[:self._size])


def _once(data: bytes):
    yield data


def _held(response: httpx.Response) -> int:
    """Bytes the server holds, from a 308's Range (none when it has no Range)."""
    match = _RANGE.fullmatch(response.headers.get("range", "").strip())
    return int(match.group(1)) + 1 if match else 0


def _same_service(url: str) -> bool:
    """The upload session must be at Google (or wherever the API is pointed),
    since the bearer token goes with every PUT."""
    parts, ours = urllib.parse.urlsplit(url), urllib.parse.urlsplit(api.YOUTUBE_API_URL.value)
    if (parts.scheme, parts.netloc) == (ours.scheme, ours.netloc) and parts.netloc:
        return True
    return parts.scheme == "https" and (parts.hostname or "").endswith(".googleapis.com")

