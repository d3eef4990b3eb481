"""Contract tests of the TikTok module against tools/fakes/tiktok.py: the exact
requests postr sends (method, path, headers, body), the chunked upload, the
post-status state machine, and how TikTok's documented errors come back
(platforms.errors)."""

import datetime as dt
import hashlib
import json
import urllib.parse

import pytest
from platform_media import media_from_bytes

from fakes.base import Reply
from fakes.tiktok import TikTokFake, api_error, chunk_rule_problem
from kernel import clock
from platforms import tiktok
from platforms.base import AppCredentials, Media, PostContent, Tokens
from platforms.errors import AuthExpired, OutcomeUnknown, Permanent, RateLimited, Transient

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
APP = AppCredentials(client_id="postr-client-key", client_secret="postr-client-secret")
REDIRECT = "https://app.postr.test/oauth/callback"
MB = 1024 * 1024
PUBLIC = {"privacy_level": "PUBLIC_TO_EVERYONE"}


@pytest.fixture
def fake(fake_env):
    with TikTokFake() as server:
        fake_env(TIKTOK_API_URL=server.url, TIKTOK_AUTH_URL=f"{server.url}/v2/auth/authorize/")
        yield server


@pytest.fixture
def tokens(fake):
    granted = fake.grant()
    return Tokens(access_token=granted["access_token"], refresh_token=granted["refresh_token"],
                  scopes=granted["scope"].split(","))


@pytest.fixture
def platform():
    """A TikTokPlatform whose waits are recorded, not slept."""
    slept: list[float] = []
    p = tiktok.TikTokPlatform(sleep=slept.append)
    p.slept = slept
    return p


@pytest.fixture
def frozen():
    with clock.frozen(NOW):
        yield


def video(data: bytes = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64, *, duration_s=30.0, url=None,
          mime_type="video/mp4") -> Media:
    return media_from_bytes(data, kind="video", mime_type=mime_type, alt_text=None, width=1080, height=1920,
                            duration_s=duration_s, url=url)


def photo(n: int, **kw) -> Media:
    return Media(kind="image", mime_type=kw.get("mime_type", "image/jpeg"), size=kw.get("size", 250_000),
                 width=1080, height=1350, url=kw.get("url", f"https://media.postr.test/u/1/photo-{n}.jpg"))


def bearer(req, tokens) -> bool:
    return req.headers["authorization"] == f"Bearer {tokens.access_token}"


def calls(fake) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in fake.requests]


def test_registry_gives_the_tiktok_module():
    import platforms

    assert isinstance(platforms.get("tiktok"), tiktok.TikTokPlatform)
    assert platforms.get("tiktok").scopes == ("user.info.basic", "user.info.profile", "user.info.stats",
                                              "video.publish", "video.upload", "video.list")
    assert platforms.get("tiktok").uses_pkce is False


# --- OAuth ------------------------------------------------------------------------------

def test_authorization_url_names_the_client_key_and_comma_separated_scopes(fake):
    url = tiktok.PLATFORM.authorization_url(APP, state="st-123", redirect_uri=REDIRECT)

    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{fake.url}/v2/auth/authorize/"
    assert dict(urllib.parse.parse_qsl(parts.query)) == {
        "client_key": "postr-client-key", "response_type": "code", "redirect_uri": REDIRECT, "state": "st-123",
        "scope": "user.info.basic,user.info.profile,user.info.stats,video.publish,video.upload,video.list"}


def test_default_addresses_are_tiktoks_own(monkeypatch):
    monkeypatch.delenv("TIKTOK_API_URL", raising=False)
    monkeypatch.delenv("TIKTOK_AUTH_URL", raising=False)
    assert tiktok.TIKTOK_API_URL.value == "https://open.tiktokapis.com"
    url = tiktok.PLATFORM.authorization_url(APP, state="s", redirect_uri=REDIRECT)
    assert url.startswith("https://www.tiktok.com/v2/auth/authorize/?")
    assert dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["client_key"] == "postr-client-key"


def test_connecting(fake, frozen):
    url = tiktok.PLATFORM.authorization_url(APP, state="st-9", redirect_uri=REDIRECT)
    back = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(fake.consent(url)).query))
    assert back["state"] == "st-9"

    got = tiktok.PLATFORM.exchange_code(APP, code=back["code"], redirect_uri=REDIRECT)

    [req] = fake.requests
    assert (req.method, req.path) == ("POST", "/v2/oauth/token/")
    assert req.headers["content-type"] == "application/x-www-form-urlencoded"
    assert req.form == {"client_key": "postr-client-key", "client_secret": "postr-client-secret",
                        "code": back["code"], "grant_type": "authorization_code", "redirect_uri": REDIRECT}
    assert got.access_token in fake.access_tokens and got.refresh_token in fake.refresh_tokens
    assert got.expires_at == NOW + dt.timedelta(hours=24)
    assert got.scopes == list(tiktok.SCOPES)
    assert got.extra == {"open_id": "open-id-1"}


def test_scopes_the_person_refused_are_not_in_the_tokens(fake):
    url = tiktok.PLATFORM.authorization_url(APP, state="s", redirect_uri=REDIRECT)
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(
        fake.consent(url, granted=["user.info.basic", "video.upload"])).query))["code"]

    got = tiktok.PLATFORM.exchange_code(APP, code=code, redirect_uri=REDIRECT)
    assert got.scopes == ["user.info.basic", "video.upload"]


