"""What a Facebook Page post may hold, checked before anything is sent: its
text (UTF-16 units), a link, photos or one video, a video title and the first
comment."""

from platforms.base import Media, PostContent, Problem
from platforms.media import GB, MB, size_text

# Meta documents no limit for a Page post's text; 63,206 characters is the
# limit Facebook's own composer enforces and every scheduler cites. We count
# UTF-16 units (an emoji counts 2), as a JavaScript composer does, so nothing we
# accept is refused for length.
MAX_TEXT = 63206
# Meta documents no maximum for `attached_media`; ours keeps a publish to a
# bounded number of uploads (one request per photo).
MAX_PHOTOS = 10
# Facebook's own refusal reads "Photos should be less than 4 MB and saved as
# JPG, PNG, GIF, TIFF, HEIF or WebP files"; the Photo reference allows 10 MB and
# BMP. We hold to the stricter size so no photo we accept is refused.
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/tiff", "image/heif", "image/heic", "image/webp",
               "image/bmp"}
MAX_IMAGE_BYTES = 4 * MB
# Facebook fetches these from a link (file_url); the Resumable Upload API takes
# only video/mp4 among video types.
VIDEO_URL_TYPES = {"video/mp4", "video/quicktime", "video/x-m4v"}
VIDEO_UPLOAD_TYPES = {"video/mp4"}
MAX_VIDEO_BYTES = 10 * GB
MAX_VIDEO_SECONDS = 240 * 60
MIN_VIDEO_RATIO, MAX_VIDEO_RATIO = 9 / 16, 16 / 9
MAX_TITLE = 255


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def uploads(media: Media) -> bool:
    """Bytes go up through the Resumable Upload API when we have them and it
    takes the type; otherwise Facebook fetches the file from its link."""
    return media.chunks is not None and media.mime_type in VIDEO_UPLOAD_TYPES


def problems(content: PostContent) -> list[Problem]:
    """Every reason this post cannot go to a Facebook Page; [] when it can."""
    found: list[Problem] = []
    if content.thread:
        found.append(Problem("thread", "Facebook Pages have no threads: publish the parts as separate posts, "
                                       "or join them into one post."))
    length = utf16_length(content.text)
    if length > MAX_TEXT:
        found.append(Problem("text", f"Facebook allows {MAX_TEXT:,} characters (an emoji counts as 2); "
                                     f"this text counts {length:,}."))
    if not content.text.strip() and not content.media and not content.link:
        found.append(Problem("text", "A Facebook post needs some text, a link, a photo or a video."))
    if content.link is not None:
        found += _link_problems(content.link)
        if content.media:
            found.append(Problem("link", "Facebook shows a link preview only on posts without photos or "
                                         "video; put the link in the text instead."))
    found += _media_problems(content.media)
    title = content.options.get("title")
    if title is not None:
        if not content.media or content.media[0].kind != "video":
            found.append(Problem("options.title", "Only a video has a title on Facebook."))
        elif not isinstance(title, str) or len(title) > MAX_TITLE:
            found.append(Problem("options.title", f"A video title is text of at most {MAX_TITLE} characters."))
    if content.first_comment is not None:
        if not content.first_comment.strip():
            found.append(Problem("first_comment", "The first comment is empty."))
        elif utf16_length(content.first_comment) > MAX_TEXT:
            found.append(Problem("first_comment", f"A comment on Facebook can be at most {MAX_TEXT:,} "
                                                  "characters."))
    return found


def _link_problems(link: str) -> list[Problem]:
    import urllib.parse

    parts = urllib.parse.urlsplit(link.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return [Problem("link", "The link must be a web address starting with http:// or https://.")]
    return []


def _media_problems(media: list[Media]) -> list[Problem]:
    problems: list[Problem] = []
    videos = [m for m in media if m.kind == "video"]
    if videos and len(media) > 1:
        problems.append(Problem("media", "A Facebook post carries one video, or photos, not both or several videos."))
    elif len(media) > MAX_PHOTOS:
        problems.append(Problem("media", f"postr publishes at most {MAX_PHOTOS} photos in one Facebook post; "
                                         f"this one has {len(media)}."))
    for i, item in enumerate(media, start=1):
        label = f"media[{i}]"
        if item.kind == "image":
            problems += _image_problems(item, label)
        elif item.kind == "video":
            problems += _video_problems(item, label)
        else:
            problems.append(Problem(label, f"Facebook takes photos and videos, not {item.kind}."))
    return problems


def _image_problems(media: Media, label: str) -> list[Problem]:
    problems = []
    if media.mime_type not in IMAGE_TYPES:
        problems.append(Problem(label, f"Facebook takes JPG, PNG, GIF, TIFF, HEIF, WebP or BMP photos, "
                                       f"not {media.mime_type}."))
    if media.size <= 0:
        problems.append(Problem(label, "This photo is empty."))
    elif media.size > MAX_IMAGE_BYTES:
        problems.append(Problem(label, f"Photos on Facebook must be under 4 MB; this one is "
                                       f"{size_text(media.size)}."))
    if media.url is None and media.chunks is None:
        problems.append(Problem(label, "This photo has neither a link nor file data to send to Facebook."))
    return problems


def _video_problems(media: Media, label: str) -> list[Problem]:
    problems = []
    if media.mime_type not in VIDEO_URL_TYPES:
        problems.append(Problem(label, f"Facebook takes MP4 or MOV videos, not {media.mime_type}."))
    elif media.url is None and media.chunks is None:
        problems.append(Problem(label, "This video has neither a link nor file data to send to Facebook."))
    elif media.url is None and not uploads(media):
        problems.append(Problem(label, "Facebook's upload takes MP4 only: convert this video to MP4, or give "
                                       "Facebook a link to fetch it from."))
    if media.size <= 0:
        problems.append(Problem(label, "This video is empty."))
    elif media.size > MAX_VIDEO_BYTES:
        problems.append(Problem(label, f"Videos on Facebook can be at most 10 GB; this one is "
                                       f"{size_text(media.size)}."))
    if media.duration_s is not None and not 0 < media.duration_s <= MAX_VIDEO_SECONDS:
        problems.append(Problem(label, f"Videos on Facebook last up to 240 minutes; this one lasts "
                                       f"{media.duration_s / 60:.0f} minutes."))
    if media.width and media.height and not MIN_VIDEO_RATIO <= media.width / media.height <= MAX_VIDEO_RATIO:
        problems.append(Problem(label, f"This video is {media.width}x{media.height}; Facebook takes shapes from "
                                       "9:16 (tall) to 16:9 (wide)."))
    return problems
