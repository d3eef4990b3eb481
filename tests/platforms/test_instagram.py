"""Contract tests for the Instagram module against tools/fakes/instagram.py
(Meta's documented Instagram API with Instagram Login shapes): the exact
requests sent, the answers parsed, each error class, the container state
machine, carousels, reels, the first comment, and bad input refused before
any request."""

import datetime as dt
import json
import urllib.parse

import httpx
import pytest

from fakes.base import Reply
from fakes.instagram import LONG_LIVED_SECONDS, InstagramFake, graph_error
from kernel import clock
from platforms import get, http
from platforms.base import AppCredentials, Media, PostContent, Tokens
from platforms.errors import AuthExpired, OutcomeUnknown, PartlyPublished, Permanent, RateLimited, Transient
from platforms.instagram import InstagramPlatform
from platforms.instagram.rules import hashtags_in, mentions_in
from platforms.meta_graph import PermissionMissing
from platforms.meta_graph.containers import POLL_DELAYS

APP = AppCredentials(client_id="990602627938098", client_secret="ig-app-secret")
REDIRECT = "https://postr.example/oauth/instagram"
ALL_SCOPES = ("instagram_business_basic", "instagram_business_content_publish",
              "instagram_business_manage_comments", "instagram_business_manage_insights")
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def fake(fake_env):
    with InstagramFake() as server:
        server.add_app(APP.client_id, APP.client_secret, REDIRECT)
        fake_env(INSTAGRAM_API_URL=server.url, INSTAGRAM_OAUTH_URL=server.url,
                 INSTAGRAM_AUTH_URL="https://instagram.example/oauth/authorize")
        yield server


@pytest.fixture
def waits():
    return []


@pytest.fixture
def instagram(waits):
    return InstagramPlatform(sleep=waits.append)


@pytest.fixture
def account(fake):
    user_id = fake.add_user()
    return Tokens(access_token=fake.issue_token(user_id), scopes=list(ALL_SCOPES), extra={"user_id": user_id})


def image(url="https://storage.example/signed/a.jpg?sig=1", **kw) -> Media:
    return Media(kind="image", mime_type=kw.pop("mime_type", "image/jpeg"), size=kw.pop("size", 900_000),
                 width=kw.pop("width", 1080), height=kw.pop("height", 1350), url=url, **kw)


def video(url="https://storage.example/signed/v.mp4?sig=2", **kw) -> Media:
    return Media(kind="video", mime_type=kw.pop("mime_type", "video/mp4"), size=kw.pop("size", 40_000_000),
                 width=kw.pop("width", 1080), height=kw.pop("height", 1920), duration_s=kw.pop("duration_s", 30.0),
                 url=url, **kw)


def form(req) -> dict:
    return {k: v[0] for k, v in urllib.parse.parse_qs(req.body.decode()).items()}


def query(req) -> dict:
    return {k: v[0] for k, v in req.query.items()}


def status_reads(fake) -> list:
    return [r for r in fake.requests if r.method == "GET" and query(r).get("fields") == "status_code,status"]


def publishes(fake) -> list:
    return [r for r in fake.requests if r.path.endswith("/media_publish")]


# --- registry and OAuth ------------------------------------------------------------------

def test_the_registry_returns_the_instagram_module():
    platform = get("instagram")
    assert isinstance(platform, InstagramPlatform)
    assert platform.supports_first_comment and platform.supports_video and not platform.supports_threads
    assert platform.scopes == ALL_SCOPES


def test_authorization_url_asks_only_for_the_needed_scopes(fake, instagram):
    url = urllib.parse.urlsplit(instagram.authorization_url(APP, state="st4te", redirect_uri=REDIRECT))
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://instagram.example/oauth/authorize"
    assert dict(urllib.parse.parse_qsl(url.query)) == {
        "client_id": APP.client_id, "redirect_uri": REDIRECT, "response_type": "code", "state": "st4te",
        "scope": "instagram_business_basic,instagram_business_content_publish,instagram_business_manage_comments,"
                 "instagram_business_manage_insights",
    }
    assert fake.requests == []


