"""Bluesky: counting and facets against hand-checked cases, validation, and the
contract with a PDS (requests we send, documented answers we parse, each error
class) on the fake in tools/fakes/bluesky.py. The same flows run against the real
reference PDS in test_bluesky_pds.py."""

import datetime as dt

import pytest
from platform_media import media_from_bytes

import platforms
from fakes.base import Reply
from kernel import clock
from platforms.base import AppCredentials, Media, PostContent, Tokens
from platforms.bluesky import PLATFORM, post_url
from platforms.bluesky.richtext import detect, graphemes, utf8_len
from platforms.errors import AuthExpired, Permanent, RateLimited, Transient

APP = AppCredentials(client_id="")
NOW = dt.datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=dt.timezone.utc)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
FAMILY = "\U0001F468\u200D\U0001F469\u200D\U0001F467"  # man ZWJ woman ZWJ girl: 4+3+4+3+4 = 18 bytes
E_COMBINING = "e\u0301"  # e + combining acute: one grapheme, two code points, 3 bytes


@pytest.fixture
def tokens(bluesky_fake):
    return PLATFORM.sign_in(bluesky_fake.HANDLE, bluesky_fake.APP_PASSWORD, bluesky_fake.url)


def sent(fake, nsid):
    return fake.received(path=f"/xrpc/{nsid}")


# --- counting and facets (hand-checked) -------------------------------------------

# Byte offsets worked out by hand, piece by piece:
#   "Cafe\u0301" 4+2=6 | " " 7 | "☕️" (U+2615 3 + U+FE0F 3) 13 | " " 14 | "日本語" 3x3 23 | " " 24
#   "@bob.bsky.social" 24..40 | " see " 45 | "https://example.com/a?b=1" (25) 45..70 | "." 71 | " " 72
#   "#旅行" (1+3+3) 72..79 | " " 80 | "👩🏽‍💻" (4+4+3+4) 80..95 | " " 96 | "#dev" 96..100 | "!" 101
RICH = "Cafe\u0301 \u2615\ufe0f 日本語 @bob.bsky.social see https://example.com/a?b=1. #旅行 \U0001F469\U0001F3FD\u200D\U0001F4BB #dev!"


def test_length_is_counted_in_graphemes_and_utf8_bytes():
    # 4 (Café) +1 +1 (☕️) +1 +3 +1 +16 (mention) +5 +26 (URL and '.') +1 +3 (#旅行) +1 +1 (👩🏽‍💻) +1 +5 (#dev!)
    assert graphemes(RICH) == 70
    assert utf8_len(RICH) == 101
    assert graphemes(E_COMBINING) == 1 and graphemes(FAMILY) == 1 and graphemes("\U0001F1EB\U0001F1F7") == 1
    assert graphemes("日本語") == 3


def test_facets_carry_utf8_byte_offsets():
    spans = [(s.kind, s.byte_start, s.byte_end, s.value) for s in detect(RICH)]
    assert spans == [
        ("mention", 24, 40, "bob.bsky.social"),
        ("link", 45, 70, "https://example.com/a?b=1"),
        ("tag", 72, 79, "旅行"),
        ("tag", 96, 100, "dev"),
    ]
    raw = RICH.encode()
    assert raw[24:40] == b"@bob.bsky.social" and raw[72:79] == "#旅行".encode() and raw[96:100] == b"#dev"


@pytest.mark.parametrize("text, expected", [
    # a full-width hash starts a tag too: "＃" is 3 bytes
    ("x ＃全角", [("tag", 2, 11, "全角")]),
    # digits alone, a keycap emoji, a '#' inside a word: not tags
    ("#123 #\ufe0f\u20e3 a#b", []),
    # a closing parenthesis belongs to the URL only when it opened one
    ("(https://ex.com/x) https://en.wikipedia.org/wiki/A_(b)",
     [("link", 1, 17, "https://ex.com/x"), ("link", 19, 54, "https://en.wikipedia.org/wiki/A_(b)")]),
    # emails and bare words are not mentions; a mention after '(' is
    ("mail a@b.com (@carol.test)", [("mention", 14, 25, "carol.test")]),
    # reserved TLDs are never resolved (@atproto/syntax DISALLOWED_TLDS)
    ("@printer.local @x.example", []),
    # combining marks before a tag shift its bytes, not its graphemes
    (E_COMBINING * 3 + " #tag", [("tag", 10, 14, "tag")]),
    # 64 graphemes is the longest tag (lexicon app.bsky.richtext.facet#tag); 65 is plain text
    ("#" + "a" * 64, [("tag", 0, 65, "a" * 64)]),
    ("#" + "a" * 65, []),
    ("#" + "🐱" * 64, [("tag", 0, 257, "🐱" * 64)]),  # 128 UTF-16 units, 64 graphemes
    # cashtags are tags, with their "$"; bare domains with a real TLD are links
    ("$AAPL at example.com", [("tag", 0, 5, "$AAPL"), ("link", 9, 20, "https://example.com")]),
])
def test_facet_edge_cases(text, expected):
    assert [(s.kind, s.byte_start, s.byte_end, s.value) for s in detect(text)] == expected


