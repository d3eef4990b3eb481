"""Contract tests for the Threads module against tools/fakes/threads.py (Meta's
documented Threads API shapes): the exact requests sent, the answers parsed,
each error class, the container state machine, carousels and reply chains.
Length counting is checked against hand-counted cases."""

import datetime as dt
import urllib.parse

import httpx
import pytest

from fakes.base import Reply
from fakes.threads import ThreadsFake, graph_error
from kernel import clock
from platforms import get, http
from platforms.base import AppCredentials, Media, PostContent, Tokens
from platforms.errors import AuthExpired, OutcomeUnknown, PartlyPublished, Permanent, RateLimited, Transient
from platforms.meta_graph.containers import POLL_DELAYS
from platforms.threads import ThreadsPlatform, links_in, threads_length

APP = AppCredentials(client_id="990602627938098", client_secret="app-secret-xyz")
REDIRECT = "https://postr.example/oauth/threads"
ALL_SCOPES = ("threads_basic", "threads_content_publish", "threads_manage_replies", "threads_manage_insights",
              "threads_delete")
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def fake(fake_env):
    with ThreadsFake() as server:
        server.add_app(APP.client_id, APP.client_secret, REDIRECT)
        fake_env(THREADS_API_URL=server.url, THREADS_AUTH_URL="https://threads.example/oauth/authorize")
        yield server


@pytest.fixture
def waits():
    return []


@pytest.fixture
def threads(waits):
    return ThreadsPlatform(sleep=waits.append)


@pytest.fixture
def account(fake):
    user_id = fake.add_user()
    return Tokens(access_token=fake.issue_token(user_id, ALL_SCOPES), scopes=list(ALL_SCOPES),
                  extra={"user_id": user_id})


def image(url="https://storage.example/signed/a.png?sig=1", **kw) -> Media:
    return Media(kind="image", mime_type=kw.pop("mime_type", "image/png"), size=kw.pop("size", 200_000),
                 width=kw.pop("width", 1080), height=kw.pop("height", 1350), url=url, **kw)


def video(url="https://storage.example/signed/v.mp4?sig=2", **kw) -> Media:
    return Media(kind="video", mime_type=kw.pop("mime_type", "video/mp4"), size=kw.pop("size", 20_000_000),
                 width=kw.pop("width", 1080), height=kw.pop("height", 1920), duration_s=kw.pop("duration_s", 30.0),
                 url=url, **kw)


def form(req) -> dict:
    return {k: v[0] for k, v in urllib.parse.parse_qs(req.body.decode()).items()}


def query(req) -> dict:
    return {k: v[0] for k, v in req.query.items()}


# --- registry and OAuth ------------------------------------------------------------------

def test_the_registry_returns_the_threads_module():
    platform = get("threads")
    assert isinstance(platform, ThreadsPlatform)
    assert platform.supports_threads and platform.supports_first_comment and platform.supports_video
    assert platform.scopes == ALL_SCOPES


def test_authorization_url_asks_only_for_the_needed_scopes(fake, threads):
    url = urllib.parse.urlsplit(threads.authorization_url(APP, state="st4te", redirect_uri=REDIRECT))
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://threads.example/oauth/authorize"
    assert dict(urllib.parse.parse_qsl(url.query)) == {
        "client_id": APP.client_id, "redirect_uri": REDIRECT, "response_type": "code", "state": "st4te",
        "scope": "threads_basic,threads_content_publish,threads_manage_replies,threads_manage_insights,"
                 "threads_delete",
    }
    assert fake.requests == []


def test_exchange_code_gets_a_long_lived_token(fake, threads):
    user_id = fake.add_user()
    code = fake.issue_code(APP.client_id, REDIRECT, user_id)
    with clock.frozen(NOW):
        tokens = threads.exchange_code(APP, code=code, redirect_uri=REDIRECT)

    short_req, long_req = fake.requests
    assert (short_req.method, short_req.path) == ("POST", "/oauth/access_token")
    assert short_req.query == {}  # the app secret and the code travel in the body, not the URL
    assert form(short_req) == {"client_id": APP.client_id, "client_secret": APP.client_secret, "code": code,
                               "grant_type": "authorization_code", "redirect_uri": REDIRECT}
    assert (long_req.method, long_req.path) == ("GET", "/access_token")
    short_token = query(long_req)["access_token"]
    assert query(long_req) == {"grant_type": "th_exchange_token", "client_secret": APP.client_secret,
                               "access_token": short_token}
    assert fake.tokens[tokens.access_token]["kind"] == "long"
    assert tokens.refresh_token is None
    assert tokens.expires_at == NOW + dt.timedelta(seconds=ThreadsFake.LONG_LIVED_SECONDS)
    assert tokens.extra == {"user_id": user_id}
    # Neither answer says what was granted (and /debug_token needs a tester's
    # token), so the requested permissions are kept, with no third request.
    assert tokens.scopes == list(ALL_SCOPES)