@pytest.mark.parametrize("shape", ["data", "flat"])
def test_exchange_code_gets_a_long_lived_token_and_the_professional_account_id(fake, instagram, shape):
    fake.code_answer = shape
    user_id = fake.add_user()
    code = fake.issue_code(APP.client_id, REDIRECT, user_id)
    with clock.frozen(NOW):
        tokens = instagram.exchange_code(APP, code=code, redirect_uri=REDIRECT)

    short_req, long_req, me_req = fake.requests
    assert (short_req.method, short_req.path) == ("POST", "/oauth/access_token")
    assert short_req.query == {}  # the app secret and the code travel in the body, not the URL
    assert form(short_req) == {"client_id": APP.client_id, "client_secret": APP.client_secret, "code": code,
                               "grant_type": "authorization_code", "redirect_uri": REDIRECT}
    assert (long_req.method, long_req.path) == ("GET", "/access_token")
    short_token = query(long_req)["access_token"]
    assert fake.tokens[short_token]["kind"] == "short"
    assert query(long_req) == {"grant_type": "ig_exchange_token", "client_secret": APP.client_secret,
                               "access_token": short_token}
    assert (me_req.method, me_req.path) == ("GET", "/v25.0/me")
    assert query(me_req) == {"fields": "user_id,username", "access_token": tokens.access_token}
    assert fake.tokens[tokens.access_token]["kind"] == "long"
    assert tokens.refresh_token is None
    assert tokens.expires_at == NOW + dt.timedelta(seconds=LONG_LIVED_SECONDS)
    # The professional account's id, not the app-scoped id the code exchange returns.
    assert tokens.extra == {"user_id": user_id} and fake.users[user_id]["id"] != user_id
    assert tokens.scopes == list(ALL_SCOPES)


def test_granted_scopes_are_recorded_and_publishing_is_required(fake, instagram):
    user_id = fake.add_user()
    some = ("instagram_business_basic", "instagram_business_content_publish")
    tokens = instagram.exchange_code(APP, code=fake.issue_code(APP.client_id, REDIRECT, user_id, some),
                                     redirect_uri=REDIRECT)
    assert tokens.scopes == list(some)
    assert instagram.missing_scopes(tokens.scopes) == ["instagram_business_manage_comments",
                                                       "instagram_business_manage_insights"]

    fake.requests.clear()
    code = fake.issue_code(APP.client_id, REDIRECT, user_id, ("instagram_business_basic",))
    with pytest.raises(Permanent) as caught:
        instagram.exchange_code(APP, code=code, redirect_uri=REDIRECT)
    assert "allow every permission" in caught.value.message
    assert [r.path for r in fake.requests] == ["/oauth/access_token"]  # no token was kept


def test_a_used_code_or_a_wrong_redirect_is_refused_permanently(fake, instagram):
    user_id = fake.add_user()
    code = fake.issue_code(APP.client_id, REDIRECT, user_id)
    instagram.exchange_code(APP, code=code, redirect_uri=REDIRECT)
    with pytest.raises(Permanent) as caught:
        instagram.exchange_code(APP, code=code, redirect_uri=REDIRECT)
    assert caught.value.message == "Instagram refused the sign-in: Matching code was not found or was already used"
    assert caught.value.detail == "error_type=OAuthException code=400"
    with pytest.raises(Permanent) as caught:
        instagram.exchange_code(APP, code=fake.issue_code(APP.client_id, REDIRECT, user_id),
                                redirect_uri="https://elsewhere.example/cb")
    assert "redirect_uri" in caught.value.message


