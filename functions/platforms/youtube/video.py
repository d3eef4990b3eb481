"""What YouTube takes for a video, checked before anything is sent (title,
description, tags, status, the file and the thumbnail), and the video
resource videos.insert receives, built from a post."""

import datetime as _dt
import re

from platforms.base import Media, PostContent, Problem
from platforms.errors import Permanent
from platforms.media import size_text
from platforms.youtube.api import NAME

MAX_TITLE = 100
MAX_DESCRIPTION_BYTES = 5000
MAX_TAGS = 500
PRIVACY = ("public", "unlisted", "private")
DEFAULT_PRIVACY = "public"
MAX_VIDEO_BYTES = 274877906944  # 256 GB, the discovery document's maxSize
MAX_VIDEO_SECONDS = 12 * 3600
UNVERIFIED_MAX_SECONDS = 15 * 60
MAX_SHORT_SECONDS = 180
VIDEO_TYPES = {"video/mp4": "MP4", "video/quicktime": "MOV", "video/mpeg": "MPEG", "video/x-msvideo": "AVI",
               "video/x-ms-wmv": "WMV", "video/x-flv": "FLV", "video/3gpp": "3GPP", "video/webm": "WebM"}
THUMBNAIL_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}
MAX_THUMBNAIL_BYTES = 2097152
OPTIONS = {"title", "tags", "category_id", "privacy", "publish_at", "made_for_kids", "notify_subscribers",
           "short", "thumbnail"}

VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")


# --- the video resource ---------------------------------------------------------------------

def description(content: PostContent) -> str:
    return content.text_with_link()


def video_resource(content: PostContent) -> dict:
    options = content.options
    snippet: dict = {"title": options["title"], "description": description(content)}
    if options.get("tags"):
        snippet["tags"] = list(options["tags"])
    if options.get("category_id") is not None:
        snippet["categoryId"] = str(options["category_id"])
    status: dict = {"privacyStatus": options.get("privacy") or DEFAULT_PRIVACY}
    if options.get("publish_at") is not None:
        status["publishAt"] = _publish_at(options["publish_at"]).astimezone(_dt.timezone.utc) \
            .strftime("%Y-%m-%dT%H:%M:%SZ")
    if options.get("made_for_kids") is not None:
        status["selfDeclaredMadeForKids"] = options["made_for_kids"]
    return {"snippet": snippet, "status": status}


def video_url(video_id: str, *, short: bool) -> str:
    return f"https://www.youtube.com/shorts/{video_id}" if short else f"https://www.youtube.com/watch?v={video_id}"


def _publish_at(value) -> _dt.datetime | None:
    if isinstance(value, str):
        try:
            value = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        return value
    return None


# --- validation ---------------------------------------------------------------------------

def tags_length(tags: list[str]) -> int:
    """The tags' length as YouTube counts it: commas between tags count, and a
    tag with a space counts as if wrapped in quotes ("Foo Baz" is 9)."""
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + max(len(tags) - 1, 0)


def check_title(title) -> list[Problem]:
    if not isinstance(title, str) or not title.strip():
        return [Problem("options.title", "A YouTube video needs a title.")]
    problems = []
    if len(title) > MAX_TITLE:
        problems.append(Problem("options.title", f"The title is {len(title)} characters; YouTube allows {MAX_TITLE}."))
    if "<" in title or ">" in title:
        problems.append(Problem("options.title", "YouTube does not accept < or > in a title."))
    return problems


def check_description(text: str) -> list[Problem]:
    problems = []
    size = len(text.encode("utf-8"))
    if size > MAX_DESCRIPTION_BYTES:
        problems.append(Problem("text", (
            f"The description is {size:,} bytes in UTF-8 (accented letters take 2, most emoji 4); "
            f"YouTube allows {MAX_DESCRIPTION_BYTES:,}.")))
    if "<" in text or ">" in text:
        problems.append(Problem("text", "YouTube does not accept < or > in a description."))
    return problems


def check_tags(tags) -> list[Problem]:
    if tags is None:
        return []
    if not isinstance(tags, (list, tuple)) or not all(isinstance(t, str) and t.strip() for t in tags):
        return [Problem("options.tags", "Tags must be a list of words or phrases, none of them empty.")]
    length = tags_length(list(tags))
    if length > MAX_TAGS:
        return [Problem("options.tags", (
            f"The tags come to {length} characters as YouTube counts them (each comma between tags counts, and "
            f"a tag with a space counts 2 more for its quotes); YouTube allows {MAX_TAGS}."))]
    return []