def test_a_used_or_wrong_code_is_refused_permanently(fake, threads):
    user_id = fake.add_user()
    code = fake.issue_code(APP.client_id, REDIRECT, user_id)
    threads.exchange_code(APP, code=code, redirect_uri=REDIRECT)
    with pytest.raises(Permanent) as caught:
        threads.exchange_code(APP, code=code, redirect_uri=REDIRECT)
    assert "verification code" in caught.value.message
    assert "code=100" in caught.value.detail


def test_refresh_uses_the_long_lived_token_itself(fake, threads, account):
    with clock.frozen(NOW):
        fresh = threads.refresh(APP, account)
    (req,) = fake.requests
    assert (req.method, req.path) == ("GET", "/refresh_access_token")
    assert query(req) == {"grant_type": "th_refresh_token", "access_token": account.access_token}
    assert fresh.access_token != account.access_token and fresh.access_token in fake.tokens
    assert fresh.refresh_token is None
    assert fresh.expires_at == NOW + dt.timedelta(seconds=ThreadsFake.LONG_LIVED_SECONDS)
    assert fresh.extra == account.extra and fresh.scopes == account.scopes


def test_refreshing_an_expired_token_means_reconnect(fake, threads, account):
    fake.tokens[account.access_token]["expired"] = True
    with pytest.raises(AuthExpired) as caught:
        threads.refresh(APP, account)
    assert "reconnect" in caught.value.message


def test_revoke_reports_that_threads_has_no_revoke_endpoint(fake, threads, account):
    assert threads.revokes is False
    assert threads.revoke(APP, account) is False
    assert fake.requests == []
    assert not fake.tokens[account.access_token]["expired"]  # the person ends it in Threads, or it lapses


# --- profile ---------------------------------------------------------------------------

def test_profile_reads_me_and_followers(fake, threads, account):
    profile = threads.profile(account)
    me, insights = fake.requests
    user_id = account.extra["user_id"]
    assert (me.method, me.path) == ("GET", "/v1.0/me")
    assert query(me) == {"fields": "id,username,name,threads_profile_picture_url",
                         "access_token": account.access_token}
    assert (insights.method, insights.path) == ("GET", f"/v1.0/{user_id}/threads_insights")
    assert query(insights) == {"metric": "followers_count", "access_token": account.access_token}
    assert (profile.account_id, profile.handle, profile.display_name) == (user_id, "postr.tester", "Postr Tester")
    assert profile.avatar_url == "https://scontent.example/p.jpg"
    assert profile.followers_count == 42


def test_profile_without_the_insights_permission_has_no_follower_count(fake, threads):
    user_id = fake.add_user(followers=9000)
    tokens = Tokens(access_token=fake.issue_token(user_id, ("threads_basic",)), extra={"user_id": user_id})
    profile = threads.profile(tokens)
    assert profile.account_id == user_id
    assert profile.followers_count is None  # unknown, not a fake zero


# --- length and links, hand-counted -----------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("hello", 5),
    ("😀", 4),                      # U+1F600: 4 UTF-8 bytes
    ("👍🏽", 8),                     # thumbs up + skin tone modifier: 4 + 4
    ("👨\u200d👩\u200d👧", 18),      # family ZWJ sequence: 4 + 3 + 4 + 3 + 4
    ("🇫🇷", 8),                     # flag: two regional indicators, 4 + 4
    ("1\ufe0f\u20e3", 7),           # keycap one: 1 + 3 + 3
    ("❤\ufe0f", 6),                 # U+2764 + VS16: 3 + 3
    ("e\u0301", 1),                 # e + combining acute: one character
    ("कि", 1),                      # Devanagari ka + vowel sign i: one character
    ("漢字かな", 4),                  # CJK: one each, not their 3 UTF-8 bytes
    ("a😀b", 6),
])
def test_threads_length_counts_emoji_as_utf8_bytes(text, expected):
    assert threads_length(text) == expected


