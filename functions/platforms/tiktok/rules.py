"""What a TikTok post may be, checked before anything is sent.

The limits are TikTok's documented ones (developers.tiktok.com: Direct Post,
Upload, Photo Post and Media Transfer Guide references, and the Content
Sharing Guidelines an app is audited against):
- a video post is one video: MP4, WebM or MOV, up to 4 GB, 360 to 4096 pixels
  a side, and at most 10 minutes ("the longest video a developer can send");
  Direct Post also holds it to the creator's own `max_video_post_duration_sec`
  (checked by the module once creator info is in). No aspect ratio is
  documented, so none is imposed. Frame rate (23-60 fps) and codec are not in
  `Media`; TikTok reports them after upload (frame_rate_check_failed,
  file_format_check_failed).
- a photo post is 1 to 35 JPEG or WebP photos, up to 20 MB each and "maximum
  1080p" (read here as at most 1920 x 1080, either way round), pulled by
  TikTok from https addresses.
- a video caption (`post_info.title`) is at most 2,200 UTF-16 units; a photo
  post has a title of 90 and a description of 4,000.
- the video upload to the inbox (`/inbox/video/init/`) takes the file alone:
  no caption or settings, the person adds them in TikTok.
- privacy: the person chooses; the guidelines say "there should be no default
  value", so a Direct Post without `privacy_level` is refused here, never
  guessed. Branded content cannot be private ("only me").
- interactions: "Users must manually turn on these interaction settings and
  none should be checked by default", so comments, Duets and Stitches are
  allowed only when the options say so.

Options (PostContent.options), all optional but `privacy_level` for a Direct Post:
  post_mode: "DIRECT_POST" (default) or "MEDIA_UPLOAD" (to the person's TikTok inbox)
  privacy_level: PUBLIC_TO_EVERYONE | MUTUAL_FOLLOW_FRIENDS | FOLLOWER_OF_CREATOR | SELF_ONLY
  allow_comment, allow_duet, allow_stitch: bool (Duet and Stitch: videos only)
  brand_organic_toggle ("your brand"), brand_content_toggle ("paid partnership"), is_aigc: bool
  source: "FILE_UPLOAD" or "PULL_FROM_URL" (videos; default PULL_FROM_URL when the
      media has a URL, as TikTok asks of files already on the app's servers)
  video_cover_timestamp_ms: int (videos)
  title, photo_cover_index, auto_add_music: photo posts
"""

from platforms.base import Media, PostContent, Problem
from platforms.media import GB, MB, size_text

DIRECT, INBOX = "DIRECT_POST", "MEDIA_UPLOAD"
FILE_UPLOAD, PULL_FROM_URL = "FILE_UPLOAD", "PULL_FROM_URL"

PRIVACY_LABELS = {"PUBLIC_TO_EVERYONE": "Everyone", "MUTUAL_FOLLOW_FRIENDS": "Friends",
                  "FOLLOWER_OF_CREATOR": "Followers", "SELF_ONLY": "Only me"}

VIDEO_TYPES = {"video/mp4": "MP4", "video/quicktime": "MOV", "video/webm": "WebM"}
PHOTO_TYPES = {"image/jpeg": "JPEG", "image/webp": "WebP"}
MAX_VIDEO_BYTES = 4 * GB
MAX_VIDEO_SECONDS = 600
MIN_SIDE, MAX_SIDE = 360, 4096
MAX_PHOTOS = 35
MAX_PHOTO_BYTES = 20 * MB
MAX_PHOTO_LONG, MAX_PHOTO_SHORT = 1920, 1080
MAX_VIDEO_CAPTION = 2200
MAX_PHOTO_TITLE = 90
MAX_PHOTO_DESCRIPTION = 4000

_BOOLS = ("allow_comment", "allow_duet", "allow_stitch", "brand_organic_toggle", "brand_content_toggle",
          "is_aigc", "auto_add_music")
_INTS = ("video_cover_timestamp_ms", "photo_cover_index")
# Which options each kind of post takes (TikTok's request bodies decide).
_ALLOWED = {
    ("video", DIRECT): {"post_mode", "privacy_level", "allow_comment", "allow_duet", "allow_stitch",
                        "brand_organic_toggle", "brand_content_toggle", "is_aigc", "video_cover_timestamp_ms",
                        "source"},
    ("video", INBOX): {"post_mode", "source"},
    ("photo", DIRECT): {"post_mode", "privacy_level", "allow_comment", "brand_organic_toggle",
                        "brand_content_toggle", "is_aigc", "auto_add_music", "title", "photo_cover_index"},
    ("photo", INBOX): {"post_mode", "is_aigc", "title", "photo_cover_index"},
}
_KNOWN = set().union(*_ALLOWED.values())


