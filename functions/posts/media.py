"""Media of a post: the person's own uploads in Cloud Storage.

The web app uploads under users/{uid}/media/ (storage.rules caps type and size
there); a post names those paths. Each is checked here against the object's own
metadata (owner prefix, content type, size; never what the browser claims) and
turned into platforms.base.Media for publishing: bytes streamed from Storage in
pieces, and a short-lived signed URL for networks that fetch media themselves.
The app may record `width`, `height` and `durationSeconds` as the object's
custom metadata at upload; networks that need them (TikTok's duration) refuse a
video without them through their own validate.
"""

import re
from dataclasses import dataclass

from kernel import log
from kernel.errors import FailedPrecondition, InvalidArgument

IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm")
# The same caps as storage.rules: the rules stop a browser, this stops a crafted path.
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_VIDEO_BYTES = 1024 * 1024 * 1024
MAX_MEDIA = 10
SIGNED_URL_MINUTES = 120  # long enough for a network to fetch a large video
_PATH = re.compile(r"^users/([^/]+)/media/[^\x00-\x1f]{1,900}$")


@dataclass(frozen=True)
class MediaRef:
    path: str
    kind: str  # image | video
    mime_type: str
    size: int
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    alt_text: str | None = None

    def to_doc(self) -> dict:
        return {"path": self.path, "kind": self.kind, "mimeType": self.mime_type, "size": self.size,
                "width": self.width, "height": self.height, "durationS": self.duration_s, "altText": self.alt_text}

    @classmethod
    def from_doc(cls, d: dict) -> "MediaRef":
        return cls(d["path"], d["kind"], d["mimeType"], int(d["size"]), d.get("width"), d.get("height"),
                   d.get("durationS"), d.get("altText"))


def _number(meta: dict, name: str, kind=int):
    try:
        value = kind(meta[name])
    except (KeyError, TypeError, ValueError):
        return None
    return value if value > 0 else None


def check(uid: str, items: list[dict], *, video_allowed: bool) -> list[MediaRef]:
    """The post's media, each checked; InvalidArgument names the first bad one."""
    from kernel import cloud

    if len(items) > MAX_MEDIA:
        raise InvalidArgument(f"A post can carry at most {MAX_MEDIA} media files.")
    refs = []
    for item in items:
        path, alt = item["path"], item.get("altText")
        m = _PATH.match(path)
        if not m or ".." in path.split("/") or m.group(1) != uid:
            raise InvalidArgument(f"'{path}' is not one of your uploads. Upload the file again and attach it.")
        try:
            blob = cloud.bucket().get_blob(path)
        except Exception as exc:  # Storage unreachable: nothing is written
            log.error("media lookup failed", error=type(exc).__name__)
            raise FailedPrecondition("Your media could not be checked right now. Please try again.") from None
        if blob is None:
            raise InvalidArgument(f"'{path}' was not found. Upload the file again and attach it.")
        ctype, size = (blob.content_type or "").split(";")[0].strip().lower(), int(blob.size or 0)
        if ctype in IMAGE_TYPES:
            kind, cap = "image", MAX_IMAGE_BYTES
        elif ctype in VIDEO_TYPES:
            kind, cap = "video", MAX_VIDEO_BYTES
        else:
            raise InvalidArgument(f"'{path}' is {ctype or 'of an unknown type'}; attach JPEG, PNG, GIF or WebP "
                                  "images, or MP4, MOV or WebM videos.")
        if size <= 0:
            raise InvalidArgument(f"'{path}' is empty. Upload the file again.")
        if size > cap:
            raise InvalidArgument(f"'{path}' is {size / 1048576:.1f} MB; {kind}s can be at most "
                                  f"{cap // 1048576} MB.")
        if kind == "video" and not video_allowed:
            raise FailedPrecondition("Video posts are part of the paid plans. Upgrade to attach videos.")
        meta = blob.metadata or {}
        refs.append(MediaRef(path, kind, ctype, size, _number(meta, "width"), _number(meta, "height"),
                             _number(meta, "durationSeconds", float), alt))
    return refs


def to_media(ref: MediaRef, network: str):
    """The Media a network gets: bytes streamed from Storage on demand, and a
    signed URL for networks that fetch media themselves (where one can be made)."""
    from platforms.base import Media

    return Media(kind=ref.kind, mime_type=ref.mime_type, size=ref.size, alt_text=ref.alt_text, width=ref.width,
                 height=ref.height, duration_s=ref.duration_s, chunks=lambda size: _stream(ref.path, size),
                 url=_signed_url(ref.path) if ref.kind in _pulls(network) else None)


def _pulls(network: str) -> tuple[str, ...]:
    """The media kinds a network fetches from a link (Platform.pulls_media); the rest are streamed."""
    import platforms

    try:
        return platforms.get(network).pulls_media
    except KeyError:
        return ()


def _stream(path: str, size: int):
    from kernel import cloud

    # Ranged reads of about `size` bytes each: memory stays bounded whatever the file.
    with cloud.bucket().blob(path).open("rb", chunk_size=max(size, 256 * 1024)) as f:
        while piece := f.read(size):
            yield piece


def _signed_url(path: str) -> str | None:
    from kernel import signed_urls as privacy_links

    try:
        return privacy_links.signed_download(path, SIGNED_URL_MINUTES)[0]
    except privacy_links.SigningUnavailable:
        return None  # networks that only pull media refuse it with a readable reason