# --- validation -------------------------------------------------------------------

def image(size=len(PNG), **kw):
    data = PNG if size == len(PNG) else b"\0" * size
    return media_from_bytes(data, **kw)


@pytest.mark.parametrize("text", [
    E_COMBINING * 300,  # 300 graphemes, 600 code points
    "日" * 300,  # 900 bytes
    FAMILY * 166,  # 166 graphemes, 2,988 bytes
])
def test_texts_within_the_limits_pass(text):
    assert PLATFORM.validate(PostContent(text=text)) == []


@pytest.mark.parametrize("text, words", [
    (E_COMBINING * 301, "300 characters"),
    ("a" * 301, "this one has 301"),
    (FAMILY * 167, "3006 bytes"),  # 167 graphemes but 3,006 bytes
])
def test_over_long_texts_are_refused(text, words):
    problems = PLATFORM.validate(PostContent(text=text))
    assert len(problems) == 1 and problems[0].field == "text" and words in problems[0].message


def test_every_media_problem_is_reported():
    content = PostContent(text="hi", media=[
        image(), image(), image(),
        image(size=2_000_001),
        Media(kind="image", mime_type="application/pdf", size=10, chunks=lambda n: iter([b"x"])),
        image(alt_text="a" * 2001),
    ])
    messages = [p.message for p in PLATFORM.validate(content)]
    assert "Bluesky takes up to 4 images per post; this one has 6." in messages
    assert any("Image 4 is 2.0 MB; Bluesky takes images up to 2 MB (2,000,000 bytes)" in m for m in messages)
    assert "File 5 is marked as an image but is application/pdf." in messages
    assert "The alt text of file 6 is longer than Bluesky's 2000 characters." in messages


def test_video_rules():
    video = media_from_bytes(b"\0" * 100, kind="video", mime_type="video/mp4", duration_s=30)
    assert PLATFORM.validate(PostContent(text="v", media=[video])) == []
    problems = PLATFORM.validate(PostContent(text="v", media=[
        video, media_from_bytes(b"\0", kind="video", mime_type="video/quicktime", duration_s=181), image()]))
    messages = " | ".join(p.message for p in problems)
    assert "images or one video, not both" in messages
    assert "one video per post; this one has 2" in messages
    assert "MP4 only; file 2 is video/quicktime" in messages
    assert "lasts 181 s; Bluesky takes videos up to 3 minutes" in messages


def test_thread_parts_and_comment_are_checked_too():
    content = PostContent(text="ok", thread=[PostContent(text="x" * 301), PostContent(text="")],
                          first_comment="y" * 400)
    fields = [p.field for p in PLATFORM.validate(content)]
    assert fields == ["thread[0].text", "thread[1].text", "first_comment.text"]


def test_invalid_post_sends_nothing(bluesky_fake, tokens):
    before = len(bluesky_fake.requests)
    with pytest.raises(Permanent) as err:
        PLATFORM.publish(tokens, PostContent(text="a" * 301, media=[image(size=2_000_001)]))
    assert "this one has 301" in err.value.message and "2,000,000 bytes" in err.value.message
    assert len(bluesky_fake.requests) == before


# --- connecting -------------------------------------------------------------------

def test_registry_and_interface():
    assert platforms.get("bluesky") is PLATFORM
    assert PLATFORM.uses_oauth is False and PLATFORM.supports_threads and PLATFORM.supports_first_comment
    for call in (lambda: PLATFORM.authorization_url(APP, state="s", redirect_uri="https://x"),
                 lambda: PLATFORM.exchange_code(APP, code="c", redirect_uri="https://x")):
        with pytest.raises(Permanent, match="app password"):
            call()


