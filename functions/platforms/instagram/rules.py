"""What Instagram takes in a post, checked before anything is sent.

Limits, from Meta's Instagram Platform documentation: caption 2,200
characters (counted here in Unicode code points; Meta does not say how it
counts), 30 hashtags, 20 @ tags (every occurrence counted). Images JPEG only
(not MPO/JPS), 8 MB, aspect ratio 4:5 to 1.91:1 (width is rescaled to
320-1440 by Instagram). Reels MOV or MP4, 300 MB, 3 seconds to 15 minutes, at
most 1920 pixels wide, aspect ratio 0.01:1 to 10:1. Meta documents no separate
limits for carousel videos; the reel limits are applied to them. A carousel
has 2 to 10 items; `alt_text` (up to 1,000 characters) goes on images only.
Meta documents no length for a comment, so the caption's 2,200 characters are
applied to the first comment.
"""

import re

from platforms.base import PostContent, Problem
from platforms.media import MB
from platforms.meta_graph.containers import PulledMedia, pulled_media_problems

MAX_CAPTION = 2200
MAX_HASHTAGS = 30
MAX_MENTIONS = 20
MAX_CAROUSEL = 10  # a post of one item is a single post, so a carousel has 2 to 10
PULLED_MEDIA = PulledMedia(
    image_types=frozenset({"image/jpeg"}),
    image_type_refusal="Instagram takes JPEG images only, not {mime_type}; save it as a JPEG and try again.",
    max_image_bytes=8 * MB,
    image_ratio=(4 / 5, 1.91),
    image_ratio_refusal=("This image is too {shape} for Instagram ({width}x{height}); feed images go from 4:5 "
                         "(portrait) to 1.91:1 (landscape). Crop it and try again."),
    max_alt_text=1000,
    max_video_bytes=300 * MB,
    video_seconds=(3, 15 * 60),
    video_seconds_refusal="Videos on Instagram last from 3 seconds to 15 minutes; this one lasts {lasts}.",
    max_video_width=1920,
    video_ratio=(0.01, 10.0),
    video_ratio_refusal=("This video's shape is outside what Instagram accepts (0.01:1 to 10:1); 9:16 fills the "
                         "screen."),
)

_HASHTAG = re.compile(r"(?<![\w#])#\w+")
# Instagram usernames: letters, digits, periods and underscores. The look-behind
# keeps the host part of an email address from counting as a tag.
_MENTION = re.compile(r"(?<![\w@.])@[A-Za-z0-9._]*[A-Za-z0-9_]")


def hashtags_in(text: str) -> list[str]:
    return _HASHTAG.findall(text)


def mentions_in(text: str) -> list[str]:
    return _MENTION.findall(text)


def problems(content: PostContent) -> list[Problem]:
    """Every reason this post cannot go to Instagram; [] when it can."""
    found = _caption_problems(content.text, "text")
    if content.thread:
        found.append(Problem("thread", "Instagram has no threads: put the parts in the caption, or the "
                                       "images in one carousel."))
    if content.link:
        found.append(Problem("link", "Instagram shows no link cards and links in captions are not "
                                     "clickable; put the address in the caption or your bio."))
    if content.first_comment is not None:
        if not content.first_comment.strip():
            found.append(Problem("first_comment", "The first comment is empty."))
        elif len(content.first_comment) > MAX_CAPTION:
            found.append(Problem("first_comment", f"Instagram allows {MAX_CAPTION:,} characters in a comment; "
                                                  f"this one has {len(content.first_comment):,}."))
    media = content.media
    if not media:
        found.append(Problem("media", "An Instagram post needs at least one image or video."))
    elif len(media) > MAX_CAROUSEL:
        found.append(Problem("media", f"Instagram takes at most {MAX_CAROUSEL} images or videos in one "
                                      f"post; this one has {len(media)}."))
    for i, item in enumerate(media, start=1):
        found += pulled_media_problems("Instagram", item, f"media[{i}]", PULLED_MEDIA)
    share_to_feed = content.options.get("share_to_feed")
    if share_to_feed is not None:
        if not isinstance(share_to_feed, bool):
            found.append(Problem("options.share_to_feed", "share_to_feed is yes or no."))
        elif not (len(media) == 1 and media[0].kind == "video"):
            found.append(Problem("options.share_to_feed", "share_to_feed applies to reels (a post with "
                                                          "one video) only."))
    return found


def _caption_problems(text: str, field: str) -> list[Problem]:
    problems = []
    if len(text) > MAX_CAPTION:
        problems.append(Problem(field, f"Instagram allows {MAX_CAPTION:,} characters in a caption; this one has "
                                       f"{len(text):,}."))
    hashtags = len(hashtags_in(text))
    if hashtags > MAX_HASHTAGS:
        problems.append(Problem(field, f"Instagram allows {MAX_HASHTAGS} hashtags in a post; this one has "
                                       f"{hashtags}."))
    mentions = len(mentions_in(text))
    if mentions > MAX_MENTIONS:
        problems.append(Problem(field, f"Instagram allows {MAX_MENTIONS} @ tags in a post; this one has "
                                       f"{mentions}."))
    return problems
