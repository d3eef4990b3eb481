"""Contract tests for the Facebook Pages module against tools/fakes/facebook.py
(Meta's documented Graph API shapes): the exact requests sent, the answers
parsed, Page selection (including a Page the person does not manage), the
resumable video upload in pieces (reassembled by the fake, resumed from the
server's offset), each error class, and bad input refused before any request."""

import datetime as dt
import hashlib
import json
import random
import tracemalloc
import urllib.parse

import httpx
import pytest
from platform_media import media_from_bytes

from fakes.base import Reply
from fakes.facebook import ALL_PERMISSIONS, FacebookFake, graph_error
from kernel import clock
from platforms import get, http
from platforms.base import AppCredentials, Media, PostContent, Tokens
from platforms.errors import AuthExpired, OutcomeUnknown, PartlyPublished, Permanent, RateLimited, Transient
from platforms.facebook import FacebookPlatform
from platforms.facebook.pages import Page, PageNotSelected
from platforms.facebook.rules import MAX_TEXT, utf16_length
from platforms.meta_graph import PermissionMissing

APP = AppCredentials(client_id="1234567890123", client_secret="app-secret-xyz")
REDIRECT = "https://postr.example/oauth/facebook"
V = "/v27.0"
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
KB = 1024


@pytest.fixture
def fake(fake_env):
    with FacebookFake() as server:
        server.add_app(APP.client_id, APP.client_secret, REDIRECT)
        fake_env(FACEBOOK_API_URL=server.url, FACEBOOK_VIDEO_API_URL=f"{server.url}/graph-video",
                 FACEBOOK_AUTH_URL="https://facebook.example")
        yield server


@pytest.fixture
def waits():
    return []


@pytest.fixture
def facebook(waits):
    return FacebookPlatform(chunk_size=64 * KB, sleep=waits.append)


@pytest.fixture
def person(fake):
    return fake.add_user()


@pytest.fixture
def page(fake, person):
    return fake.add_page("Postr Bakery", managers={person: ("ANALYZE", "MODERATE", "CREATE_CONTENT", "MANAGE")})


@pytest.fixture
def signed_in(fake, person):
    """Tokens right after sign-in: the long-lived user token, no Page yet."""
    return Tokens(access_token=fake.issue_token(person, app_id=APP.client_id), scopes=list(ALL_PERMISSIONS),
                  extra={"user_id": person, "app_id": APP.client_id})


@pytest.fixture
def account(fake, person, page, signed_in):
    """Tokens with the Page chosen."""
    return Tokens(access_token=signed_in.access_token, scopes=list(ALL_PERMISSIONS),
                  extra={**signed_in.extra, "page_id": page,
                         "page_token": fake.page_token(person, page, APP.client_id)})


def image(url="https://storage.example/signed/a.jpg?sig=1", **kw) -> Media:
    return Media(kind="image", mime_type=kw.pop("mime_type", "image/jpeg"), size=kw.pop("size", 300_000),
                 width=1200, height=900, url=url, **kw)


def video(url="https://storage.example/signed/v.mp4?sig=2", **kw) -> Media:
    return Media(kind="video", mime_type=kw.pop("mime_type", "video/mp4"), size=kw.pop("size", 50_000_000),
                 width=kw.pop("width", 1920), height=kw.pop("height", 1080), duration_s=kw.pop("duration_s", 95.0),
                 url=url, **kw)


def form(req) -> dict:
    return {k: v[0] for k, v in urllib.parse.parse_qs(req.body.decode()).items()}


def query(req) -> dict:
    return {k: v[0] for k, v in req.query.items()}


# --- registry and OAuth ------------------------------------------------------------------

def test_the_registry_returns_the_facebook_module():
    platform = get("facebook")
    assert isinstance(platform, FacebookPlatform)
    assert not platform.supports_threads and platform.supports_first_comment and platform.supports_video
    assert platform.scopes == ALL_PERMISSIONS


def test_authorization_url_asks_only_for_the_page_permissions(fake, facebook):
    url = urllib.parse.urlsplit(facebook.authorization_url(APP, state="st4te", redirect_uri=REDIRECT))
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://facebook.example/v27.0/dialog/oauth"
    assert dict(urllib.parse.parse_qsl(url.query)) == {
        "client_id": APP.client_id, "redirect_uri": REDIRECT, "state": "st4te", "response_type": "code",
        "scope": "pages_show_list,pages_manage_posts,pages_read_engagement,pages_manage_engagement,read_insights",
    }
    assert fake.requests == []


