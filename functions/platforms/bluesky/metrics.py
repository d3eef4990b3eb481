"""Likes, reposts and replies from Bluesky's AppView, reached through the PDS
(app.bsky.feed.getPosts, which takes up to 25 `uris`, repeated, and leaves out
posts it does not show). A PDS with no AppView configured says so: the
metrics are then all None. Bluesky gives no views."""

from platforms.base import Metrics, Tokens, split_post_ids
from platforms.bluesky.records import split_uri
from platforms.bluesky.xrpc import NO_APPVIEW, call, fail
from platforms.errors import Permanent

# app.bsky.feed.getPosts takes at most 25 `uris` (the lexicon's maxLength).
MAX_GET_POSTS = 25


def post_metrics(tokens: Tokens, post_id: str) -> Metrics:
    split_uri(post_id)
    views = _post_views(tokens, post_id)
    if views is None:
        return Metrics()
    for view in views:
        if view.get("uri") == post_id:
            return _metrics(view)
    raise _gone()


def many_metrics(tokens: Tokens, post_ids: list[str]) -> dict[str, Metrics | Permanent]:
    """Up to 25 posts in one getPosts (`uris` repeated); a post the AppView
    does not show is simply absent from "posts"."""
    wanted, out = split_post_ids(post_ids, split_uri, MAX_GET_POSTS, "Bluesky")
    if not wanted:
        return out
    views = _post_views(tokens, wanted)
    if views is None:
        return {**out, **{uri: Metrics() for uri in wanted}}
    found = {view.get("uri"): view for view in views if isinstance(view, dict)}
    for uri in wanted:
        out[uri] = _metrics(found[uri]) if uri in found else _gone()
    return out


def _post_views(tokens: Tokens, uris: str | list[str]) -> list | None:
    """getPosts' postViews of `uris`; None when the PDS has no AppView."""
    try:
        answer = call("GET", tokens.extra["pds"], "app.bsky.feed.getPosts", token=tokens.access_token,
                      idempotent=True, params={"uris": uris})
    except Permanent as exc:
        if NO_APPVIEW in (exc.detail or ""):
            return None
        raise
    return answer.get("posts") or []


def _metrics(view: dict) -> Metrics:
    """A postView's counts, the same for one post or many; Bluesky gives no views."""
    return Metrics(likes=view.get("likeCount"), reposts=view.get("repostCount"), replies=view.get("replyCount"),
                   views=None)


def _gone() -> Permanent:
    return fail("Bluesky no longer shows this post; it may have been deleted.", detail="not in getPosts")
