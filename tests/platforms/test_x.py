"""Contract tests of the X module against tools/fakes/x.py: the exact requests
postr sends (method, path, headers, body) and how X's documented answers and
errors come back (platforms.errors)."""

import base64
import datetime as dt
import hashlib
import json
import urllib.parse

import pytest

from fakes.base import Reply
from fakes.x import XFake
from kernel import clock
from platforms import x
from platforms.base import AppCredentials, Media, PostContent, Tokens
from platforms.errors import AuthExpired, OutcomeUnknown, PartlyPublished, Permanent, RateLimited, Transient


def media_from_bytes(data: bytes, *, kind="image", mime_type="image/png", alt_text=None, duration_s=None) -> Media:
    """A Media whose bytes stream from memory in the sizes the module asks for."""

    def chunks(size):
        for start in range(0, len(data), size):
            yield data[start:start + size]

    return Media(kind=kind, mime_type=mime_type, size=len(data), alt_text=alt_text, width=1200, height=800,
                 duration_s=duration_s, chunks=chunks)

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
APP = AppCredentials(client_id="postr-client-id", client_secret="postr-client-secret")
REDIRECT = "https://app.postr.test/oauth/x/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-and-some-more-entropy"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode().rstrip("=")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


@pytest.fixture
def fake(fake_env):
    with XFake() as server:
        fake_env(X_API_URL=server.url, X_AUTH_URL=f"{server.url}/i/oauth2/authorize")
        yield server


@pytest.fixture
def tokens(fake):
    granted = fake.grant()
    return Tokens(access_token=granted["access_token"], refresh_token=granted["refresh_token"])


@pytest.fixture
def platform():
    """An XPlatform whose waits between STATUS checks are recorded, not slept."""
    slept: list[float] = []
    p = x.XPlatform(sleep=slept.append)
    p.slept = slept
    return p


@pytest.fixture
def frozen():
    with clock.frozen(NOW):
        yield


def bearer(req, tokens):
    return req.headers["authorization"] == f"Bearer {tokens.access_token}"


def api_requests(fake):
    return [r for r in fake.requests if not r.path.startswith("/2/oauth2/")]


def test_registry_gives_the_x_module():
    import platforms

    assert isinstance(platforms.get("x"), x.XPlatform)
    assert platforms.get("x").scopes == ("tweet.read", "tweet.write", "users.read", "media.write", "offline.access")


# --- OAuth ------------------------------------------------------------------------------

def test_authorization_url_asks_pkce_s256_and_only_the_needed_scopes(fake):
    url = x.PLATFORM.authorization_url(APP, state="st-123", redirect_uri=REDIRECT, code_challenge=CHALLENGE)

    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{fake.url}/i/oauth2/authorize"
    assert "scope=tweet.read%20tweet.write%20users.read%20media.write%20offline.access" in parts.query
    assert dict(urllib.parse.parse_qsl(parts.query)) == {
        "response_type": "code", "client_id": "postr-client-id", "redirect_uri": REDIRECT,
        "scope": "tweet.read tweet.write users.read media.write offline.access", "state": "st-123",
        "code_challenge": CHALLENGE, "code_challenge_method": "S256"}
    with pytest.raises(ValueError):
        x.PLATFORM.authorization_url(APP, state="st", redirect_uri=REDIRECT)


def test_default_addresses_are_xs_own(monkeypatch):
    monkeypatch.delenv("X_API_URL", raising=False)
    monkeypatch.delenv("X_AUTH_URL", raising=False)
    assert x.api.X_API_URL.value == "https://api.x.com"
    url = x.PLATFORM.authorization_url(APP, state="s", redirect_uri=REDIRECT, code_challenge=CHALLENGE)
    assert url.startswith("https://x.com/i/oauth2/authorize?")