def test_links_are_counted_once_each_with_or_without_scheme():
    assert links_in("see www.facebook.com and https://threads.com/x") == {"http://www.facebook.com",
                                                                          "https://threads.com/x"}
    assert len(links_in("www.facebook.com", "www.facebook.com")) == 1
    assert len(links_in("www.instagram.com www.threads.com", "www.facebook.com")) == 3
    assert links_in("mail me: a@example.com") == set()


# --- validation --------------------------------------------------------------------------

def test_a_good_post_has_no_problems(threads):
    post = PostContent(text="Launch day 🚀 https://postr.example", media=[image(alt_text="our logo")],
                       thread=[PostContent(text="part two"), PostContent(text="", media=[video()])],
                       first_comment="Details in the link", options={"reply_control": "accounts_you_follow"})
    assert threads.validate(post) == []


def test_text_at_the_limit_passes_and_one_more_fails(threads):
    assert threads.validate(PostContent(text="a" * 500)) == []
    assert threads.validate(PostContent(text="😀" * 125)) == []
    (problem,) = threads.validate(PostContent(text="😀" * 126))
    assert problem.field == "text"
    assert "500" in problem.message and "504" in problem.message
    (problem,) = threads.validate(PostContent(text="a" * 501))
    assert "501" in problem.message


def test_every_problem_is_reported_with_its_place(threads):
    post = PostContent(
        text="",
        media=[image(mime_type="image/gif"), image(size=9 * 1024 * 1024), image(width=4000, height=300),
               video(duration_s=301), video(size=2 * 1024 ** 3, width=3840, height=2160), image(url=None)],
        thread=[PostContent(text="x" * 501), PostContent(text="   ")],
        first_comment="y" * 600,
        options={"reply_control": "friends"},
    )
    problems = {(p.field, p.message) for p in threads.validate(post)}
    fields = [f for f, _ in problems]
    assert ("media[1]", "Threads takes JPEG or PNG images, not image/gif.") in problems
    assert ("media[2]", "Images on Threads can be at most 8 MB; this one is 9 MB.") in problems
    assert ("media[3]", "This image is too long and narrow for Threads (at most 10:1).") in problems
    assert ("media[4]", "Videos on Threads last up to 5 minutes; this one lasts 301 seconds.") in problems
    assert ("media[5]", "Videos on Threads can be at most 1 GB; this one is 2 GB.") in problems
    assert ("media[5]", "Videos on Threads can be at most 1920 pixels wide; this one is 3840.") in problems
    assert ("media[6]", "Threads fetches media from a link, and this file has none yet.") in problems
    assert "thread[1].text" in fields and "thread[2].text" in fields and "first_comment" in fields
    assert "options.reply_control" in fields
    assert "text" not in fields  # a media post may have no text


def test_too_many_media_and_links_and_misplaced_features(threads):
    problems = threads.validate(PostContent(
        text=" ".join(f"https://site{i}.example" for i in range(6)),
        media=[image() for _ in range(21)],
        link="https://postr.example",
        thread=[PostContent(text="x", first_comment="nested", thread=[PostContent(text="deeper")])],
    ))
    messages = {p.field: p.message for p in problems}
    assert messages["media"] == "Threads takes at most 20 images or videos in one post; this one has 21."
    assert messages["text"] == "Threads allows at most 5 different links in a post; this one has 7."
    assert messages["link"] == "Threads shows a link card only on posts without media."
    assert "thread[1]" in messages and "thread[1].first_comment" in messages


# --- publishing ---------------------------------------------------------------------------

def test_publish_refuses_without_sending_when_validation_fails(fake, threads, account):
    for post in (PostContent(text="a" * 501),
                 PostContent(text="ok", thread=[PostContent(text="", media=[image(mime_type="image/webp")])]),
                 PostContent(text="ok", thread=[PostContent(text="two", thread=[PostContent(text="nested")])]),
                 PostContent(text="ok", link="https://postr.example", media=[image()])):
        with pytest.raises(Permanent) as caught:
            threads.publish(account, post)
        assert caught.value.message.startswith("This post cannot go to Threads:")
    assert fake.requests == []
    assert fake.posts == {}


