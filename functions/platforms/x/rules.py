"""What X takes in a post, checked before anything is sent: text as X counts
it (platforms.x.text), at most one cashtag, and the media X accepts (media
best practices, accounts without Premium)."""

from platforms.base import Media, PostContent, Problem
from platforms.media import MB, size_text

MAX_IMAGES = 4
MAX_ALT_TEXT = 1000
MAX_CASHTAGS = 1
IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP"}
GIF_TYPE = "image/gif"
VIDEO_TYPES = {"video/mp4": "MP4", "video/quicktime": "MOV"}
MAX_IMAGE_BYTES = 5 * MB
MAX_GIF_BYTES = 15 * MB
MAX_VIDEO_BYTES = 8 * 1024 * MB
MIN_VIDEO_SECONDS, MAX_VIDEO_SECONDS = 0.5, 20 * 60
MIN_VIDEO_RATIO, MAX_VIDEO_RATIO = 1 / 3, 3.0

_PLURAL = {"image": "images", "gif": "GIFs", "video": "videos"}


def post_text(part: PostContent) -> str:
    # X has no separate link field: a link goes in the text (X shows its card).
    return part.text_with_link()


def check_part(part: PostContent, where: str, label: str) -> list[Problem]:
    problems = check_text(post_text(part), f"{where}text", label, has_media=bool(part.media))
    problems += _check_media(part.media, where)
    return problems


def check_text(text: str, field: str, label: str, *, has_media: bool) -> list[Problem]:
    from platforms.x import text as x_text

    problems = []
    if not text.strip() and not has_media:
        return [Problem(field, f"{label} needs text or media for X.")]
    length = x_text.weighted_length(text)
    if length > x_text.MAX_WEIGHTED_LENGTH:
        problems.append(Problem(field, (
            f"{label} is {length} characters as X counts them (each link 23, emoji and CJK characters 2); "
            f"X allows {x_text.MAX_WEIGHTED_LENGTH}.")))
    invalid = x_text.invalid_characters(text)
    if invalid:
        problems.append(Problem(field, f"{label} contains characters X does not accept: {', '.join(invalid)}."))
    tags = x_text.cashtags(text)
    if len(tags) > MAX_CASHTAGS:
        problems.append(Problem(field, (
            f"{label} has {len(tags)} cashtags ({', '.join('$' + t for t in tags)}); "
            f"X allows {MAX_CASHTAGS} per post from apps.")))
    return problems


def kind(media: Media) -> str:
    if media.mime_type == GIF_TYPE:
        return "gif"
    if media.mime_type in IMAGE_TYPES:
        return "image"
    if media.mime_type in VIDEO_TYPES:
        return "video"
    return "other"


def _check_media(items: list[Media], where: str) -> list[Problem]:
    problems = []
    kinds = [kind(m) for m in items]
    images, gifs, videos = kinds.count("image"), kinds.count("gif"), kinds.count("video")
    if (gifs or videos) and len(items) > 1:
        problems.append(Problem(f"{where}media", (
            "X takes up to 4 images, or 1 GIF, or 1 video per post, not a mix; "
            f"this post has {_describe(images, gifs, videos)}.")))
    elif images > MAX_IMAGES:
        problems.append(Problem(f"{where}media", f"X takes at most {MAX_IMAGES} images per post; this post has {images}."))
    for i, (media, what) in enumerate(zip(items, kinds)):
        field = f"{where}media[{i}]"
        n = f"Attachment {i + 1}"
        if what == "other":
            problems.append(Problem(field, (
                f"{n} is {media.mime_type}; X takes JPEG, PNG, WebP or GIF images and MP4 or MOV video.")))
            continue
        if (what == "video") != (media.kind == "video"):
            problems.append(Problem(field, f"{n} is marked as {media.kind} but its type is {media.mime_type}."))
        limit = {"image": MAX_IMAGE_BYTES, "gif": MAX_GIF_BYTES, "video": MAX_VIDEO_BYTES}[what]
        if media.size <= 0:
            problems.append(Problem(field, f"{n} is empty."))
        elif media.size > limit:
            problems.append(Problem(field, (
                f"{n} is {size_text(media.size)}; X takes {_PLURAL[what]} up to {size_text(limit)}.")))
        if media.chunks is None:
            problems.append(Problem(field, f"{n} has no file data to upload to X."))
        if media.alt_text is not None and len(media.alt_text) > MAX_ALT_TEXT:
            problems.append(Problem(f"{field}.alt_text", (
                f"The alt text of attachment {i + 1} is {len(media.alt_text)} characters; X allows {MAX_ALT_TEXT}.")))
        if what == "video":
            seconds = media.duration_s
            if seconds is not None and not MIN_VIDEO_SECONDS <= seconds <= MAX_VIDEO_SECONDS:
                problems.append(Problem(field, (
                    f"{n} lasts {seconds:g} seconds; X takes videos from {MIN_VIDEO_SECONDS:g} seconds "
                    f"to {MAX_VIDEO_SECONDS // 60} minutes.")))
            if media.width and media.height:
                ratio = media.width / media.height
                if not MIN_VIDEO_RATIO <= ratio <= MAX_VIDEO_RATIO:
                    problems.append(Problem(field, (
                        f"{n} is {media.width}x{media.height}; X takes videos between 1:3 and 3:1.")))
    return problems


def _describe(images: int, gifs: int, videos: int) -> str:
    words = [f"{n} {name}{'s' if n > 1 else ''}" for n, name in ((images, "image"), (gifs, "GIF"), (videos, "video")) if n]
    return " and ".join(words)