def test_connecting_a_confidential_client(fake, frozen):
    url = x.PLATFORM.authorization_url(APP, state="st-9", redirect_uri=REDIRECT, code_challenge=CHALLENGE)
    back = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(fake.consent(url)).query))
    assert back["state"] == "st-9"

    got = x.PLATFORM.exchange_code(APP, code=back["code"], redirect_uri=REDIRECT, code_verifier=VERIFIER)

    [req] = fake.requests
    assert (req.method, req.path) == ("POST", "/2/oauth2/token")
    assert req.headers["content-type"] == "application/x-www-form-urlencoded"
    assert req.headers["authorization"] == "Basic " + base64.b64encode(b"postr-client-id:postr-client-secret").decode()
    assert req.form == {"code": back["code"], "grant_type": "authorization_code", "redirect_uri": REDIRECT,
                        "code_verifier": VERIFIER}
    assert got.access_token in fake.access_tokens and got.refresh_token in fake.refresh_tokens
    assert got.expires_at == NOW + dt.timedelta(hours=2)
    assert got.scopes == ["tweet.read", "tweet.write", "users.read", "media.write", "offline.access"]


def test_a_public_client_names_itself_in_the_form(fake_env):
    with XFake(client_secret=None) as fake:
        fake_env(X_API_URL=fake.url)
        public = AppCredentials(client_id="postr-client-id")
        url = x.PLATFORM.authorization_url(public, state="s", redirect_uri=REDIRECT, code_challenge=CHALLENGE)
        code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(fake.consent(url)).query))["code"]

        got = x.PLATFORM.exchange_code(public, code=code, redirect_uri=REDIRECT, code_verifier=VERIFIER)

        [req] = fake.requests
        assert "authorization" not in req.headers
        assert req.form["client_id"] == "postr-client-id"
        assert got.access_token in fake.access_tokens


def test_a_wrong_verifier_or_spent_code_is_refused_readably(fake):
    url = x.PLATFORM.authorization_url(APP, state="s", redirect_uri=REDIRECT, code_challenge=CHALLENGE)
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(fake.consent(url)).query))["code"]

    with pytest.raises(Permanent) as err:
        x.PLATFORM.exchange_code(APP, code=code, redirect_uri=REDIRECT, code_verifier="not-the-verifier")
    assert "connect your X account again" in err.value.message
    assert "authorization code was invalid" in err.value.detail


def test_wrong_app_credentials_are_postrs_problem(fake):
    wrong = AppCredentials(client_id="postr-client-id", client_secret="stale-secret")
    with pytest.raises(Permanent) as err:
        x.PLATFORM.refresh(wrong, Tokens(access_token="a", refresh_token="r"))
    assert "postr's side" in err.value.message and err.value.status == 401


def test_refresh_rotates_the_refresh_token(fake, tokens, frozen):
    fresh = x.PLATFORM.refresh(APP, Tokens(access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                                           extra={"username": "postr_tester"}))

    [req] = fake.requests
    assert (req.method, req.path) == ("POST", "/2/oauth2/token")
    assert req.form == {"refresh_token": tokens.refresh_token, "grant_type": "refresh_token"}
    assert req.headers["authorization"].startswith("Basic ")
    assert fresh.access_token != tokens.access_token and fresh.refresh_token != tokens.refresh_token
    assert fresh.expires_at == NOW + dt.timedelta(seconds=7200)
    assert fresh.extra == {"username": "postr_tester"}
    # The old refresh token was spent: using it again means reconnecting.
    with pytest.raises(AuthExpired) as err:
        x.PLATFORM.refresh(APP, tokens)
    assert "reconnect your X account" in err.value.message


def test_refresh_without_a_refresh_token_needs_reconnecting_and_sends_nothing(fake):
    with pytest.raises(AuthExpired):
        x.PLATFORM.refresh(APP, Tokens(access_token="only-access"))
    assert fake.requests == []


def test_a_refresh_that_times_out_may_have_spent_the_token(fake, tokens, short_timeouts):
    fake.fail_next(Reply(200, {}, delay=1.0), path="/2/oauth2/token")
    with pytest.raises(OutcomeUnknown):
        x.PLATFORM.refresh(APP, tokens)


def test_revoke_revokes_both_tokens(fake, tokens):
    assert x.PLATFORM.revoke(APP, tokens) is True

    revokes = fake.received("POST", "/2/oauth2/revoke")
    assert [r.form for r in revokes] == [{"token": tokens.refresh_token}, {"token": tokens.access_token}]
    assert all(r.headers["authorization"].startswith("Basic ") for r in revokes)
    with pytest.raises(AuthExpired):
        x.PLATFORM.profile(tokens)
    with pytest.raises(AuthExpired):
        x.PLATFORM.refresh(APP, tokens)


