"""Contract tests of the LinkedIn module against tools/fakes/linkedin.py: the exact
requests it sends, the documented answers it reads, each error class, and the
bad input it refuses before sending anything."""

import datetime as _dt
import socket
import urllib.parse

import pytest
from platform_media import media_from_bytes

import platforms
from fakes.base import Reply
from fakes.linkedin import LinkedInFake
from kernel import clock
from platforms import linkedin as li
from platforms.base import AppCredentials, Metrics, Platform, PostContent, Tokens
from platforms.errors import AuthExpired, OutcomeUnknown, Permanent, RateLimited, Transient
from platforms.linkedin import text as li_text
from platforms.linkedin import upload as li_upload

APP = AppCredentials("li-client", "li-secret")
REDIRECT = "https://app.postr.example/oauth/linkedin"
SUB = "782bbtaQ"
PERSON = f"urn:li:person:{SUB}"
PLATFORM = platforms.get("linkedin")


@pytest.fixture
def fake(fake_env):
    with LinkedInFake() as server:
        server.add_member(SUB, "Ada Lovelace")
        fake_env(LINKEDIN_API_URL=server.url, LINKEDIN_AUTH_URL=server.url, LINKEDIN_API_VERSION="202606")
        yield server


@pytest.fixture
def tokens(fake) -> Tokens:
    return Tokens(access_token=fake.token_for(SUB), scopes=["openid", "profile", "w_member_social"],
                  extra={"person_urn": PERSON})


def rest_headers_ok(req, token: str) -> None:
    assert req.headers["authorization"] == f"Bearer {token}"
    assert req.headers["linkedin-version"] == "202606"
    assert req.headers["x-restli-protocol-version"] == "2.0.0"


def post_body(commentary: str, **extra) -> dict:
    return {
        "author": PERSON,
        "commentary": commentary,
        "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
        **extra,
    }


def png(size: int = 3000) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + bytes(i % 251 for i in range(size - 8))


# --- the module as a whole -------------------------------------------------------
def test_registry_gives_a_linkedin_platform_implementing_every_method():
    assert isinstance(PLATFORM, li.LinkedInPlatform) and isinstance(PLATFORM, Platform)
    for method in ("authorization_url", "exchange_code", "refresh", "revoke", "profile", "validate", "publish",
                   "delete", "metrics"):
        assert getattr(type(PLATFORM), method) is not getattr(Platform, method), method
    assert PLATFORM.scopes == ("openid", "profile", "w_member_social")
    assert not PLATFORM.supports_threads and PLATFORM.supports_first_comment and PLATFORM.supports_video


# --- OAuth ---------------------------------------------------------------------------
def test_authorization_url_asks_only_for_the_scopes_publishing_needs(fake):
    url = urllib.parse.urlsplit(PLATFORM.authorization_url(APP, state="st-1", redirect_uri=REDIRECT,
                                                           code_challenge="ignored"))
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{fake.url}/oauth/v2/authorization"
    assert urllib.parse.parse_qs(url.query) == {
        "response_type": ["code"], "client_id": ["li-client"], "redirect_uri": [REDIRECT], "state": ["st-1"],
        "scope": ["openid profile w_member_social"],
    }
    assert "scope=openid%20profile%20w_member_social" in url.query


def test_authorization_url_adds_scopes_the_app_is_approved_for(fake, fake_env):
    fake_env(LINKEDIN_EXTRA_SCOPES="r_member_postAnalytics")
    url = PLATFORM.authorization_url(APP, state="s", redirect_uri=REDIRECT)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["scope"] == [
        "openid profile w_member_social r_member_postAnalytics"]