def test_refresh_uses_the_long_lived_token_itself(fake, instagram, account):
    with clock.frozen(NOW):
        fresh = instagram.refresh(APP, account)
    (req,) = fake.requests
    assert (req.method, req.path) == ("GET", "/refresh_access_token")
    assert query(req) == {"grant_type": "ig_refresh_token", "access_token": account.access_token}
    assert fresh.access_token != account.access_token and fresh.access_token in fake.tokens
    assert fresh.refresh_token is None
    assert fresh.expires_at == NOW + dt.timedelta(seconds=LONG_LIVED_SECONDS)
    assert fresh.extra == account.extra and fresh.scopes == account.scopes


def test_refreshing_an_expired_token_means_reconnect(fake, instagram, account):
    fake.tokens[account.access_token]["expired"] = True
    with pytest.raises(AuthExpired) as caught:
        instagram.refresh(APP, account)
    assert "reconnect" in caught.value.message


def test_revoke_reports_that_instagram_has_no_revoke_endpoint(fake, instagram, account):
    assert instagram.revokes is False
    assert instagram.revoke(APP, account) is False
    assert fake.requests == []
    assert not fake.tokens[account.access_token]["expired"]  # the person ends it in Instagram, or it lapses


# --- profile ---------------------------------------------------------------------------

def test_profile_reads_me_with_followers(fake, instagram, account):
    profile = instagram.profile(account)
    (me,) = fake.requests
    assert (me.method, me.path) == ("GET", "/v25.0/me")
    assert query(me) == {"fields": "user_id,username,name,profile_picture_url,followers_count",
                         "access_token": account.access_token}
    assert (profile.account_id, profile.handle, profile.display_name) == (
        account.extra["user_id"], "postr.studio", "Postr Studio")
    assert profile.avatar_url == "https://scontent.cdninstagram.example/p.jpg"
    assert profile.followers_count == 1280


def test_profile_without_a_name_picture_or_count(fake, instagram):
    user_id = fake.add_user(username="bakery.corner", name=None, followers=None, picture=None)
    profile = instagram.profile(Tokens(access_token=fake.issue_token(user_id)))
    assert (profile.account_id, profile.display_name) == (user_id, "bakery.corner")
    assert profile.avatar_url is None and profile.followers_count is None  # unknown, not a fake zero


# --- counting, hand-checked ---------------------------------------------------------------

@pytest.mark.parametrize("text, tags, mentions", [
    ("#one #two and#not ##also-not", 2, 0),
    ("Café #crème #東京 #1", 3, 0),
    ("@natgeo and @nat_geo.photos, mail a@example.com", 0, 2),
    ("@ alone, @. and @_", 0, 1),
])
def test_hashtags_and_tags_are_counted_as_instagram_links_them(text, tags, mentions):
    assert len(hashtags_in(text)) == tags
    assert len(mentions_in(text)) == mentions


# --- validation --------------------------------------------------------------------------

def test_a_good_post_has_no_problems(instagram):
    assert instagram.validate(PostContent(text="Launch day 🚀 #postr @natgeo", media=[image(alt_text="our logo")],
                                          first_comment="More in the bio")) == []
    assert instagram.validate(PostContent(text="", media=[video()], options={"share_to_feed": False})) == []
    carousel = [image(width=1080, height=1080), video(width=1080, height=1350), image(width=1910, height=1000)]
    assert instagram.validate(PostContent(text="three", media=carousel)) == []


def test_caption_hashtag_and_tag_limits(instagram):
    assert instagram.validate(PostContent(text="a" * 2200, media=[image()])) == []
    (problem,) = instagram.validate(PostContent(text="a" * 2201, media=[image()]))
    assert (problem.field, problem.message) == (
        "text", "Instagram allows 2,200 characters in a caption; this one has 2,201.")
    tags = " ".join(f"#tag{i}" for i in range(30))
    assert instagram.validate(PostContent(text=tags, media=[image()])) == []
    (problem,) = instagram.validate(PostContent(text=tags + " #one_more", media=[image()]))
    assert problem.message == "Instagram allows 30 hashtags in a post; this one has 31."
    people = " ".join(f"@friend{i}" for i in range(20))
    assert instagram.validate(PostContent(text=people, media=[image()])) == []
    (problem,) = instagram.validate(PostContent(text=people + " @friend20", media=[image()]))
    assert problem.message == "Instagram allows 20 @ tags in a post; this one has 21."


