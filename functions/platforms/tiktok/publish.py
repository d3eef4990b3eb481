"""A post to TikTok: the init request for a video or photos, then following
the post until TikTok has it out.

- Direct Post: `POST /v2/post/publish/creator_info/query/` (privacy_level_options,
  comment/duet/stitch_disabled, max_video_post_duration_sec), then
  `/v2/post/publish/video/init/` {post_info, source_info}. Inbox:
  `/v2/post/publish/inbox/video/init/` {source_info}. Photos:
  `/v2/post/publish/content/init/` {media_type: PHOTO, post_mode, post_info,
  source_info: PULL_FROM_URL, photo_images, photo_cover_index}.
- `POST /v2/post/publish/status/fetch/` {publish_id}: PROCESSING_UPLOAD,
  PROCESSING_DOWNLOAD, SEND_TO_USER_INBOX, PUBLISH_COMPLETE or FAILED with a
  fail_reason; `publicaly_available_post_id` (TikTok's spelling) comes only
  once a public post passed moderation (usually within a minute, sometimes
  hours); `uploaded_bytes`; 30 requests a minute per token.
"""

import re
from collections.abc import Callable

from platforms.base import PostContent, Problem, Published, Tokens
from platforms.errors import AuthExpired, OutcomeUnknown, Permanent, PlatformError, Transient
from platforms.tiktok import api, rules, upload
from platforms.tiktok.api import JSON, NAME

PUBLISH_ID = re.compile(r"[A-Za-z0-9_.~-]{1,64}")


def creator_info(tokens: Tokens) -> dict:
    """TikTok's guidelines: read the creator's current settings before each
    post (and stop when they do not allow it: `creator_problems`)."""
    return api.call("POST", "/v2/post/publish/creator_info/query/", tokens,
                    action="read your TikTok posting settings", headers={"Content-Type": JSON})


def send_video(tokens: Tokens, content: PostContent, mode: str, creator: dict | None, *,
               sleep: Callable[[float], None]) -> str:
    media = content.media[0]
    body: dict = {}
    if mode == rules.DIRECT:
        body["post_info"] = _video_post_info(content, creator or {})
        path = "/v2/post/publish/video/init/"
    else:
        path = "/v2/post/publish/inbox/video/init/"
    if rules.source(content) == rules.PULL_FROM_URL:
        body["source_info"] = {"source": rules.PULL_FROM_URL, "video_url": media.url}
        # TikTok starts fetching, then posting, once it answers: a lost
        # answer may still become a post.
        data = api.call("POST", path, tokens, action="send the video to TikTok", idempotent=False,
                        json=body, headers={"Content-Type": JSON})
        return _publish_id(data, sent=True)
    chunk_size, count = upload.chunk_plan(media.size)
    body["source_info"] = {"source": rules.FILE_UPLOAD, "video_size": media.size, "chunk_size": chunk_size,
                           "total_chunk_count": count}
    # Nothing is posted before every byte arrives, so a lost answer here
    # leaves only an empty upload behind: safe to try again.
    data = api.call("POST", path, tokens, action="start the video upload to TikTok", json=body,
                    headers={"Content-Type": JSON})
    publish_id = _publish_id(data, sent=False)
    upload_url = data.get("upload_url")
    if not isinstance(upload_url, str) or not upload_url.startswith(upload.upload_schemes()):
        raise Transient(NAME, "TikTok did not give an upload address; will retry.", detail=publish_id)
    upload.send(tokens, publish_id, upload_url, media, chunk_size, count, sleep=sleep)
    return publish_id


def init_photos(tokens: Tokens, content: PostContent, mode: str, creator: dict | None) -> str:
    options = content.options
    post_info: dict = {"description": rules.caption(content)} if rules.caption(content) else {}
    if options.get("title"):
        post_info["title"] = options["title"]
    if mode == rules.DIRECT:
        post_info.update({
            "privacy_level": options["privacy_level"],
            "disable_comment": (not options.get("allow_comment", False)
                                or bool((creator or {}).get("comment_disabled"))),
            "auto_add_music": options.get("auto_add_music", False),
            "brand_content_toggle": options.get("brand_content_toggle", False),
            "brand_organic_toggle": options.get("brand_organic_toggle", False),
        })
    body = {"media_type": "PHOTO", "post_mode": mode, "post_info": post_info,
            "source_info": {"source": rules.PULL_FROM_URL, "photo_images": [m.url for m in content.media],
                            "photo_cover_index": options.get("photo_cover_index", 0)}}
    if "is_aigc" in options:
        body["is_aigc"] = options["is_aigc"]
    data = api.call("POST", "/v2/post/publish/content/init/", tokens, action="send the photos to TikTok",
                    idempotent=False, json=body, headers={"Content-Type": JSON})
    return _publish_id(data, sent=True)


def await_post(tokens: Tokens, publish_id: str, content: PostContent, creator: dict | None, *,
               poll_delays: tuple[float, ...], sleep: Callable[[float], None]) -> Published:
    """Follow the post until TikTok has it out (or in the inbox). The post
    is TikTok's from here: a failure says so and may be retried; anything
    else (still processing, a lost status answer) returns the publish_id,
    never an error that would send it twice."""
    inbox = rules.mode(content) == rules.INBOX
    public = content.options.get("privacy_level") == "PUBLIC_TO_EVERYONE"
    for delay in poll_delays:
        sleep(delay)
        try:
            data = api.status(tokens, publish_id)
        except PlatformError as exc:
            _log_unfinished(publish_id, f"status check failed: {type(exc).__name__}")
            return Published(post_id=publish_id, url=None)
        status = data.get("status")
        if status == "FAILED":
            raise _failure(data.get("fail_reason"), publish_id)
        if inbox and status in ("SEND_TO_USER_INBOX", "PUBLISH_COMPLETE"):
            return Published(post_id=publish_id, url=None)
        if status == "PUBLISH_COMPLETE":
            ids = data.get("publicaly_available_post_id") or []
            if ids:
                return Published(post_id=str(ids[0]), url=_post_url(creator, str(ids[0])))
            if not public:
                return Published(post_id=publish_id, url=None)  # private posts get no public id
    _log_unfinished(publish_id, "still processing")
    return Published(post_id=publish_id, url=None)


