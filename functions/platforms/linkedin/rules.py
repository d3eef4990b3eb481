"""What a LinkedIn post may carry, checked before anything is sent: 3,000
characters of text, a single image or video, 2-20 images, or a link (not
media and a link together), and the media the Images and Videos APIs take."""

from platforms.base import Media, PostContent, Problem
from platforms.linkedin.text import text_length

MAX_TEXT = 3000
MAX_IMAGES = 20
MAX_ALT_TEXT = 4086
MAX_IMAGE_PIXELS = 36_152_320  # LinkedIn: "less than"
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif"}
VIDEO_TYPES = {"video/mp4"}
# "75 KB to 500 MB", read the strict way round in both directions.
MIN_VIDEO_BYTES = 75 * 1024
MAX_VIDEO_BYTES = 500 * 1000 * 1000
MIN_VIDEO_SECONDS, MAX_VIDEO_SECONDS = 3, 30 * 60
VISIBILITIES = ("PUBLIC", "CONNECTIONS")


def problems(content: PostContent) -> list[Problem]:
    found: list[Problem] = []
    if content.thread:
        found.append(Problem("thread", "LinkedIn does not support threads: publish the parts as separate "
                                       "posts, or join them into one post of up to 3,000 characters."))
    length = text_length(content.text or "")
    if length > MAX_TEXT:
        found.append(Problem("text", f"The post is {length:,} characters long and LinkedIn allows {MAX_TEXT:,}; "
                                     f"remove {length - MAX_TEXT:,}."))
    if not (content.text or "").strip() and not content.media and not content.link:
        found.append(Problem("text", "A LinkedIn post needs text, media or a link."))
    found += _media_problems(content.media)
    if content.link and content.media:
        found.append(Problem("link", "A LinkedIn post carries either media or a link preview, not both; "
                                     "put the link in the text instead."))
    visibility = content.options.get("visibility", "PUBLIC")
    if visibility not in VISIBILITIES:
        found.append(Problem("options.visibility", "LinkedIn visibility must be PUBLIC or CONNECTIONS."))
    return found


def _media_problems(media: list[Media]) -> list[Problem]:
    found: list[Problem] = []
    images = [m for m in media if m.kind == "image"]
    videos = [m for m in media if m.kind == "video"]
    if images and videos:
        found.append(Problem("media", "A LinkedIn post takes images or one video, not both."))
    if len(videos) > 1:
        found.append(Problem("media", f"A LinkedIn post takes one video; this one has {len(videos)}."))
    if len(images) > MAX_IMAGES:
        found.append(Problem("media", f"A LinkedIn post takes up to {MAX_IMAGES} images; "
                                      f"this one has {len(images)}."))
    for number, item in enumerate(media, 1):
        where = f"media[{number - 1}]"
        label = f"{'Image' if item.kind == 'image' else 'Video'} {number}"
        if item.chunks is None:
            found.append(Problem(where, f"{label} has no file to upload."))
        if item.kind == "image":
            found += _image_problems(where, label, item)
        else:
            found += _video_problems(where, label, item)
    return found


def _image_problems(where: str, label: str, item: Media) -> list[Problem]:
    found = []
    if item.mime_type not in IMAGE_TYPES:
        found.append(Problem(where, f"{label} is {item.mime_type}; LinkedIn takes JPEG, PNG or GIF images."))
    if item.width and item.height and item.width * item.height >= MAX_IMAGE_PIXELS:
        found.append(Problem(where, f"{label} is {item.width}x{item.height} pixels; LinkedIn takes images "
                                    f"of fewer than {MAX_IMAGE_PIXELS:,} pixels in all."))
    if item.alt_text and len(item.alt_text) > MAX_ALT_TEXT:
        found.append(Problem(where, f"The alt text of {label.lower()} is {len(item.alt_text):,} characters; "
                                    f"LinkedIn allows {MAX_ALT_TEXT:,}."))
    return found


def _video_problems(where: str, label: str, item: Media) -> list[Problem]:
    found = []
    if item.mime_type not in VIDEO_TYPES:
        found.append(Problem(where, f"{label} is {item.mime_type}; LinkedIn takes MP4 videos."))
    if not MIN_VIDEO_BYTES <= item.size <= MAX_VIDEO_BYTES:
        found.append(Problem(where, f"{label} is {item.size:,} bytes; LinkedIn takes videos from 75 KB "
                                    "to 500 MB."))
    if item.duration_s is not None and not MIN_VIDEO_SECONDS <= item.duration_s <= MAX_VIDEO_SECONDS:
        found.append(Problem(where, f"{label} lasts {item.duration_s:g} seconds; LinkedIn takes videos "
                                    "from 3 seconds to 30 minutes."))
    return found