def test_every_media_problem_is_reported_with_its_place(instagram):
    post = PostContent(text="", media=[
        image(mime_type="image/png"), image(size=9 * 1024 * 1024), image(width=1080, height=1440),
        image(width=1200, height=600), image(url=None), image(alt_text="x" * 1001),
        video(duration_s=901), video(duration_s=2.5), video(size=301 * 1024 * 1024, width=3840, height=2160),
        video(mime_type="video/webm"),
    ])
    problems = {(p.field, p.message) for p in instagram.validate(post)}
    assert ("media[1]", "Instagram takes JPEG images only, not image/png; save it as a JPEG and try again.") \
        in problems
    assert ("media[2]", "Images on Instagram can be at most 8 MB; this one is 9 MB.") in problems
    assert ("media[3]", "This image is too tall for Instagram (1080x1440); feed images go from 4:5 (portrait) to "
                        "1.91:1 (landscape). Crop it and try again.") in problems
    assert ("media[4]", "This image is too wide for Instagram (1200x600); feed images go from 4:5 (portrait) to "
                        "1.91:1 (landscape). Crop it and try again.") in problems
    assert ("media[5]", "Instagram fetches media from a link, and this file has none yet.") in problems
    assert ("media[6]", "Instagram allows 1,000 characters of alt text; this one has 1,001.") in problems
    assert ("media[7]", "Videos on Instagram last from 3 seconds to 15 minutes; this one lasts 15 min 1 s.") \
        in problems
    assert ("media[8]", "Videos on Instagram last from 3 seconds to 15 minutes; this one lasts 2.5 seconds.") \
        in problems
    assert ("media[9]", "Videos on Instagram can be at most 300 MB; this one is 301 MB.") in problems
    assert ("media[9]", "Videos on Instagram can be at most 1920 pixels wide; this one is 3840.") in problems
    assert ("media[10]", "Instagram takes MP4 or MOV videos, not video/webm.") in problems
    assert len(problems) == 11  # the 4:5 and 1.91:1 edges and the 15-minute mark are not problems
    edges = [image(width=1080, height=1350), image(width=1910, height=1000), video(duration_s=900),
             video(duration_s=3, width=100, height=10_000)]
    assert instagram.validate(PostContent(text="", media=edges)) == []


def test_missing_or_too_many_media_and_what_instagram_does_not_have(instagram):
    problems = {p.field: p.message for p in instagram.validate(PostContent(
        text="hi", thread=[PostContent(text="two")], link="https://postr.example", first_comment="  "))}
    assert problems == {
        "media": "An Instagram post needs at least one image or video.",
        "thread": "Instagram has no threads: put the parts in the caption, or the images in one carousel.",
        "link": "Instagram shows no link cards and links in captions are not clickable; put the address in the "
                "caption or your bio.",
        "first_comment": "The first comment is empty.",
    }
    problems = {p.field: p.message for p in instagram.validate(PostContent(
        text="", media=[image() for _ in range(11)], first_comment="c" * 2201, options={"share_to_feed": True}))}
    assert problems == {
        "media": "Instagram takes at most 10 images or videos in one post; this one has 11.",
        "first_comment": "Instagram allows 2,200 characters in a comment; this one has 2,201.",
        "options.share_to_feed": "share_to_feed applies to reels (a post with one video) only.",
    }
    (problem,) = instagram.validate(PostContent(text="", media=[video()], options={"share_to_feed": "yes"}))
    assert problem.field == "options.share_to_feed"


# --- publishing ---------------------------------------------------------------------------