def require_scope(tokens: Tokens, scope: str, action: str) -> None:
    if tokens.scopes and scope not in tokens.scopes:
        raise AuthExpired(NAME, f"postr does not have your permission to {action}; reconnect TikTok and allow it.",
                          detail=f"scope {scope} not granted")


def _video_post_info(content: PostContent, creator: dict) -> dict:
    options = content.options
    # An interaction the account has turned off stays off (TikTok enforces it too).
    info = {
        "privacy_level": options["privacy_level"],
        "disable_comment": not options.get("allow_comment", False) or bool(creator.get("comment_disabled")),
        "disable_duet": not options.get("allow_duet", False) or bool(creator.get("duet_disabled")),
        "disable_stitch": not options.get("allow_stitch", False) or bool(creator.get("stitch_disabled")),
        "brand_content_toggle": options.get("brand_content_toggle", False),
        "brand_organic_toggle": options.get("brand_organic_toggle", False),
    }
    if rules.caption(content):
        info["title"] = rules.caption(content)
    for key in ("is_aigc", "video_cover_timestamp_ms"):
        if key in options:
            info[key] = options[key]
    return info


def creator_problems(content: PostContent, creator: dict) -> list[Problem]:
    found = []
    allowed = [o for o in creator.get("privacy_level_options") or [] if o in rules.PRIVACY_LABELS]
    chosen = content.options.get("privacy_level")
    if chosen not in allowed:
        offered = ", ".join(f"{rules.PRIVACY_LABELS[o]} ({o})" for o in allowed) or "none"
        found.append(Problem("options.privacy_level", (
            f"Your TikTok account does not offer '{rules.PRIVACY_LABELS.get(chosen, chosen)}' right now; "
            f"choose one it offers: {offered}.")))
    longest = creator.get("max_video_post_duration_sec")
    video = content.media[0]
    if video.kind == "video" and isinstance(longest, int) and (video.duration_s or 0) > longest:
        found.append(Problem("media[0]", (
            f"The video lasts {video.duration_s:g} seconds; your TikTok account can post videos of up to "
            f"{longest} seconds.")))
    return found


def _publish_id(data: dict, *, sent: bool) -> str:
    publish_id = data.get("publish_id")
    if isinstance(publish_id, str) and PUBLISH_ID.fullmatch(publish_id):
        return publish_id
    if sent:
        raise OutcomeUnknown(NAME, "TikTok answered without the post's id; it may be on TikTok.")
    raise Transient(NAME, "TikTok did not start the upload; will retry.")


def _post_url(creator: dict | None, video_id: str) -> str | None:
    # The form of TikTok's own share_url.
    username = (creator or {}).get("creator_username")
    return f"https://www.tiktok.com/@{username}/video/{video_id}" if username else None


def _log_unfinished(publish_id: str, why: str) -> None:
    from kernel import log

    log.warn("tiktok post handed over before TikTok finished it", publishId=publish_id, reason=why)


# fail_reason -> (class, message), from the Get Post Status reference.
_FAILURES = {
    "file_format_check_failed": (Permanent, "TikTok could not read the file: it takes MP4, WebM or MOV video (H.264, "
                                            "H.265, VP8 or VP9) and JPEG or WebP photos."),
    "duration_check_failed": (Permanent, "TikTok refused the video's length for this account."),
    "frame_rate_check_failed": (Permanent, "TikTok takes videos of 23 to 60 frames per second; export the video "
                                           "again at a frame rate in that range."),
    "picture_size_check_failed": (Permanent, "TikTok refused the picture size: videos take 360 to 4096 pixels a "
                                             "side, photos up to 1080p."),
    "internal": (Transient, "TikTok had a temporary problem processing the post; postr will retry."),
    "video_pull_failed": (Transient, "TikTok could not download the video from postr; postr will retry."),
    "photo_pull_failed": (Transient, "TikTok could not download the photos from postr; postr will retry."),
    "publish_cancelled": (Permanent, "The post was cancelled before TikTok finished it."),
    "auth_removed": (AuthExpired, "postr's access to your TikTok account was removed while posting; reconnect "
                                  "TikTok to post again."),
    # The same refusals as the API's error codes of the same names.
    "spam_risk_too_many_posts": api.API_ERRORS["spam_risk_too_many_posts"],
    "spam_risk_user_banned_from_posting": api.API_ERRORS["spam_risk_user_banned_from_posting"],
    "spam_risk_text": (Permanent, "TikTok refused the caption as risky or spammy; change the words and post again."),
    "spam_risk": (Permanent, "TikTok's safety checks refused this post."),
}


def _failure(reason, publish_id: str) -> PlatformError:
    reason = str(reason or "unknown")
    cls, message = _FAILURES.get(reason, (Permanent, f"TikTok could not publish the post ({reason})."))
    return api.coded(cls, message, retry_after=None, detail=f"publish {publish_id} FAILED: {reason}")
