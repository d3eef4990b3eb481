"""Moving a post's media to a network, the same way for every network:

- `size_text` words a file size for a person (binary units, as the networks'
  own limits are written: "8 MB" is 8 MiB on Meta, X, TikTok and YouTube);
- `pieces` cuts Media.chunks into the exact piece size an upload protocol
  wants (X's APPEND segments, Facebook's resumable chunks);
- `MediaFile` is Media.chunks as a read-once file of known length, so httpx
  streams a multipart body with a Content-Length and never holds the file;
- `wait_until_processed` waits while a network processes what was uploaded.

A stream that turns out shorter or longer than the size it announced is
refused (Permanent): the network would otherwise get a file that is not the one
checked by `validate`.
"""

import io
from collections.abc import Callable, Iterator, Sequence

from platforms.base import Media
from platforms.errors import Permanent, Transient

KB = 1024
MB = 1024 * KB
GB = 1024 * MB


def size_text(n: int) -> str:
    """A size as a person reads it: "1.5 MB", "4 GB", "8 MB"."""
    return f"{n / GB:.3g} GB" if n >= GB else f"{n / MB:.3g} MB"


def pieces(media: Media, size: int) -> Iterator[bytes]:
    """The file in `size`-byte pieces (the last shorter), whatever sizes
    `Media.chunks` yields; about one piece in memory at a time."""
    buffer = bytearray()
    for piece in media.chunks(size):
        buffer += piece
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


class MediaFile(io.RawIOBase):
    """Media.chunks as a read-once file of known length. httpx measures a file
    by seeking to its end and back before reading; that is allowed until the
    first read, and nothing else is."""

    def __init__(self, network: str, media: Media, read_size: int = MB):
        self._network = network
        self._size = media.size
        self._chunks = media.chunks(read_size) if media.chunks else iter(())
        self._buffer = b""
        self._pos = 0
        self._started = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return not self._started

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = {io.SEEK_SET: offset, io.SEEK_CUR: self._pos + offset, io.SEEK_END: self._size + offset}[whence]
        if self._started and target != self._pos:
            raise io.UnsupportedOperation("a media stream can be read once only")
        self._pos = target
        return target

    def read(self, size: int | None = -1) -> bytes:
        if size is None:
            size = -1
        if not self._started:
            if self._pos != 0:
                raise io.UnsupportedOperation("a media stream is read from its start")
            self._started = True
        while size < 0 or len(self._buffer) < size:
            piece = next(self._chunks, None)
            if piece is None:
                break
            self._buffer += piece
        out, self._buffer = (self._buffer, b"") if size < 0 else (self._buffer[:size], self._buffer[size:])
        self._pos += len(out)
        if self._pos > self._size or (not out and size != 0 and self._pos != self._size):
            raise Permanent(self._network, "The media file is not the size it was said to be; upload it again.",
                            detail=f"streamed {self._pos} of {self._size} bytes")
        return out


def wait_until_processed(network: str, state: Callable[[], object], *, ready: str, failed: str, pauses: Sequence[float],
         pause: Callable[[float], None], failed_message: str, pending_message: str) -> None:
    """Wait while the network processes an uploaded file (LinkedIn's and
    Pinterest's videos): its state is asked for at once, then again after each
    pause. Return once `state()` says `ready`. `failed`: the network gave up on the
    file, and would on the same file again (Permanent). Still processing after
    the last pause: Transient, so the publish is retried later (with a fresh
    upload) instead of holding the function for minutes."""
    answer = None
    for delay in (0.0, *pauses):
        if delay:
            pause(delay)
        answer = state()
        if answer == ready:
            return
        if answer == failed:
            raise Permanent(network, failed_message, detail=f"processing {answer}")
    raise Transient(network, pending_message, detail=f"still {answer} after the last wait")