def test_sign_in_opens_a_session_with_an_app_password(bluesky_fake):
    tokens = PLATFORM.sign_in(" @alice.bsky.social ", bluesky_fake.APP_PASSWORD, bluesky_fake.url + "/")
    (req,) = sent(bluesky_fake, "com.atproto.server.createSession")
    assert req.method == "POST" and req.headers["content-type"] == "application/json"
    assert req.json == {"identifier": "alice.bsky.social", "password": bluesky_fake.APP_PASSWORD}
    assert tokens.access_token in bluesky_fake.access and tokens.refresh_token in bluesky_fake.refresh
    assert tokens.scopes == ["com.atproto.appPass"]
    assert tokens.expires_at is not None and tokens.expires_at > dt.datetime.now(dt.timezone.utc)
    assert tokens.extra == {"did": bluesky_fake.DID, "handle": bluesky_fake.HANDLE,
                            "service": bluesky_fake.url, "pds": bluesky_fake.url}


def test_the_accounts_own_pds_comes_from_its_did_document(bluesky_fake):
    bluesky_fake.did_doc_endpoint = "https://morel.us-east.host.bsky.network"
    tokens = PLATFORM.sign_in(bluesky_fake.HANDLE, bluesky_fake.APP_PASSWORD, bluesky_fake.url)
    assert tokens.extra["pds"] == "https://morel.us-east.host.bsky.network"
    bluesky_fake.did_doc_endpoint = "http://10.0.0.1:2583"  # not https: not trusted with the tokens
    tokens = PLATFORM.sign_in(bluesky_fake.HANDLE, bluesky_fake.APP_PASSWORD, bluesky_fake.url)
    assert tokens.extra["pds"] == bluesky_fake.url


def test_an_account_password_is_refused_and_its_session_closed(bluesky_fake):
    with pytest.raises(Permanent, match="account password. Create an app password"):
        PLATFORM.sign_in(bluesky_fake.HANDLE, bluesky_fake.ACCOUNT_PASSWORD, bluesky_fake.url)
    (deleted,) = sent(bluesky_fake, "com.atproto.server.deleteSession")
    assert deleted.headers["authorization"].removeprefix("Bearer ") not in bluesky_fake.refresh
    assert not bluesky_fake.refresh


def test_wrong_app_password(bluesky_fake):
    with pytest.raises(Permanent, match="did not accept that handle and app password") as err:
        PLATFORM.sign_in(bluesky_fake.HANDLE, "wrong", bluesky_fake.url)
    assert err.value.status == 401


@pytest.mark.parametrize("url", ["http://bsky.example.com", "ftp://bsky.social", "bsky.social"])
def test_a_service_url_that_is_not_https_gets_no_credentials(bluesky_fake, url):
    with pytest.raises(Permanent, match="https://"):
        PLATFORM.sign_in(bluesky_fake.HANDLE, bluesky_fake.APP_PASSWORD, url)
    assert bluesky_fake.requests == []


def test_refresh_uses_the_refresh_jwt(bluesky_fake, tokens):
    fresh = PLATFORM.refresh(APP, tokens)
    (req,) = sent(bluesky_fake, "com.atproto.server.refreshSession")
    assert req.method == "POST" and req.headers["authorization"] == f"Bearer {tokens.refresh_token}"
    assert fresh.access_token != tokens.access_token and fresh.extra == tokens.extra
    with pytest.raises(AuthExpired):  # the old refresh JWT was rotated away
        PLATFORM.refresh(APP, tokens)


def test_revoke_deletes_the_session(bluesky_fake, tokens):
    assert PLATFORM.revoke(APP, tokens) is True
    (req,) = sent(bluesky_fake, "com.atproto.server.deleteSession")
    assert req.headers["authorization"] == f"Bearer {tokens.refresh_token}"
    assert PLATFORM.revoke(APP, tokens) is True  # already gone: still revoked


# --- profile and metrics -------------------------------------------------------------

