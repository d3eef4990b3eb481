"""What each target network receives of a post, and whether it can take it.

A post keeps one base text (and media, thread parts, first comment, link) plus
optional per-account overrides of the text and network options. `content_for`
builds the platforms.base.PostContent one account gets; `problems_for` asks
that network's own validate, so the rules live in one place per network.
"""

from posts import media as posts_media
from posts.media import MediaRef


def content_for(post: dict, account_id: str, network: str):
    from platforms.base import PostContent

    override = (post.get("overrides") or {}).get(account_id) or {}
    options = dict(override.get("options") or {})

    def media(items):
        return [posts_media.to_media(MediaRef.from_doc(m), network) for m in items or []]

    thread = [PostContent(text=part.get("text") or "", media=media(part.get("media"))) for part in post.get("thread") or []]
    return PostContent(
        text=override.get("text") if override.get("text") is not None else post.get("text") or "",
        media=media(post.get("media")),
        thread=thread,
        first_comment=post.get("firstComment"),
        link=post.get("link"),
        options=options,
    )


def problems_for(post: dict, account_id: str, network: str) -> list[dict]:
    """Every reason this post cannot go to this account, as {field, message}."""
    import platforms

    platform = platforms.get(network)
    found = []
    if post.get("thread") and not platform.supports_threads:
        found.append({"field": "thread", "message": f"{platform.display_name} does not take threads; "
                                                    "remove the extra parts for this account."})
    if post.get("firstComment") and not platform.supports_first_comment:
        found.append({"field": "firstComment",
                      "message": f"{platform.display_name} does not take a first comment from postr."})
    if any(m.get("kind") == "video" for m in post.get("media") or []) and not platform.supports_video:
        found.append({"field": "media", "message": f"{platform.display_name} does not take videos from postr."})
    content = content_for(post, account_id, network)
    found += [{"field": p.field, "message": p.message} for p in platform.validate(content)]
    return found