@pytest.mark.parametrize("post, words", [
    (PostContent(text="too wide", media=[image(width=2000, height=1000)]), "too wide for Instagram"),
    (PostContent(text="too long", media=[video(duration_s=16 * 60)]), "3 seconds to 15 minutes"),
    (PostContent(text="wrong format", media=[image(mime_type="image/webp")]), "JPEG images only"),
    (PostContent(text=" ".join(f"#t{i}" for i in range(31)), media=[image()]), "30 hashtags"),
    (PostContent(text="no media"), "at least one image or video"),
])
def test_publish_refuses_bad_input_before_any_request(fake, instagram, account, post, words):
    with pytest.raises(Permanent) as caught:
        instagram.publish(account, post)
    assert caught.value.message.startswith("This post cannot go to Instagram:")
    assert words in caught.value.message
    assert fake.requests == [] and fake.containers == {} and fake.media == {}


def test_publish_an_image_with_caption_and_alt_text(fake, instagram, account, waits):
    user_id = account.extra["user_id"]
    media = image(alt_text="A red bicycle against a wall")
    published = instagram.publish(account, PostContent(text="New bike 🚲 #cycling", media=[media]))

    create, status, publish, permalink = fake.requests
    assert (create.method, create.path) == ("POST", f"/v25.0/{user_id}/media")
    assert create.query == {}  # the token rides in the Authorization header
    assert create.headers["authorization"] == f"Bearer {account.access_token}"
    assert create.headers["content-type"] == "application/json"
    assert json.loads(create.body) == {"image_url": media.url, "alt_text": "A red bicycle against a wall",
                                       "caption": "New bike 🚲 #cycling"}
    container = fake.containers[json.loads(publish.body)["creation_id"]]
    assert (status.method, status.path) == ("GET", f"/v25.0/{container.id}")
    assert query(status) == {"fields": "status_code,status", "access_token": account.access_token}
    assert (publish.method, publish.path) == ("POST", f"/v25.0/{user_id}/media_publish")
    assert json.loads(publish.body) == {"creation_id": container.id}
    assert publish.headers["authorization"] == f"Bearer {account.access_token}"
    assert (permalink.method, permalink.path, query(permalink)["fields"]) == \
        ("GET", f"/v25.0/{published.post_id}", "permalink")
    post = fake.media[published.post_id]
    assert published.url == post["permalink"] and post["caption"] == "New bike 🚲 #cycling"
    assert (post["media_type"], post["media_product_type"]) == ("IMAGE", "FEED")
    assert published.comment_id is None and published.part_ids == ()
    assert waits == []  # ready at the first look


def test_a_video_is_published_as_a_reel_once_processing_finishes(fake, instagram, account, waits):
    fake.video_states = [("IN_PROGRESS", None), ("IN_PROGRESS", None), ("FINISHED", None)]
    clip = video(alt_text="not sent: Instagram takes alt text on images only")
    published = instagram.publish(account, PostContent(text="clip", media=[clip],
                                                       options={"share_to_feed": True}))
    assert json.loads(fake.requests[0].body) == {"media_type": "REELS", "video_url": clip.url, "caption": "clip",
                                                 "share_to_feed": True}
    assert len(status_reads(fake)) == 3
    assert waits == list(POLL_DELAYS[:2])  # looked at once, then backed off twice
    (publish,) = publishes(fake)
    assert fake.requests.index(publish) > fake.requests.index(status_reads(fake)[-1])
    assert fake.media[published.post_id]["media_product_type"] == "REELS"
    assert published.url.startswith("https://www.instagram.com/reel/")


@pytest.mark.parametrize("state, subcode, error_class, words", [
    ("ERROR", 2207026, Permanent, "The reel: Instagram takes MOV or MP4 videos"),
    ("ERROR", 2207052, Permanent, "The reel: Instagram could not download the file from its link."),
    ("ERROR", 2207076, Permanent, "The reel: Instagram could not process the reel (error code 2207076)."),
    ("ERROR", 2207003, Transient, "The reel: Instagram took too long to download the media; will retry."),
    ("EXPIRED", None, Permanent, "containers expire after 24 hours"),
])
def test_a_failed_or_expired_container_is_never_published(fake, instagram, account, state, subcode, error_class,
                                                         words):
    fake.video_states = [("IN_PROGRESS", None), (state, subcode)]
    with pytest.raises(error_class) as caught:
        instagram.publish(account, PostContent(text="clip", media=[video()]))
    assert type(caught.value) is error_class
    assert words in caught.value.message
    assert publishes(fake) == [] and fake.media == {}