def test_profile_from_the_appview(bluesky_fake, tokens):
    p = PLATFORM.profile(tokens)
    (req,) = sent(bluesky_fake, "app.bsky.actor.getProfile")
    assert req.query == {"actor": [bluesky_fake.DID]}
    assert (p.account_id, p.handle, p.display_name, p.followers_count) == (
        bluesky_fake.DID, bluesky_fake.HANDLE, "Alice", 42)
    assert p.avatar_url == bluesky_fake.profile["avatar"]


def test_profile_without_an_appview_reads_the_repository(bluesky_fake, tokens):
    bluesky_fake.app_view = False
    p = PLATFORM.profile(tokens)
    assert (p.handle, p.display_name, p.avatar_url, p.followers_count) == (
        bluesky_fake.HANDLE, bluesky_fake.HANDLE, None, None)
    cid = "bafkreiavatar"
    bluesky_fake.records[f"at://{bluesky_fake.DID}/app.bsky.actor.profile/self"] = {
        "uri": "", "cid": "", "value": {"$type": "app.bsky.actor.profile", "displayName": "Alice A.",
                                        "avatar": {"$type": "blob", "ref": {"$link": cid},
                                                   "mimeType": "image/jpeg", "size": 10}}}
    p = PLATFORM.profile(tokens)
    assert p.display_name == "Alice A." and p.followers_count is None
    assert p.avatar_url == f"{bluesky_fake.url}/xrpc/com.atproto.sync.getBlob?did=did%3Aplc%3Aewvi7nxzyoun6zhxrhs64oiz&cid={cid}"


def test_metrics_from_the_appview(bluesky_fake, tokens):
    published = PLATFORM.publish(tokens, PostContent(text="count me"))
    bluesky_fake.counts[published.post_id] = {"likeCount": 5, "repostCount": 2, "replyCount": 1,
                                              "quoteCount": 3, "bookmarkCount": 9}
    m = PLATFORM.metrics(tokens, published.post_id)
    (req,) = sent(bluesky_fake, "app.bsky.feed.getPosts")
    assert req.query == {"uris": [published.post_id]}
    assert (m.likes, m.reposts, m.replies, m.views) == (5, 2, 1, None)


def test_metrics_without_an_appview_are_unknown_not_zero(bluesky_fake, tokens):
    published = PLATFORM.publish(tokens, PostContent(text="count me"))
    bluesky_fake.app_view = False
    m = PLATFORM.metrics(tokens, published.post_id)
    assert (m.likes, m.reposts, m.replies, m.views) == (None, None, None, None)


def test_metrics_of_a_deleted_post(bluesky_fake, tokens):
    published = PLATFORM.publish(tokens, PostContent(text="gone soon"))
    PLATFORM.delete(tokens, published.post_id)
    with pytest.raises(Permanent, match="no longer shows this post"):
        PLATFORM.metrics(tokens, published.post_id)


# --- publishing -----------------------------------------------------------------------

def test_post_with_image_alt_text_and_facets(bluesky_fake, tokens):
    content = PostContent(text=RICH, media=[image(alt_text="A cup of coffee", width=1200, height=800)],
                          options={"langs": ["en", "ja"]})
    with clock.frozen(NOW):
        published = PLATFORM.publish(tokens, content)

    (resolve,) = sent(bluesky_fake, "com.atproto.identity.resolveHandle")
    assert resolve.method == "GET" and resolve.query == {"handle": ["bob.bsky.social"]}
    (upload,) = sent(bluesky_fake, "com.atproto.repo.uploadBlob")
    assert upload.headers["content-type"] == "image/png"
    assert upload.headers["content-length"] == str(len(PNG)) and upload.body == PNG
    assert upload.headers["authorization"] == f"Bearer {tokens.access_token}"
    (create,) = sent(bluesky_fake, "com.atproto.repo.createRecord")
    assert create.headers["authorization"] == f"Bearer {tokens.access_token}"
    blob = {"$type": "blob", "ref": {"$link": next(iter(bluesky_fake.blobs))}, "mimeType": "image/png",
            "size": len(PNG)}
    assert create.json == {"repo": bluesky_fake.DID, "collection": "app.bsky.feed.post", "record": {
        "$type": "app.bsky.feed.post",
        "text": RICH,
        "createdAt": "2026-03-01T12:00:00.123Z",
        "langs": ["en", "ja"],
        "facets": [
            {"index": {"byteStart": 24, "byteEnd": 40},
             "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:bobbobbobbobbobbobbobbob"}]},
            {"index": {"byteStart": 45, "byteEnd": 70},
             "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/a?b=1"}]},
            {"index": {"byteStart": 72, "byteEnd": 79},
             "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "旅行"}]},
            {"index": {"byteStart": 96, "byteEnd": 100},
             "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "dev"}]},
        ],
        "embed": {"$type": "app.bsky.embed.images", "images": [
            {"image": blob, "alt": "A cup of coffee", "aspectRatio": {"width": 1200, "height": 800}}]},
    }}
    rkey = published.post_id.rsplit("/", 1)[1]
    assert published.post_id == f"at://{bluesky_fake.DID}/app.bsky.feed.post/{rkey}"
    assert published.url == f"https://bsky.app/profile/{bluesky_fake.DID}/post/{rkey}"
    assert published.part_ids == () and published.comment_id is None