def test_exchange_code_gets_a_long_lived_user_token_and_what_was_granted(fake, facebook, person):
    code = fake.issue_code(APP.client_id, REDIRECT, person)
    with clock.frozen(NOW):
        tokens = facebook.exchange_code(APP, code=code, redirect_uri=REDIRECT)

    code_req, long_req, me_req = fake.requests
    assert (code_req.method, code_req.path) == ("GET", f"{V}/oauth/access_token")
    assert query(code_req) == {"client_id": APP.client_id, "redirect_uri": REDIRECT,
                               "client_secret": APP.client_secret, "code": code}
    short = query(long_req)["fb_exchange_token"]
    assert fake.tokens[short]["kind"] == "short"
    assert (long_req.method, long_req.path) == ("GET", f"{V}/oauth/access_token")
    assert query(long_req) == {"grant_type": "fb_exchange_token", "client_id": APP.client_id,
                               "client_secret": APP.client_secret, "fb_exchange_token": short}
    assert (me_req.method, me_req.path) == ("GET", f"{V}/me")
    assert query(me_req) == {"fields": "id,permissions", "access_token": tokens.access_token}
    assert fake.tokens[tokens.access_token]["kind"] == "long"
    assert tokens.expires_at == NOW + dt.timedelta(seconds=FacebookFake.LONG_LIVED_SECONDS)
    assert tokens.refresh_token is None
    assert tokens.scopes == list(ALL_PERMISSIONS)
    assert tokens.extra == {"user_id": person, "app_id": APP.client_id}  # no Page chosen yet


def test_a_declined_publishing_permission_refuses_the_connection(fake, facebook):
    user = fake.add_user(granted=("pages_show_list", "pages_read_engagement"), declined=("pages_manage_posts",))
    code = fake.issue_code(APP.client_id, REDIRECT, user)
    with pytest.raises(Permanent) as caught:
        facebook.exchange_code(APP, code=code, redirect_uri=REDIRECT)
    assert caught.value.message.startswith("Facebook did not give postr permission to publish and delete posts "
                                           "on your Page.")
    assert "allow every permission" in caught.value.message


def test_a_declined_optional_permission_is_left_out_of_the_scopes(fake, facebook):
    user = fake.add_user(granted=("pages_show_list", "pages_manage_posts", "pages_read_engagement"),
                         declined=("read_insights", "pages_manage_engagement"))
    tokens = facebook.exchange_code(APP, code=fake.issue_code(APP.client_id, REDIRECT, user), redirect_uri=REDIRECT)
    assert tokens.scopes == ["pages_show_list", "pages_manage_posts", "pages_read_engagement"]


def test_a_used_code_is_refused_permanently(fake, facebook, person):
    code = fake.issue_code(APP.client_id, REDIRECT, person)
    facebook.exchange_code(APP, code=code, redirect_uri=REDIRECT)
    with pytest.raises(Permanent) as caught:
        facebook.exchange_code(APP, code=code, redirect_uri=REDIRECT)
    assert "authorization code has been used" in caught.value.message
    assert "code=100 subcode=36009" in caught.value.detail


def test_refresh_exchanges_the_user_token_again_and_keeps_the_page_token(fake, facebook, account):
    with clock.frozen(NOW):
        fresh = facebook.refresh(APP, account)
    (req,) = fake.requests
    assert (req.method, req.path) == ("GET", f"{V}/oauth/access_token")
    assert query(req) == {"grant_type": "fb_exchange_token", "client_id": APP.client_id,
                          "client_secret": APP.client_secret, "fb_exchange_token": account.access_token}
    assert fresh.access_token != account.access_token and fake.tokens[fresh.access_token]["kind"] == "long"
    assert fresh.expires_at == NOW + dt.timedelta(seconds=FacebookFake.LONG_LIVED_SECONDS)
    assert fresh.extra == account.extra  # the Page token does not expire: kept as it is
    assert fresh.scopes == account.scopes


def test_refreshing_an_expired_user_token_means_reconnect(fake, facebook, account):
    fake.tokens[account.access_token]["expired"] = True
    with pytest.raises(AuthExpired) as caught:
        facebook.refresh(APP, account)
    assert "reconnect Facebook" in caught.value.message


def test_revoke_removes_the_permissions_with_the_app_token(fake, facebook, account, person):
    assert facebook.revoke(APP, account) is True
    (req,) = fake.requests
    assert (req.method, req.path) == ("DELETE", f"{V}/{person}/permissions")
    assert query(req) == {"access_token": f"{APP.client_id}|{APP.client_secret}"}
    # Every token postr held for that person, the Page token too, stops working.
    with pytest.raises(AuthExpired):
        facebook.profile(account)
    with pytest.raises(AuthExpired):
        facebook.pages(account)


def test_revoke_without_the_user_id_uses_the_user_token_on_me(fake, facebook, signed_in):
    tokens = Tokens(access_token=signed_in.access_token, extra={})
    assert facebook.revoke(APP, tokens) is True
    (req,) = fake.requests
    assert (req.method, req.path, query(req)) == ("DELETE", f"{V}/me/permissions",
                                                  {"access_token": signed_in.access_token})


def test_revoke_when_facebook_cannot_take_it_is_transient(fake, facebook, account):
    # The caller deletes the tokens anyway and reports revokedAtNetwork False.
    fake.fail_next(graph_error(500, "An unexpected error has occurred. Please retry your request later.", code=2,
                               transient=True), path="/permissions")
    with pytest.raises(Transient):
        facebook.revoke(APP, account)


