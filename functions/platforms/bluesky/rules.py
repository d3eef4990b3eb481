"""What a Bluesky post may carry, part by part (a thread's parts and the first
comment are posts of their own): text within the lexicon's graphemes and
bytes, up to four images or one video, a link card's address, languages."""

import urllib.parse

from platforms.base import Media, PostContent, Problem
from platforms.bluesky.richtext import MAX_BYTES, MAX_GRAPHEMES, graphemes, utf8_len

# Lexicon limits (app.bsky.embed.images, app.bsky.embed.video, app.bsky.feed.post).
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 2_000_000
MAX_VIDEO_BYTES = 300_000_000
VIDEO_TYPES = ("video/mp4",)
MAX_LANGS = 3
# The Bluesky app's limits: alt text (MAX_ALT_TEXT in bluesky-social/social-app)
# and video length (3 minutes since app 1.99).
MAX_ALT_GRAPHEMES = 2000
MAX_VIDEO_SECONDS = 180


def part_problems(content: PostContent, where: str) -> list[Problem]:
    problems = []
    text = content.text or ""
    n = graphemes(text)
    if n > MAX_GRAPHEMES:
        problems.append(Problem(f"{where}text", f"Bluesky allows {MAX_GRAPHEMES} characters per post "
                                                f"(an emoji counts as one); this one has {n}."))
    elif utf8_len(text) > MAX_BYTES:
        problems.append(Problem(f"{where}text", f"This post is too long for Bluesky: its text takes "
                                                f"{utf8_len(text)} bytes and Bluesky stores at most {MAX_BYTES}. "
                                                "Shorten it, or use fewer emoji."))
    images = [m for m in content.media if m.kind == "image"]
    videos = [m for m in content.media if m.kind == "video"]
    if not text.strip() and not content.media:
        problems.append(Problem(f"{where}text", "A Bluesky post needs text, an image or a video."))
    if images and videos:
        problems.append(Problem(f"{where}media", "A Bluesky post carries images or one video, not both."))
    if len(images) > MAX_IMAGES:
        problems.append(Problem(f"{where}media", f"Bluesky takes up to {MAX_IMAGES} images per post; "
                                                 f"this one has {len(images)}."))
    if len(videos) > 1:
        problems.append(Problem(f"{where}media", f"Bluesky takes one video per post; this one has {len(videos)}."))
    for i, m in enumerate(content.media):
        problems.extend(_media_problems(m, f"{where}media[{i}]", i + 1))
    if content.link and not content.media:
        scheme = urllib.parse.urlsplit(content.link).scheme
        if scheme not in ("http", "https"):
            problems.append(Problem(f"{where}link", "The link must start with http:// or https://."))
    langs = content.options.get("langs") or []
    if len(langs) > MAX_LANGS:
        problems.append(Problem(f"{where}options.langs", f"Bluesky takes up to {MAX_LANGS} languages per post."))
    return problems


def _media_problems(m: Media, field: str, number: int) -> list[Problem]:
    problems = []
    alt = m.alt_text or ""
    if graphemes(alt) > MAX_ALT_GRAPHEMES:
        problems.append(Problem(field, f"The alt text of file {number} is longer than Bluesky's "
                                       f"{MAX_ALT_GRAPHEMES} characters."))
    if m.chunks is None:
        problems.append(Problem(field, f"File {number} has no content to upload."))
    if m.kind == "image":
        if not m.mime_type.startswith("image/"):
            problems.append(Problem(field, f"File {number} is marked as an image but is {m.mime_type}."))
        if m.size > MAX_IMAGE_BYTES:
            problems.append(_too_large(field, f"Image {number}", m.size, MAX_IMAGE_BYTES, "images"))
    elif m.kind == "video":
        if m.mime_type not in VIDEO_TYPES:
            problems.append(Problem(field, f"Bluesky takes video as MP4 only; file {number} is {m.mime_type}."))
        if m.size > MAX_VIDEO_BYTES:
            problems.append(_too_large(field, f"Video {number}", m.size, MAX_VIDEO_BYTES, "videos"))
        if m.duration_s is not None and m.duration_s > MAX_VIDEO_SECONDS:
            problems.append(Problem(field, f"Video {number} lasts {m.duration_s:.0f} s; Bluesky takes videos "
                                           f"up to {MAX_VIDEO_SECONDS // 60} minutes."))
    else:
        problems.append(Problem(field, f"File {number} is neither an image nor a video."))
    return problems


def _too_large(field: str, label: str, size: int, limit: int, kind: str) -> Problem:
    """Bluesky states its limits in bytes (the lexicons' maxSize), so they are
    worded in decimal megabytes with the exact count beside them, not with
    platforms.media.size_text, whose megabytes are binary."""
    return Problem(field, f"{label} is {size / 1e6:.1f} MB; Bluesky takes {kind} up to {limit / 1e6:.0f} MB "
                          f"({limit:,} bytes).")