def test_a_mention_that_does_not_resolve_stays_plain_text(bluesky_fake, tokens):
    PLATFORM.publish(tokens, PostContent(text="hi @nobody.bsky.social and @bob.bsky.social"))
    (create,) = sent(bluesky_fake, "com.atproto.repo.createRecord")
    assert create.json["record"]["facets"] == [
        {"index": {"byteStart": 27, "byteEnd": 43},
         "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:bobbobbobbobbobbobbobbob"}]}]


def test_thread_and_first_comment_are_reply_chains(bluesky_fake, tokens):
    content = PostContent(text="1/3 start", thread=[PostContent(text="2/3"), PostContent(text="3/3")],
                          first_comment="first!")
    published = PLATFORM.publish(tokens, content)
    creates = [r.json["record"] for r in sent(bluesky_fake, "com.atproto.repo.createRecord")]
    assert [r["text"] for r in creates] == ["1/3 start", "2/3", "3/3", "first!"]
    refs = [bluesky_fake.records[u] for u in (published.post_id, *published.part_ids, published.comment_id)]
    root = {"uri": refs[0]["uri"], "cid": refs[0]["cid"]}
    assert "reply" not in creates[0]
    assert creates[1]["reply"] == {"root": root, "parent": root}
    assert creates[2]["reply"] == {"root": root, "parent": {"uri": refs[1]["uri"], "cid": refs[1]["cid"]}}
    assert creates[3]["reply"] == {"root": root, "parent": root}  # the comment answers the post itself
    assert len(published.part_ids) == 2


def test_link_without_media_gets_a_card_and_video_gets_its_embed(bluesky_fake, tokens):
    PLATFORM.publish(tokens, PostContent(text="read this", link="https://example.com/post",
                                         options={"link_title": "A post"}))
    clip = media_from_bytes(b"\0\0\0\x18ftypmp42" + b"\0" * 500, kind="video", mime_type="video/mp4",
                            alt_text="A short clip", width=1920, height=1080, duration_s=12)
    PLATFORM.publish(tokens, PostContent(text="watch", media=[clip], link="https://example.com/ignored"))
    card, video = [r.json["record"]["embed"] for r in sent(bluesky_fake, "com.atproto.repo.createRecord")]
    assert card == {"$type": "app.bsky.embed.external", "external": {
        "uri": "https://example.com/post", "title": "A post", "description": ""}}
    (upload,) = sent(bluesky_fake, "com.atproto.repo.uploadBlob")
    assert upload.headers["content-type"] == "video/mp4"
    assert video == {"$type": "app.bsky.embed.video", "alt": "A short clip",
                     "aspectRatio": {"width": 1920, "height": 1080},
                     "video": {"$type": "blob", "ref": {"$link": next(iter(bluesky_fake.blobs))},
                               "mimeType": "video/mp4", "size": 512}}


def test_a_failed_thread_part_takes_back_what_was_posted(bluesky_fake, tokens):
    bluesky_fake.fail_create[2] = Reply(500, {"error": "InternalServerError", "message": "Internal Server Error"})
    with pytest.raises(Transient):
        PLATFORM.publish(tokens, PostContent(text="1/2", thread=[PostContent(text="2/2")]))
    first = sent(bluesky_fake, "com.atproto.repo.createRecord")[0]
    assert first.json["record"]["text"] == "1/2"
    (deleted,) = sent(bluesky_fake, "com.atproto.repo.deleteRecord")
    assert deleted.json["collection"] == "app.bsky.feed.post"
    assert bluesky_fake.records == {}