def test_a_declined_permission_shows_as_missing(fake, facebook):
    user = fake.add_user(granted=("pages_show_list", "pages_manage_posts", "pages_read_engagement"),
                         declined=("read_insights", "pages_manage_engagement"))
    tokens = facebook.exchange_code(APP, code=fake.issue_code(APP.client_id, REDIRECT, user), redirect_uri=REDIRECT)
    assert facebook.missing_scopes(tokens.scopes) == ["pages_manage_engagement", "read_insights"]


# --- Page selection ----------------------------------------------------------------------

def test_pages_lists_what_the_person_granted_across_result_pages(fake, facebook, person, page, signed_in):
    second = fake.add_page("Postr Café", managers={person: ("ANALYZE",)}, picture=None)
    third = fake.add_page("Postr Books", managers={person: ("CREATE_CONTENT", "MODERATE")})
    fake.add_page("Someone Else's Page", managers={fake.add_user(): ("CREATE_CONTENT",)})
    fake.max_page_size = 2

    pages = facebook.pages(signed_in)

    assert pages == [
        Page(id=page, name="Postr Bakery", picture_url="https://scontent.example/page.jpg",
             tasks=("ANALYZE", "MODERATE", "CREATE_CONTENT", "MANAGE")),
        Page(id=second, name="Postr Café", picture_url=None, tasks=("ANALYZE",)),
        Page(id=third, name="Postr Books", picture_url="https://scontent.example/page.jpg",
             tasks=("CREATE_CONTENT", "MODERATE")),
    ]
    assert [p.can_publish for p in pages] == [True, False, True]
    first_req, next_req = fake.requests
    assert (first_req.method, first_req.path) == ("GET", f"{V}/me/accounts")
    assert query(first_req) == {"fields": "id,name,tasks,picture", "limit": "100",
                                "access_token": signed_in.access_token}
    assert query(next_req)["after"] and "access_token" in query(next_req)
    assert not any(hasattr(p, "access_token") for p in pages)  # Page tokens never leave the module


def test_select_page_keeps_the_page_token_and_profile_reads_the_page(fake, facebook, person, page, signed_in):
    chosen = facebook.select_page(signed_in, page)
    (req,) = fake.requests
    assert query(req) == {"fields": "id,name,tasks,picture,access_token", "limit": "100",
                          "access_token": signed_in.access_token}
    page_token = fake.page_token(person, page, APP.client_id)
    assert chosen.extra == {**signed_in.extra, "page_id": page, "page_token": page_token}
    assert chosen.access_token == signed_in.access_token and signed_in.extra.get("page_id") is None

    profile = facebook.profile(chosen)
    read = fake.requests[-1]
    assert (read.method, read.path) == ("GET", f"{V}/{page}")
    assert query(read) == {"fields": "id,name,username,picture,followers_count,fan_count", "access_token": page_token}
    assert (profile.account_id, profile.handle, profile.display_name) == (page, "postrbakery", "Postr Bakery")
    assert profile.avatar_url == "https://scontent.example/page.jpg"
    assert profile.followers_count == 1520


def test_a_page_the_person_does_not_manage_is_refused(fake, facebook, signed_in, page):
    other = fake.add_page("Not Yours", managers={fake.add_user(): ("CREATE_CONTENT",)})
    with pytest.raises(Permanent) as caught:
        facebook.select_page(signed_in, other)
    assert caught.value.message.startswith("You do not manage that page")
    with pytest.raises(Permanent) as caught:
        facebook.select_page(signed_in, "999999999")  # no such Page at all
    assert caught.value.message.startswith("You do not manage that page")


def test_a_page_role_without_create_content_is_refused(fake, facebook, person, signed_in):
    analyst = fake.add_page("Read Only", managers={person: ("ANALYZE",)})
    with pytest.raises(Permanent) as caught:
        facebook.select_page(signed_in, analyst)
    assert "does not let you publish" in caught.value.message


def test_a_malformed_page_id_is_refused_before_any_request(fake, facebook, signed_in):
    for bad in ("", "12/feed", "../me", "abc"):
        with pytest.raises(Permanent) as caught:
            facebook.select_page(signed_in, bad)
        assert caught.value.message == "That is not a Facebook Page id."
    assert fake.requests == []


def test_nothing_page_bound_works_before_a_page_is_chosen(fake, facebook, signed_in):
    for call in (lambda: facebook.profile(signed_in),
                 lambda: facebook.publish(signed_in, PostContent(text="hello")),
                 lambda: facebook.metrics(signed_in, "1_2"),
                 lambda: facebook.delete(signed_in, "1_2")):
        with pytest.raises(PageNotSelected) as caught:
            call()
        assert caught.value.message == "Choose which Facebook Page postr should publish to."
    assert fake.requests == []


