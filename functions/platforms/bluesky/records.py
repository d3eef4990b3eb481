"""A post as an app.bsky.feed.post record: links, mentions and hashtags as
facets with UTF-8 byte offsets (platforms.bluesky.richtext), images as
app.bsky.embed.images with alt text, one video as app.bsky.embed.video
(uploaded to the PDS; Bluesky processes it after the post appears), a link
card (app.bsky.embed.external) when a link is given without media. Records
are written with com.atproto.repo.createRecord; a post's id is its at:// URI."""

from dataclasses import dataclass

from kernel import clock
from platforms.base import Media, PostContent, Tokens
from platforms.bluesky.richtext import facets
from platforms.bluesky.xrpc import call, fail
from platforms.errors import Permanent

WEB_URL = "https://bsky.app"
POST = "app.bsky.feed.post"
UPLOAD_CHUNK = 256 * 1024


@dataclass(frozen=True)
class Ref:
    """A strong ref (com.atproto.repo.strongRef) to a written record."""

    uri: str
    cid: str

    def json(self) -> dict:
        return {"uri": self.uri, "cid": self.cid}


def split_uri(post_id: str) -> tuple[str, str, str]:
    """at://<did>/<collection>/<rkey> -> (did, collection, rkey)."""
    if not post_id.startswith("at://"):
        raise fail("That is not a Bluesky post id (at://...).")
    parts = post_id[len("at://"):].split("/")
    if len(parts) != 3 or not all(parts):
        raise fail("That is not a Bluesky post id (at://...).")
    return parts[0], parts[1], parts[2]


def post_url(post_id: str) -> str:
    """The public bsky.app address of a post (a DID in the path never goes stale)."""
    did, _, rkey = split_uri(post_id)
    return f"{WEB_URL}/profile/{did}/post/{rkey}"


def _now_iso() -> str:
    return clock.now().astimezone(clock.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record(tokens: Tokens, part: PostContent) -> dict:
    """The record of one part, its media uploaded and its mentions resolved."""
    out = {"$type": POST, "text": part.text or "", "createdAt": _now_iso()}
    found = facets(out["text"], lambda handle: _resolve_handle(tokens, handle))
    if found:
        out["facets"] = found
    if part.options.get("langs"):
        out["langs"] = list(part.options["langs"])
    embed = _embed(tokens, part)
    if embed:
        out["embed"] = embed
    return out


def create(tokens: Tokens, post: dict) -> Ref:
    answer = call("POST", tokens.extra["pds"], "com.atproto.repo.createRecord", token=tokens.access_token,
                  idempotent=False, body={"repo": tokens.extra["did"], "collection": POST, "record": post})
    return Ref(answer["uri"], answer["cid"])


def _embed(tokens: Tokens, part: PostContent) -> dict | None:
    images = [m for m in part.media if m.kind == "image"]
    videos = [m for m in part.media if m.kind == "video"]
    if images:
        return {"$type": "app.bsky.embed.images",
                "images": [_image(m, _upload(tokens, m)) for m in images]}
    if videos:
        m = videos[0]
        embed = {"$type": "app.bsky.embed.video", "video": _upload(tokens, m)}
        if m.alt_text:
            embed["alt"] = m.alt_text
        if m.width and m.height:
            embed["aspectRatio"] = {"width": m.width, "height": m.height}
        return embed
    if part.link:
        # A card without fetching the page (the server never fetches URLs for people).
        return {"$type": "app.bsky.embed.external", "external": {
            "uri": part.link,
            "title": part.options.get("link_title") or part.link,
            "description": part.options.get("link_description") or "",
        }}
    return None


def _image(m: Media, blob: dict) -> dict:
    image = {"image": blob, "alt": m.alt_text or ""}
    if m.width and m.height:
        image["aspectRatio"] = {"width": m.width, "height": m.height}
    return image


def _upload(tokens: Tokens, m: Media) -> dict:
    """com.atproto.repo.uploadBlob, streamed from the media's chunks."""
    import httpx

    try:
        answer = call("POST", tokens.extra["pds"], "com.atproto.repo.uploadBlob", token=tokens.access_token,
                      idempotent=True, content=m.chunks(UPLOAD_CHUNK),
                      headers={"Content-Type": m.mime_type, "Content-Length": str(m.size)})
    except httpx.LocalProtocolError:
        # The stream ended before (or ran past) the size it announced.
        raise fail("A media file could not be read whole; upload it again.", detail="size mismatch") from None
    return answer["blob"]


def _resolve_handle(tokens: Tokens, handle: str) -> str | None:
    try:
        return call("GET", tokens.extra["pds"], "com.atproto.identity.resolveHandle", idempotent=True,
                    params={"handle": handle})["did"]
    except Permanent:
        return None  # HandleNotFound / not a handle: the text stays plain