def test_revoking_tokens_x_no_longer_knows_is_still_revoked(fake, tokens):
    x.PLATFORM.revoke(APP, tokens)
    assert x.PLATFORM.revoke(APP, tokens) is True  # RFC 7009: an invalid token is no error
    assert len(fake.received("POST", "/2/oauth2/revoke")) == 4


@pytest.mark.parametrize("status, error", [(503, Transient), (429, RateLimited)])
def test_revoke_when_x_cannot_take_it_raises_the_taxonomy(fake, tokens, status, error):
    # The caller deletes the tokens anyway and reports revokedAtNetwork False.
    fake.fail_next(Reply(status, {"title": "Service Unavailable", "type": "about:blank", "status": status}),
                   path="/2/oauth2/revoke")
    with pytest.raises(error):
        x.PLATFORM.revoke(APP, tokens)


def test_a_token_answer_without_scope_granted_what_was_asked(fake):
    # RFC 6749 §5.1: scope may be left out only when it is the requested one.
    fake.fail_next(Reply(200, {"token_type": "bearer", "expires_in": 7200, "access_token": "at-1"}),
                   path="/2/oauth2/token")
    got = x.PLATFORM.exchange_code(APP, code="c", redirect_uri=REDIRECT, code_verifier="v")
    assert got.scopes == list(x.SCOPES) and x.PLATFORM.missing_scopes(got.scopes) == []


# --- profile ------------------------------------------------------------------------------

def test_profile(fake, tokens):
    got = x.PLATFORM.profile(tokens)

    [req] = fake.requests
    assert (req.method, req.path) == ("GET", "/2/users/me")
    assert req.query == {"user.fields": ["profile_image_url,public_metrics"]}
    assert bearer(req, tokens)
    assert (got.account_id, got.handle, got.display_name, got.followers_count) == (
        "2244994945", "postr_tester", "Postr Tester", 1523)
    assert got.avatar_url == "https://pbs.twimg.com/profile_images/1/a_normal.jpg"


def test_a_token_without_the_scope_is_refused(fake):
    granted = fake.grant(scopes=("tweet.read",))
    with pytest.raises(Permanent) as err:
        x.PLATFORM.profile(Tokens(access_token=granted["access_token"]))
    assert err.value.status == 403 and "not permitted" in err.value.message


# --- publish --------------------------------------------------------------------------------

def test_publish_text(fake, tokens, platform):
    got = platform.publish(tokens, PostContent(text="Hello from postr 👋"))

    [req] = fake.requests
    assert (req.method, req.path) == ("POST", "/2/tweets")
    assert bearer(req, tokens) and req.headers["content-type"] == "application/json"
    assert req.json == {"text": "Hello from postr 👋"}
    assert fake.tweets[got.post_id]["text"] == "Hello from postr 👋"
    assert got.url == f"https://x.com/i/web/status/{got.post_id}"
    assert (got.part_ids, got.comment_id) == ((), None)


def test_publish_appends_the_link_and_reply_settings(fake, tokens, platform):
    platform.publish(tokens, PostContent(text="Read this", link="https://example.com/a",
                                         options={"reply_settings": "following"}))

    [req] = fake.requests
    assert req.json == {"text": "Read this\n\nhttps://example.com/a", "reply_settings": "following"}


def test_publish_images_with_alt_text(fake, tokens, platform):
    first = media_from_bytes(PNG, alt_text="A red square")
    second = media_from_bytes(PNG[::-1], mime_type="image/jpeg", alt_text="A blue circle")

    got = platform.publish(tokens, PostContent(text="Two pictures", media=[first, second]))

    calls = [(r.method, r.path) for r in fake.requests]
    ids = list(fake.media)
    assert calls == [
        ("POST", "/2/media/upload/initialize"), ("POST", f"/2/media/upload/{ids[0]}/append"),
        ("POST", f"/2/media/upload/{ids[0]}/finalize"), ("POST", "/2/media/metadata"),
        ("POST", "/2/media/upload/initialize"), ("POST", f"/2/media/upload/{ids[1]}/append"),
        ("POST", f"/2/media/upload/{ids[1]}/finalize"), ("POST", "/2/media/metadata"),
        ("POST", "/2/tweets")]
    assert all(bearer(r, tokens) for r in fake.requests)
    inits = fake.received("POST", "/2/media/upload/initialize")
    assert [r.json for r in inits] == [
        {"media_type": "image/png", "total_bytes": len(PNG), "media_category": "tweet_image"},
        {"media_type": "image/jpeg", "total_bytes": len(PNG), "media_category": "tweet_image"}]
    assert [r.json for r in fake.received("POST", "/2/media/metadata")] == [
        {"id": ids[0], "metadata": {"alt_text": {"text": "A red square"}}},
        {"id": ids[1], "metadata": {"alt_text": {"text": "A blue circle"}}}]
    assert fake.bytes_of(ids[0]) == PNG and fake.bytes_of(ids[1]) == PNG[::-1]
    assert fake.received("POST", "/2/tweets")[0].json == {"text": "Two pictures", "media": {"media_ids": ids}}
    assert fake.tweets[got.post_id]["media_ids"] == ids
    assert platform.slept == []  # images need no processing wait


