"""A TikTok post's numbers (`POST /v2/video/query/`, scope video.list).

TikTok shows counts of public videos only, so a private, deleted or not yet
public post has none. A post id is TikTok's public video id, or a publish_id
when TikTok gave no public id while postr waited; the latter is first turned
into its video id by reading the post's status.
"""

import re

from platforms.base import Metrics, Tokens
from platforms.errors import Permanent
from platforms.tiktok import api
from platforms.tiktok.api import JSON, NAME
from platforms.tiktok.publish import PUBLISH_ID

VIDEO_FIELDS = "id,like_count,comment_count,share_count,view_count"
# video/query takes at most 20 video ids a request.
BATCH = 20

_VIDEO_ID = re.compile(r"[0-9]{1,20}")


def many(tokens: Tokens, post_ids: list[str]) -> dict[str, Metrics | Permanent]:
    """The numbers of up to 20 posts with one video/query (a publish id is
    first turned into its public video id, one status read each)."""
    ids = list(dict.fromkeys(post_ids))
    if len(ids) > BATCH:
        raise ValueError(f"TikTok takes at most {BATCH} video ids a request.")
    if tokens.scopes and "video.list" not in tokens.scopes:
        return {post_id: Metrics() for post_id in ids}
    out: dict[str, Metrics | Permanent] = {}
    video_of: dict[str, str] = {}
    for post_id in ids:
        try:
            video_id = _video_id(tokens, post_id)
        except Permanent as err:
            out[post_id] = err
            continue
        if video_id is None:
            out[post_id] = Metrics()  # not public (yet): TikTok shows no counts
        else:
            video_of[post_id] = video_id
    if video_of:
        wanted = list(dict.fromkeys(video_of.values()))
        data = api.call("POST", "/v2/video/query/", tokens, action="read the posts' numbers on TikTok",
                        params={"fields": VIDEO_FIELDS}, json={"filters": {"video_ids": wanted}},
                        headers={"Content-Type": JSON})
        videos = {str(v.get("id")): v for v in data.get("videos") or []}
        for post_id, video_id in video_of.items():
            out[post_id] = _video_metrics(videos.get(video_id))
    return out


def _video_id(tokens: Tokens, post_id: str) -> str | None:
    """The public video id of a post id (a video id, or a publish id TikTok
    has made public); None while it is not public."""
    if _VIDEO_ID.fullmatch(post_id or ""):
        return post_id
    if not PUBLISH_ID.fullmatch(post_id or ""):
        raise Permanent(NAME, "That is not a TikTok post id.", detail="bad post id")
    status = api.status(tokens, post_id)
    public = status.get("publicaly_available_post_id") or []
    if status.get("status") != "PUBLISH_COMPLETE" or not public:
        return None
    return str(public[0])


def _video_metrics(video: dict | None) -> Metrics:
    """A video/query entry as Metrics; a video left out (not public) has no counts."""
    if video is None:
        return Metrics()

    def count(key: str) -> int | None:
        value = video.get(key)
        return value if isinstance(value, int) else None

    return Metrics(likes=count("like_count"), reposts=count("share_count"), replies=count("comment_count"),
                   views=count("view_count"))
