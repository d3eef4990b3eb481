"""A video's bytes to TikTok (FILE_UPLOAD), in the chunks TikTok asks for.

- FILE_UPLOAD: init returns an upload_url (valid one hour); the file goes up
  in sequential PUTs with Content-Range; chunks of 5 to 64 MB, the last one
  holding the trailing bytes (up to 128 MB), total_chunk_count = floor(size /
  chunk_size), 1 to 1000 chunks, files under 5 MB whole. 206 per chunk, 201
  once all arrived (TikTok then posts); 5xx: send the chunk again; 416: the
  range is out of step with what TikTok holds. PULL_FROM_URL: TikTok fetches
  an https URL under a prefix verified for postr's app.

Not platforms.media.pieces: TikTok's last chunk takes every remaining byte
(up to twice the chunk size), and a chunk is kept as the 1 MB pieces read, so
it can be sent again without being joined into one bytes object.
"""

from collections.abc import Callable, Iterator

from platforms import http
from platforms.base import Media, Tokens
from platforms.errors import Permanent, PlatformError, Transient
from platforms.media import MB
from platforms.tiktok import api
from platforms.tiktok.api import NAME

MAX_CHUNK, MAX_CHUNKS = 64 * MB, 1000
# Files from 10 MB go up in 10 MB chunks (TikTok's own example size), so at
# most one chunk of under 20 MB (with the trailing bytes) is held at a time.
CHUNK_BYTES = 10 * MB
READ_BYTES = 1 * MB  # pieces asked of Media.chunks
CHUNK_RETRY_DELAYS = (1.0, 4.0)  # a chunk TikTok answered with 5xx is sent again, twice at most


def upload_schemes() -> tuple[str, ...]:
    # TikTok's upload addresses are https; the loopback fakes of the tests are not.
    from platforms.addresses import private_allowed

    return ("https://", "http://") if private_allowed() else ("https://",)


def chunk_plan(size: int) -> tuple[int, int]:
    """(chunk_size, total_chunk_count) by TikTok's rules: under 10 MB whole (a
    file under 5 MB must be, and one chunk may be up to 64 MB); larger files in
    10 MB chunks, the last one taking the remainder (under 20 MB, within the
    128 MB TikTok allows), never more than 1000 chunks."""
    if size < CHUNK_BYTES:
        return size, 1
    chunk = min(MAX_CHUNK, max(CHUNK_BYTES, -(-size // MAX_CHUNKS)))
    return chunk, size // chunk


def send(tokens: Tokens, publish_id: str, upload_url: str, media: Media, chunk_size: int, count: int, *,
         sleep: Callable[[float], None]) -> None:
    """Every chunk to `upload_url`, in order; a chunk TikTok answers with 5xx
    (or whose answer is lost) is sent again unless TikTok already holds it."""
    for index, (start, pieces) in enumerate(_chunks(media, chunk_size, count)):
        end = start + sum(len(p) for p in pieces)
        final = index == count - 1
        headers = {"Content-Type": media.mime_type, "Content-Length": str(end - start),
                   "Content-Range": f"bytes {start}-{end - 1}/{media.size}"}
        for delay in (*CHUNK_RETRY_DELAYS, None):
            try:
                # The last chunk sets the post going: a lost answer to it is
                # OutcomeUnknown (platforms.http); earlier ones can be resent.
                response = http.send(NAME, "PUT", upload_url, idempotent=not final, headers=headers,
                                     content=iter(pieces))
            except Transient:
                if delay is None:
                    raise
                sleep(delay)
                if _uploaded(tokens, publish_id) >= end:
                    break  # the chunk arrived; only its answer was lost
                continue
            if response.status_code in (200, 201, 206):
                break
            if response.status_code == 416 and _uploaded(tokens, publish_id) >= end:
                break  # an earlier try of this chunk arrived after all
            if response.status_code >= 500 and delay is not None:
                sleep(delay)
                continue
            raise _upload_error(response, index + 1, count)


def _uploaded(tokens: Tokens, publish_id: str) -> int:
    value = api.status(tokens, publish_id).get("uploaded_bytes")
    return value if isinstance(value, int) else 0


def _chunks(media: Media, chunk_size: int, count: int) -> Iterator[tuple[int, list[bytes]]]:
    """(offset, pieces) for each chunk, the last taking every remaining byte;
    only the chunk being sent is held (a chunk is sent again from its pieces)."""
    stream = media.chunks(min(READ_BYTES, chunk_size) or 1)
    carry = b""
    offset = 0
    for index in range(count):
        want = chunk_size if index < count - 1 else media.size - offset
        pieces, have = [], 0
        while have < want:
            piece = carry or next(stream, None)
            carry = b""
            if piece is None:
                raise Permanent(NAME, f"The file was {offset + have} bytes, not the {media.size} announced; "
                                      "upload it again.", detail="short media stream")
            if len(piece) > want - have:
                piece, carry = piece[:want - have], piece[want - have:]
            pieces.append(piece)
            have += len(piece)
        if index == count - 1 and (carry or any(stream)):
            raise Permanent(NAME, f"The file is longer than the {media.size} bytes announced; upload it again.",
                            detail="long media stream")
        yield offset, pieces
        offset += have


def _upload_error(response, number: int, count: int) -> PlatformError:
    status = response.status_code
    kw = {"status": status, "detail": f"upload chunk {number}/{count}: HTTP {status}"}
    if status == 403:
        return Transient(NAME, "TikTok's upload address expired (it lasts an hour); postr will start the upload "
                               "again.", **kw)
    if status in (404, 416):
        return Transient(NAME, "TikTok lost track of the upload; postr will start it again.", **kw)
    if status >= 500:
        return Transient(NAME, "TikTok had a temporary problem receiving the video; postr will retry.", **kw)
    return Permanent(NAME, "TikTok refused the video upload.", **kw)