def test_a_video_upload_streams_in_chunks_and_waits_for_processing(fake, tokens, platform):
    video = bytes(range(256)) * (10 * 4096 + 77)  # about 10.5 MB: three 4 MB segments
    piece = 1024 * 1024
    progress = []  # (1 MB pieces handed out, APPENDs X had received) at each piece

    def chunks(size):
        assert size == x.upload.CHUNK_BYTES
        for n, start in enumerate(range(0, len(video), piece)):
            progress.append((n, len(fake.received("POST", r"/2/media/upload/\d+/append"))))
            yield video[start:start + piece]

    media = Media(kind="video", mime_type="video/mp4", size=len(video), alt_text="ignored for video",
                  width=1280, height=720, duration_s=12.5, chunks=chunks)
    got = platform.publish(tokens, PostContent(text="A clip", media=[media]))

    [media_id] = fake.media
    appends = fake.received("POST", f"/2/media/upload/{media_id}/append")
    assert len(appends) == 3
    assert [r.headers["content-type"].split(";")[0] for r in appends] == ["multipart/form-data"] * 3
    assert fake.bytes_of(media_id) == video
    assert sorted(fake.media[media_id]["segments"]) == [0, 1, 2]
    assert all(len(s) <= x.upload.CHUNK_BYTES for s in fake.media[media_id]["segments"].values())
    # Never more than two segments read ahead of what X has received.
    assert max(n - 4 * sent for n, sent in progress) <= 8
    assert fake.received("POST", "/2/media/upload/initialize")[0].json == {
        "media_type": "video/mp4", "total_bytes": len(video), "media_category": "tweet_video"}
    statuses = fake.received("GET", "/2/media/upload")
    assert [r.query for r in statuses] == [{"command": ["STATUS"], "media_id": [media_id]}] * 2
    assert platform.slept == [1.0, 2.0]  # X's check_after_secs, from FINALIZE then STATUS
    assert fake.received("POST", "/2/media/metadata") == []
    assert fake.tweets[got.post_id]["media_ids"] == [media_id]


def test_a_video_x_cannot_process_fails_before_anything_is_posted(fake, tokens, platform):
    fake.processing = [{"state": "failed", "progress_percent": 100,
                        "error": {"code": 1, "name": "InvalidMedia", "message": "Unsupported video format"}}]
    video = media_from_bytes(b"\x00" * 2048, kind="video", mime_type="video/mp4", duration_s=3)

    with pytest.raises(Permanent) as err:
        platform.publish(tokens, PostContent(text="clip", media=[video]))
    assert err.value.message == "X could not process the video: Unsupported video format."
    assert fake.tweets == {}


def test_a_thread_is_a_reply_chain_and_the_first_comment_replies_to_the_first_post(fake, tokens, platform):
    content = PostContent(text="1/ A thread", thread=[PostContent(text="2/ more"),
                                                      PostContent(text="3/ end", media=[media_from_bytes(PNG)])],
                          first_comment="Links in the first comment")

    got = platform.publish(tokens, content)

    posts = [r.json for r in fake.received("POST", "/2/tweets")]
    root, second, third = got.post_id, *got.part_ids
    [media_id] = fake.media
    assert posts == [
        {"text": "1/ A thread"},
        {"text": "2/ more", "reply": {"in_reply_to_tweet_id": root}},
        {"text": "3/ end", "media": {"media_ids": [media_id]}, "reply": {"in_reply_to_tweet_id": second}},
        {"text": "Links in the first comment", "reply": {"in_reply_to_tweet_id": root}}]
    assert fake.tweets[got.comment_id]["in_reply_to"] == root
    assert fake.tweets[third]["in_reply_to"] == second
    # Media went up before the first post, so a bad file would have posted nothing.
    first_post = fake.requests.index(fake.received("POST", "/2/tweets")[0])
    assert fake.requests.index(fake.received("POST", "/2/media/upload/initialize")[0]) < first_post