def test_a_failed_mention_lookup_posts_nothing(bluesky_fake, tokens):
    bluesky_fake.fail_next(Reply(502, {"error": "UpstreamFailure", "message": "Upstream Failure"}),
                           path="resolveHandle")
    with pytest.raises(Transient):
        PLATFORM.publish(tokens, PostContent(text="hi @bob.bsky.social"))
    assert sent(bluesky_fake, "com.atproto.repo.createRecord") == []


def test_delete(bluesky_fake, tokens):
    published = PLATFORM.publish(tokens, PostContent(text="bye"))
    PLATFORM.delete(tokens, published.post_id)
    (req,) = sent(bluesky_fake, "com.atproto.repo.deleteRecord")
    assert req.json == {"repo": bluesky_fake.DID, "collection": "app.bsky.feed.post",
                        "rkey": published.post_id.rsplit("/", 1)[1]}
    PLATFORM.delete(tokens, published.post_id)  # already gone: fine
    with pytest.raises(Permanent, match="another Bluesky account"):
        PLATFORM.delete(tokens, "at://did:plc:someoneelse/app.bsky.feed.post/3l2")
    with pytest.raises(Permanent, match="not a Bluesky post id"):
        PLATFORM.delete(tokens, "https://bsky.app/profile/x/post/y")
    assert len(sent(bluesky_fake, "com.atproto.repo.deleteRecord")) == 2
    assert post_url(published.post_id).startswith("https://bsky.app/profile/did:plc:")


# --- errors ---------------------------------------------------------------------------

RESET_IN_30 = str(int(NOW.timestamp()) + 30)


@pytest.mark.parametrize("reply, error, words", [
    (Reply(400, {"error": "ExpiredToken", "message": "Token has expired"}), AuthExpired, "expired"),
    (Reply(400, {"error": "InvalidToken", "message": "Token could not be verified"}), AuthExpired, "expired"),
    (Reply(401, {"error": "AuthMissing", "message": "Authentication Required"}), AuthExpired, "reconnect"),
    (Reply(401, {"error": "AccountTakedown", "message": "Account has been taken down"}), Permanent, "taken down"),
    (Reply(401, {"error": "AccountDeactivated", "message": "Account is deactivated"}), Permanent, "reactivate"),
    (Reply(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
           {"ratelimit-limit": "5000", "ratelimit-remaining": "0", "ratelimit-reset": RESET_IN_30,
            "ratelimit-policy": "5000;w=3600"}), RateLimited, "limiting"),
    (Reply(413, {"error": "PayloadTooLarge", "message": "request entity too large"}), Permanent, "larger"),
    (Reply(400, {"error": "InvalidRequest", "message": "Invalid app.bsky.feed.post record: grapheme too big"}),
     Permanent, "grapheme too big"),
    (Reply(502, {"error": "UpstreamFailure", "message": "Upstream Failure"}), Transient, "temporary"),
    (Reply(500, {"error": "InternalServerError", "message": "Internal Server Error"}), Transient, "temporary"),
    (Reply(503, "<html>Service Unavailable</html>"), Transient, "temporary"),
])
def test_xrpc_errors_map_onto_the_taxonomy(bluesky_fake, tokens, reply, error, words):
    bluesky_fake.fail_next(reply, path="createRecord")
    with clock.frozen(NOW), pytest.raises(error) as err:
        PLATFORM.publish(tokens, PostContent(text="hello"))
    assert type(err.value) is error and words in err.value.message
    assert err.value.status == reply.status
    if error is RateLimited:
        assert err.value.retry_after == pytest.approx(30, abs=1)


def test_retry_after_header_wins_over_ratelimit_reset(bluesky_fake, tokens):
    bluesky_fake.fail_next(Reply(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                                 {"retry-after": "12", "ratelimit-reset": RESET_IN_30}), path="uploadBlob")
    with clock.frozen(NOW), pytest.raises(RateLimited) as err:
        PLATFORM.publish(tokens, PostContent(text="pic", media=[image()]))
    assert err.value.retry_after == 12


def test_tokens_without_a_refresh_jwt_need_a_reconnect():
    with pytest.raises(AuthExpired):
        PLATFORM.refresh(APP, Tokens(access_token="a", extra={"pds": "https://x", "did": "did:plc:x"}))