def test_a_video_still_processing_after_the_last_look_is_transient(fake, instagram, account, waits):
    fake.video_states = [("IN_PROGRESS", None)]
    with pytest.raises(Transient) as caught:
        instagram.publish(account, PostContent(text="clip", media=[video()]))
    assert caught.value.message == "Instagram was still processing the reel after about five minutes; will retry."
    assert len(status_reads(fake)) == len(POLL_DELAYS) + 1  # bounded
    assert waits == list(POLL_DELAYS) and sum(waits) <= 300
    assert publishes(fake) == []


def test_carousel_of_images_and_a_video(fake, instagram, account):
    user_id = account.extra["user_id"]
    items = [image(url="https://s.example/1.jpg", alt_text="one"), video(url="https://s.example/2.mp4"),
             image(url="https://s.example/3.jpg", width=1080, height=1080)]
    published = instagram.publish(account, PostContent(text="Three things #carousel", media=items))

    creates = [r for r in fake.requests if r.method == "POST" and r.path == f"/v25.0/{user_id}/media"]
    assert [json.loads(r.body) for r in creates[:3]] == [
        {"image_url": "https://s.example/1.jpg", "alt_text": "one", "is_carousel_item": True},
        {"media_type": "VIDEO", "video_url": "https://s.example/2.mp4", "is_carousel_item": True},
        {"image_url": "https://s.example/3.jpg", "is_carousel_item": True},
    ]
    # All three children exist before the first status read, so Instagram processes them side by side.
    assert fake.requests.index(creates[2]) < fake.requests.index(status_reads(fake)[0])
    children = [cid for cid, c in fake.containers.items() if c.fields.get("is_carousel_item")]
    assert json.loads(creates[3].body) == {"media_type": "CAROUSEL", "children": ",".join(children),
                                           "caption": "Three things #carousel"}
    (publish,) = publishes(fake)
    assert fake.containers[json.loads(publish.body)["creation_id"]].fields["media_type"] == "CAROUSEL"
    assert fake.media[published.post_id]["media_type"] == "CAROUSEL_ALBUM"


def test_a_carousel_item_that_fails_stops_before_the_carousel_exists(fake, instagram, account):
    fake.video_states = [("ERROR", 2207026)]
    with pytest.raises(Permanent) as caught:
        instagram.publish(account, PostContent(text="two", media=[image(), video()]))
    assert caught.value.message == "Video 2: Instagram takes MOV or MP4 videos (H.264 or HEVC, AAC audio)."
    assert not [c for c in fake.containers.values() if c.fields.get("media_type") == "CAROUSEL"]
    assert fake.media == {}


def test_the_first_comment_goes_under_the_published_post(fake, instagram, account):
    published = instagram.publish(account, PostContent(text="Menu of the week", media=[image()],
                                                       first_comment="#food #lunch #specials"))
    (comment_req,) = [r for r in fake.requests if r.path.endswith("/comments")]
    assert (comment_req.method, comment_req.path) == ("POST", f"/v25.0/{published.post_id}/comments")
    assert comment_req.headers["authorization"] == f"Bearer {account.access_token}"
    assert json.loads(comment_req.body) == {"message": "#food #lunch #specials"}
    comment = fake.comments[published.comment_id]
    assert (comment["media_id"], comment["text"]) == (published.post_id, "#food #lunch #specials")