def test_publish_text_post(fake, threads, account, waits):
    user_id = account.extra["user_id"]
    published = threads.publish(account, PostContent(text="Hello Threads 👋", link="https://postr.example"))

    create, status, publish, permalink = fake.requests
    assert (create.method, create.path) == ("POST", f"/v1.0/{user_id}/threads")
    assert create.query == {}  # the token rides in the form body
    assert form(create) == {"media_type": "TEXT", "text": "Hello Threads 👋",
                            "link_attachment": "https://postr.example", "access_token": account.access_token}
    container = fake.containers[form(publish)["creation_id"]]
    assert (status.method, status.path) == ("GET", f"/v1.0/{container.id}")
    assert query(status) == {"fields": "status,error_message", "access_token": account.access_token}
    assert (publish.method, publish.path) == ("POST", f"/v1.0/{user_id}/threads_publish")
    assert form(publish) == {"creation_id": container.id, "access_token": account.access_token}
    assert (permalink.method, permalink.path, query(permalink)["fields"]) == \
        ("GET", f"/v1.0/{published.post_id}", "permalink")
    post = fake.posts[published.post_id]
    assert published.url == post["permalink"] and post["text"] == "Hello Threads 👋"
    assert published.part_ids == () and published.comment_id is None
    assert waits == []  # ready at the first look


def test_publish_image_with_alt_text_lets_threads_fetch_the_signed_url(fake, threads, account):
    media = image(alt_text="A red bicycle against a wall")
    threads.publish(account, PostContent(text="New bike", media=[media],
                                         options={"reply_control": "mentioned_only"}))
    create = fake.requests[0]
    assert form(create) == {"media_type": "IMAGE", "image_url": media.url, "alt_text": "A red bicycle against a wall",
                            "text": "New bike", "reply_control": "mentioned_only",
                            "access_token": account.access_token}


def test_video_is_published_once_processing_finishes(fake, threads, account, waits):
    fake.video_states = [("IN_PROGRESS", None), ("IN_PROGRESS", None), ("FINISHED", None)]
    published = threads.publish(account, PostContent(text="clip", media=[video(alt_text="a cat")]))
    paths = [(r.method, r.path) for r in fake.requests]
    container = form(fake.requests[0])
    assert container["media_type"] == "VIDEO" and container["video_url"].startswith("https://storage.example/")
    status_reads = [r for r in fake.requests if r.method == "GET" and query(r).get("fields") == "status,error_message"]
    assert len(status_reads) == 3
    assert waits == list(POLL_DELAYS[:2])  # looked at once, then backed off twice
    assert paths.index(("POST", f"/v1.0/{account.extra['user_id']}/threads_publish")) > paths.index(
        ("GET", status_reads[-1].path))
    assert published.post_id in fake.posts


@pytest.mark.parametrize("state, reason, words", [
    ("ERROR", "FAILED_PROCESSING_VIDEO", "could not process the video"),
    ("ERROR", "INVALID_ASPEC_RATIO", "aspect ratio"),
    ("ERROR", "SOMETHING_NEW", "SOMETHING_NEW"),
    ("EXPIRED", None, "expire"),
])
def test_a_failed_or_expired_container_is_permanent_and_never_published(fake, threads, account, state, reason, words):
    fake.video_states = [("IN_PROGRESS", None), (state, reason)]
    with pytest.raises(Permanent) as caught:
        threads.publish(account, PostContent(text="clip", media=[video()]))
    assert words in caught.value.message
    assert not [r for r in fake.requests if r.path.endswith("/threads_publish")]
    assert fake.posts == {}


def test_a_video_still_processing_after_the_last_look_is_transient(fake, threads, account, waits):
    fake.video_states = [("IN_PROGRESS", None)]
    with pytest.raises(Transient) as caught:
        threads.publish(account, PostContent(text="clip", media=[video()]))
    assert "still processing" in caught.value.message
    status_reads = [r for r in fake.requests if query(r).get("fields") == "status,error_message"]
    assert len(status_reads) == len(POLL_DELAYS) + 1  # bounded
    assert waits == list(POLL_DELAYS) and sum(waits) <= 300
    assert not [r for r in fake.requests if r.path.endswith("/threads_publish")]


