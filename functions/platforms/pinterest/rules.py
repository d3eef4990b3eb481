"""What a Pin may carry, checked before anything is sent: the board, the
title, description, alt text and link lengths (JSON Schema maxLength values,
which count code points), and the media Pinterest's product specs take."""

import urllib.parse

from platforms.base import Media, PostContent, Problem
from platforms.pinterest.api import is_id

MAX_TITLE = 100
MAX_DESCRIPTION = 800
MAX_ALT_TEXT = 500
MAX_LINK = 2048
MAX_CAROUSEL = 5
IMAGE_TYPES = {"image/jpeg", "image/png"}
MAX_IMAGE_BYTES = 20 * 1000 * 1000  # "20 MB", read the strict way
VIDEO_TYPES = {"video/mp4": "mp4", "video/quicktime": "mov", "video/x-m4v": "m4v"}
MAX_VIDEO_BYTES = 2 * 1000 * 1000 * 1000  # "up to 2GB"
MIN_VIDEO_SECONDS, MAX_VIDEO_SECONDS = 4, 15 * 60
MIN_VIDEO_RATIO, MAX_VIDEO_RATIO = 1 / 2, 1.91  # width / height


def is_web_address(value) -> bool:
    if not isinstance(value, str):
        return False
    parts = urllib.parse.urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def problems(content: PostContent) -> list[Problem]:
    found: list[Problem] = []
    options = content.options or {}
    if content.thread:
        found.append(Problem("thread", "Pinterest has no threads: publish each part as its own Pin."))
    if content.first_comment:
        found.append(Problem("first_comment", "Pinterest's API cannot add comments, so there is no first "
                                              "comment on Pinterest; put it in the description instead."))
    found += _board_problems(options)
    title = options.get("title")
    if title is not None and not isinstance(title, str):
        found.append(Problem("options.title", "The Pin title must be text."))
    elif title and len(title) > MAX_TITLE:
        found.append(Problem("options.title", f"The Pin title is {len(title):,} characters long and Pinterest "
                                              f"allows {MAX_TITLE}; remove {len(title) - MAX_TITLE:,}."))
    length = len(content.text or "")
    if length > MAX_DESCRIPTION:
        found.append(Problem("text", f"The Pin description is {length:,} characters long and Pinterest allows "
                                     f"{MAX_DESCRIPTION}; remove {length - MAX_DESCRIPTION:,}."))
    if content.link is not None:
        if not is_web_address(content.link):
            found.append(Problem("link", "The Pin's link must be a web address starting with http:// or "
                                         "https://."))
        elif len(content.link) > MAX_LINK:
            found.append(Problem("link", f"The Pin's link is {len(content.link):,} characters long and "
                                         f"Pinterest allows {MAX_LINK:,}."))
    found += _media_problems(content.media, options)
    return found


def _board_problems(options: dict) -> list[Problem]:
    found = []
    board, section = options.get("board_id"), options.get("board_section_id")
    if not board:
        found.append(Problem("options.board_id", "Choose the Pinterest board this Pin goes on."))
    elif not is_id(board):
        found.append(Problem("options.board_id", "That is not a Pinterest board id; choose the board again."))
    if section is not None and not is_id(section):
        found.append(Problem("options.board_section_id", "That is not a Pinterest board section id; choose "
                                                         "the section again."))
    return found


def _media_problems(media: list[Media], options: dict) -> list[Problem]:
    found: list[Problem] = []
    images = [m for m in media if m.kind == "image"]
    videos = [m for m in media if m.kind == "video"]
    if not media:
        found.append(Problem("media", "A Pinterest Pin needs an image or a video."))
    if len(videos) > 1:
        found.append(Problem("media", f"A Pinterest Pin takes one video; this one has {len(videos)}."))
    if videos and len(images) > 1:
        found.append(Problem("media", "A Pinterest video Pin takes one video and at most one image, its "
                                      f"cover; this one has {len(images)} images."))
    if not videos and len(images) > MAX_CAROUSEL:
        found.append(Problem("media", f"A Pinterest Pin takes up to {MAX_CAROUSEL} images (a carousel); "
                                      f"this one has {len(images)}."))
    for number, item in enumerate(media, 1):
        found += _item_problems(number, item)
    if not videos and len(images) > 1:
        found += _carousel_problems(media)
    if videos and not images:
        found += _cover_problems(options)
    return found


def _item_problems(number: int, item: Media) -> list[Problem]:
    where = f"media[{number - 1}]"
    label = f"{'Image' if item.kind == 'image' else 'Video'} {number}"
    found = []
    if item.chunks is None and not (item.kind == "image" and item.url):
        found.append(Problem(where, f"{label} has no file to upload."))
    if item.alt_text and len(item.alt_text) > MAX_ALT_TEXT:
        found.append(Problem(where, f"The alt text of {label.lower()} is {len(item.alt_text):,} characters; "
                                    f"Pinterest allows {MAX_ALT_TEXT}."))
    if item.kind == "image":
        if item.mime_type not in IMAGE_TYPES:
            found.append(Problem(where, f"{label} is {item.mime_type}; Pinterest takes PNG or JPEG images."))
        if item.size > MAX_IMAGE_BYTES:
            found.append(Problem(where, f"{label} is {item.size:,} bytes; Pinterest takes images of up to 20 MB."))
        return found
    if item.mime_type not in VIDEO_TYPES:
        found.append(Problem(where, f"{label} is {item.mime_type}; Pinterest takes MP4, MOV or M4V videos."))
    if item.size > MAX_VIDEO_BYTES:
        found.append(Problem(where, f"{label} is {item.size:,} bytes; Pinterest takes videos of up to 2 GB."))
    if item.duration_s is not None and not MIN_VIDEO_SECONDS <= item.duration_s <= MAX_VIDEO_SECONDS:
        found.append(Problem(where, f"{label} lasts {item.duration_s:g} seconds; Pinterest takes videos from "
                                    "4 seconds to 15 minutes."))
    if item.width and item.height and not MIN_VIDEO_RATIO <= item.width / item.height <= MAX_VIDEO_RATIO:
        found.append(Problem(where, f"{label} is {item.width}x{item.height} pixels; Pinterest takes videos "
                                    "from 1:2 (tall) to 1.91:1 (wide). Crop it to 1:1, 2:3, 4:5 or 9:16."))
    return found


def _carousel_problems(media: list[Media]) -> list[Problem]:
    found = []
    for number, item in enumerate(media, 1):
        if not item.url:
            found.append(Problem(f"media[{number - 1}]", f"Image {number} has no web address; Pinterest "
                                                         "fetches every image of a carousel itself."))
    # One alt text serves the whole carousel (its items have no alt text field).
    alts = {m.alt_text for m in media if m.alt_text}
    if len(alts) > 1:
        found.append(Problem("media", "Pinterest takes one alt text for a whole carousel: give every image "
                                      "the same alt text, or write it on the first image only."))
    return found


def _cover_problems(options: dict) -> list[Problem]:
    url, frame = options.get("cover_image_url"), options.get("cover_image_key_frame_time")
    if url is not None and not is_web_address(url):
        return [Problem("options.cover_image_url", "The video's cover must be a web address starting with "
                                                   "http:// or https://.")]
    if frame is not None and (isinstance(frame, bool) or not isinstance(frame, int) or frame < 0):
        return [Problem("options.cover_image_key_frame_time", "The cover frame must be a whole number of "
                                                               "seconds into the video.")]
    if url is None and frame is None:
        return [Problem("media", "A Pinterest video Pin needs a cover: add an image after the video, or choose "
                                 "a moment of the video as the cover.")]
    return []