def test_exchange_code_sends_the_documented_form_and_reads_the_tokens(fake):
    code = fake.consent(SUB, REDIRECT)
    at = _dt.datetime(2026, 12, 1, 9, 0, tzinfo=_dt.timezone.utc)
    with clock.frozen(at):
        got = PLATFORM.exchange_code(APP, code=code, redirect_uri=REDIRECT)

    token_req, userinfo_req = fake.requests
    assert (token_req.method, token_req.path) == ("POST", "/oauth/v2/accessToken")
    assert token_req.headers["content-type"] == "application/x-www-form-urlencoded"
    assert token_req.form == {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                              "client_id": "li-client", "client_secret": "li-secret"}
    assert (userinfo_req.method, userinfo_req.path) == ("GET", "/v2/userinfo")
    assert userinfo_req.headers["authorization"] == f"Bearer {got.access_token}"

    assert got.access_token in fake.grants
    assert got.refresh_token is None  # not an approved partner
    assert got.expires_at == at + _dt.timedelta(days=60)
    assert got.scopes == ["openid", "profile", "w_member_social"]
    assert got.extra == {"person_urn": PERSON}


def test_exchange_code_keeps_the_scopes_linkedin_says_were_granted(fake):
    code = fake.consent(SUB, REDIRECT, scopes="openid profile")
    got = PLATFORM.exchange_code(APP, code=code, redirect_uri=REDIRECT)
    assert got.scopes == ["openid", "profile"]
    assert PLATFORM.missing_scopes(got.scopes) == ["w_member_social"]


def test_an_answer_without_scope_granted_what_was_asked(fake, fake_env):
    # RFC 6749 §5.1: scope is left out only when it is the requested one.
    fake_env(LINKEDIN_EXTRA_SCOPES="r_member_postAnalytics")
    token = fake.token_for(SUB)
    fake.fail_next(Reply(200, {"access_token": token, "expires_in": 5_184_000, "token_type": "Bearer"}),
                   path="/oauth/v2/accessToken")
    got = PLATFORM.exchange_code(APP, code="any", redirect_uri=REDIRECT)
    assert got.scopes == ["openid", "profile", "w_member_social", "r_member_postAnalytics"]
    assert PLATFORM.missing_scopes(got.scopes) == []


def test_exchange_code_refused_is_permanent_with_a_way_forward(fake):
    with pytest.raises(Permanent) as err:
        PLATFORM.exchange_code(APP, code="code-used-twice", redirect_uri=REDIRECT)
    assert "connect LinkedIn again" in err.value.message
    assert err.value.status == 400 and err.value.detail == "400 invalid_request"


def test_exchange_code_with_wrong_app_secret_blames_the_app_not_the_person(fake):
    code = fake.consent(SUB, REDIRECT)
    with pytest.raises(Permanent) as err:
        PLATFORM.exchange_code(AppCredentials("li-client", "wrong"), code=code, redirect_uri=REDIRECT)
    assert "app credentials" in err.value.message


def test_refresh_without_a_refresh_token_asks_to_reconnect_and_sends_nothing(fake, tokens):
    with pytest.raises(AuthExpired) as err:
        PLATFORM.refresh(APP, tokens)
    assert "reconnect LinkedIn" in err.value.message and "approved partners" in err.value.message
    assert fake.requests == []


def test_refresh_for_an_approved_partner(fake_env):
    with LinkedInFake(partner=True) as fake:
        fake.add_member(SUB)
        fake_env(LINKEDIN_API_URL=fake.url, LINKEDIN_AUTH_URL=fake.url)
        first = PLATFORM.exchange_code(APP, code=fake.consent(SUB, REDIRECT), redirect_uri=REDIRECT)
        assert first.refresh_token and "refresh_expires_at" in first.extra
        fake.requests.clear()

        at = _dt.datetime(2027, 1, 15, tzinfo=_dt.timezone.utc)
        with clock.frozen(at):
            fresh = PLATFORM.refresh(APP, first)

        (req,) = fake.requests
        assert (req.method, req.path) == ("POST", "/oauth/v2/accessToken")
        assert req.form == {"grant_type": "refresh_token", "refresh_token": first.refresh_token,
                            "client_id": "li-client", "client_secret": "li-secret"}
        assert fresh.access_token != first.access_token and fresh.access_token in fake.grants
        assert fresh.refresh_token == first.refresh_token
        assert fresh.expires_at == at + _dt.timedelta(days=60)
        assert fresh.extra["person_urn"] == PERSON