def check_status(options: dict) -> list[Problem]:
    problems = []
    privacy = options.get("privacy")
    if privacy is not None and privacy not in PRIVACY:
        problems.append(Problem("options.privacy", "Privacy on YouTube must be public, unlisted or private."))
    if options.get("publish_at") is not None:
        if _publish_at(options["publish_at"]) is None:
            problems.append(Problem("options.publish_at", "The publishing time must be a date and time with its "
                                                          "time zone."))
        if privacy != "private":
            problems.append(Problem("options.publish_at", (
                "A video YouTube publishes at a set time must be uploaded as private (YouTube makes it public "
                "then); set privacy to private.")))
    category = options.get("category_id")
    if category is not None and not (isinstance(category, (str, int)) and str(category).isdigit()):
        problems.append(Problem("options.category_id", "The YouTube category must be a category number, like 22."))
    for key, label in (("made_for_kids", "Made for kids"), ("notify_subscribers", "Notify subscribers"),
                       ("short", "Short")):
        if options.get(key) is not None and not isinstance(options[key], bool):
            problems.append(Problem(f"options.{key}", f"{label} must be true or false."))
    return problems


def check_video(items: list[Media], *, short) -> list[Problem]:
    if len(items) != 1 or items[0].kind != "video":
        return [Problem("media", "A YouTube post is exactly one video (a thumbnail goes in options.thumbnail).")]
    video = items[0]
    problems = []
    if video.mime_type not in VIDEO_TYPES:
        problems.append(Problem("media[0]", (
            f"The video is {video.mime_type}; YouTube takes MP4, MOV, MPEG, AVI, WMV, FLV, 3GPP or WebM files.")))
    if video.size <= 0:
        problems.append(Problem("media[0]", "The video file is empty."))
    elif video.size > MAX_VIDEO_BYTES:
        problems.append(Problem("media[0]", f"The video is {size_text(video.size)}; YouTube takes files up to 256 GB."))
    if video.chunks is None:
        problems.append(Problem("media[0]", "The video has no file data to upload to YouTube."))
    seconds = video.duration_s
    if seconds is not None and seconds > MAX_VIDEO_SECONDS:
        problems.append(Problem("media[0]", f"The video lasts {_duration(seconds)}; YouTube takes up to 12 hours."))
    if short is True:
        if not (video.width and video.height) or seconds is None:
            problems.append(Problem("options.short", (
                "To publish a Short, postr needs the video's width, height and length to check it qualifies.")))
        else:
            if video.width > video.height:
                problems.append(Problem("options.short", (
                    f"The video is {video.width}x{video.height}, wider than tall; a YouTube Short is square or "
                    "vertical.")))
            if seconds > MAX_SHORT_SECONDS:
                problems.append(Problem("options.short", (
                    f"The video lasts {_duration(seconds)}; a YouTube Short lasts at most 3 minutes.")))
    return problems


def check_thumbnail(image) -> list[Problem]:
    if not isinstance(image, Media) or image.kind != "image":
        return [Problem("options.thumbnail", "The thumbnail must be an image.")]
    problems = []
    if image.mime_type not in THUMBNAIL_TYPES:
        problems.append(Problem("options.thumbnail", f"The thumbnail is {image.mime_type}; YouTube takes JPEG or "
                                                     "PNG thumbnails."))
    if image.size <= 0:
        problems.append(Problem("options.thumbnail", "The thumbnail file is empty."))
    elif image.size > MAX_THUMBNAIL_BYTES:
        problems.append(Problem("options.thumbnail", f"The thumbnail is {size_text(image.size)}; YouTube takes "
                                                     "thumbnails up to 2 MB."))
    if image.chunks is None:
        problems.append(Problem("options.thumbnail", "The thumbnail has no file data to upload."))
    return problems


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def check_video_id(video_id: str) -> None:
    if not VIDEO_ID.fullmatch(video_id or ""):
        raise Permanent(NAME, "That is not a YouTube video id.", detail="bad video id")