def test_a_failed_first_comment_reports_the_live_post(fake, instagram, account):
    fake.tokens[account.access_token]["scopes"].discard("instagram_business_manage_comments")
    with pytest.raises(PartlyPublished) as caught:
        instagram.publish(account, PostContent(text="hello", media=[image()], first_comment="first!"))
    assert isinstance(caught.value.cause, PermissionMissing)
    partial = caught.value.published
    assert partial.post_id in fake.media and partial.url == fake.media[partial.post_id]["permalink"]
    assert fake.comments == {}


def test_a_lost_answer_to_publish_is_outcome_unknown_but_to_a_container_transient(fake, instagram, account,
                                                                                monkeypatch):
    # Short timeouts for this test only; the pooled client is rebuilt around it.
    monkeypatch.setattr(http, "TIMEOUT", httpx.Timeout(connect=1.0, read=0.2, write=1.0, pool=1.0))
    http.client.cache_clear()
    try:
        fake.fail_next(Reply(200, {"id": "1"}, delay=1.0), path="/media_publish")
        with pytest.raises(OutcomeUnknown):
            instagram.publish(account, PostContent(text="hello", media=[image()]))
        fake.fail_next(Reply(200, {"id": "1"}, delay=1.0), path=f"/{account.extra['user_id']}/media")
        with pytest.raises(Transient):
            instagram.publish(account, PostContent(text="hello", media=[image()]))
    finally:
        monkeypatch.undo()
        http.client.cache_clear()


def test_an_error_answer_to_publish_checks_whether_the_post_went_out(fake, instagram, account):
    fake.fail_next(graph_error(500, "An unexpected error has occurred.", code=2, transient=True),
                   path="/media_publish")
    with pytest.raises(Transient):  # the container is still FINISHED: nothing went out, a retry is safe
        instagram.publish(account, PostContent(text="hello", media=[image()]))
    assert fake.media == {}
    assert status_reads(fake)[-1].path == f"/v25.0/{json.loads(publishes(fake)[0].body)['creation_id']}"

    fake.error_after_publish = graph_error(500, "An unexpected error has occurred.", code=2, transient=True)
    with pytest.raises(OutcomeUnknown) as caught:
        instagram.publish(account, PostContent(text="hello", media=[image()]))
    assert "may have gone out" in caught.value.message
    assert len(fake.media) == 1  # it did: the caller must not publish it again


# --- delete and metrics ------------------------------------------------------------------

def test_delete_is_refused_without_a_request(fake, instagram, account):
    post_id = fake.publish_media(account.extra["user_id"])
    with pytest.raises(Permanent) as caught:
        instagram.delete(account, post_id)
    assert caught.value.message.startswith("Instagram does not let apps delete posts")
    assert "Instagram app" in caught.value.message
    assert fake.requests == [] and post_id in fake.media


def test_metrics_use_the_current_insight_names_and_count_each_action_once(fake, instagram, account):
    post_id = fake.publish_media(account.extra["user_id"], "VIDEO", "REELS")
    fake.media[post_id]["insights"].update(views=5120, reach=3900, likes=310, comments=42, shares=27, saved=64,
                                           total_interactions=443)
    metrics = instagram.metrics(account, post_id)
    (req,) = fake.requests
    assert (req.method, req.path) == ("GET", f"/v25.0/{post_id}/insights")
    assert query(req) == {"metric": "views,likes,comments,shares", "access_token": account.access_token}
    assert (metrics.views, metrics.likes, metrics.replies, metrics.reposts) == (5120, 310, 42, 27)


def test_metrics_instagram_does_not_give_are_none(fake, instagram, account):
    post_id = fake.publish_media(account.extra["user_id"])
    fake.media[post_id]["insights"] = {"views": None, "likes": 3, "comments": 0, "shares": None}
    metrics = instagram.metrics(account, post_id)
    assert (metrics.views, metrics.likes, metrics.replies, metrics.reposts) == (None, 3, 0, None)
    fake.media[post_id]["too_few_viewers"] = True
    metrics = instagram.metrics(account, post_id)
    assert (metrics.views, metrics.likes, metrics.replies, metrics.reposts) == (None, None, None, None)