def test_refresh_token_no_longer_valid_means_reconnect(fake, tokens):
    tokens.refresh_token = "AQX-expired"
    with pytest.raises(AuthExpired) as err:
        PLATFORM.refresh(APP, tokens)
    assert "reconnect LinkedIn" in err.value.message


def test_revoke_is_not_offered_by_linkedin(fake, tokens):
    # LinkedIn documents no revocation endpoint: nothing is sent, and the module says so.
    assert PLATFORM.revokes is False
    assert PLATFORM.revoke(APP, tokens) is False
    assert fake.requests == []
    assert tokens.access_token in fake.grants  # still LinkedIn's to end (the member, or 60 days)


# --- profile -------------------------------------------------------------------------
def test_profile_from_openid_userinfo(fake, tokens):
    got = PLATFORM.profile(tokens)
    assert got.account_id == SUB
    assert (got.handle, got.display_name) == ("Ada Lovelace", "Ada Lovelace")
    assert got.avatar_url == f"https://media.licdn.com/dms/image/{SUB}/photo"
    assert got.followers_count is None  # not available with these scopes; never a fake 0
    (req,) = fake.requests
    assert (req.method, req.path, req.headers["authorization"]) == ("GET", "/v2/userinfo",
                                                                   f"Bearer {tokens.access_token}")


def test_profile_with_a_revoked_token_is_auth_expired(fake, tokens):
    fake.revoke_token(tokens.access_token)
    with pytest.raises(AuthExpired) as err:
        PLATFORM.profile(tokens)
    assert err.value.status == 401 and "INVALID_ACCESS_TOKEN" in err.value.detail


# --- little text and length ------------------------------------------------------------
@pytest.mark.parametrize("text, sent", [
    ("plain words, nothing reserved.", "plain words, nothing reserved."),
    ("Launch (beta) today", "Launch \\(beta\\) today"),
    ("Ping @ada [see] {x} <y> a|b", "Ping \\@ada \\[see\\] \\{x\\} \\<y\\> a\\|b"),
    ("snake_case *bold* ~strike~ back\\slash", "snake\\_case \\*bold\\* \\~strike\\~ back\\\\slash"),
    ("#python and #Café2026 stay hashtags", "#python and #Café2026 stay hashtags"),
    ("C# is not a tag, # alone, #1 and ##x neither", "C\\# is not a tag, \\# alone, \\#1 and \\#\\#x neither"),
    ("#snake_case: tag ends at the underscore", "#snake\\_case: tag ends at the underscore"),
    ("https://ex.com/a_(b)?q=#frag", "https://ex.com/a\\_\\(b\\)?q=\\#frag"),
])
def test_little_text_escapes_every_reserved_character(text, sent):
    assert li_text.little_text(text) == sent


@pytest.mark.parametrize("text, length", [
    ("hello", 5),
    ("é", 1),  # precomposed
    ("e\u0301", 2),  # e + combining acute: two code units
    ("日本語", 3),  # CJK: one unit each
    ("😀", 2),  # outside the BMP: a surrogate pair
    ("👩‍💻", 5),  # ZWJ sequence: 2 + 1 + 2
    ("(a)", 3),  # escapes are not counted
])
def test_length_counts_utf16_units_of_the_visible_text(text, length):
    assert li_text.text_length(text) == length


# --- validate --------------------------------------------------------------------------
def messages(content: PostContent) -> list[str]:
    return [p.message for p in PLATFORM.validate(content)]


