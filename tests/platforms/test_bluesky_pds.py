"""Bluesky end to end, against the real reference server: @atproto/pds with a
local PLC directory on 127.0.0.1 (tools/bluesky-pds, fixture `bluesky_pds`).

Accounts are created on it as a person would (createAccount, then an app
password in settings); the Bluesky module signs in with the app password,
posts, and every record is read back with com.atproto.repo.* (there is no
AppView here, so nothing app.bsky.* can be read), then deleted.
"""

import struct
import zlib

import httpx
import pytest
from platform_media import media_from_bytes

from platforms.base import AppCredentials, PostContent
from platforms.bluesky import PLATFORM
from platforms.errors import AuthExpired, Permanent, RateLimited

APP = AppCredentials(client_id="")


def png(width: int, height: int, padding: int) -> bytes:
    """A real PNG (grey pixels), padded with a text chunk so its upload spans several chunks."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + b"\x80\x80\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"Comment\0" + b"p" * padding) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


IMAGE = png(3, 2, 600_000)  # about 600 KB: three 256 KiB pieces when streamed

# "Ça" 2+1 | " va?" 4 | " " 1 | "🇫🇷" (two regional indicators of 4) 8 | " " 1 | "東京" 6 | " " 1: 24 bytes;
# "@bob.test" 24..33 | " " | "#東京" (1+6) 34..41 | " " | "https://example.com/t?x=1" (25) 42..67 | "!" 68.
TEXT = "Ça va? 🇫🇷 東京 @bob.test #東京 https://example.com/t?x=1!"


def get_record(pds, uri: str) -> httpx.Response:
    did, collection, rkey = uri.removeprefix("at://").split("/")
    return pds.xrpc("GET", "com.atproto.repo.getRecord", params={"repo": did, "collection": collection, "rkey": rkey})


def list_posts(pds, did: str) -> dict[str, dict]:
    r = pds.xrpc("GET", "com.atproto.repo.listRecords",
                 params={"repo": did, "collection": "app.bsky.feed.post", "limit": 100})
    assert r.status_code == 200, r.text
    return {rec["uri"]: rec for rec in r.json()["records"]}


@pytest.fixture(scope="module")
def alice(bluesky_pds):
    return bluesky_pds.create_account("alice")


@pytest.fixture(scope="module")
def bob(bluesky_pds):
    return bluesky_pds.create_account("bob")


@pytest.fixture(scope="module")
def tokens(bluesky_pds, alice):
    return PLATFORM.sign_in("alice.test", bluesky_pds.app_password(alice), bluesky_pds.url)


def test_sign_in_with_an_app_password(bluesky_pds, alice, tokens):
    assert tokens.extra["did"] == alice["did"] and tokens.extra["handle"] == "alice.test"
    assert tokens.extra["pds"] == bluesky_pds.url  # this PDS sends no didDoc with sessions
    assert tokens.scopes == ["com.atproto.appPass"] and tokens.expires_at is not None
    r = bluesky_pds.xrpc("GET", "com.atproto.server.getSession", tokens.access_token)
    assert r.status_code == 200 and r.json()["did"] == alice["did"]


def test_the_account_password_is_refused(bluesky_pds, alice):
    with pytest.raises(Permanent, match="account password"):
        PLATFORM.sign_in("alice.test", "account-pw-123", bluesky_pds.url)
    with pytest.raises(Permanent, match="did not accept"):
        PLATFORM.sign_in("alice.test", "not-the-password", bluesky_pds.url)


def test_post_with_image_alt_text_and_facets(bluesky_pds, alice, bob, tokens):
    content = PostContent(text=TEXT, media=[media_from_bytes(IMAGE, alt_text="Grey pixels, 3 by 2",
                                                             width=3, height=2)])
    published = PLATFORM.publish(tokens, content)
    rkey = published.post_id.rsplit("/", 1)[1]
    assert published.post_id == f"at://{alice['did']}/app.bsky.feed.post/{rkey}"
    assert published.url == f"https://bsky.app/profile/{alice['did']}/post/{rkey}"

    r = get_record(bluesky_pds, published.post_id)
    assert r.status_code == 200, r.text
    record = r.json()["value"]
    assert record["text"] == TEXT
    assert record["facets"] == [
        {"index": {"byteStart": 24, "byteEnd": 33},
         "features": [{"$type": "app.bsky.richtext.facet#mention", "did": bob["did"]}]},
        {"index": {"byteStart": 34, "byteEnd": 41},
         "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "東京"}]},
        {"index": {"byteStart": 42, "byteEnd": 67},
         "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/t?x=1"}]},
    ]
    raw = TEXT.encode()
    assert raw[24:33] == b"@bob.test" and raw[34:41] == "#東京".encode() and raw[42:67] == b"https://example.com/t?x=1"

    (image,) = record["embed"]["images"]
    assert record["embed"]["$type"] == "app.bsky.embed.images"
    assert image["alt"] == "Grey pixels, 3 by 2" and image["aspectRatio"] == {"width": 3, "height": 2}
    assert image["image"]["mimeType"] == "image/png" and image["image"]["size"] == len(IMAGE)
    blob = bluesky_pds.xrpc("GET", "com.atproto.sync.getBlob",
                            params={"did": alice["did"], "cid": image["image"]["ref"]["$link"]})
    assert blob.status_code == 200 and blob.content == IMAGE  # streamed up whole

    assert PLATFORM.metrics(tokens, published.post_id).likes is None  # no AppView here: unknown, not 0

    PLATFORM.delete(tokens, published.post_id)
    assert get_record(bluesky_pds, published.post_id).json()["error"] == "RecordNotFound"
    assert published.post_id not in list_posts(bluesky_pds, alice["did"])


def test_two_part_thread_with_a_first_comment(bluesky_pds, alice, tokens):
    content = PostContent(text="A thread 🧵 1/2", thread=[PostContent(text="2/2, the end")],
                          first_comment="First comment")
    published = PLATFORM.publish(tokens, content)
    posts = list_posts(bluesky_pds, alice["did"])
    root, part, comment = (posts[u] for u in (published.post_id, published.part_ids[0], published.comment_id))
    root_ref = {"uri": root["uri"], "cid": root["cid"]}
    assert "reply" not in root["value"]
    assert part["value"]["text"] == "2/2, the end"
    assert part["value"]["reply"] == {"root": root_ref, "parent": root_ref}
    assert comment["value"]["text"] == "First comment"
    assert comment["value"]["reply"] == {"root": root_ref, "parent": root_ref}

    for uri in (published.comment_id, *published.part_ids, published.post_id):
        PLATFORM.delete(tokens, uri)
    remaining = list_posts(bluesky_pds, alice["did"])
    assert not {published.post_id, published.part_ids[0], published.comment_id} & set(remaining)
    for uri in (published.post_id, published.part_ids[0], published.comment_id):
        assert get_record(bluesky_pds, uri).json()["error"] == "RecordNotFound"


def test_link_card_video_and_unresolved_mention(bluesky_pds, alice, tokens):
    card = PLATFORM.publish(tokens, PostContent(text="hi @nobody.test, read this", link="https://example.com/a",
                                                options={"link_title": "An article"}))
    mp4 = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom" + b"\0" * 2000
    clip = media_from_bytes(mp4, kind="video", mime_type="video/mp4", alt_text="A clip", width=16, height=9)
    video = PLATFORM.publish(tokens, PostContent(text="watch", media=[clip]))

    card_record = get_record(bluesky_pds, card.post_id).json()["value"]
    assert "facets" not in card_record  # @nobody.test does not resolve on this server
    assert card_record["embed"] == {"$type": "app.bsky.embed.external", "external": {
        "uri": "https://example.com/a", "title": "An article", "description": ""}}
    video_embed = get_record(bluesky_pds, video.post_id).json()["value"]["embed"]
    assert video_embed["$type"] == "app.bsky.embed.video" and video_embed["alt"] == "A clip"
    assert video_embed["video"]["mimeType"] == "video/mp4" and video_embed["video"]["size"] == len(mp4)
    for published in (card, video):
        PLATFORM.delete(tokens, published.post_id)


def test_profile_without_an_appview_comes_from_the_repository(bluesky_pds, alice, tokens):
    avatar = png(1, 1, 10)
    up = bluesky_pds.xrpc("POST", "com.atproto.repo.uploadBlob", alice["accessJwt"], content=avatar,
                          headers={"Content-Type": "image/png"})
    put = bluesky_pds.xrpc("POST", "com.atproto.repo.putRecord", alice["accessJwt"], json={
        "repo": alice["did"], "collection": "app.bsky.actor.profile", "rkey": "self",
        "record": {"$type": "app.bsky.actor.profile", "displayName": "Alice Ünicode", "avatar": up.json()["blob"]}})
    assert put.status_code == 200, put.text
    p = PLATFORM.profile(tokens)
    assert (p.account_id, p.handle, p.display_name, p.followers_count) == (
        alice["did"], "alice.test", "Alice Ünicode", None)
    assert httpx.get(p.avatar_url, timeout=10).content == avatar


def test_invalid_post_writes_nothing(bluesky_pds, alice, tokens):
    before = list_posts(bluesky_pds, alice["did"])
    with pytest.raises(Permanent, match="300 characters"):
        PLATFORM.publish(tokens, PostContent(text="é" * 301))
    assert list_posts(bluesky_pds, alice["did"]) == before


def test_refresh_then_revoke(bluesky_pds, alice):
    session = PLATFORM.sign_in("alice.test", bluesky_pds.app_password(alice, "postr-refresh"), bluesky_pds.url)
    fresh = PLATFORM.refresh(APP, session)
    assert fresh.refresh_token != session.refresh_token
    assert bluesky_pds.xrpc("GET", "com.atproto.server.getSession", fresh.access_token).status_code == 200
    assert PLATFORM.revoke(APP, fresh) is True
    with pytest.raises(AuthExpired):  # the server answers ExpiredToken "Token has been revoked"
        PLATFORM.refresh(APP, fresh)


def test_an_expired_access_token_needs_a_refresh(bluesky_pds, alice, tokens):
    from dataclasses import replace

    expired = replace(tokens, access_token=bluesky_pds.expired_access_token(alice["did"]))
    before = list_posts(bluesky_pds, alice["did"])
    with pytest.raises(AuthExpired) as err:
        PLATFORM.publish(tokens=expired, content=PostContent(text="too late"))
    assert err.value.status == 400 and "ExpiredToken" in err.value.detail
    assert list_posts(bluesky_pds, alice["did"]) == before


def test_rate_limited_sign_in(bluesky_pds):
    from concurrent.futures import ThreadPoolExecutor

    # The PDS allows 30 sign-in attempts per identifier and address in 5 minutes;
    # each refused one takes it a while, so the 30 go in parallel.
    def attempt(_):
        return bluesky_pds.xrpc("POST", "com.atproto.server.createSession",
                                json={"identifier": "mallory.test", "password": "guess"}).status_code

    with ThreadPoolExecutor(10) as pool:
        assert set(pool.map(attempt, range(30))) == {401}
    with pytest.raises(RateLimited) as err:
        PLATFORM.sign_in("mallory.test", "guess", bluesky_pds.url)
    assert err.value.status == 429 and 0 < err.value.retry_after <= 300