def test_profile_falls_back_to_fans_and_to_the_page_id(fake, facebook, person, signed_in):
    plain = fake.add_page("No Username", managers={person: ("CREATE_CONTENT",)}, username=None, followers=None,
                          fans=87, picture=None)
    profile = facebook.profile(facebook.select_page(signed_in, plain))
    assert (profile.handle, profile.followers_count, profile.avatar_url) == (plain, 87, None)
    quiet = fake.add_page("Quiet", managers={person: ("CREATE_CONTENT",)}, followers=None, fans=None)
    assert facebook.profile(facebook.select_page(signed_in, quiet)).followers_count is None  # unknown, not 0


# --- validation ----------------------------------------------------------------------------

def test_text_is_counted_in_utf16_units_up_to_63206():
    assert utf16_length("héllo") == 5 and utf16_length("😀") == 2 and utf16_length("漢字") == 2
    facebook = FacebookPlatform()
    assert facebook.validate(PostContent(text="a" * MAX_TEXT)) == []
    assert facebook.validate(PostContent(text="😀" * (MAX_TEXT // 2))) == []
    (problem,) = facebook.validate(PostContent(text="a" * (MAX_TEXT - 1) + "😀"))
    assert (problem.field, problem.message) == ("text", "Facebook allows 63,206 characters (an emoji counts as 2); "
                                                        "this text counts 63,207.")


def test_a_good_post_of_each_kind_has_no_problems(facebook):
    for post in (PostContent(text="Fresh bread today"),
                 PostContent(text="", link="https://postr.example/menu"),
                 PostContent(text="Look", media=[image(alt_text="a loaf")], first_comment="Order at the link"),
                 PostContent(text="Album", media=[image() for _ in range(10)]),
                 PostContent(text="Clip", media=[video()], options={"title": "Behind the counter"}),
                 PostContent(text="", media=[video(url=None, mime_type="video/mp4",
                                                   chunks=lambda size: iter([b"x"]))])):
        assert facebook.validate(post) == [], post


def test_every_problem_is_reported_with_its_place(facebook):
    problems = facebook.validate(PostContent(
        text="", link="ftp://files.example/x",
        media=[image(mime_type="image/svg+xml"), image(size=5 * 1024 * 1024), image(url=None)],
        thread=[PostContent(text="part two")], first_comment="   ", options={"title": "not a video"},
    ))
    found = {(p.field, p.message) for p in problems}
    assert ("thread", "Facebook Pages have no threads: publish the parts as separate posts, or join them into "
                      "one post.") in found
    assert ("link", "The link must be a web address starting with http:// or https://.") in found
    assert ("link", "Facebook shows a link preview only on posts without photos or video; put the link in the "
                    "text instead.") in found
    assert ("media[1]", "Facebook takes JPG, PNG, GIF, TIFF, HEIF, WebP or BMP photos, not image/svg+xml.") in found
    assert ("media[2]", "Photos on Facebook must be under 4 MB; this one is 5 MB.") in found
    assert ("media[3]", "This photo has neither a link nor file data to send to Facebook.") in found
    assert ("first_comment", "The first comment is empty.") in found
    assert ("options.title", "Only a video has a title on Facebook.") in found


@pytest.mark.parametrize("media, words", [
    ([video(mime_type="video/webm")], "Facebook takes MP4 or MOV videos, not video/webm."),
    ([video(size=11 * 1024 ** 3)], "Videos on Facebook can be at most 10 GB; this one is 11 GB."),
    ([video(duration_s=241 * 60)], "Videos on Facebook last up to 240 minutes; this one lasts 241 minutes."),
    ([video(width=1080, height=2400)], "This video is 1080x2400; Facebook takes shapes from 9:16 (tall) to 16:9 "
                                       "(wide)."),
    ([video(url=None, mime_type="video/quicktime", chunks=lambda size: iter([b"x"]))],
     "Facebook's upload takes MP4 only: convert this video to MP4, or give Facebook a link to fetch it from."),
    ([video(), video()], "A Facebook post carries one video, or photos, not both or several videos."),
    ([video(), image()], "A Facebook post carries one video, or photos, not both or several videos."),
    ([image() for _ in range(11)], "postr publishes at most 10 photos in one Facebook post; this one has 11."),
])
def test_media_facebook_refuses_is_named(facebook, media, words):
    assert words in [p.message for p in facebook.validate(PostContent(text="x", media=media))]


def test_publish_refuses_bad_input_without_sending_anything(fake, facebook, account):
    for post in (PostContent(text="a" * (MAX_TEXT + 1)),
                 PostContent(text="one", thread=[PostContent(text="two")]),
                 PostContent(text="", media=[]),
                 PostContent(text="x", media=[video(duration_s=5 * 3600)]),
                 PostContent(text="x", media=[image(mime_type="image/svg+xml")]),
                 PostContent(text="x", link="https://postr.example", media=[image()])):
        with pytest.raises(Permanent) as caught:
            facebook.publish(account, post)
        assert caught.value.message.startswith("This post cannot go to Facebook:")
    assert fake.requests == []
    assert fake.posts == {} and fake.photos == {} and fake.uploads == {}


# --- publishing -----------------------------------------------------------------------------

def test_publish_text_and_link_to_the_page_feed(fake, facebook, account, page):
    page_token = account.extra["page_token"]
    published = facebook.publish(account, PostContent(text="New menu 🍞", link="https://postr.example/menu"))

    create, permalink = fake.requests
    assert (create.method, create.path) == ("POST", f"{V}/{page}/feed")
    assert create.query == {}  # the token rides in the form body, not the URL
    assert form(create) == {"message": "New menu 🍞", "link": "https://postr.example/menu",
                            "access_token": page_token}
    assert (permalink.method, permalink.path) == ("GET", f"{V}/{published.post_id}")
    assert query(permalink) == {"fields": "permalink_url", "access_token": page_token}
    post = fake.posts[published.post_id]
    assert (post["page_id"], post["message"], post["link"]) == (page, "New menu 🍞", "https://postr.example/menu")
    assert published.url == f"https://www.facebook.com/{page}/posts/{published.post_id.split('_')[1]}"
    assert published.comment_id is None and published.part_ids == ()


def test_publish_one_photo_that_facebook_fetches(fake, facebook, account, page):
    media = image(alt_text="A sourdough loaf on a board")
    published = facebook.publish(account, PostContent(text="Today's loaf", media=[media]))
    create = fake.requests[0]
    assert (create.method, create.path) == ("POST", f"{V}/{page}/photos")
    assert form(create) == {"caption": "Today's loaf", "alt_text_custom": "A sourdough loaf on a board",
                            "url": media.url, "access_token": account.extra["page_token"]}
    (photo,) = fake.photos.values()
    assert photo["post_id"] == published.post_id and photo["published"]
    assert fake.posts[published.post_id]["photos"] == [photo["id"]]


def test_publish_one_photo_uploaded_from_its_bytes(fake, facebook, account, page):
    data = bytes(random.Random(7).randbytes(300 * KB))
    media = media_from_bytes(data, mime_type="image/png", alt_text="chart")
    facebook.publish(account, PostContent(text="Sales", media=[media]))
    create = fake.requests[0]
    assert create.path == f"{V}/{page}/photos"
    assert create.headers["content-type"].startswith("multipart/form-data; boundary=")
    (photo,) = fake.photos.values()
    assert (photo["bytes"], photo["content_type"], photo["filename"]) == (data, "image/png", "photo.png")
    assert (photo["caption"], photo["alt_text_custom"]) == ("Sales", "chart")


def test_publish_several_photos_as_one_post(fake, facebook, account, page):
    items = [image(url=f"https://storage.example/{i}.jpg", alt_text=f"photo {i}") for i in range(3)]
    published = facebook.publish(account, PostContent(text="Three loaves", media=items))

    uploads = [r for r in fake.requests if r.path == f"{V}/{page}/photos"]
    assert [form(r) for r in uploads] == [
        {"published": "false", "alt_text_custom": f"photo {i}", "url": f"https://storage.example/{i}.jpg",
         "access_token": account.extra["page_token"]} for i in range(3)]
    (feed,) = [r for r in fake.requests if r.path == f"{V}/{page}/feed"]
    photo_ids = list(fake.photos)
    assert form(feed) == {"message": "Three loaves", "access_token": account.extra["page_token"],
                          **{f"attached_media[{i}]": json.dumps({"media_fbid": pid})
                             for i, pid in enumerate(photo_ids)}}
    assert fake.posts[published.post_id]["photos"] == photo_ids


def test_publish_a_video_uploaded_in_pieces_that_facebook_reassembles(fake, facebook, account, page, signed_in):
    data = random.Random(1).randbytes(200 * KB + 123)  # four 64 KB pieces, the last short
    media = media_from_bytes(data, kind="video", mime_type="video/mp4", width=1080, height=1920, duration_s=12)
    published = facebook.publish(account, PostContent(text="Behind the counter", media=[media],
                                                      options={"title": "Morning bake"}))

    start, *pieces, publish, permalink = fake.requests
    assert (start.method, start.path) == ("POST", f"{V}/{APP.client_id}/uploads")
    assert form(start) == {"file_name": "video.mp4", "file_length": str(len(data)), "file_type": "video/mp4",
                           "access_token": signed_in.access_token}  # the user token: the session is our app's
    (upload,) = fake.uploads.values()
    assert [(p.method, p.path, query(p)) for p in pieces] == [("POST", f"{V}/upload:{upload.id}",
                                                              {"sig": upload.sig})] * 4
    assert [p.headers["file_offset"] for p in pieces] == ["0", str(64 * KB), str(128 * KB), str(192 * KB)]
    assert {p.headers["authorization"] for p in pieces} == {f"OAuth {signed_in.access_token}"}
    assert [len(p.body) for p in pieces] == [64 * KB, 64 * KB, 64 * KB, 8 * KB + 123]
    assert bytes(upload.data) == data  # the fake put the pieces back together

    assert (publish.method, publish.path) == ("POST", f"/graph-video{V}/{page}/videos")  # the video host
    assert form(publish) == {"description": "Behind the counter", "title": "Morning bake",
                             "fbuploader_video_file_chunk": upload.handle,
                             "access_token": account.extra["page_token"]}
    video_node = fake.videos[published.post_id]
    assert (video_node["upload"], video_node["page_id"]) == (upload.id, page)
    assert permalink.path == f"{V}/{published.post_id}"
    assert published.url == f"https://www.facebook.com/postrbakery/videos/{published.post_id}/"


def test_a_broken_piece_is_resumed_from_the_offset_facebook_holds(fake, facebook, account, waits):
    data = random.Random(2).randbytes(3 * 64 * KB)
    media = media_from_bytes(data, kind="video", mime_type="video/mp4", width=1920, height=1080, duration_s=3)
    fake.break_upload_posts = {2: 10_000}  # the second piece breaks off after 10,000 bytes
    facebook.publish(account, PostContent(text="clip", media=[media]))

    (upload,) = fake.uploads.values()
    assert bytes(upload.data) == data
    status = [r for r in fake.requests if r.method == "GET" and r.path.startswith(f"{V}/upload:")]
    assert len(status) == 1 and status[0].headers["authorization"] == f"OAuth {account.access_token}"
    sent = [(r.headers["file_offset"], len(r.body)) for r in fake.requests if r.method == "POST" and "upload:" in r.path]
    # The rest of the broken piece goes from where Facebook stood, not from its start.
    assert sent == [("0", 64 * KB), (str(64 * KB), 64 * KB), (str(64 * KB + 10_000), 64 * KB - 10_000),
                    (str(128 * KB), 64 * KB)]
    assert waits == [1.0]


def test_a_piece_kept_but_whose_answer_was_lost_is_not_sent_twice(fake, facebook, account):
    data = random.Random(3).randbytes(3 * 64 * KB + 10)
    media = media_from_bytes(data, kind="video", mime_type="video/mp4", width=1920, height=1080, duration_s=3)
    fake.lose_upload_answers = {2}  # Facebook stores piece 2, but its answer is a 503
    facebook.publish(account, PostContent(text="clip", media=[media]))
    (upload,) = fake.uploads.values()
    assert bytes(upload.data) == data  # no byte twice
    offsets = [r.headers["file_offset"] for r in fake.requests if r.method == "POST" and "upload:" in r.path]
    assert offsets == ["0", str(64 * KB), str(128 * KB), str(192 * KB)]


def test_a_lost_answer_to_the_last_piece_is_transient_and_nothing_is_published(fake, facebook, account):
    data = random.Random(4).randbytes(2 * 64 * KB)
    media = media_from_bytes(data, kind="video", mime_type="video/mp4", width=1920, height=1080, duration_s=3)
    fake.lose_upload_answers = {2}
    with pytest.raises(Transient) as caught:
        facebook.publish(account, PostContent(text="clip", media=[media]))
    assert "did not confirm the video upload" in caught.value.message
    assert fake.videos == {}


def test_a_piece_that_keeps_failing_gives_up_after_a_bounded_number_of_resumes(fake, facebook, account, waits):
    media = media_from_bytes(b"v" * 100, kind="video", mime_type="video/mp4", width=1920, height=1080, duration_s=3)
    fake.break_upload_posts = {n: 0 for n in range(1, 11)}  # every piece breaks off at once
    with pytest.raises(Transient):
        facebook.publish(account, PostContent(text="clip", media=[media]))
    posts = [r for r in fake.requests if r.method == "POST" and "upload:" in r.path]
    assert len(posts) == 4 and waits == [1.0, 2.0, 4.0]
    assert fake.videos == {}


def test_a_video_without_bytes_is_fetched_by_facebook_from_its_link(fake, facebook, account, page):
    media = video(mime_type="video/quicktime")
    published = facebook.publish(account, PostContent(text="Tour", media=[media]))
    (create,) = [r for r in fake.requests if r.method == "POST"]
    assert create.path == f"/graph-video{V}/{page}/videos"
    assert form(create) == {"description": "Tour", "file_url": media.url, "access_token": account.extra["page_token"]}
    assert fake.videos[published.post_id]["source"] == "file_url"
    assert fake.uploads == {}


def test_the_first_comment_goes_under_the_post_as_the_page(fake, facebook, account, page):
    published = facebook.publish(account, PostContent(text="Open today", first_comment="Hours: 8-18"))
    comment = fake.requests[-1]
    assert (comment.method, comment.path) == ("POST", f"{V}/{published.post_id}/comments")
    assert form(comment) == {"message": "Hours: 8-18", "access_token": account.extra["page_token"]}
    (stored,) = fake.posts[published.post_id]["comments"]
    assert stored["id"] == published.comment_id and stored["from"] == page


def test_a_failed_first_comment_reports_the_live_post(fake, facebook, person, page, signed_in, account):
    fake.users[person]["granted"].discard("pages_manage_engagement")
    with pytest.raises(PartlyPublished) as caught:
        facebook.publish(account, PostContent(text="Open today", first_comment="Hours"))
    assert isinstance(caught.value.cause, PermissionMissing)
    partial = caught.value.published
    assert partial.post_id in fake.posts and partial.comment_id is None
    assert partial.url.endswith(partial.post_id.split("_")[1])


def test_a_lost_answer_to_a_publish_is_outcome_unknown_but_to_a_hidden_photo_transient(fake, facebook, account,
                                                                                      monkeypatch):
    # Short timeouts for this test only; the pooled client is rebuilt around it.
    monkeypatch.setattr(http, "TIMEOUT", httpx.Timeout(connect=1.0, read=0.2, write=1.0, pool=1.0))
    http.client.cache_clear()
    try:
        fake.fail_next(Reply(200, {"id": "1_2"}, delay=1.0), path="/feed")
        with pytest.raises(OutcomeUnknown):
            facebook.publish(account, PostContent(text="hello"))
        fake.fail_next(Reply(200, {"id": "3"}, delay=1.0), path="/photos")
        with pytest.raises(Transient):  # an unpublished photo: safe to send again
            facebook.publish(account, PostContent(text="two", media=[image(), image()]))
        fake.fail_next(Reply(200, {"id": "4"}, delay=1.0), path="/videos")
        with pytest.raises(OutcomeUnknown):
            facebook.publish(account, PostContent(text="clip", media=[video()]))
    finally:
        monkeypatch.undo()
        http.client.cache_clear()


# --- delete and metrics ------------------------------------------------------------------

def test_delete(fake, facebook, account, page):
    post_id = fake.publish_post(page, "to go")
    facebook.delete(account, post_id)
    (req,) = fake.requests
    assert (req.method, req.path, query(req)) == ("DELETE", f"{V}/{post_id}",
                                                  {"access_token": account.extra["page_token"]})
    assert post_id not in fake.posts
    with pytest.raises(Permanent) as caught:
        facebook.delete(account, post_id)
    assert "does not exist" in caught.value.message


def test_a_malformed_post_id_is_refused_before_any_request(fake, facebook, account):
    for bad in ("", "1_2_3", "../me", "12?fields=x"):
        with pytest.raises(Permanent):
            facebook.delete(account, bad)
        with pytest.raises(Permanent):
            facebook.metrics(account, bad)
    assert fake.requests == []


def test_metrics_of_a_page_post(fake, facebook, account, page):
    post_id = fake.publish_post(page)
    fake.posts[post_id].update(reactions=57, shares=4, insights={"post_media_view": 2310})
    fake.posts[post_id]["comments"] += [{"id": "c1"}, {"id": "c2"}]
    metrics = facebook.metrics(account, post_id)

    node, insights = fake.requests
    assert (node.method, node.path) == ("GET", f"{V}/{post_id}")
    assert query(node) == {"fields": "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),"
                                     "shares", "access_token": account.extra["page_token"]}
    assert (insights.method, insights.path) == ("GET", f"{V}/{post_id}/insights")
    assert query(insights) == {"metric": "post_media_view", "access_token": account.extra["page_token"]}
    assert (metrics.likes, metrics.replies, metrics.reposts, metrics.views) == (57, 2, 4, 2310)


def test_metrics_facebook_does_not_give_are_none(fake, facebook, person, account, page):
    post_id = fake.publish_post(page)
    fake.posts[post_id].update(reactions=3, insights={"post_media_view": 80})
    metrics = facebook.metrics(account, post_id)
    assert (metrics.likes, metrics.replies, metrics.reposts, metrics.views) == (3, 0, None, 80)  # no shares yet

    fake.pages[page]["fan_count"] = 40  # Meta keeps no insights for Pages under 100 likes
    assert facebook.metrics(account, post_id).views is None

    fake.pages[page]["fan_count"] = 1490
    fake.users[person]["granted"].discard("read_insights")
    metrics = facebook.metrics(account, post_id)
    assert metrics.views is None and metrics.likes == 3  # the rest still reads


def test_metrics_of_a_video(fake, facebook, account, page):
    video_id = fake.add_video(page)
    fake.videos[video_id].update(reactions=9, views=431)
    metrics = facebook.metrics(account, video_id)
    node, insights = fake.requests
    assert query(node)["fields"] == "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
    assert (insights.path, query(insights)["metric"]) == (f"{V}/{video_id}/video_insights", "total_video_views")
    assert (metrics.likes, metrics.replies, metrics.reposts, metrics.views) == (9, 0, None, 431)


# --- errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("reply, error_class, words", [
    (graph_error(400, "Error validating access token: Session has expired.", code=190, subcode=463),
     AuthExpired, "reconnect Facebook"),
    (graph_error(400, "Error validating access token: The session has been invalidated because the user changed "
                      "their password.", code=190, subcode=460), AuthExpired, "reconnect Facebook"),
    (graph_error(400, "Session key invalid.", code=102), AuthExpired, "reconnect Facebook"),
    (graph_error(403, "(#200) The user hasn't authorized the application to perform this action", code=200),
     PermissionMissing, "allow every permission"),
    (graph_error(400, "(#10) Application does not have permission for this action", code=10),
     PermissionMissing, "allow every permission"),
    (graph_error(400, "(#4) Application request limit reached", code=4), RateLimited, "limiting"),
    (graph_error(400, "(#17) User request limit reached", code=17), RateLimited, "limiting"),
    (graph_error(400, "(#32) Page request limit reached", code=32), RateLimited, "limiting"),
    (graph_error(400, "(#613) Calls to this api have exceeded the rate limit.", code=613), RateLimited, "limiting"),
    (graph_error(400, "(#80001) There have been too many calls to this Page account.", code=80001),
     RateLimited, "limiting"),
    (graph_error(500, "An unknown error occurred", code=1, type_="OAuthException"), Transient, "temporary"),
    (graph_error(503, "Service temporarily unavailable", code=2), Transient, "temporary"),
    (graph_error(400, "Please retry your request later.", code=-2, transient=True), Transient, "temporary"),
    (Reply(502, "<html>Bad Gateway</html>"), Transient, "temporary"),
    (graph_error(400, "(#100) Invalid parameter", code=100, user_msg="The message is not valid."), Permanent,
     "Facebook refused this: The message is not valid."),
    (graph_error(400, "(#506) Duplicate status message", code=506), Permanent, "same post twice"),
    (graph_error(400, "(#368) The action attempted has been deemed abusive or is otherwise disallowed", code=368),
     Permanent, "against its policies"),
])
def test_graph_error_bodies_map_onto_the_taxonomy(fake, facebook, account, reply, error_class, words):
    fake.fail_next(reply)
    with pytest.raises(error_class) as caught:
        facebook.publish(account, PostContent(text="hello"))
    assert words in caught.value.message
    assert type(caught.value) is error_class
    for token in (account.access_token, account.extra["page_token"]):
        assert token not in f"{caught.value} {caught.value.detail}"


def test_rate_limits_carry_when_access_comes_back(fake, facebook, account, page):
    usage = {page: [{"type": "pages", "call_count": 100, "total_cputime": 12, "total_time": 30,
                     "estimated_time_to_regain_access": 19}]}
    fake.fail_next(graph_error(400, "(#80001) There have been too many calls to this Page account.", code=80001,
                               headers={"X-Business-Use-Case-Usage": json.dumps(usage)}))
    with pytest.raises(RateLimited) as caught:
        facebook.metrics(account, "1_2")
    assert caught.value.retry_after == 19 * 60.0
    fake.fail_next(graph_error(429, "Too many calls", code=4, headers={"Retry-After": "120"}))
    with pytest.raises(RateLimited) as caught:
        facebook.metrics(account, "1_2")
    assert caught.value.retry_after == 120.0


def test_a_page_token_for_another_page_is_refused(fake, facebook, account, person):
    other = fake.add_page("Other", managers={fake.add_user(): ("CREATE_CONTENT",)})
    wrong = Tokens(access_token=account.access_token, extra={**account.extra, "page_id": other})
    with pytest.raises(PermissionMissing):
        facebook.publish(wrong, PostContent(text="not mine"))
    assert fake.posts == {}


# --- memory ----------------------------------------------------------------------------------

def test_a_200_mb_video_is_streamed_with_bounded_memory(fake, account):
    """~200 MB generated on the fly; the fake keeps only a hash. Peak traced
    memory stays a small multiple of the 4 MB piece, far from the file size."""
    size, piece = 200 * 1024 * KB + 17, 4 * 1024 * KB
    fake.keep_upload_bytes = False

    def chunks(n):
        rng = random.Random(99)
        left = size
        while left:
            step = min(n, left)
            left -= step
            yield rng.randbytes(step)

    expected = hashlib.sha256()
    for block in chunks(1024 * KB):
        expected.update(block)
    media = Media(kind="video", mime_type="video/mp4", size=size, width=1920, height=1080, duration_s=600,
                  chunks=chunks)
    facebook = FacebookPlatform(chunk_size=piece)

    tracemalloc.start()
    try:
        facebook.publish(account, PostContent(text="long take", media=[media]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    (upload,) = fake.uploads.values()
    assert upload.received == size and upload.sha256.hexdigest() == expected.hexdigest()
    assert peak < 8 * piece, f"peak {peak / 1024 / KB:.1f} MB for a {size / 1024 / KB:.0f} MB file"