def test_valid_posts_have_no_problems():
    assert PLATFORM.validate(PostContent(text="x" * 3000)) == []
    assert PLATFORM.validate(PostContent(text="(" * 3000)) == []  # 6,000 once escaped, 3,000 visible
    assert PLATFORM.validate(PostContent(text="😀" * 1500)) == []
    images = [media_from_bytes(png(), alt_text="a" * 4086) for _ in range(20)]
    assert PLATFORM.validate(PostContent(text="twenty", media=images, first_comment="more")) == []
    video = media_from_bytes(b"v" * 80_000, kind="video", mime_type="video/mp4", duration_s=12.5)
    assert PLATFORM.validate(PostContent(text="", media=[video])) == []


def test_thread_on_linkedin_is_a_clear_problem():
    problems = PLATFORM.validate(PostContent(text="one", thread=[PostContent(text="two")]))
    assert [p.field for p in problems] == ["thread"]
    assert problems[0].message.startswith("LinkedIn does not support threads")


def test_over_long_text_says_by_how_much():
    assert messages(PostContent(text="x" * 3001)) == [
        "The post is 3,001 characters long and LinkedIn allows 3,000; remove 1."]
    assert messages(PostContent(text="😀" * 1501)) == [
        "The post is 3,002 characters long and LinkedIn allows 3,000; remove 2."]


def test_empty_post_and_bad_visibility():
    assert messages(PostContent(text="  ")) == ["A LinkedIn post needs text, media or a link."]
    assert messages(PostContent(text="hi", options={"visibility": "LOGGED_IN"})) == [
        "LinkedIn visibility must be PUBLIC or CONNECTIONS."]


def test_wrong_media_each_named():
    webp = media_from_bytes(png(), mime_type="image/webp")
    huge = media_from_bytes(png(), width=8000, height=6000)
    long_alt = media_from_bytes(png(), alt_text="a" * 4087)
    assert messages(PostContent(text="x", media=[webp, huge, long_alt])) == [
        "Image 1 is image/webp; LinkedIn takes JPEG, PNG or GIF images.",
        "Image 2 is 8000x6000 pixels; LinkedIn takes images of fewer than 36,152,320 pixels in all.",
        "The alt text of image 3 is 4,087 characters; LinkedIn allows 4,086.",
    ]


def test_too_many_images_and_mixed_media():
    images = [media_from_bytes(png()) for _ in range(21)]
    assert messages(PostContent(text="x", media=images)) == ["A LinkedIn post takes up to 20 images; this one has 21."]
    video = media_from_bytes(b"v" * 80_000, kind="video", mime_type="video/mp4")
    assert messages(PostContent(text="x", media=[images[0], video, video])) == [
        "A LinkedIn post takes images or one video, not both.",
        "A LinkedIn post takes one video; this one has 2.",
    ]


def test_video_limits():
    mov = media_from_bytes(b"v" * 80_000, kind="video", mime_type="video/quicktime", duration_s=2)
    tiny = media_from_bytes(b"v" * 1000, kind="video", mime_type="video/mp4", duration_s=1801)
    assert messages(PostContent(text="x", media=[mov])) == [
        "Video 1 is video/quicktime; LinkedIn takes MP4 videos.",
        "Video 1 lasts 2 seconds; LinkedIn takes videos from 3 seconds to 30 minutes.",
    ]
    assert messages(PostContent(text="x", media=[tiny])) == [
        "Video 1 is 1,000 bytes; LinkedIn takes videos from 75 KB to 500 MB.",
        "Video 1 lasts 1801 seconds; LinkedIn takes videos from 3 seconds to 30 minutes.",
    ]


def test_link_with_media_is_a_problem():
    assert messages(PostContent(text="x", link="https://ex.com", media=[media_from_bytes(png())])) == [
        "A LinkedIn post carries either media or a link preview, not both; put the link in the text instead."]