def test_carousel_of_images_and_a_video(fake, threads, account):
    user_id = account.extra["user_id"]
    items = [image(url="https://s.example/1.jpg", mime_type="image/jpeg", alt_text="one"),
             video(url="https://s.example/2.mp4"), image(url="https://s.example/3.png")]
    published = threads.publish(account, PostContent(text="Three things", media=items))

    creates = [form(r) for r in fake.requests if r.method == "POST" and r.path == f"/v1.0/{user_id}/threads"]
    token = {"access_token": account.access_token}
    assert creates[:3] == [
        {"media_type": "IMAGE", "image_url": "https://s.example/1.jpg", "alt_text": "one", "is_carousel_item": "true",
         **token},
        {"media_type": "VIDEO", "video_url": "https://s.example/2.mp4", "is_carousel_item": "true", **token},
        {"media_type": "IMAGE", "image_url": "https://s.example/3.png", "is_carousel_item": "true", **token},
    ]
    children = [cid for cid, c in fake.containers.items() if c.fields.get("is_carousel_item") == "true"]
    assert creates[3] == {"media_type": "CAROUSEL", "children": ",".join(children), "text": "Three things", **token}
    (publish,) = [r for r in fake.requests if r.path.endswith("/threads_publish")]
    assert fake.containers[form(publish)["creation_id"]].fields["media_type"] == "CAROUSEL"
    assert fake.posts[published.post_id]["media_type"] == "CAROUSEL"


def test_a_carousel_item_that_fails_stops_before_the_carousel_exists(fake, threads, account):
    fake.video_states = [("ERROR", "FAILED_DOWNLOADING_VIDEO")]
    with pytest.raises(Permanent) as caught:
        threads.publish(account, PostContent(text="two", media=[image(), video()]))
    assert caught.value.message == "Video 2: Threads could not download the video."
    assert not [c for c in fake.containers.values() if c.fields["media_type"] == "CAROUSEL"]
    assert fake.posts == {}


def test_thread_parts_reply_in_a_chain_and_the_first_comment_replies_to_the_root(fake, threads, account):
    post = PostContent(text="1/3 the start", thread=[PostContent(text="2/3 middle"),
                                                     PostContent(text="3/3 end", media=[image()])],
                       first_comment="Links in here")
    published = threads.publish(account, post)

    root, second, third = published.post_id, *published.part_ids
    assert fake.posts[root]["reply_to_id"] is None
    assert fake.posts[second]["reply_to_id"] == root
    assert fake.posts[third]["reply_to_id"] == second
    assert fake.posts[published.comment_id]["reply_to_id"] == root
    assert fake.posts[published.comment_id]["text"] == "Links in here"
    assert published.url == fake.posts[root]["permalink"]
    creates = [form(r) for r in fake.requests if r.path.endswith("/threads") and r.method == "POST"]
    assert [c.get("reply_to_id") for c in creates] == [None, root, second, root]


def test_a_failure_after_the_root_is_live_reports_what_was_published(fake, threads, account):
    post = PostContent(text="root", thread=[PostContent(text="two"), PostContent(text="three")])
    fake.fail_next(graph_error(500, "An unexpected error has occurred.", code=2, transient=True),
                   path="/threads_publish")
    with pytest.raises(Transient):  # nothing was live yet: a plain retryable error
        threads.publish(account, post)
    assert fake.posts == {}

    fake.publish_answers[3] = graph_error(400, "Invalid parameter", code=100)  # the third part's publish
    with pytest.raises(PartlyPublished) as caught:
        threads.publish(account, post)
    assert isinstance(caught.value.cause, Permanent)
    partial = caught.value.published
    assert partial.post_id in fake.posts and len(partial.part_ids) == 1
    assert fake.posts[partial.part_ids[0]]["reply_to_id"] == partial.post_id
    assert partial.url == fake.posts[partial.post_id]["permalink"]


def test_a_lost_answer_to_publish_is_outcome_unknown_but_to_a_container_transient(fake, threads, account,
                                                                                  monkeypatch):
    # Short timeouts for this test only; the pooled client is rebuilt around it.
    monkeypatch.setattr(http, "TIMEOUT", httpx.Timeout(connect=1.0, read=0.2, write=1.0, pool=1.0))
    http.client.cache_clear()
    try:
        fake.fail_next(Reply(200, {"id": "1"}, delay=1.0), path="/threads_publish")
        with pytest.raises(OutcomeUnknown):
            threads.publish(account, PostContent(text="hello"))
        fake.fail_next(Reply(200, {"id": "1"}, delay=1.0), path=f"/{account.extra['user_id']}/threads")
        with pytest.raises(Transient):
            threads.publish(account, PostContent(text="hello"))
    finally:
        monkeypatch.undo()
        http.client.cache_clear()


