"""Media for the network modules' contract tests (a module of its own: test files
import it by name, which `from conftest import ...` cannot do reliably when
several test folders each have a conftest)."""

import io

from platforms.base import Media


def media_from_bytes(data: bytes, *, kind="image", mime_type="image/png", alt_text="a test image",
                     width=1200, height=800, duration_s=None, url=None) -> Media:
    """A Media whose bytes stream from memory in the chunk size the module asks for."""

    def chunks(size: int):
        stream = io.BytesIO(data)
        while piece := stream.read(size):
            yield piece

    return Media(kind=kind, mime_type=mime_type, size=len(data), alt_text=alt_text, width=width,
                 height=height, duration_s=duration_s, chunks=chunks, url=url)