@pytest.mark.parametrize("content", [
    PostContent(text="one", thread=[PostContent(text="two")]),
    PostContent(text="x" * 3001),
    PostContent(text="x", media=[media_from_bytes(png(), mime_type="image/webp")]),
])
def test_publish_refuses_without_sending_when_validate_finds_problems(fake, tokens, content):
    with pytest.raises(Permanent) as err:
        PLATFORM.publish(tokens, content)
    assert err.value.message == "This post cannot go to LinkedIn: " + " ".join(messages(content))
    assert fake.requests == []


# --- publish ---------------------------------------------------------------------------
def test_publish_text_sends_the_documented_post(fake, tokens):
    text = "Shipping v2 (finally) #launch — thanks @team_a!"
    got = PLATFORM.publish(tokens, PostContent(text=text))

    (req,) = fake.requests
    assert (req.method, req.path) == ("POST", "/rest/posts")
    rest_headers_ok(req, tokens.access_token)
    assert req.headers["content-type"] == "application/json"
    assert req.json == post_body("Shipping v2 \\(finally\\) #launch — thanks \\@team\\_a!")

    urn = next(iter(fake.posts))
    assert got.post_id == urn and urn.startswith("urn:li:share:")
    assert got.url == f"https://www.linkedin.com/feed/update/{urn}"
    assert got.comment_id is None and got.part_ids == ()
    assert fake.posts[urn]["rendered"] == text  # nothing cut off on LinkedIn's side


def test_unescaped_text_would_be_cut_by_linkedin():
    # Why little_text exists: the fake imitates LinkedIn's silent truncation.
    from fakes.linkedin import render_little
    assert render_little("Shipping v2 (finally)") == "Shipping v2 "
    assert render_little(li_text.little_text("Shipping v2 (finally)")) == "Shipping v2 (finally)"


def test_publish_looks_up_the_author_when_tokens_lack_it(fake):
    tokens = Tokens(access_token=fake.token_for(SUB), scopes=["openid", "profile", "w_member_social"])
    PLATFORM.publish(tokens, PostContent(text="hello"))
    assert [(r.method, r.path) for r in fake.requests] == [("GET", "/v2/userinfo"), ("POST", "/rest/posts")]
    assert fake.requests[1].json["author"] == PERSON


def test_publish_one_image_with_alt_text(fake, tokens):
    data = png(5000)
    got = PLATFORM.publish(tokens, PostContent(text="A chart", media=[media_from_bytes(data, alt_text="Sales, up")]))

    init, put, post = fake.requests
    assert (init.method, init.path, init.arg("action")) == ("POST", "/rest/images", "initializeUpload")
    rest_headers_ok(init, tokens.access_token)
    assert init.json == {"initializeUploadRequest": {"owner": PERSON}}
    image_urn = next(iter(fake.images))
    assert (put.method, put.path) == ("PUT", f"/dms-uploads/image/{fake.images[image_urn]['key']}")
    assert put.headers["authorization"] == f"Bearer {tokens.access_token}"
    assert put.headers["content-length"] == str(len(data)) and "transfer-encoding" not in put.headers
    assert put.body == data and fake.images[image_urn]["bytes"] == data
    assert post.json == post_body("A chart", content={"media": {"id": image_urn, "altText": "Sales, up"}})
    assert got.post_id in fake.posts


def test_publish_several_images_as_multi_image(fake, tokens):
    files = [png(1000 + i) for i in range(3)]
    media = [media_from_bytes(f, alt_text=f"photo {i}" if i != 1 else None) for i, f in enumerate(files)]
    PLATFORM.publish(tokens, PostContent(text="Three", media=media))

    assert [(r.method, r.path) for r in fake.requests][::2][:3] == [("POST", "/rest/images")] * 3
    urns = list(fake.images)
    assert [fake.images[u]["bytes"] for u in urns] == files
    assert fake.requests[-1].json["content"] == {"multiImage": {"images": [
        {"id": urns[0], "altText": "photo 0"}, {"id": urns[1]}, {"id": urns[2], "altText": "photo 2"}]}}