def utf16_length(text: str) -> int:
    """Length as TikTok counts it ("UTF-16 runes")."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def mode(content: PostContent) -> str:
    return content.options.get("post_mode") or DIRECT


def kind(content: PostContent) -> str:
    return "photo" if content.media and all(m.kind == "image" for m in content.media) else "video"


def source(content: PostContent) -> str:
    """How a video reaches TikTok: the person's choice, else PULL_FROM_URL when
    there is a URL (TikTok: "If video resources are already on API Clients'
    servers, do not use FILE_UPLOAD"), else the bytes themselves."""
    chosen = content.options.get("source")
    if chosen:
        return chosen
    return PULL_FROM_URL if content.media and content.media[0].url else FILE_UPLOAD


def caption(content: PostContent) -> str:
    """The text as posted: TikTok has no link field, so a link joins the text."""
    return content.text_with_link()


def problems(content: PostContent) -> list[Problem]:
    """Every reason this post cannot go to TikTok, before anything is sent."""
    found: list[Problem] = []
    if content.thread:
        found.append(Problem("thread", "TikTok has no threads or reply chains; post the parts separately."))
    if content.first_comment:
        found.append(Problem("first_comment", "TikTok's API cannot post comments, so a first comment cannot go "
                                              "to TikTok; add it in the TikTok app after the post is up."))
    found += _option_problems(content)
    found += _media_problems(content)
    found += _text_problems(content)
    return found


def _option_problems(content: PostContent) -> list[Problem]:
    options = content.options
    found = []
    post_mode = options.get("post_mode", DIRECT)
    if post_mode not in (DIRECT, INBOX):
        found.append(Problem("options.post_mode", "post_mode on TikTok is DIRECT_POST (post to the profile) or "
                                                  "MEDIA_UPLOAD (send to your TikTok inbox to finish there)."))
        post_mode = DIRECT
    allowed = _ALLOWED[(kind(content), post_mode)]
    what = {("video", DIRECT): "a video posted directly", ("video", INBOX): "a video sent to the TikTok inbox",
            ("photo", DIRECT): "photos posted directly", ("photo", INBOX): "photos sent to the TikTok inbox"}
    for key, value in options.items():
        field = f"options.{key}"
        if key not in _KNOWN:
            found.append(Problem(field, f"TikTok has no option '{key}'."))
        elif key not in allowed:
            found.append(Problem(field, f"'{key}' does not apply to {what[(kind(content), post_mode)]} on TikTok."))
        elif key in _BOOLS and not isinstance(value, bool):
            found.append(Problem(field, f"'{key}' must be true or false."))
        elif key in _INTS and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            found.append(Problem(field, f"'{key}' must be a whole number, 0 or more."))
        elif key == "privacy_level" and value not in PRIVACY_LABELS:
            found.append(Problem(field, "Who can see the TikTok post must be one of: " + _choices(PRIVACY_LABELS)
                                        + "."))
        elif key == "source" and value not in (FILE_UPLOAD, PULL_FROM_URL):
            found.append(Problem(field, "source on TikTok is FILE_UPLOAD (postr sends the file) or PULL_FROM_URL "
                                        "(TikTok downloads it)."))
        elif key == "title" and (not isinstance(value, str) or utf16_length(value) > MAX_PHOTO_TITLE):
            found.append(Problem(field, f"A TikTok photo post's title is text of at most {MAX_PHOTO_TITLE} "
                                        "characters (as TikTok counts them, UTF-16)."))
    if post_mode == DIRECT and "privacy_level" not in options:
        found.append(Problem("options.privacy_level", "Choose who can see this TikTok post (TikTok asks people to "
                                                      "choose; postr does not pick for you): "
                                                      + _choices(PRIVACY_LABELS) + ", as your account allows."))
    if options.get("brand_content_toggle") is True and options.get("privacy_level") == "SELF_ONLY":
        found.append(Problem("options.privacy_level", "Branded content (a paid partnership) cannot be private on "
                                                      "TikTok; choose Everyone, Friends or Followers."))
    cover = options.get("photo_cover_index")
    if isinstance(cover, int) and not isinstance(cover, bool) and content.media and cover >= len(content.media):
        found.append(Problem("options.photo_cover_index", f"The cover is photo {cover + 1}, but the post has "
                                                          f"{len(content.media)}."))
    return found


def _media_problems(content: PostContent) -> list[Problem]:
    items = content.media
    if not items:
        return [Problem("media", "A TikTok post needs a video or photos.")]
    videos = [m for m in items if m.kind == "video"]
    if videos and len(items) > 1:
        return [Problem("media", f"TikTok takes one video, or up to {MAX_PHOTOS} photos, per post; this post has "
                                 f"{len(videos)} video(s) and {len(items) - len(videos)} other file(s).")]
    if len(items) > MAX_PHOTOS:
        return [Problem("media", f"TikTok takes at most {MAX_PHOTOS} photos per post; this post has {len(items)}.")]
    if videos:
        return _video_problems(videos[0], source(content))
    found = []
    if content.options.get("source"):
        found.append(Problem("options.source", "TikTok only pulls photos from their addresses; 'source' applies "
                                               "to videos."))
    for i, media in enumerate(items):
        found += _photo_problems(media, f"media[{i}]", f"Photo {i + 1}")
    return found


def _video_problems(media: Media, how: str) -> list[Problem]:
    field, found = "media[0]", []
    if media.mime_type not in VIDEO_TYPES:
        return [Problem(field, f"The video is {media.mime_type}; TikTok takes MP4, WebM or MOV.")]
    if media.size <= 0:
        found.append(Problem(field, "The video is empty."))
    elif media.size > MAX_VIDEO_BYTES:
        found.append(Problem(field, f"The video is {size_text(media.size)}; TikTok takes videos up to 4 GB."))
    if media.duration_s is None:
        found.append(Problem(field, "postr needs the video's length to check it against TikTok's limits; "
                                    "upload it again so its length is read."))
    elif media.duration_s > MAX_VIDEO_SECONDS:
        found.append(Problem(field, f"The video lasts {media.duration_s:g} seconds; TikTok takes videos of up "
                                    f"to {MAX_VIDEO_SECONDS // 60} minutes from apps."))
    for side, value in (("wide", media.width), ("high", media.height)):
        if value is not None and not MIN_SIDE <= value <= MAX_SIDE:
            found.append(Problem(field, f"The video is {value} pixels {side}; TikTok takes {MIN_SIDE} to "
                                        f"{MAX_SIDE} pixels each way."))
    if how == FILE_UPLOAD and media.chunks is None:
        found.append(Problem(field, "The video has no file data for postr to send to TikTok."))
    if how == PULL_FROM_URL:
        found += _url_problems(media, field, "The video")
    return found


def _photo_problems(media: Media, field: str, label: str) -> list[Problem]:
    if media.mime_type not in PHOTO_TYPES:
        return [Problem(field, f"{label} is {media.mime_type}; TikTok takes JPEG or WebP photos.")]
    found = []
    if media.size <= 0:
        found.append(Problem(field, f"{label} is empty."))
    elif media.size > MAX_PHOTO_BYTES:
        found.append(Problem(field, f"{label} is {size_text(media.size)}; TikTok takes photos up to 20 MB."))
    if media.width and media.height:
        long, short = max(media.width, media.height), min(media.width, media.height)
        if long > MAX_PHOTO_LONG or short > MAX_PHOTO_SHORT:
            found.append(Problem(field, f"{label} is {media.width}x{media.height}; TikTok takes photos up to "
                                        "1080p (1920x1080 either way round)."))
    return found + _url_problems(media, field, label)


def _url_problems(media: Media, field: str, label: str) -> list[Problem]:
    # TikTok pulls over https only and follows no redirects.
    if not media.url:
        return [Problem(field, f"{label} has no address for TikTok to download it from.")]
    if not media.url.startswith("https://"):
        return [Problem(field, f"{label}'s address must be https for TikTok to download it.")]
    return []


def _text_problems(content: PostContent) -> list[Problem]:
    text = caption(content)
    if kind(content) == "photo":
        limit, what = MAX_PHOTO_DESCRIPTION, "A TikTok photo post's description"
    elif mode(content) == INBOX:
        if text.strip():
            return [Problem("text", "A video sent to the TikTok inbox cannot carry a caption (TikTok takes the "
                                    "file alone); remove the text and add it in the TikTok app, or post directly.")]
        return []
    else:
        limit, what = MAX_VIDEO_CAPTION, "A TikTok caption"
    length = utf16_length(text)
    if length > limit:
        return [Problem("text", f"{what} is {length} characters as TikTok counts them (UTF-16: most emoji count "
                                f"2); TikTok allows {limit}.")]
    return []


def _choices(labels: dict[str, str]) -> str:
    return ", ".join(f"{label} ({key})" for key, label in labels.items())