def test_a_thread_that_fails_midway_reports_what_was_published(fake, tokens, platform):
    fake.post_failures[2] = Reply(503, {"title": "Service Unavailable", "detail": "Service Unavailable",
                                        "type": "about:blank", "status": 503})
    content = PostContent(text="1/ first", thread=[PostContent(text="2/ second"), PostContent(text="3/ third")],
                          first_comment="comment")

    with pytest.raises(PartlyPublished) as stopped:
        platform.publish(tokens, content)

    got = stopped.value.published
    assert isinstance(stopped.value.cause, Transient) and stopped.value.cause.status == 503
    assert got.post_id in fake.tweets
    assert (got.part_ids, got.comment_id) == ((), None)
    assert len(fake.received("POST", "/2/tweets")) == 2  # nothing after the failed part


def test_duplicate_content_is_refused_with_a_reason(fake, tokens, platform):
    platform.publish(tokens, PostContent(text="same words"))
    with pytest.raises(Permanent) as err:
        platform.publish(tokens, PostContent(text="same words"))
    assert err.value.status == 403
    assert err.value.message == "X refused this post because it repeats one already on this account."
    assert "duplicate content" in err.value.detail


def test_an_expired_token_needs_reconnecting(fake, tokens, platform):
    fake.expire(tokens.access_token)
    with pytest.raises(AuthExpired) as err:
        platform.publish(tokens, PostContent(text="hi"))
    assert err.value.status == 401 and "reconnect your X account" in err.value.message
    assert tokens.access_token not in json.dumps([str(err.value), err.value.detail])


def test_rate_limited_with_the_reset_time(fake, tokens, platform, frozen):
    reset = int(NOW.timestamp()) + 420
    fake.fail_next(Reply(429, {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank",
                               "status": 429},
                         headers={"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0",
                                  "x-rate-limit-reset": str(reset)}), path="/2/tweets")
    with pytest.raises(RateLimited) as err:
        platform.publish(tokens, PostContent(text="hi"))
    assert err.value.retry_after == 420
    assert err.value.status == 429


def test_a_spent_daily_posting_limit_waits_for_the_day(fake, tokens, platform, frozen):
    now = int(NOW.timestamp())
    fake.fail_next(Reply(429, {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank",
                               "status": 429},
                         headers={"x-rate-limit-remaining": "99", "x-rate-limit-reset": str(now + 600),
                                  "x-user-limit-24hour-limit": "17", "x-user-limit-24hour-remaining": "0",
                                  "x-user-limit-24hour-reset": str(now + 50000)}), path="/2/tweets")
    with pytest.raises(RateLimited) as err:
        platform.publish(tokens, PostContent(text="hi"))
    assert err.value.retry_after == 50000


def test_a_server_error_is_transient(fake, tokens, platform):
    fake.fail_next(Reply(503, {"title": "Service Unavailable", "detail": "Service Unavailable",
                               "type": "about:blank", "status": 503}), path="/2/tweets")
    with pytest.raises(Transient) as err:
        platform.publish(tokens, PostContent(text="hi"))
    assert err.value.status == 503