def test_publish_video_in_parts_and_waits_until_available(fake_env, tokens, monkeypatch):
    paused = []
    monkeypatch.setattr(li_upload, "_pause", paused.append)
    data = bytes(i % 256 for i in range(250_000))
    with LinkedInFake(video_part_size=100_000, video_processing_checks=2) as fake:
        fake.add_member(SUB)
        fake_env(LINKEDIN_API_URL=fake.url, LINKEDIN_AUTH_URL=fake.url)
        tokens = Tokens(access_token=fake.token_for(SUB), scopes=["w_member_social"], extra={"person_urn": PERSON})
        video = media_from_bytes(data, kind="video", mime_type="video/mp4", duration_s=30)
        got = PLATFORM.publish(tokens, PostContent(text="Demo", media=[video], options={"title": "Demo reel"}))

        video_urn = next(iter(fake.videos))
        calls = [(r.method, r.path) for r in fake.requests]
        key = video_urn.rsplit("Q", 1)[1]
        assert calls == [
            ("POST", "/rest/videos"),
            ("PUT", f"/dms-uploads/video/{key}/0"), ("PUT", f"/dms-uploads/video/{key}/1"),
            ("PUT", f"/dms-uploads/video/{key}/2"),
            ("POST", "/rest/videos"),
            *[("GET", f"/rest/videos/{urllib.parse.quote(video_urn, safe='')}")] * 3,
            ("POST", "/rest/posts"),
        ]
        init, finalize = fake.requests[0], fake.requests[4]
        assert init.arg("action") == "initializeUpload" and init.json == {"initializeUploadRequest": {
            "owner": PERSON, "fileSizeBytes": 250_000, "uploadCaptions": False, "uploadThumbnail": False}}
        assert [len(r.body) for r in fake.requests[1:4]] == [100_000, 100_000, 50_000]
        assert all(r.headers["content-type"] == "application/octet-stream" for r in fake.requests[1:4])
        assert fake.video_data(video_urn) == data
        assert finalize.arg("action") == "finalizeUpload" and finalize.json == {"finalizeUploadRequest": {
            "video": video_urn, "uploadToken": "",
            "uploadedPartIds": [f"/ambry-video/signedId/{video_urn}/{n}" for n in range(3)]}}
        assert paused == [1.0, 2.0]  # two PROCESSING answers, then AVAILABLE
        assert fake.requests[-1].json == post_body("Demo", content={"media": {"id": video_urn, "title": "Demo reel"}})
        assert got.post_id.startswith("urn:li:ugcPost:")


def test_video_that_fails_processing_is_permanent(fake, tokens, monkeypatch):
    monkeypatch.setattr(li_upload, "_pause", lambda s: None)
    fake.fail_next(Reply(200, {"status": "PROCESSING_FAILED"}), path="/rest/videos/")
    video = media_from_bytes(b"v" * 80_000, kind="video", mime_type="video/mp4")
    with pytest.raises(Permanent) as err:
        PLATFORM.publish(tokens, PostContent(text="x", media=[video]))
    assert "could not process the video" in err.value.message
    assert not fake.posts


def test_publish_with_a_link_card(fake, tokens):
    PLATFORM.publish(tokens, PostContent(text="Read this", link="https://ex.com/post",
                                         options={"link_title": "Our post", "visibility": "CONNECTIONS"}))
    assert fake.requests[-1].json == post_body("Read this", visibility="CONNECTIONS", content={
        "article": {"source": "https://ex.com/post", "title": "Our post"}})


def test_first_comment_through_the_comments_api(fake, tokens):
    got = PLATFORM.publish(tokens, PostContent(text="Post", first_comment="Link: https://ex.com/a_(b)"))
    post_req, comment_req = fake.requests
    assert (comment_req.method, comment_req.path) == (
        "POST", f"/rest/socialActions/{urllib.parse.quote(got.post_id, safe='')}/comments")
    rest_headers_ok(comment_req, tokens.access_token)
    # Comments are plain text, not little text: sent as written.
    assert comment_req.json == {"actor": PERSON, "object": got.post_id, "message": {"text": "Link: https://ex.com/a_(b)"}}
    assert got.comment_id in fake.comments and got.comment_id.startswith(f"urn:li:comment:({got.post_id},")