def test_a_spent_code_and_a_wrong_secret_are_refused_with_reasons(fake):
    url = tiktok.PLATFORM.authorization_url(APP, state="s", redirect_uri=REDIRECT)
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(fake.consent(url)).query))["code"]
    tiktok.PLATFORM.exchange_code(APP, code=code, redirect_uri=REDIRECT)

    with pytest.raises(Permanent) as err:
        tiktok.PLATFORM.exchange_code(APP, code=code, redirect_uri=REDIRECT)
    assert "connect your TikTok account again" in err.value.message
    assert err.value.detail.startswith("invalid_grant; Authorization code is expired.; ")

    with pytest.raises(Permanent) as err:
        tiktok.PLATFORM.exchange_code(AppCredentials("postr-client-key", "wrong"), code="x", redirect_uri=REDIRECT)
    assert "postr's side" in err.value.message


def test_refresh_rotates_the_refresh_token(fake, tokens, frozen):
    fresh = tiktok.PLATFORM.refresh(APP, tokens)

    req = fake.requests[-1]
    assert req.form == {"client_key": "postr-client-key", "client_secret": "postr-client-secret",
                        "grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
    assert fresh.refresh_token != tokens.refresh_token and fresh.refresh_token in fake.refresh_tokens
    assert fresh.expires_at == NOW + dt.timedelta(hours=24)
    with pytest.raises(AuthExpired) as err:  # the old one was used up
        tiktok.PLATFORM.refresh(APP, tokens)
    assert "reconnect your TikTok account" in err.value.message


def test_an_oauth_error_counts_whatever_status_it_comes_with(fake, tokens):
    fake.fail_next(Reply(400, {"error": "invalid_grant", "error_description": "Refresh token is invalid.",
                               "log_id": "20260301"}), path="/v2/oauth/token/")
    with pytest.raises(AuthExpired):
        tiktok.PLATFORM.refresh(APP, tokens)
    fake.fail_next(Reply(200, {"error": "temporarily_unavailable", "error_description": "Try later.",
                               "log_id": "1"}), path="/v2/oauth/token/")
    with pytest.raises(Transient):
        tiktok.PLATFORM.refresh(APP, tokens)
    fake.fail_next(Reply(503, b"upstream"), path="/v2/oauth/token/")
    with pytest.raises(Transient):
        tiktok.PLATFORM.refresh(APP, tokens)


def test_a_refresh_whose_answer_is_lost_is_not_repeated(fake, tokens, short_timeouts):
    fake.fail_next(Reply(200, {}, delay=1.0), path="/v2/oauth/token/")
    with pytest.raises(OutcomeUnknown):
        tiktok.PLATFORM.refresh(APP, tokens)
    assert len(fake.received("POST", "/v2/oauth/token/")) == 1


def test_revoke(fake, tokens):
    assert tiktok.PLATFORM.revoke(APP, tokens) is True

    [req] = fake.requests
    assert (req.method, req.path) == ("POST", "/v2/oauth/revoke/")
    assert req.form == {"client_key": "postr-client-key", "client_secret": "postr-client-secret",
                        "token": tokens.access_token}
    assert fake.access_tokens == {} and fake.refresh_tokens == {}
    with pytest.raises(AuthExpired):
        tiktok.PLATFORM.profile(tokens)


def test_revoke_after_the_access_token_expired_revokes_a_fresh_one(fake, tokens):
    fake.expire(tokens.access_token)

    assert tiktok.PLATFORM.revoke(APP, tokens) is True
    assert [r.path for r in fake.requests] == ["/v2/oauth/revoke/", "/v2/oauth/token/", "/v2/oauth/revoke/"]
    assert fake.access_tokens == {} and fake.refresh_tokens == {}  # postr is gone from the app permissions


def test_revoke_when_nothing_works_any_more(fake, tokens):
    tiktok.PLATFORM.revoke(APP, tokens)
    assert tiktok.PLATFORM.revoke(APP, tokens) is True  # already revoked: what revoking wanted


def test_revoke_when_tiktok_cannot_take_it_is_transient(fake, tokens):
    # The caller deletes the tokens anyway and reports revokedAtNetwork False.
    fake.fail_next(Reply(500, {"error": "server_error", "error_description": "internal error", "log_id": "L1"}),
                   path="/v2/oauth/revoke/")
    with pytest.raises(Transient):
        tiktok.PLATFORM.revoke(APP, tokens)


# --- profile ----------------------------------------------------------------------------

def test_profile(fake, tokens):
    got = tiktok.PLATFORM.profile(tokens)

    [req] = fake.requests
    assert (req.method, req.path) == ("GET", "/v2/user/info/") and bearer(req, tokens)
    assert req.query == {"fields": ["open_id,union_id,avatar_url,display_name,username,follower_count"]}
    assert got.account_id == "open-id-1" and got.handle == "postr.tester" and got.display_name == "Postr Tester"
    assert got.avatar_url == "https://p16-sign.tiktokcdn-us.com/avatar-1.jpeg" and got.followers_count == 4821


def test_profile_asks_only_what_the_person_granted(fake):
    granted = fake.grant(scopes=("user.info.basic", "video.publish"))
    got = tiktok.PLATFORM.profile(Tokens(access_token=granted["access_token"], scopes=["user.info.basic",
                                                                                       "video.publish"]))
    assert fake.requests[-1].query == {"fields": ["open_id,union_id,avatar_url,display_name"]}
    assert (got.handle, got.display_name, got.followers_count) == ("", "Postr Tester", None)


def test_a_field_without_its_scope_is_refused_by_tiktok(fake):
    granted = fake.grant(scopes=("user.info.basic",))
    # Scopes unknown (an old connection): every field is asked, and TikTok refuses.
    with pytest.raises(AuthExpired) as err:
        tiktok.PLATFORM.profile(Tokens(access_token=granted["access_token"]))
    assert err.value.status == 400 and err.value.detail.startswith("scope_permission_missed")


# --- validation -------------------------------------------------------------------------

def fields(problems) -> list[str]:
    return [p.field for p in problems]


def test_a_post_needs_media_and_has_no_thread_or_first_comment():
    problems = tiktok.PLATFORM.validate(PostContent(text="hi", thread=[PostContent(text="2")],
                                                    first_comment="c", options=PUBLIC))
    assert fields(problems) == ["thread", "first_comment", "media"]
    assert problems[0].message == "TikTok has no threads or reply chains; post the parts separately."
    assert "cannot post comments" in problems[1].message
    assert problems[2].message == "A TikTok post needs a video or photos."


def test_a_direct_post_needs_a_chosen_audience_and_none_is_guessed():
    [problem] = tiktok.PLATFORM.validate(PostContent(text="hi", media=[video()]))
    assert problem.field == "options.privacy_level"
    assert "postr does not pick for you" in problem.message
    assert "Everyone (PUBLIC_TO_EVERYONE), Friends (MUTUAL_FOLLOW_FRIENDS), Followers (FOLLOWER_OF_CREATOR), " \
           "Only me (SELF_ONLY)" in problem.message


def test_the_caption_is_counted_in_utf16_units():
    # 1,100 emoji outside the BMP are 2,200 UTF-16 units: exactly the limit.
    assert tiktok.PLATFORM.validate(PostContent(text="😀" * 1100, media=[video()], options=PUBLIC)) == []
    [problem] = tiktok.PLATFORM.validate(PostContent(text="😀" * 1100 + "a", media=[video()], options=PUBLIC))
    assert problem.message.startswith("A TikTok caption is 2201 characters as TikTok counts them")
    # CJK and accented letters are one unit each.
    assert tiktok.PLATFORM.validate(PostContent(text="漢" * 2200, media=[video()], options=PUBLIC)) == []
    # A link joins the caption and counts.
    [problem] = tiktok.PLATFORM.validate(PostContent(text="a" * 2190, link="https://example.com/x",
                                                     media=[video()], options=PUBLIC))
    assert "2213 characters" in problem.message


@pytest.mark.parametrize(("media", "message"), [
    (video(mime_type="video/x-msvideo"), "The video is video/x-msvideo; TikTok takes MP4, WebM or MOV."),
    (video(duration_s=601), "The video lasts 601 seconds; TikTok takes videos of up to 10 minutes from apps."),
    (video(duration_s=None), "postr needs the video's length to check it against TikTok's limits"),
    (Media(kind="video", mime_type="video/mp4", size=5 * 1024 * MB, duration_s=10, chunks=lambda n: iter(())),
     "The video is 5 GB; TikTok takes videos up to 4 GB."),
    (Media(kind="video", mime_type="video/webm", size=10, width=320, height=5000, duration_s=10,
           chunks=lambda n: iter(())), "The video is 320 pixels wide; TikTok takes 360 to 4096 pixels each way."),
    (Media(kind="video", mime_type="video/quicktime", size=10, duration_s=10),
     "The video has no file data for postr to send to TikTok."),
    (video(url="http://media.postr.test/v.mp4"), "The video's address must be https for TikTok to download it."),
])
def test_video_limits(media, message):
    problems = tiktok.PLATFORM.validate(PostContent(text="", media=[media], options=PUBLIC))
    assert any(p.message.startswith(message) for p in problems), problems


def test_photo_limits():
    ok = [photo(i) for i in range(35)]
    assert tiktok.PLATFORM.validate(PostContent(text="", media=ok, options=PUBLIC)) == []

    problems = tiktok.PLATFORM.validate(PostContent(text="", media=[photo(i) for i in range(36)], options=PUBLIC))
    assert [p.message for p in problems] == ["TikTok takes at most 35 photos per post; this post has 36."]

    bad = [photo(1, mime_type="image/png"), photo(2, size=21 * MB), photo(3, url=None),
           Media(kind="image", mime_type="image/webp", size=10, width=2000, height=1000,
                 url="https://media.postr.test/w.webp")]
    messages = [p.message for p in tiktok.PLATFORM.validate(PostContent(text="", media=bad, options=PUBLIC))]
    assert messages == ["Photo 1 is image/png; TikTok takes JPEG or WebP photos.",
                        "Photo 2 is 21 MB; TikTok takes photos up to 20 MB.",
                        "Photo 3 has no address for TikTok to download it from.",
                        "Photo 4 is 2000x1000; TikTok takes photos up to 1080p (1920x1080 either way round)."]


def test_a_video_and_photos_do_not_mix():
    [problem] = tiktok.PLATFORM.validate(PostContent(text="", media=[video(), photo(1)], options=PUBLIC))
    assert problem.message.startswith("TikTok takes one video, or up to 35 photos, per post")


def test_options_are_checked_for_the_kind_of_post():
    problems = tiktok.PLATFORM.validate(PostContent(text="", media=[video()], options={
        "privacy_level": "FRIENDS", "allow_duet": "yes", "reply_settings": "x", "title": "t"}))
    assert [(p.field, p.message) for p in problems] == [
        ("options.privacy_level", "Who can see the TikTok post must be one of: Everyone (PUBLIC_TO_EVERYONE), "
                                  "Friends (MUTUAL_FOLLOW_FRIENDS), Followers (FOLLOWER_OF_CREATOR), Only me "
                                  "(SELF_ONLY)."),
        ("options.allow_duet", "'allow_duet' must be true or false."),
        ("options.reply_settings", "TikTok has no option 'reply_settings'."),
        ("options.title", "'title' does not apply to a video posted directly on TikTok.")]


def test_branded_content_cannot_be_private():
    [problem] = tiktok.PLATFORM.validate(PostContent(text="", media=[video()], options={
        "privacy_level": "SELF_ONLY", "brand_content_toggle": True}))
    assert problem.message.startswith("Branded content (a paid partnership) cannot be private on TikTok")


def test_the_inbox_takes_a_video_without_caption_or_settings():
    inbox = {"post_mode": "MEDIA_UPLOAD"}
    assert tiktok.PLATFORM.validate(PostContent(text="", media=[video()], options=inbox)) == []
    problems = tiktok.PLATFORM.validate(PostContent(text="words", media=[video()],
                                                    options={**inbox, "privacy_level": "SELF_ONLY"}))
    assert [p.field for p in problems] == ["options.privacy_level", "text"]
    assert problems[1].message.startswith("A video sent to the TikTok inbox cannot carry a caption")


def test_publish_refuses_bad_input_without_sending_anything(fake, tokens, platform):
    with pytest.raises(Permanent) as err:
        platform.publish(tokens, PostContent(text="hi", media=[video(duration_s=900)], first_comment="c"))
    assert err.value.message.startswith("This post cannot go to TikTok: TikTok's API cannot post comments")
    assert "900 seconds" in err.value.message and "Choose who can see" in err.value.message
    assert fake.requests == []


# --- chunk plan -------------------------------------------------------------------------

def test_chunk_plan_follows_the_media_transfer_guide():
    assert tiktok.chunk_plan(4_194_304) == (4_194_304, 1)  # the guide's whole upload
    assert tiktok.chunk_plan(50_000_123) == (10 * MB, 4)  # last chunk 18,542,683 bytes
    assert tiktok.chunk_plan(10 * MB - 1) == (10 * MB - 1, 1)
    assert tiktok.chunk_plan(4 * 1024 * MB) == (10 * MB, 409)
    # Every size, small to 4 GB, passes the rules as the fake transcribes them.
    for size in (1, 5 * MB - 1, 5 * MB, 10 * MB - 1, 10 * MB, 20 * MB - 1, 64 * MB, 64 * MB + 1, 200 * MB + 7,
                 1000 * MB, 4 * 1024 * MB):
        assert chunk_rule_problem(size, *tiktok.chunk_plan(size)) is None, size


# --- publishing a video -----------------------------------------------------------------

def test_a_small_video_is_posted_directly_in_one_piece(fake, tokens, platform):
    clip = video()
    got = platform.publish(tokens, PostContent(text="Hello #fyp 👋", media=[clip], options=PUBLIC))

    publish_id = next(iter(fake.publishes))
    upload_url = "/upload/"
    assert calls(fake) == [("POST", "/v2/post/publish/creator_info/query/"), ("POST", "/v2/post/publish/video/init/"),
                           ("PUT", upload_url), ("POST", "/v2/post/publish/status/fetch/"),
                           ("POST", "/v2/post/publish/status/fetch/")]
    creator, init, put, status, _ = fake.requests
    assert bearer(creator, tokens) and creator.body == b""
    assert init.headers["content-type"] == "application/json; charset=UTF-8" and bearer(init, tokens)
    assert init.json == {
        "post_info": {"privacy_level": "PUBLIC_TO_EVERYONE", "title": "Hello #fyp 👋", "disable_comment": True,
                      "disable_duet": True, "disable_stitch": True, "brand_content_toggle": False,
                      "brand_organic_toggle": False},
        "source_info": {"source": "FILE_UPLOAD", "video_size": clip.size, "chunk_size": clip.size,
                        "total_chunk_count": 1}}
    assert "authorization" not in put.headers
    assert (put.headers["content-type"], put.headers["content-length"], put.headers["content-range"]) == (
        "video/mp4", str(clip.size), f"bytes 0-{clip.size - 1}/{clip.size}")
    assert status.json == {"publish_id": publish_id}
    data = b"".join(clip.chunks(clip.size))
    assert fake.upload_of(publish_id) == (clip.size, hashlib.sha256(data).hexdigest(), 1)
    video_id = fake.publishes[publish_id]["video_id"]
    assert got.post_id == video_id
    assert got.url == f"https://www.tiktok.com/@postr.tester/video/{video_id}"
    assert platform.slept == [2.0, 3.0]  # the first two waits between status checks


def test_a_larger_video_goes_up_in_sequential_chunks_streamed_from_the_file(fake, tokens, platform):
    data = bytes(range(256)) * (25 * 4096) + b"tail" * 31  # 25 MB + 124 bytes: 10 MB, then 15 MB + 124
    handed = []  # (1 MB pieces handed out, PUTs TikTok had taken) at each piece

    def chunks(size):
        assert size == tiktok.READ_BYTES
        for n, start in enumerate(range(0, len(data), size)):
            handed.append((n, len(fake.received("PUT"))))
            yield data[start:start + size]

    clip = Media(kind="video", mime_type="video/quicktime", size=len(data), width=720, height=1280,
                 duration_s=45, chunks=chunks)
    platform.publish(tokens, PostContent(text="", media=[clip], options={"privacy_level": "SELF_ONLY"}))

    publish_id = next(iter(fake.publishes))
    assert fake.received("POST", "/v2/post/publish/video/init/")[0].json["source_info"] == {
        "source": "FILE_UPLOAD", "video_size": len(data), "chunk_size": 10 * MB, "total_chunk_count": 2}
    puts = fake.received("PUT")
    assert [(p.headers["content-length"], p.headers["content-range"]) for p in puts] == [
        (str(10 * MB), f"bytes 0-{10 * MB - 1}/{len(data)}"),
        (str(len(data) - 10 * MB), f"bytes {10 * MB}-{len(data) - 1}/{len(data)}")]
    assert all(p.headers["content-type"] == "video/quicktime" for p in puts)
    assert fake.upload_of(publish_id) == (len(data), hashlib.sha256(data).hexdigest(), 2)
    # The first chunk left before the pieces of the second were read.
    assert max(n for n, sent in handed if sent == 0) < 11


def test_interactions_stay_off_unless_chosen_and_allowed_by_the_account(fake, tokens, platform):
    fake.creator["comment_disabled"] = True  # the account allows nobody to comment
    platform.publish(tokens, PostContent(text="", media=[video()], options={
        **PUBLIC, "allow_comment": True, "allow_duet": True, "allow_stitch": True, "brand_organic_toggle": True,
        "is_aigc": True, "video_cover_timestamp_ms": 1500}))

    info = fake.received("POST", "/v2/post/publish/video/init/")[0].json["post_info"]
    assert info == {"privacy_level": "PUBLIC_TO_EVERYONE", "disable_comment": True, "disable_duet": False,
                    "disable_stitch": True, "brand_content_toggle": False, "brand_organic_toggle": True,
                    "is_aigc": True, "video_cover_timestamp_ms": 1500}  # stitch: the fake's creator has it off


def test_an_audience_the_account_does_not_offer_is_refused_before_any_upload(fake, tokens, platform):
    fake.creator["privacy_level_options"] = ["FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]  # private
    with pytest.raises(Permanent) as err:
        platform.publish(tokens, PostContent(text="", media=[video()], options=PUBLIC))
    assert err.value.message == (
        "This post cannot go to TikTok: Your TikTok account does not offer 'Everyone' right now; choose one it "
        "offers: Followers (FOLLOWER_OF_CREATOR), Friends (MUTUAL_FOLLOW_FRIENDS), Only me (SELF_ONLY).")
    assert calls(fake) == [("POST", "/v2/post/publish/creator_info/query/")]


def test_a_video_longer_than_the_account_may_post_is_refused_before_any_upload(fake, tokens, platform):
    fake.creator["max_video_post_duration_sec"] = 180
    with pytest.raises(Permanent) as err:
        platform.publish(tokens, PostContent(text="", media=[video(duration_s=181.5)], options=PUBLIC))
    assert err.value.message.endswith("The video lasts 181.5 seconds; your TikTok account can post videos of up "
                                      "to 180 seconds.")
    assert calls(fake) == [("POST", "/v2/post/publish/creator_info/query/")]


@pytest.mark.parametrize(("code", "error"), [("spam_risk_too_many_posts", RateLimited),
                                             ("reached_active_user_cap", RateLimited),
                                             ("spam_risk_user_banned_from_posting", Permanent)])
def test_a_creator_who_cannot_post_now_stops_the_attempt(fake, tokens, platform, code, error):
    fake.creator_error = code  # creator_info reports it with HTTP 200
    with pytest.raises(error) as err:
        platform.publish(tokens, PostContent(text="", media=[video()], options=PUBLIC))
    assert err.value.status == 200 and err.value.detail.startswith(code)
    assert calls(fake) == [("POST", "/v2/post/publish/creator_info/query/")]


def test_a_connection_without_the_posting_scope_is_sent_to_reconnect(fake, platform):
    granted = fake.grant(scopes=("user.info.basic", "video.upload"))
    tokens = Tokens(access_token=granted["access_token"], scopes=["user.info.basic", "video.upload"])
    with pytest.raises(AuthExpired) as err:
        platform.publish(tokens, PostContent(text="", media=[video()], options=PUBLIC))
    assert err.value.message == "postr does not have your permission to post to TikTok; reconnect TikTok and " \
                                "allow it."
    assert fake.requests == []


def test_a_video_at_a_verified_address_is_pulled_by_tiktok(fake, tokens, platform):
    clip = video(url="https://media.postr.test/u/1/clip.mp4?X-Goog-Signature=abc")
    got = platform.publish(tokens, PostContent(text="pulled", media=[clip], options={"privacy_level": "SELF_ONLY"}))

    assert calls(fake) == [("POST", "/v2/post/publish/creator_info/query/"), ("POST", "/v2/post/publish/video/init/"),
                           ("POST", "/v2/post/publish/status/fetch/"), ("POST", "/v2/post/publish/status/fetch/")]
    assert fake.requests[1].json["source_info"] == {"source": "PULL_FROM_URL", "video_url": clip.url}
    # A private post never gets a public id: the publish_id stands for it.
    assert got == tiktok.Published(post_id=next(iter(fake.publishes)), url=None)


def test_the_file_can_be_sent_even_when_it_has_an_address(fake, tokens, platform):
    clip = video(url="https://media.postr.test/u/1/clip.mp4")
    platform.publish(tokens, PostContent(text="", media=[clip], options={**PUBLIC, "source": "FILE_UPLOAD"}))
    assert fake.requests[1].json["source_info"]["source"] == "FILE_UPLOAD" and len(fake.received("PUT")) == 1


def test_an_address_tiktok_has_not_verified_is_postrs_problem(fake, tokens, platform):
    clip = video(url="https://storage.googleapis.com/bucket/clip.mp4")
    with pytest.raises(Permanent) as err:
        platform.publish(tokens, PostContent(text="", media=[clip], options=PUBLIC))
    assert err.value.status == 403 and "postr's side" in err.value.message


def test_a_video_sent_to_the_inbox(fake, tokens, platform):
    clip = video()
    got = platform.publish(tokens, PostContent(text="", media=[clip], options={"post_mode": "MEDIA_UPLOAD"}))

    assert calls(fake) == [("POST", "/v2/post/publish/inbox/video/init/"), ("PUT", "/upload/"),
                           ("POST", "/v2/post/publish/status/fetch/"), ("POST", "/v2/post/publish/status/fetch/")]
    assert fake.requests[0].json == {"source_info": {"source": "FILE_UPLOAD", "video_size": clip.size,
                                                     "chunk_size": clip.size, "total_chunk_count": 1}}
    publish_id = next(iter(fake.publishes))
    assert publish_id.startswith("v_inbox_file~") and got == tiktok.Published(post_id=publish_id, url=None)


def test_the_inbox_holds_five_uploads_a_day(fake, tokens, platform):
    for _ in range(5):
        platform.publish(tokens, PostContent(text="", media=[video()], options={"post_mode": "MEDIA_UPLOAD"}))
    with pytest.raises(RateLimited) as err:
        platform.publish(tokens, PostContent(text="", media=[video()], options={"post_mode": "MEDIA_UPLOAD"}))
    assert err.value.status == 403 and "finish or delete them in TikTok" in err.value.message


# --- publishing photos -------------------------------------------------------------------

def test_photos_are_posted_directly(fake, tokens, platform):
    photos = [photo(1), photo(2), photo(3)]
    got = platform.publish(tokens, PostContent(text="Three #photos", link="https://postr.test/a", media=photos,
                                               options={**PUBLIC, "title": "Weekend", "photo_cover_index": 1,
                                                        "allow_comment": True, "auto_add_music": True}))

    init = fake.received("POST", "/v2/post/publish/content/init/")[0]
    assert init.json == {
        "media_type": "PHOTO", "post_mode": "DIRECT_POST",
        "post_info": {"description": "Three #photos\n\nhttps://postr.test/a", "title": "Weekend",
                      "privacy_level": "PUBLIC_TO_EVERYONE", "disable_comment": False, "auto_add_music": True,
                      "brand_content_toggle": False, "brand_organic_toggle": False},
        "source_info": {"source": "PULL_FROM_URL", "photo_images": [p.url for p in photos],
                        "photo_cover_index": 1}}
    assert calls(fake)[0] == ("POST", "/v2/post/publish/creator_info/query/")
    assert got.post_id == next(iter(fake.publishes.values()))["video_id"]


def test_photos_sent_to_the_inbox(fake, tokens, platform):
    got = platform.publish(tokens, PostContent(text="draft", media=[photo(1)],
                                               options={"post_mode": "MEDIA_UPLOAD", "is_aigc": False}))
    assert fake.requests[0].json == {
        "media_type": "PHOTO", "post_mode": "MEDIA_UPLOAD", "post_info": {"description": "draft"},
        "source_info": {"source": "PULL_FROM_URL", "photo_images": [photo(1).url], "photo_cover_index": 0},
        "is_aigc": False}
    assert got.post_id.startswith("p_inbox_url~")


# --- the post-status state machine -------------------------------------------------------

@pytest.mark.parametrize(("reason", "error", "message"), [
    ("frame_rate_check_failed", Permanent, "TikTok takes videos of 23 to 60 frames per second"),
    ("spam_risk_text", Permanent, "TikTok refused the caption as risky or spammy"),
    ("internal", Transient, "TikTok had a temporary problem processing the post"),
    ("auth_removed", AuthExpired, "postr's access to your TikTok account was removed"),
    ("spam_risk_too_many_posts", RateLimited, "Your TikTok account has reached TikTok's daily limit"),
    ("something_new", Permanent, "TikTok could not publish the post (something_new)."),
])
def test_a_post_tiktok_fails_says_why(fake, tokens, platform, reason, error, message):
    fake.processing = [{"status": "PROCESSING_UPLOAD"}, {"status": "FAILED", "fail_reason": reason}]
    with pytest.raises(error) as err:
        platform.publish(tokens, PostContent(text="", media=[video()], options=PUBLIC))
    assert err.value.message.startswith(message)
    assert reason in err.value.detail


def test_a_public_post_waits_for_moderation_to_give_its_id(fake, tokens, platform):
    fake.processing = [{"status": "PROCESSING_UPLOAD"}, {"status": "PUBLISH_COMPLETE"},
                       {"status": "PUBLISH_COMPLETE"}, {"status": "DONE"}]
    got = platform.publish(tokens, PostContent(text="", media=[video()], options=PUBLIC))

    assert len(fake.received("POST", "/v2/post/publish/status/fetch/")) == 4
    assert got.post_id == next(iter(fake.publishes.values()))["video_id"]
    assert platform.slept == [2.0, 3.0, 5.0, 8.0]


def test_waiting_is_bounded_and_hands_over_the_publish_id(fake, tokens, platform):
    fake.processing = [{"status": "PROCESSING_UPLOAD"}]  # TikTok never finishes while postr waits
    got = platform.publish(tokens, PostContent(text="", media=[video()], options=PUBLIC))

    assert got == tiktok.Published(post_id=next(iter(fake.publishes)), url=None)
    assert platform.slept == list(tiktok.POLL_DELAYS)
    assert 240 <= sum(platform.slept) <= 360  # about five minutes, within 30 status checks a minute
    assert all(b >= a for a, b in zip(platform.slept, platform.slept[1:]))  # backing off


def test_a_lost_status_answer_after_the_upload_never_means_posting_twice(fake, tokens, platform):
    fake.fail_next(Reply(503, {"data": {}, "error": {"code": "internal_error", "message": "", "log_id": "1"}}),
                   path="/v2/post/publish/status/fetch/")
    got = platform.publish(tokens, PostContent(text="", media=[video()], options=PUBLIC))
    assert got == tiktok.Published(post_id=next(iter(fake.publishes)), url=None)


# --- upload failures ---------------------------------------------------------------------

def test_a_chunk_tiktok_failed_to_take_is_sent_again(fake, tokens, platform):
    fake.fail_next(Reply(503, b""), path="/upload/")
    clip = video()
    platform.publish(tokens, PostContent(text="", media=[clip], options=PUBLIC))

    publish_id = next(iter(fake.publishes))
    assert len(fake.received("PUT")) == 2
    assert fake.upload_of(publish_id)[0] == clip.size
    assert platform.slept[0] == tiktok.CHUNK_RETRY_DELAYS[0]


def test_a_chunk_whose_answer_was_lost_is_not_sent_twice(fake, tokens, platform, short_timeouts):
    data = bytes(range(256)) * (21 * 4096)  # 21 MB: a 10 MB chunk, then 11 MB
    fake.upload_answer_delays[1] = 1.0  # TikTok takes chunk 1, its answer never arrives
    clip = media_from_bytes(data, kind="video", mime_type="video/mp4", duration_s=20)
    platform.publish(tokens, PostContent(text="", media=[clip], options=PUBLIC))

    publish_id = next(iter(fake.publishes))
    assert fake.upload_of(publish_id) == (len(data), hashlib.sha256(data).hexdigest(), 2)
    assert len(fake.received("PUT")) == 2  # chunk 1 once, then chunk 2
    assert calls(fake)[3] == ("POST", "/v2/post/publish/status/fetch/")  # where TikTok had got to


def test_a_lost_answer_to_the_last_chunk_may_mean_a_post(fake, tokens, platform, short_timeouts):
    fake.upload_answer_delays[1] = 1.0
    with pytest.raises(OutcomeUnknown):
        platform.publish(tokens, PostContent(text="", media=[video()], options=PUBLIC))
    assert len(fake.received("PUT")) == 1


@pytest.mark.parametrize(("status", "error"), [(403, Transient), (404, Transient), (400, Permanent)])
def test_upload_refusals(fake, tokens, platform, status, error):
    fake.fail_next(Reply(status, b""), path="/upload/")
    with pytest.raises(error) as err:
        platform.publish(tokens, PostContent(text="", media=[video()], options=PUBLIC))
    assert err.value.detail == f"upload chunk 1/1: HTTP {status}"


def test_a_file_shorter_than_announced_is_never_finished(fake, tokens, platform):
    data = bytes(22 * MB)  # two chunks: 10 MB, then the rest
    clip = Media(kind="video", mime_type="video/mp4", size=len(data) + 5, duration_s=9,
                 chunks=lambda n: iter([data[i:i + n] for i in range(0, len(data), n)]))
    with pytest.raises(Permanent) as err:
        platform.publish(tokens, PostContent(text="", media=[clip], options=PUBLIC))
    assert err.value.message == f"The file was {len(data)} bytes, not the {len(data) + 5} announced; upload it again."
    assert len(fake.received("PUT")) == 1  # the last chunk never left: nothing is posted
    assert next(iter(fake.publishes.values()))["arrived"] is False


# --- API errors --------------------------------------------------------------------------

def test_an_expired_token_needs_reconnecting(fake, tokens, platform):
    fake.expire(tokens.access_token)
    with pytest.raises(AuthExpired) as err:
        platform.publish(tokens, PostContent(text="", media=[video()], options=PUBLIC))
    assert err.value.status == 401 and "reconnect your TikTok account" in err.value.message
    assert tokens.access_token not in json.dumps([str(err.value), err.value.detail])


def test_rate_limited(fake, tokens, platform):
    fake.fail_next(api_error(429, "rate_limit_exceeded", "Your request is blocked due to exceeding the API rate "
                                                         "limit."), path="/video/init/")
    with pytest.raises(RateLimited) as err:
        platform.publish(tokens, PostContent(text="", media=[video()], options=PUBLIC))
    assert err.value.retry_after == 60  # TikTok's one-minute window
    fake.fail_next(Reply(429, {"data": {}, "error": {"code": "rate_limit_exceeded", "message": "", "log_id": "1"}},
                         headers={"Retry-After": "17"}), path="/video/init/")
    with pytest.raises(RateLimited) as err:
        platform.publish(tokens, PostContent(text="", media=[video()], options=PUBLIC))
    assert err.value.retry_after == 17


@pytest.mark.parametrize(("reply", "error", "message"), [
    (api_error(500, "internal_error", "TikTok server error."), Transient, "TikTok had a temporary problem"),
    (api_error(400, "invalid_param", "The chunk size is invalid."), Permanent,
     "TikTok refused to start the video upload to TikTok: The chunk size is invalid."),
    (api_error(403, "unaudited_client_can_only_post_to_private_accounts", "Unaudited clients can only post to a "
                                                                          "private account."), Permanent,
     "Until TikTok finishes reviewing postr's app, postr can post only to private TikTok accounts"),
    (api_error(403, "privacy_level_option_mismatch", "privacy_level is not among the options."), Permanent,
     "Your TikTok account does not allow the audience chosen"),
    (api_error(403, "spam_risk_too_many_posts", "The daily post cap from the API is reached."), RateLimited,
     "Your TikTok account has reached TikTok's daily limit"),
    (api_error(401, "scope_not_authorized", "The access_token does not bear user's grant on video.publish scope"),
     AuthExpired, "postr does not have your permission to start the video upload to TikTok"),
])
def test_init_errors(fake, tokens, platform, reply, error, message):
    fake.fail_next(reply, path="/video/init/")
    with pytest.raises(error) as err:
        platform.publish(tokens, PostContent(text="", media=[video()], options=PUBLIC))
    assert err.value.message.startswith(message)
    assert err.value.detail.startswith(reply.body["error"]["code"] + "; ") and "log_id" in err.value.detail
    assert fake.received("PUT") == []


def test_a_pulled_video_whose_init_answer_is_lost_may_be_on_tiktok(fake, tokens, platform, short_timeouts):
    fake.fail_next(Reply(200, {}, delay=1.0), path="/video/init/")
    clip = video(url="https://media.postr.test/u/1/clip.mp4")
    with pytest.raises(OutcomeUnknown):
        platform.publish(tokens, PostContent(text="", media=[clip], options=PUBLIC))


def test_an_upload_whose_init_answer_is_lost_can_start_again(fake, tokens, platform, short_timeouts):
    # TikTok posts nothing before every byte arrives: no answer, no upload, no post.
    fake.fail_next(Reply(200, {}, delay=1.0), path="/video/init/")
    with pytest.raises(Transient):
        platform.publish(tokens, PostContent(text="", media=[video()], options=PUBLIC))


def test_tiktok_unreachable_is_transient(tokens, fake_env):
    with TikTokFake() as gone:
        url = gone.url
    fake_env(TIKTOK_API_URL=url)
    with pytest.raises(Transient):
        tiktok.PLATFORM.profile(tokens)


# --- delete and metrics ------------------------------------------------------------------

def test_delete_is_not_in_tiktoks_api(fake, tokens):
    with pytest.raises(Permanent) as err:
        tiktok.PLATFORM.delete(tokens, "7434560000000000002")
    assert err.value.message == "TikTok's API cannot delete posts; delete it in the TikTok app."
    assert fake.requests == []


def test_metrics(fake, tokens, platform):
    post = platform.publish(tokens, PostContent(text="", media=[video()], options=PUBLIC)).post_id
    fake.videos[post].update(like_count=120, comment_count=7, share_count=9, view_count=4000)
    before = len(fake.requests)

    got = tiktok.PLATFORM.metrics(tokens, post)

    [req] = fake.requests[before:]
    assert (req.method, req.path, req.query) == ("POST", "/v2/video/query/",
                                                 {"fields": ["id,like_count,comment_count,share_count,view_count"]})
    assert bearer(req, tokens) and req.json == {"filters": {"video_ids": [post]}}
    assert (got.likes, got.reposts, got.replies, got.views) == (120, 9, 7, 4000)


def test_metrics_of_a_post_known_by_its_publish_id(fake, tokens, platform):
    fake.processing = [{"status": "PROCESSING_UPLOAD"}]
    publish_id = platform.publish(tokens, PostContent(text="", media=[video()], options=PUBLIC)).post_id
    fake.publishes[publish_id]["script"] = [{"status": "DONE"}]  # TikTok finished later

    got = tiktok.PLATFORM.metrics(tokens, publish_id)

    video_id = fake.publishes[publish_id]["video_id"]
    assert fake.requests[-1].json == {"filters": {"video_ids": [video_id]}}
    assert got.views == 0 and got.likes == 0


def test_metrics_tiktok_does_not_give_are_none(fake, tokens, platform):
    private = platform.publish(tokens, PostContent(text="", media=[video()],
                                                   options={"privacy_level": "SELF_ONLY"})).post_id
    assert tiktok.PLATFORM.metrics(tokens, private) == tiktok.Metrics()  # private: no public id, no counts
    assert tiktok.PLATFORM.metrics(tokens, "7434569999999999999") == tiktok.Metrics()  # not this account's
    no_list = Tokens(access_token=tokens.access_token, scopes=["user.info.basic", "video.publish"])
    before = len(fake.requests)
    assert tiktok.PLATFORM.metrics(no_list, "7434569999999999999") == tiktok.Metrics()
    assert len(fake.requests) == before  # without video.list nothing is asked


def test_metrics_of_something_that_is_not_a_post_id(fake, tokens):
    with pytest.raises(Permanent):
        tiktok.PLATFORM.metrics(tokens, "../v2/user/info/")
    assert fake.requests == []


def test_metrics_many_reads_up_to_twenty_videos_in_one_query(fake, tokens, platform):
    posts = [platform.publish(tokens, PostContent(text="", media=[video()], options=PUBLIC)).post_id for _ in range(3)]
    for n, post in enumerate(posts):
        fake.videos[post].update(like_count=10 * n, comment_count=n, share_count=2 * n, view_count=100 * n)
    private = platform.publish(tokens, PostContent(text="", media=[video()],
                                                   options={"privacy_level": "SELF_ONLY"})).post_id
    before = len(fake.requests)

    got = tiktok.PLATFORM.metrics_many(tokens, [*posts, private, "../v2/user/info/", posts[0]])

    queries = [r for r in fake.requests[before:] if r.path == "/v2/video/query/"]
    assert len(queries) == 1 and queries[0].json == {"filters": {"video_ids": posts}}
    assert [(got[p].likes, got[p].replies, got[p].reposts, got[p].views) for p in posts] == [
        (0, 0, 0, 0), (10, 1, 2, 100), (20, 2, 4, 200)]
    assert got[private] == tiktok.Metrics()  # private: no public id, no counts
    assert isinstance(got["../v2/user/info/"], Permanent)  # never sent
    with pytest.raises(ValueError):
        tiktok.PLATFORM.metrics_many(tokens, [str(7434560000000000000 + i) for i in range(21)])