def test_an_invalid_request_is_permanent_with_xs_words(fake, tokens, platform):
    fake.fail_next(Reply(400, {"errors": [{"parameters": {"reply.in_reply_to_tweet_id": ["1"]},
                                           "message": "reply.in_reply_to_tweet_id is not valid"}],
                               "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                               "type": "https://api.twitter.com/2/problems/invalid-request"}), path="/2/tweets")
    with pytest.raises(Permanent) as err:
        platform.publish(tokens, PostContent(text="hi"))
    assert err.value.message == ("X refused to publish: One or more parameters to your request was invalid "
                                 "(reply.in_reply_to_tweet_id is not valid).")


def test_an_app_without_api_access_is_postrs_problem(fake, tokens, platform):
    fake.fail_next(Reply(403, {"client_id": "1", "detail": "When authenticating requests to the Twitter API v2 "
                               "endpoints, you must use keys and tokens from a Twitter developer App that is "
                               "attached to a Project.", "registration_url": "https://developer.x.com/",
                               "title": "Client Forbidden", "required_enrollment": "Appropriate Level of API Access",
                               "reason": "client-not-enrolled",
                               "type": "https://api.twitter.com/2/problems/client-forbidden"}), path="/2/tweets")
    with pytest.raises(Permanent) as err:
        platform.publish(tokens, PostContent(text="hi"))
    assert "postr's side" in err.value.message


def test_a_post_whose_answer_never_comes_may_have_been_published(fake, tokens, platform, short_timeouts):
    fake.fail_next(Reply(201, {"data": {"id": "1", "text": "hi"}}, delay=1.0), path="/2/tweets")
    with pytest.raises(OutcomeUnknown):
        platform.publish(tokens, PostContent(text="hi"))
    assert len(fake.received("POST", "/2/tweets")) == 1


def test_a_post_answer_without_an_id_may_have_been_published(fake, tokens, platform):
    fake.fail_next(Reply(201, {"errors": [{"title": "Internal", "detail": "partial"}]}), path="/2/tweets")
    with pytest.raises(OutcomeUnknown):
        platform.publish(tokens, PostContent(text="hi"))


def test_a_read_that_times_out_is_transient(fake, tokens, short_timeouts):
    fake.fail_next(Reply(200, {}, delay=1.0), path="/2/tweets/")
    with pytest.raises(Transient):
        x.PLATFORM.metrics(tokens, "1880028106020515999")


def test_x_unreachable_is_transient(tokens, fake_env):
    with XFake() as gone:
        url = gone.url
    fake_env(X_API_URL=url)
    with pytest.raises(Transient):
        x.PLATFORM.profile(tokens)


def test_publish_refuses_bad_input_without_sending_anything(fake, tokens, platform):
    content = PostContent(text="x" * 281, media=[media_from_bytes(PNG)] * 5)
    with pytest.raises(Permanent) as err:
        platform.publish(tokens, content)
    assert "281 characters" in err.value.message and "at most 4 images" in err.value.message
    assert fake.requests == []


# --- delete and metrics -----------------------------------------------------------------------

def test_delete(fake, tokens, platform):
    post = platform.publish(tokens, PostContent(text="to delete")).post_id

    x.PLATFORM.delete(tokens, post)

    req = fake.requests[-1]
    assert (req.method, req.path, req.body) == ("DELETE", f"/2/tweets/{post}", b"")
    assert bearer(req, tokens)
    assert post not in fake.tweets
    x.PLATFORM.delete(tokens, post)  # already gone (404) is what deleting wanted


def test_delete_refusals(fake, tokens):
    theirs = fake.post_as("783214", "not yours")
    with pytest.raises(Permanent) as err:
        x.PLATFORM.delete(tokens, theirs)
    assert err.value.status == 403 and theirs in fake.tweets
    before = len(fake.requests)
    with pytest.raises(Permanent):
        x.PLATFORM.delete(tokens, "../users/me")
    assert len(fake.requests) == before


def test_metrics(fake, tokens, platform):
    post = platform.publish(tokens, PostContent(text="counted")).post_id
    fake.tweets[post]["public_metrics"] = {"retweet_count": 4, "reply_count": 3, "like_count": 12,
                                           "quote_count": 2, "bookmark_count": 1, "impression_count": 900}

    got = x.PLATFORM.metrics(tokens, post)

    req = fake.requests[-1]
    assert (req.method, req.path, req.query) == ("GET", f"/2/tweets/{post}", {"tweet.fields": ["public_metrics"]})
    assert bearer(req, tokens)
    assert (got.likes, got.reposts, got.replies, got.views) == (12, 4, 3, 900)  # quotes are not reposts


def test_metrics_x_does_not_give_are_none_not_zero(fake, tokens, platform):
    post = platform.publish(tokens, PostContent(text="old post")).post_id
    fake.tweets[post]["public_metrics"] = {"retweet_count": 1, "reply_count": 0, "like_count": 5, "quote_count": 0}

    got = x.PLATFORM.metrics(tokens, post)
    assert (got.likes, got.reposts, got.replies, got.views) == (5, 1, 0, None)


def test_metrics_of_a_deleted_post(fake, tokens):
    with pytest.raises(Permanent) as err:
        x.PLATFORM.metrics(tokens, "1880028106020599999")
    assert err.value.message == "This post is no longer on X (deleted, or hidden from this account)."
    assert "Could not find tweet" in err.value.detail



# --- metrics of many posts in one request ------------------------------------------------------

def test_metrics_many_reads_many_posts_in_one_request(fake, tokens, platform):
    posts = [platform.publish(tokens, PostContent(text=f"counted {n}")).post_id for n in range(3)]
    for n, post in enumerate(posts):
        fake.tweets[post]["public_metrics"] = {"retweet_count": n, "reply_count": 10 + n, "like_count": 20 + n,
                                               "quote_count": 7, "bookmark_count": 1, "impression_count": 100 * n}
    before = len(fake.requests)

    got = x.PLATFORM.metrics_many(tokens, list(reversed(posts)))

    assert len(fake.requests) == before + 1
    req = fake.requests[-1]
    assert (req.method, req.path) == ("GET", "/2/tweets") and bearer(req, tokens)
    assert req.query == {"ids": [",".join(reversed(posts))], "tweet.fields": ["public_metrics"]}
    # Each id gets its own post's numbers, mapped as the single-post read maps them.
    assert {post: (m.likes, m.reposts, m.replies, m.views) for post, m in got.items()} == {
        posts[0]: (20, 0, 10, 0), posts[1]: (21, 1, 11, 100), posts[2]: (22, 2, 12, 200)}
    assert got[posts[1]] == x.PLATFORM.metrics(tokens, posts[1])


def test_metrics_many_reports_each_missing_post_on_its_own(fake, tokens, platform):
    kept = platform.publish(tokens, PostContent(text="still here")).post_id
    fake.tweets[kept]["public_metrics"]["like_count"] = 8
    deleted = platform.publish(tokens, PostContent(text="deleted later")).post_id
    del fake.tweets[deleted]
    never = "1880028106020599999"

    got = x.PLATFORM.metrics_many(tokens, [kept, deleted, never])

    assert got[kept].likes == 8
    for gone in (deleted, never):
        assert isinstance(got[gone], Permanent)
        assert got[gone].message == "This post is no longer on X (deleted, or hidden from this account)."
        assert f"Could not find tweet with ids: [{gone}]" in got[gone].detail


def test_metrics_many_when_none_is_left(fake, tokens):
    got = x.PLATFORM.metrics_many(tokens, ["1880028106020599998", "1880028106020599999"])
    assert [type(v) for v in got.values()] == [Permanent, Permanent]


def test_metrics_many_keeps_a_bad_id_out_of_the_request(fake, tokens, platform):
    post = platform.publish(tokens, PostContent(text="fine")).post_id

    got = x.PLATFORM.metrics_many(tokens, ["../2/users/me", post, post])

    assert got["../2/users/me"].message == "That is not an X post id."
    assert got[post].likes == 0
    assert fake.requests[-1].query["ids"] == [post]  # asked once, without the bad id


def test_metrics_many_takes_at_most_what_x_allows(fake, tokens):
    assert x.PLATFORM.metrics_batch == 100
    before = len(fake.requests)
    with pytest.raises(ValueError):
        x.PLATFORM.metrics_many(tokens, [str(1880028106020515840 + n) for n in range(101)])
    assert len(fake.requests) == before


def test_metrics_many_a_limited_request_is_rate_limited(fake, tokens, platform, frozen):
    post = platform.publish(tokens, PostContent(text="limited")).post_id
    reset = int(NOW.timestamp()) + 600
    fake.fail_next(Reply(429, {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank",
                               "status": 429}, headers={"x-rate-limit-reset": str(reset),
                                                        "x-rate-limit-remaining": "0"}), path="/2/tweets")
    with pytest.raises(RateLimited) as err:
        x.PLATFORM.metrics_many(tokens, [post])
    assert err.value.retry_after == 600