def test_failed_first_comment_leaves_the_post_published(fake, tokens):
    fake.fail_next(Reply(500, {"status": 500, "message": "Internal Server Error"}), path="/comments")
    got = PLATFORM.publish(tokens, PostContent(text="Post", first_comment="later"))
    assert got.post_id in fake.posts and got.comment_id is None


def test_post_answer_without_an_id_is_outcome_unknown(fake, tokens):
    fake.fail_next(Reply(201, b""), path="/rest/posts")
    with pytest.raises(OutcomeUnknown):
        PLATFORM.publish(tokens, PostContent(text="hello"))


# --- delete and metrics -------------------------------------------------------------------
def test_delete_sends_the_encoded_urn_and_is_idempotent(fake, tokens):
    urn = PLATFORM.publish(tokens, PostContent(text="bye")).post_id
    fake.requests.clear()
    PLATFORM.delete(tokens, urn)
    PLATFORM.delete(tokens, urn)
    for req in fake.requests:
        assert (req.method, req.path) == ("DELETE", "/rest/posts/" + urn.replace(":", "%3A"))
        rest_headers_ok(req, tokens.access_token)
        assert req.headers["x-restli-method"] == "DELETE"
    assert fake.posts[urn]["deleted"] is True


def test_delete_of_a_post_already_gone_succeeds(fake, tokens):
    PLATFORM.delete(tokens, "urn:li:share:1")  # 404 at LinkedIn: nothing left to delete


def test_delete_of_someone_elses_post_is_permanent(fake, tokens):
    other = Tokens(access_token=fake.token_for(fake.add_member("other1", "Bob Smith").sub),
                   extra={"person_urn": "urn:li:person:other1"})
    urn = PLATFORM.publish(other, PostContent(text="mine")).post_id
    with pytest.raises(Permanent) as err:
        PLATFORM.delete(tokens, urn)
    assert err.value.status == 403 and "permission" in err.value.message
    assert fake.posts[urn]["deleted"] is False


def test_metrics_without_analytics_scope_are_unknown_not_zero(fake, tokens):
    assert PLATFORM.metrics(tokens, "urn:li:share:1") == Metrics(likes=None, reposts=None, replies=None, views=None)
    assert fake.requests == []


def test_metrics_from_member_post_analytics(fake, tokens):
    tokens.scopes.append("r_member_postAnalytics")
    fake.grants[tokens.access_token].scopes.append("r_member_postAnalytics")
    urn = PLATFORM.publish(tokens, PostContent(text="measured")).post_id
    fake.analytics[urn] = {"IMPRESSION": 1520, "REACTION": 48, "COMMENT": 0}  # no RESHARE data yet
    fake.requests.clear()

    assert PLATFORM.metrics(tokens, urn) == Metrics(likes=48, reposts=None, replies=0, views=1520)
    assert [r.arg("queryType") for r in fake.requests] == ["REACTION", "RESHARE", "COMMENT", "IMPRESSION"]
    for req in fake.requests:
        assert (req.method, req.path) == ("GET", "/rest/memberCreatorPostAnalytics")
        rest_headers_ok(req, tokens.access_token)
        assert req.query["q"] == ["entity"] and req.query["aggregation"] == ["TOTAL"]
        assert req.query["entity"] == [f"(share:{urn})"]


def test_metrics_of_a_video_post_use_the_ugc_entity(fake, tokens):
    tokens.scopes.append("r_member_postAnalytics")
    fake.grants[tokens.access_token].scopes.append("r_member_postAnalytics")
    fake.analytics["urn:li:ugcPost:42"] = {"REACTION": 3}
    assert PLATFORM.metrics(tokens, "urn:li:ugcPost:42").likes == 3
    assert fake.requests[0].query["entity"] == ["(ugc:urn:li:ugcPost:42)"]