# --- delete and metrics ------------------------------------------------------------------

def test_delete(fake, threads, account):
    post_id = fake.publish_post(account.extra["user_id"], "to go")
    threads.delete(account, post_id)
    (req,) = fake.requests
    assert (req.method, req.path) == ("DELETE", f"/v1.0/{post_id}")
    assert query(req) == {"access_token": account.access_token}
    assert post_id not in fake.posts
    with pytest.raises(Permanent) as caught:
        threads.delete(account, post_id)
    assert "does not exist" in caught.value.message


def test_metrics_sum_reposts_and_quotes_once_each(fake, threads, account):
    post_id = fake.publish_post(account.extra["user_id"])
    fake.posts[post_id]["insights"].update(views=4523, likes=187, replies=42, reposts=23, quotes=8, shares=5)
    metrics = threads.metrics(account, post_id)
    (req,) = fake.requests
    assert (req.method, req.path) == ("GET", f"/v1.0/{post_id}/insights")
    assert query(req) == {"metric": "views,likes,replies,reposts,quotes", "access_token": account.access_token}
    assert (metrics.views, metrics.likes, metrics.replies, metrics.reposts) == (4523, 187, 42, 31)


def test_metrics_threads_does_not_give_are_none(fake, threads, account):
    post_id = fake.publish_post(account.extra["user_id"])
    fake.posts[post_id]["insights"] = None  # Meta answers an empty list for a REPOST_FACADE
    metrics = threads.metrics(account, post_id)
    assert (metrics.views, metrics.likes, metrics.replies, metrics.reposts) == (None, None, None, None)
    fake.posts[post_id]["insights"] = {"likes": 3, "views": None, "replies": 0, "reposts": None, "quotes": 2}
    metrics = threads.metrics(account, post_id)
    assert (metrics.views, metrics.likes, metrics.replies, metrics.reposts) == (None, 3, 0, 2)


# --- errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("reply, error_class, words", [
    (graph_error(400, "Error validating access token: Session has expired.", code=190, subcode=463,
                 type_="OAuthException"), AuthExpired, "reconnect"),
    (graph_error(400, "Application does not have permission for this action", code=10, type_="OAuthException"),
     AuthExpired, "allow every permission"),
    (graph_error(400, "Application request limit reached", code=4), RateLimited, "limiting"),
    (graph_error(400, "User request limit reached", code=17), RateLimited, "limiting"),
    (graph_error(400, "Calls to this api have exceeded the rate limit.", code=613), RateLimited, "limiting"),
    (graph_error(400, "Page request limit reached", code=32), RateLimited, "limiting"),
    (graph_error(500, "An unknown error occurred", code=1), Transient, "temporary"),
    (graph_error(503, "Service temporarily unavailable", code=2), Transient, "temporary"),
    (graph_error(400, "Please retry your request later.", code=-1, transient=True), Transient, "temporary"),
    (Reply(502, "<html>Bad Gateway</html>"), Transient, "temporary"),
    (graph_error(400, "Invalid parameter", code=100), Permanent, "Threads refused this: Invalid parameter"),
    (graph_error(400, "THREADS_API__LINK_LIMIT_EXCEEDED", code=100), Permanent, "at most 5 different links"),
])
def test_graph_error_bodies_map_onto_the_taxonomy(fake, threads, account, reply, error_class, words):
    fake.fail_next(reply)
    with pytest.raises(error_class) as caught:
        threads.publish(account, PostContent(text="hello"))
    assert words in caught.value.message
    assert type(caught.value) is error_class or error_class is AuthExpired
    assert account.access_token not in f"{caught.value} {caught.value.detail}"


def test_rate_limits_carry_retry_after(fake, threads, account):
    fake.fail_next(graph_error(429, "Too many calls", code=4, headers={"Retry-After": "120"}))
    with pytest.raises(RateLimited) as caught:
        threads.metrics(account, "123")
    assert caught.value.retry_after == 120.0