def test_metrics_without_the_insights_permission_ask_for_a_reconnect(fake, instagram, account):
    post_id = fake.publish_media(account.extra["user_id"])
    fake.tokens[account.access_token]["scopes"].discard("instagram_business_manage_insights")
    with pytest.raises(PermissionMissing):
        instagram.metrics(account, post_id)


# --- errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("reply, error_class, words", [
    (graph_error(400, "Error validating access token: Session has expired.", code=190, subcode=463),
     AuthExpired, "reconnect Instagram"),
    (graph_error(403, "(#10) Application does not have permission for this action", code=10),
     PermissionMissing, "allow every permission"),
    (graph_error(403, "(#200) Requires instagram_business_content_publish permission", code=200),
     PermissionMissing, "allow every permission"),
    (graph_error(400, "Application request limit reached", code=4), RateLimited, "limiting"),
    (graph_error(400, "User request limit reached", code=17), RateLimited, "limiting"),
    (graph_error(400, "Page request limit reached", code=32), RateLimited, "limiting"),
    (graph_error(400, "Calls to this api have exceeded the rate limit.", code=613), RateLimited, "limiting"),
    (graph_error(400, "Application request limit reached", code=9, subcode=2207042,
                 user_msg="You reached maximum number of posts that is allowed to be published by Content "
                          "Publishing API."), RateLimited, "daily limit"),
    (graph_error(500, "An unknown error occurred", code=1), Transient, "temporary"),
    (graph_error(503, "Service temporarily unavailable", code=2, transient=True), Transient, "temporary"),
    (graph_error(400, "Fatal", code=-1, subcode=2207001), Transient, "server error"),
    (Reply(502, "<html>Bad Gateway</html>"), Transient, "temporary"),
    (graph_error(400, "Invalid parameter", code=100), Permanent, "Instagram refused this: Invalid parameter"),
    (graph_error(400, "The submitted image with aspect ratio 0.5 cannot be published.", code=36003,
                 subcode=2207009), Permanent, "4:5 to 1.91:1"),
    (graph_error(400, "The caption was too long.", code=36004, subcode=2207010), Permanent, "2,200 characters"),
    (graph_error(400, "We restrict certain activity to protect our community.", code=4, subcode=2207051),
     Permanent, "suspected spam"),
    (graph_error(400, "The Instagram account is restricted.", code=25, subcode=2207050), Permanent,
     "sign in to the Instagram app"),
    (graph_error(400, "The video format is not supported.", code=352, subcode=2207026), Permanent, "MOV or MP4"),
    (graph_error(400, "The media could not be fetched from this uri", code=9004, subcode=2207052), Permanent,
     "could not download"),
])
def test_graph_error_bodies_map_onto_the_taxonomy(fake, instagram, account, reply, error_class, words):
    fake.fail_next(reply)
    with pytest.raises(error_class) as caught:
        instagram.publish(account, PostContent(text="hello", media=[image()]))
    assert words in caught.value.message
    assert type(caught.value) is error_class
    assert account.access_token not in f"{caught.value} {caught.value.detail}"
    assert fake.media == {}


def test_rate_limits_carry_retry_after(fake, instagram, account):
    fake.fail_next(graph_error(429, "Too many calls", code=4, headers={"Retry-After": "120"}))
    with pytest.raises(RateLimited) as caught:
        instagram.metrics(account, "123")
    assert caught.value.retry_after == 120.0

    usage = {account.extra["user_id"]: [{"type": "instagram", "call_count": 100, "total_cputime": 12,
                                         "total_time": 20, "estimated_time_to_regain_access": 7}]}
    fake.fail_next(graph_error(400, "Application request limit reached", code=4,
                               headers={"X-Business-Use-Case-Usage": json.dumps(usage)}))
    with pytest.raises(RateLimited) as caught:
        instagram.metrics(account, "123")
    assert caught.value.retry_after == 420.0  # Meta gives minutes