# --- errors ------------------------------------------------------------------------------
def test_expired_token_on_publish_is_auth_expired(fake, tokens):
    fake.revoke_token(tokens.access_token)
    with pytest.raises(AuthExpired) as err:
        PLATFORM.publish(tokens, PostContent(text="hello"))
    assert "reconnect LinkedIn" in err.value.message and err.value.detail == "401 INVALID_ACCESS_TOKEN 65600"


def test_throttled_is_rate_limited_with_retry_after(fake, tokens):
    fake.fail_next(Reply(429, {"status": 429, "message": "Resource level throttle APPLICATION DAY limit for calls to "
                                                         "this resource is reached."}, headers={"Retry-After": "120"}))
    with pytest.raises(RateLimited) as err:
        PLATFORM.publish(tokens, PostContent(text="hello"))
    assert err.value.retry_after == 120.0 and err.value.status == 429


def test_throttled_without_retry_after(fake, tokens):
    fake.fail_next(Reply(429, {"status": 429, "message": "Too many requests"}))
    with pytest.raises(RateLimited) as err:
        PLATFORM.profile(tokens)
    assert err.value.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_transient(fake, tokens, status):
    fake.fail_next(Reply(status, {"status": status, "message": "Internal Server Error"}))
    with pytest.raises(Transient) as err:
        PLATFORM.publish(tokens, PostContent(text="hello"))
    assert "will retry" in err.value.message and not fake.posts


def test_duplicate_post_is_permanent_and_says_so(fake, tokens):
    PLATFORM.publish(tokens, PostContent(text="Same words"))
    with pytest.raises(Permanent) as err:
        PLATFORM.publish(tokens, PostContent(text="Same words"))
    assert err.value.message == "LinkedIn refused this post as a duplicate of one already on this account."
    assert err.value.status == 422 and err.value.detail == "422 DUPLICATE_POST"


def test_content_refused_is_permanent_with_linkedins_reason(fake, tokens):
    fake.fail_next(Reply(422, {"message": "ERROR :: /content/media/id :: the image is still processing",
                               "status": 422}), path="/rest/posts")
    with pytest.raises(Permanent) as err:
        PLATFORM.publish(tokens, PostContent(text="hello"))
    assert err.value.message == ("LinkedIn refused publishing the post: "
                                 "ERROR :: /content/media/id :: the image is still processing")


def test_missing_permission_is_permanent_and_says_what_to_do(fake):
    tokens = Tokens(access_token=fake.token_for(SUB, "openid profile"), extra={"person_urn": PERSON})
    with pytest.raises(Permanent) as err:
        PLATFORM.publish(tokens, PostContent(text="hello"))
    assert err.value.status == 403 and "Reconnect LinkedIn" in err.value.message
    assert err.value.detail == "403 ACCESS_DENIED 100"


def test_post_create_timing_out_after_send_is_outcome_unknown(fake, tokens, short_timeouts):
    fake.fail_next(Reply(201, b"", headers={"x-restli-id": "urn:li:share:9"}, delay=1.0), path="/rest/posts")
    with pytest.raises(OutcomeUnknown) as err:
        PLATFORM.publish(tokens, PostContent(text="hello"))
    assert "may have gone through" in err.value.message
    assert len(fake.received("POST", "/rest/posts")) == 1  # sent once, never retried blindly


def test_read_timing_out_is_transient(fake, tokens, short_timeouts):
    fake.fail_next(Reply(200, {}, delay=1.0), path="/v2/userinfo")
    with pytest.raises(Transient):
        PLATFORM.profile(tokens)


def test_linkedin_unreachable_is_transient(fake_env, tokens):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    fake_env(LINKEDIN_API_URL=f"http://127.0.0.1:{port}")
    with pytest.raises(Transient):
        PLATFORM.publish(tokens, PostContent(text="hello"))
