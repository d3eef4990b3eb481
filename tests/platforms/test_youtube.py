"""Contract tests of the YouTube module against tools/fakes/youtube.py: the
exact requests postr sends to Google's OAuth endpoints and the YouTube Data
API v3, the documented answers it parses, each error class, and the resumable
upload resuming from the server's offset after an interrupted chunk."""

import base64
import datetime as dt
import hashlib
import json
import random
import tracemalloc
import urllib.parse

import pytest
from platform_media import media_from_bytes

from fakes.base import Reply
from fakes.youtube import FORCE_SSL, UPLOAD, Drop, Keep, YouTubeFake, google_error, quota_exceeded
from kernel import clock
from platforms import youtube
from platforms.base import AppCredentials, Media, PostContent, Tokens
from platforms.errors import AuthExpired, OutcomeUnknown, Permanent, RateLimited, Transient

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
APP = AppCredentials(client_id="postr-client.apps.googleusercontent.com", client_secret="postr-client-secret")
REDIRECT = "https://app.postr.test/oauth/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-and-some-more-entropy"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode().rstrip("=")
UNIT = 256 * 1024
VIDEO = random.Random(7).randbytes(3 * UNIT + 12345)  # three full chunks and a short last one
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 20


def video(data: bytes = VIDEO, **kw) -> Media:
    kw = {"kind": "video", "mime_type": "video/mp4", "alt_text": None, "width": 1920, "height": 1080,
          "duration_s": 42.0, **kw}
    return media_from_bytes(data, **kw)


def post(title="Launch day", text="What we shipped today.", media=None, **options) -> PostContent:
    return PostContent(text=text, media=[media or video()], options={"title": title, **options})


@pytest.fixture
def fake(fake_env):
    with YouTubeFake() as server:
        fake_env(YOUTUBE_API_URL=server.url, YOUTUBE_AUTH_URL=f"{server.url}/o/oauth2/v2/auth",
                 YOUTUBE_OAUTH_URL=server.url)
        yield server


@pytest.fixture
def tokens(fake):
    granted = fake.grant()
    return Tokens(access_token=granted["access_token"], refresh_token=granted["refresh_token"],
                  scopes=granted["scope"].split())


@pytest.fixture
def platform():
    """A YouTubePlatform with 256 KiB chunks, whose waits are recorded, not slept."""
    slept: list[float] = []
    p = youtube.YouTubePlatform(sleep=slept.append, chunk_bytes=UNIT)
    p.slept = slept
    return p


@pytest.fixture
def frozen():
    with clock.frozen(NOW):
        yield


def bearer(req, tokens) -> bool:
    return req.headers["authorization"] == f"Bearer {tokens.access_token}"


def upload_puts(fake):
    return fake.received("PUT", "/upload/youtube/v3/videos")


def ranges(fake) -> list[str]:
    return [r.headers["content-range"] for r in upload_puts(fake)]


def the_video(fake) -> dict:
    [only] = fake.videos.values()
    return only


def test_registry_gives_the_youtube_module():
    import platforms

    assert isinstance(platforms.get("youtube"), youtube.YouTubePlatform)
    assert platforms.get("youtube").scopes == ("https://www.googleapis.com/auth/youtube.force-ssl",)
    assert (youtube.PLATFORM.supports_threads, youtube.PLATFORM.supports_first_comment,
            youtube.PLATFORM.supports_video) == (False, True, True)


def test_chunks_must_be_multiples_of_256_kib():
    with pytest.raises(ValueError):
        youtube.YouTubePlatform(chunk_bytes=UNIT + 1)


# --- OAuth ------------------------------------------------------------------------------

def test_authorization_url_asks_offline_access_with_pkce_and_one_scope(fake):
    url = youtube.PLATFORM.authorization_url(APP, state="st-123", redirect_uri=REDIRECT, code_challenge=CHALLENGE)

    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{fake.url}/o/oauth2/v2/auth"
    assert dict(urllib.parse.parse_qsl(parts.query)) == {
        "client_id": APP.client_id, "redirect_uri": REDIRECT, "response_type": "code",
        "scope": "https://www.googleapis.com/auth/youtube.force-ssl", "access_type": "offline",
        "prompt": "consent", "state": "st-123", "code_challenge": CHALLENGE, "code_challenge_method": "S256"}
    with pytest.raises(ValueError):
        youtube.PLATFORM.authorization_url(APP, state="s", redirect_uri=REDIRECT)


def test_default_addresses_are_googles(monkeypatch):
    for name in ("YOUTUBE_API_URL", "YOUTUBE_AUTH_URL", "YOUTUBE_OAUTH_URL"):
        monkeypatch.delenv(name, raising=False)
    assert youtube.api.YOUTUBE_API_URL.value == "https://www.googleapis.com"
    assert youtube.auth.YOUTUBE_OAUTH_URL.value == "https://oauth2.googleapis.com"
    url = youtube.PLATFORM.authorization_url(APP, state="s", redirect_uri=REDIRECT, code_challenge=CHALLENGE)
    assert url.startswith("https://accounts.google.com/o/oauth2/v2/auth?")


def connect(fake, **consent) -> str:
    url = youtube.PLATFORM.authorization_url(APP, state="st-9", redirect_uri=REDIRECT, code_challenge=CHALLENGE)
    back = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(fake.consent(url, **consent)).query))
    assert back["state"] == "st-9"
    return back["code"]


def test_connecting_exchanges_the_code_with_pkce(fake, frozen):
    code = connect(fake)

    got = youtube.PLATFORM.exchange_code(APP, code=code, redirect_uri=REDIRECT, code_verifier=VERIFIER)

    [req] = fake.requests
    assert (req.method, req.path) == ("POST", "/token")
    assert req.headers["content-type"] == "application/x-www-form-urlencoded"
    assert req.form == {"code": code, "client_id": APP.client_id, "client_secret": "postr-client-secret",
                        "redirect_uri": REDIRECT, "grant_type": "authorization_code", "code_verifier": VERIFIER}
    assert got.access_token in fake.access_tokens and got.refresh_token in fake.refresh_tokens
    assert got.expires_at == NOW + dt.timedelta(seconds=3599)
    assert got.scopes == [FORCE_SSL]


def test_a_consent_without_a_new_refresh_token_connects_without_one(fake):
    # Google leaves refresh_token out when it does not ask for consent again;
    # the account store then keeps the refresh token it already holds.
    fake.fail_next(Reply(200, {"access_token": "ya29.fresh", "expires_in": 3599, "scope": FORCE_SSL,
                               "token_type": "Bearer"}), path="/token")

    got = youtube.PLATFORM.exchange_code(APP, code="4/0Ab-code", redirect_uri=REDIRECT, code_verifier=VERIFIER)

    assert (got.access_token, got.refresh_token) == ("ya29.fresh", None)


def test_a_grant_without_youtube_access_is_refused(fake):
    fake.fail_next(Reply(200, {"access_token": "ya29.partial", "expires_in": 3599, "token_type": "Bearer",
                               "scope": "https://www.googleapis.com/auth/youtube.readonly"}), path="/token")
    with pytest.raises(Permanent) as err:
        youtube.PLATFORM.exchange_code(APP, code="4/0Ab-code", redirect_uri=REDIRECT, code_verifier=VERIFIER)
    assert "allow it" in err.value.message and "youtube.readonly" in err.value.detail


def test_a_wrong_verifier_or_spent_code_is_refused_readably(fake):
    code = connect(fake)
    with pytest.raises(Permanent) as err:
        youtube.PLATFORM.exchange_code(APP, code=code, redirect_uri=REDIRECT, code_verifier="not-the-verifier")
    assert "connect your YouTube account again" in err.value.message
    assert err.value.detail.startswith("invalid_grant")


def test_wrong_app_credentials_are_postrs_problem(fake):
    wrong = AppCredentials(client_id=APP.client_id, client_secret="stale-secret")
    with pytest.raises(Permanent) as err:
        youtube.PLATFORM.refresh(wrong, Tokens(access_token="a", refresh_token="r"))
    assert "postr's side" in err.value.message and err.value.status == 401


def test_an_exchange_whose_answer_is_lost_may_have_spent_the_code(fake, short_timeouts):
    fake.fail_next(Reply(200, {}, delay=1.0), path="/token")
    with pytest.raises(OutcomeUnknown):
        youtube.PLATFORM.exchange_code(APP, code="4/0Ab-code", redirect_uri=REDIRECT, code_verifier=VERIFIER)


def test_refresh_keeps_the_refresh_token(fake, tokens, frozen):
    fresh = youtube.PLATFORM.refresh(APP, Tokens(access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                                                 extra={"note": "kept"}))

    [req] = fake.requests
    assert (req.method, req.path) == ("POST", "/token")
    assert req.form == {"client_id": APP.client_id, "client_secret": "postr-client-secret",
                        "grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
    assert fresh.access_token != tokens.access_token and fresh.access_token in fake.access_tokens
    assert fresh.refresh_token == tokens.refresh_token  # Google's do not rotate
    assert fresh.expires_at == NOW + dt.timedelta(seconds=3599)
    assert (fresh.scopes, fresh.extra) == ([FORCE_SSL], {"note": "kept"})
    # ... so refreshing again with it works.
    youtube.PLATFORM.refresh(APP, fresh)


def test_a_refresh_whose_answer_is_lost_is_only_transient(fake, tokens, short_timeouts):
    fake.fail_next(Reply(200, {}, delay=1.0), path="/token")
    with pytest.raises(Transient):
        youtube.PLATFORM.refresh(APP, tokens)


def test_refresh_without_a_refresh_token_needs_reconnecting_and_sends_nothing(fake):
    with pytest.raises(AuthExpired):
        youtube.PLATFORM.refresh(APP, Tokens(access_token="only-access"))
    assert fake.requests == []


def test_revoke_ends_the_grant(fake, tokens):
    assert youtube.PLATFORM.revoke(APP, tokens) is True

    [req] = fake.requests
    assert (req.method, req.path, req.query) == ("POST", "/revoke", {})  # the token is not in the URL
    assert req.form == {"token": tokens.refresh_token}
    with pytest.raises(AuthExpired) as err:
        youtube.PLATFORM.profile(tokens)  # its access token went with it
    assert "reconnect your YouTube account" in err.value.message
    with pytest.raises(AuthExpired):
        youtube.PLATFORM.refresh(APP, tokens)
    assert youtube.PLATFORM.revoke(APP, tokens) is True  # already revoked: 400 invalid_token


def test_revoke_when_google_cannot_take_it_is_transient(fake, tokens):
    # The caller deletes the tokens anyway and reports revokedAtNetwork False.
    fake.fail_next(Reply(503, {"error": "temporarily_unavailable"}), path="/revoke")
    with pytest.raises(Transient):
        youtube.PLATFORM.revoke(APP, tokens)


def test_a_token_answer_without_scope_granted_what_was_asked(fake):
    fake.fail_next(Reply(200, {"access_token": "ya29.x", "expires_in": 3599, "token_type": "Bearer"}),
                   path="/token")
    got = youtube.PLATFORM.exchange_code(APP, code="c", redirect_uri=REDIRECT, code_verifier="v")
    assert got.scopes == [FORCE_SSL]


# --- profile ----------------------------------------------------------------------------

def test_profile(fake, tokens):
    got = youtube.PLATFORM.profile(tokens)

    [req] = fake.requests
    assert (req.method, req.path, req.query) == ("GET", "/youtube/v3/channels",
                                                 {"part": ["snippet,statistics"], "mine": ["true"]})
    assert bearer(req, tokens)
    assert (got.account_id, got.handle, got.display_name, got.followers_count) == (
        "UCpostrTesterChannel0001", "@postrtester", "Postr Tester", 1523)
    assert got.avatar_url == "https://yt3.ggpht.com/UCpostrTesterChannel0001=s800-c-k"


def test_a_hidden_subscriber_count_is_none_not_zero(fake, tokens):
    fake.channel_of(tokens.access_token)["statistics"]["hiddenSubscriberCount"] = True
    assert youtube.PLATFORM.profile(tokens).followers_count is None


def test_a_google_account_without_a_channel(fake):
    fake.add_account("99887766", None)
    granted = fake.grant(account="99887766")
    lone = Tokens(access_token=granted["access_token"], scopes=[FORCE_SSL])
    with pytest.raises(Permanent) as err:
        youtube.PLATFORM.profile(lone)
    assert err.value.message == ("This Google account has no YouTube channel yet; create one on YouTube, then "
                                 "connect it again.")
    with pytest.raises(Permanent) as err:  # the upload says the same (401 youtubeSignupRequired)
        youtube.YouTubePlatform(chunk_bytes=UNIT).publish(lone, post())
    assert "no YouTube channel" in err.value.message and err.value.status == 401


# --- validation -------------------------------------------------------------------------

def problems(content) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in youtube.PLATFORM.validate(content):
        out.setdefault(p.field, []).append(p.message)
    return out


def test_a_good_video_has_no_problems():
    assert youtube.PLATFORM.validate(post(tags=["launch", "behind the scenes"], category_id="22",
                                          privacy="unlisted", made_for_kids=False)) == []


def test_the_title_is_required_at_most_100_characters_without_angle_brackets():
    assert problems(post(title=None)) == {"options.title": ["A YouTube video needs a title."]}
    assert problems(post(title="   ")) == {"options.title": ["A YouTube video needs a title."]}
    assert youtube.PLATFORM.validate(post(title="é" * 100)) == []
    assert problems(post(title="x" * 101)) == {"options.title": ["The title is 101 characters; YouTube allows 100."]}
    assert problems(post(title="1 < 2")) == {"options.title": ["YouTube does not accept < or > in a title."]}


def test_the_description_is_counted_in_utf8_bytes():
    assert youtube.PLATFORM.validate(post(text="a" * 5000)) == []
    # 2,500 characters, but "é" is 2 bytes in UTF-8: 5,000 bytes, allowed; one emoji (4 bytes) more is not.
    assert youtube.PLATFORM.validate(post(text="é" * 2500)) == []
    assert problems(post(text="é" * 2500 + "🎬")) == {"text": [
        "The description is 5,004 bytes in UTF-8 (accented letters take 2, most emoji 4); YouTube allows 5,000."]}
    assert problems(post(text="<b>bold</b>")) == {"text": ["YouTube does not accept < or > in a description."]}


def test_a_link_goes_at_the_end_of_the_description(fake, tokens, platform):
    platform.publish(tokens, PostContent(text="Watch this", link="https://postr.app/launch",
                                         media=[video()], options={"title": "Launch"}))
    assert the_video(fake)["snippet"]["description"] == "Watch this\n\nhttps://postr.app/launch"


def test_tags_are_counted_as_youtube_documents():
    # The documented examples: Foo-Baz counts 7, Foo Baz 9 (its quotes); commas between tags count.
    assert youtube.video.tags_length(["Foo-Baz"]) == 7
    assert youtube.video.tags_length(["Foo Baz"]) == 9
    assert youtube.video.tags_length(["Foo-Baz", "Foo Baz"]) == 7 + 1 + 9
    assert youtube.video.tags_length([]) == 0
    fits = ["a" * 99] * 5  # 5 x 99 + 4 commas = 499
    assert youtube.video.tags_length(fits) == 499 and youtube.PLATFORM.validate(post(tags=fits)) == []
    spaced = ["a b" + "c" * 96] * 5  # each counts 99 + 2 quotes: 505 + 4 commas
    assert problems(post(tags=spaced)) == {"options.tags": [
        "The tags come to 509 characters as YouTube counts them (each comma between tags counts, and a tag with a "
        "space counts 2 more for its quotes); YouTube allows 500."]}
    assert "options.tags" in problems(post(tags=["ok", ""]))
    assert "options.tags" in problems(post(tags="not, a, list"))


def test_privacy_and_scheduled_publishing():
    assert problems(post(privacy="friends")) == {"options.privacy": [
        "Privacy on YouTube must be public, unlisted or private."]}
    later = NOW + dt.timedelta(days=2)
    assert youtube.PLATFORM.validate(post(privacy="private", publish_at=later)) == []
    assert youtube.PLATFORM.validate(post(privacy="private", publish_at="2026-03-03T09:00:00Z")) == []
    assert problems(post(privacy="public", publish_at=later)) == {"options.publish_at": [
        "A video YouTube publishes at a set time must be uploaded as private (YouTube makes it public then); "
        "set privacy to private."]}
    assert problems(post(privacy="private", publish_at="tomorrow at nine")) == {"options.publish_at": [
        "The publishing time must be a date and time with its time zone."]}
    assert "options.publish_at" in problems(post(privacy="private", publish_at=dt.datetime(2026, 3, 3, 9)))


def test_category_and_flags():
    assert youtube.PLATFORM.validate(post(category_id=22)) == []
    assert problems(post(category_id="Music")) == {"options.category_id": [
        "The YouTube category must be a category number, like 22."]}
    assert problems(post(made_for_kids="yes")) == {"options.made_for_kids": ["Made for kids must be true or false."]}
    assert problems(post(colour="red")) == {"options.colour": ["YouTube has no option 'colour'."]}


def test_exactly_one_video_in_a_format_youtube_takes():
    one = "A YouTube post is exactly one video (a thumbnail goes in options.thumbnail)."
    assert problems(PostContent(text="t", options={"title": "t"})) == {"media": [one]}
    assert problems(post(media=media_from_bytes(JPEG, mime_type="image/jpeg"))) == {"media": [one]}
    assert problems(PostContent(text="t", media=[video(), video()], options={"title": "t"})) == {"media": [one]}
    assert problems(post(media=video(mime_type="video/x-matroska"))) == {"media[0]": [
        "The video is video/x-matroska; YouTube takes MP4, MOV, MPEG, AVI, WMV, FLV, 3GPP or WebM files."]}
    for mime in youtube.video.VIDEO_TYPES:
        assert youtube.PLATFORM.validate(post(media=video(mime_type=mime))) == []


def test_size_and_length_limits():
    huge = Media(kind="video", mime_type="video/mp4", size=274877906944 + 1, duration_s=60, chunks=lambda n: iter(()))
    assert problems(post(media=huge)) == {"media[0]": ["The video is 256 GB; YouTube takes files up to 256 GB."]}
    assert problems(post(media=video(duration_s=12 * 3600 + 1))) == {"media[0]": [
        "The video lasts 12h 00m 01s; YouTube takes up to 12 hours."]}
    assert youtube.PLATFORM.validate(post(media=video(duration_s=12 * 3600))) == []
    assert problems(post(media=video(b""))) == {"media[0]": ["The video file is empty."]}
    assert problems(post(media=Media(kind="video", mime_type="video/mp4", size=10))) == {"media[0]": [
        "The video has no file data to upload to YouTube."]}


def test_a_short_is_square_or_vertical_and_at_most_three_minutes():
    vertical = video(width=1080, height=1920, duration_s=180)
    assert youtube.PLATFORM.validate(post(media=vertical, short=True)) == []
    assert youtube.PLATFORM.validate(post(media=video(width=1080, height=1080, duration_s=30), short=True)) == []
    assert problems(post(media=video(width=1920, height=1080, duration_s=181), short=True)) == {"options.short": [
        "The video is 1920x1080, wider than tall; a YouTube Short is square or vertical.",
        "The video lasts 3m 01s; a YouTube Short lasts at most 3 minutes."]}
    assert problems(post(media=video(width=None, height=None), short=True)) == {"options.short": [
        "To publish a Short, postr needs the video's width, height and length to check it qualifies."]}
    # Without short=True a wide, long video is simply a video.
    assert youtube.PLATFORM.validate(post(media=video(duration_s=600))) == []


def test_thumbnail_limits():
    assert youtube.PLATFORM.validate(post(thumbnail=media_from_bytes(JPEG, mime_type="image/jpeg"))) == []
    assert problems(post(thumbnail=media_from_bytes(JPEG, mime_type="image/webp"))) == {"options.thumbnail": [
        "The thumbnail is image/webp; YouTube takes JPEG or PNG thumbnails."]}
    big = Media(kind="image", mime_type="image/png", size=2 * 1024 * 1024 + 1, chunks=lambda n: iter(()))
    assert problems(post(thumbnail=big)) == {"options.thumbnail": ["The thumbnail is 2 MB; YouTube takes thumbnails "
                                                                   "up to 2 MB."]}
    assert problems(post(thumbnail="cover.jpg")) == {"options.thumbnail": ["The thumbnail must be an image."]}


def test_no_threads_and_comment_rules():
    assert problems(PostContent(text="t", media=[video()], options={"title": "t"},
                                thread=[PostContent(text="more")])) == {"thread": [
        "YouTube has no threads: publish one video per post."]}
    assert problems(PostContent(text="t", media=[video()], first_comment="hello",
                                options={"title": "t", "made_for_kids": True})) == {
        "first_comment": ["YouTube turns comments off on videos made for kids, so this one cannot have a first "
                          "comment."]}
    assert problems(PostContent(text="t", media=[video()], first_comment=" ", options={"title": "t"})) == {
        "first_comment": ["The first comment is empty."]}


def test_publish_refuses_bad_input_without_sending_anything(fake, tokens, platform):
    content = PostContent(text="<script>", media=[video(mime_type="video/x-matroska")],
                          thread=[PostContent(text="2")], options={"title": "x" * 101, "privacy": "secret"})
    with pytest.raises(Permanent) as err:
        platform.publish(tokens, content)
    assert err.value.message.startswith("This video cannot go to YouTube: ")
    for words in ("101 characters", "< or > in a description", "public, unlisted or private",
                  "video/x-matroska", "no threads"):
        assert words in err.value.message
    assert fake.requests == []


# --- publish: the resumable upload ------------------------------------------------------------

def test_publish_uploads_the_video_in_resumable_chunks(fake, tokens, platform):
    later = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    content = post(tags=["launch", "behind the scenes"], category_id="28", privacy="private", publish_at=later,
                   made_for_kids=False, notify_subscribers=False)

    got = platform.publish(tokens, content)

    start = fake.requests[0]
    assert (start.method, start.path) == ("POST", "/upload/youtube/v3/videos")
    assert start.query == {"uploadType": ["resumable"], "part": ["snippet,status"], "notifySubscribers": ["false"]}
    assert bearer(start, tokens)
    assert start.headers["content-type"] == "application/json; charset=UTF-8"
    assert start.headers["x-upload-content-length"] == str(len(VIDEO))
    assert start.headers["x-upload-content-type"] == "video/mp4"
    assert start.json == {"snippet": {"title": "Launch day", "description": "What we shipped today.",
                                      "tags": ["launch", "behind the scenes"], "categoryId": "28"},
                          "status": {"privacyStatus": "private", "publishAt": "2026-03-03T08:00:00Z",
                                     "selfDeclaredMadeForKids": False}}
    total = len(VIDEO)
    assert ranges(fake) == [f"bytes 0-{UNIT - 1}/{total}", f"bytes {UNIT}-{2 * UNIT - 1}/{total}",
                            f"bytes {2 * UNIT}-{3 * UNIT - 1}/{total}", f"bytes {3 * UNIT}-{total - 1}/{total}"]
    assert all(bearer(r, tokens) and r.headers["content-type"] == "video/mp4" for r in upload_puts(fake))
    assert [int(r.headers["content-length"]) for r in upload_puts(fake)] == [UNIT, UNIT, UNIT, 12345]
    uploaded = the_video(fake)
    assert uploaded["file"]["data"] == VIDEO
    assert (uploaded["status"]["privacyStatus"], uploaded["status"]["publishAt"]) == ("private",
                                                                                      "2026-03-03T08:00:00Z")
    assert uploaded["notify_subscribers"] is False
    assert (got.post_id, got.url, got.comment_id, got.part_ids) == (
        uploaded["id"], f"https://www.youtube.com/watch?v={uploaded['id']}", None, ())
    assert platform.slept == []


def test_a_short_gets_its_shorts_address(fake, tokens, platform):
    got = platform.publish(tokens, post(media=video(width=1080, height=1920, duration_s=59), short=True))
    assert got.url == f"https://www.youtube.com/shorts/{got.post_id}"


def test_after_a_dropped_chunk_the_upload_resumes_from_the_servers_offset(fake, tokens, platform):
    # The second chunk's connection breaks after 100,000 of its bytes reached YouTube.
    fake.chunk_script[2] = Drop(keep=100_000)
    total, held = len(VIDEO), UNIT + 100_000

    got = platform.publish(tokens, post())

    assert ranges(fake) == [
        f"bytes 0-{UNIT - 1}/{total}",
        f"bytes {UNIT}-{2 * UNIT - 1}/{total}",  # dropped midway
        f"bytes */{total}",  # how far did it get? 308 Range: bytes=0-{held - 1}
        f"bytes {held}-{held + UNIT - 1}/{total}",  # only what YouTube lacks, from its offset
        f"bytes {held + UNIT}-{total - 1}/{total}",
    ]
    after = upload_puts(fake)[3:]
    assert sum(int(r.headers["content-length"]) for r in after) == total - held  # no byte sent twice
    assert the_video(fake)["file"]["data"] == VIDEO
    assert the_video(fake)["id"] == got.post_id and len(fake.videos) == 1
    assert platform.slept == [1.0]


def test_a_server_error_mid_upload_resumes_after_a_wait(fake, tokens, platform):
    fake.chunk_script[3] = google_error(503, "backendError", "Backend Error", "global")
    fake.query_script[1] = google_error(503, "backendError", "Backend Error", "global")  # asking fails once too
    total = len(VIDEO)

    platform.publish(tokens, post())

    assert ranges(fake) == [f"bytes 0-{UNIT - 1}/{total}", f"bytes {UNIT}-{2 * UNIT - 1}/{total}",
                            f"bytes {2 * UNIT}-{3 * UNIT - 1}/{total}",  # 503: nothing of it kept
                            f"bytes */{total}", f"bytes */{total}",
                            f"bytes {2 * UNIT}-{3 * UNIT - 1}/{total}", f"bytes {3 * UNIT}-{total - 1}/{total}"]
    assert platform.slept == [1.0, 2.0]  # the waits double
    assert the_video(fake)["file"]["data"] == VIDEO


def test_a_status_answer_without_range_means_start_over(fake, tokens, platform):
    fake.chunk_script[1] = Drop(keep=0)

    platform.publish(tokens, post())

    total = len(VIDEO)
    assert ranges(fake)[:3] == [f"bytes 0-{UNIT - 1}/{total}", f"bytes */{total}", f"bytes 0-{UNIT - 1}/{total}"]
    assert the_video(fake)["file"]["data"] == VIDEO


def test_every_chunk_continues_where_the_servers_range_says(fake, tokens, platform):
    # YouTube kept only 100,000 bytes of the second chunk and said so in its 308.
    fake.chunk_script[2] = Keep(100_000)
    total, held = len(VIDEO), UNIT + 100_000

    platform.publish(tokens, post())

    assert ranges(fake)[1:] == [f"bytes {UNIT}-{2 * UNIT - 1}/{total}", f"bytes {held}-{held + UNIT - 1}/{total}",
                                f"bytes {held + UNIT}-{total - 1}/{total}"]
    assert the_video(fake)["file"]["data"] == VIDEO and platform.slept == []


def test_the_source_reads_from_any_offset_holding_one_chunk():
    reads = []

    def chunks(size):
        reads.append(size)
        return video().chunks(size)

    source = youtube.upload._Source(Media(kind="video", mime_type="video/mp4", size=len(VIDEO), chunks=chunks), UNIT)
    assert source.read(0) == VIDEO[:UNIT]
    assert source.read(1000) == VIDEO[1000:1000 + UNIT]  # within what is held: no new read of the file
    assert source.read(3 * UNIT) == VIDEO[3 * UNIT:]
    assert len(source._held) <= 2 * UNIT and reads == [UNIT]
    assert source.read(UNIT) == VIDEO[UNIT:2 * UNIT]  # before what is held: the file is read again
    assert reads == [UNIT, UNIT]
    assert source.read(len(VIDEO)) == b""


def test_a_dropped_last_chunk_is_answered_by_the_status_query(fake, tokens, platform):
    # The last chunk arrived whole, but its answer was lost: asking returns the
    # completed upload, so the video is reported once and never uploaded again.
    fake.chunk_script[4] = Drop()

    got = platform.publish(tokens, post())

    assert ranges(fake)[-2:] == [f"bytes {3 * UNIT}-{len(VIDEO) - 1}/{len(VIDEO)}", f"bytes */{len(VIDEO)}"]
    assert len(fake.videos) == 1 and the_video(fake)["id"] == got.post_id
    assert len(fake.received("POST", "/upload/youtube/v3/videos")) == 1


def test_a_last_chunk_whose_answer_never_comes_is_outcome_unknown(fake, tokens, platform):
    fake.chunk_script[4] = Drop()
    for n in range(1, 7):
        fake.query_script[n] = Drop()

    with pytest.raises(OutcomeUnknown) as err:
        platform.publish(tokens, post())

    assert "may be on YouTube" in err.value.message
    assert len(fake.videos) == 1  # it was, in fact
    assert platform.slept == [1.0, 2.0, 4.0, 8.0, 16.0]


def test_an_upload_that_cannot_resume_before_its_end_is_transient(fake, tokens, platform):
    fake.chunk_script[2] = Drop(keep=0)
    for n in range(1, 7):
        fake.query_script[n] = Drop()

    with pytest.raises(Transient) as err:
        platform.publish(tokens, post())

    assert "kept being interrupted" in err.value.message
    assert fake.videos == {}  # nothing on YouTube: retrying later is safe


def test_an_expired_upload_session_is_transient(fake, tokens, platform):
    fake.chunk_script[2] = Drop(keep=0)
    fake.query_script[1] = google_error(404, "notFound", "Not Found", "global")  # what an expired session answers
    with pytest.raises(Transient) as err:
        platform.publish(tokens, post())
    assert err.value.status == 404 and "start the upload again" in err.value.message
    assert fake.videos == {}


def test_a_file_shorter_than_announced_is_refused(fake, tokens, platform):
    short = Media(kind="video", mime_type="video/mp4", size=len(VIDEO) + 500_000, duration_s=42,
                  chunks=video().chunks)
    with pytest.raises(Permanent) as err:
        platform.publish(tokens, post(media=short))
    assert "ended after" in err.value.message and fake.videos == {}


def test_an_upload_address_elsewhere_gets_no_token(fake, tokens, platform):
    with YouTubeFake() as elsewhere:
        fake.fail_next(Reply(200, b"", headers={"Location": f"{elsewhere.url.replace('127.0.0.1', 'localhost')}"
                                                            "/upload/youtube/v3/videos?upload_id=x"}),
                       path="/upload/youtube/v3/videos")
        with pytest.raises(Permanent) as err:
            platform.publish(tokens, post())
        assert "does not trust" in err.value.message
        assert elsewhere.requests == [] and upload_puts(fake) == []


def test_a_large_video_streams_with_bounded_memory(fake_env):
    """About 200 MB generated on the fly goes up in 8 MiB chunks; memory stays
    a few chunks high, whatever the file's size."""
    size = 200 * 1024 * 1024 + 4321
    block = random.Random(3).randbytes(1024 * 1024)

    def chunks(n):
        sent = 0
        while sent < size:
            piece = block[: min(n, size - sent)]
            yield piece
            sent += len(piece)

    digest = hashlib.sha256()
    for piece in chunks(youtube.upload.CHUNK_BYTES):
        digest.update(piece)
    big = Media(kind="video", mime_type="video/mp4", size=size, duration_s=600, chunks=chunks)

    with YouTubeFake(store_bytes=False) as server:
        fake_env(YOUTUBE_API_URL=server.url)
        granted = server.grant()
        connected = Tokens(access_token=granted["access_token"], scopes=[FORCE_SSL])
        tracemalloc.start()
        try:
            got = youtube.YouTubePlatform(sleep=lambda s: None).publish(connected, post(media=big))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        uploaded = server.videos[got.post_id]["file"]
        assert (uploaded["size"], uploaded["sha256"]) == (size, digest.hexdigest())
        assert len(server.received("PUT", "/upload/youtube/v3/videos")) == -(-size // youtube.upload.CHUNK_BYTES)
    assert peak < 6 * youtube.upload.CHUNK_BYTES, f"peak {peak / 2**20:.1f} MiB"  # the file is 25 chunks


# --- publish: thumbnail, first comment, verification ------------------------------------------

def test_the_thumbnail_is_set_after_the_upload(fake, tokens, platform):
    got = platform.publish(tokens, post(thumbnail=media_from_bytes(JPEG, mime_type="image/jpeg")))

    check = fake.requests[0]
    assert (check.method, check.path, check.query) == ("GET", "/youtube/v3/channels",
                                                       {"part": ["status"], "mine": ["true"]})
    req = fake.requests[-1]
    assert (req.method, req.path, req.query) == ("POST", "/upload/youtube/v3/thumbnails/set",
                                                 {"videoId": [got.post_id], "uploadType": ["media"]})
    assert bearer(req, tokens) and req.headers["content-type"] == "image/jpeg"
    assert fake.videos[got.post_id]["custom_thumbnail"] == {"type": "image/jpeg", "data": JPEG}


@pytest.mark.parametrize("status", ["eligible", "disallowed"])
def test_an_unverified_channel_hears_it_before_anything_is_uploaded(fake, tokens, platform, status):
    fake.channel_of(tokens.access_token)["status"]["longUploadsStatus"] = status

    with pytest.raises(Permanent) as err:
        platform.publish(tokens, post(media=video(duration_s=16 * 60),
                                      thumbnail=media_from_bytes(JPEG, mime_type="image/jpeg")))

    assert err.value.message == (
        "YouTube allows a custom thumbnail and a video longer than 15 minutes only on a verified channel; verify "
        "yours at youtube.com/verify, then publish again. Nothing was uploaded.")
    assert [r.path for r in fake.requests] == ["/youtube/v3/channels"]


def test_a_thumbnail_refused_after_the_upload_still_reports_the_video(fake, tokens, platform):
    fake.fail_next(google_error(403, "forbidden", "The authenticated user doesn't have permissions to upload and "
                                "set custom video thumbnails.", "youtube.thumbnail"), path="/thumbnails/set")

    got = platform.publish(tokens, post(thumbnail=media_from_bytes(JPEG, mime_type="image/png")))

    assert got.post_id in fake.videos and fake.videos[got.post_id]["custom_thumbnail"] is None


def test_set_thumbnail_maps_the_403_to_a_clear_refusal(fake, tokens, platform):
    video_id = platform.publish(tokens, post()).post_id
    fake.channel_of(tokens.access_token)["status"]["longUploadsStatus"] = "eligible"

    with pytest.raises(Permanent) as err:
        platform.set_thumbnail(tokens, video_id, media_from_bytes(JPEG, mime_type="image/jpeg"))

    assert err.value.status == 403
    assert err.value.message == (
        "YouTube did not accept the custom thumbnail: custom thumbnails need a verified channel in good standing "
        "(verify it at youtube.com/verify). The video itself is on YouTube.")


def test_the_first_comment(fake, tokens, platform):
    got = platform.publish(tokens, PostContent(text="d", media=[video()], first_comment="Chapters below 👇",
                                               options={"title": "Launch"}))

    req = fake.requests[-1]
    assert (req.method, req.path, req.query) == ("POST", "/youtube/v3/commentThreads", {"part": ["snippet"]})
    assert bearer(req, tokens)
    assert req.json == {"snippet": {"channelId": "UCpostrTesterChannel0001", "videoId": got.post_id,
                                    "topLevelComment": {"snippet": {"textOriginal": "Chapters below 👇"}}}}
    assert got.comment_id in fake.comments
    assert fake.comments[got.comment_id] == {"videoId": got.post_id, "textOriginal": "Chapters below 👇"}


def test_a_first_comment_needs_a_scope_that_allows_it(fake, platform):
    granted = fake.grant(scopes=(UPLOAD,))
    upload_only = Tokens(access_token=granted["access_token"], scopes=[UPLOAD])
    content = PostContent(text="d", media=[video()], first_comment="hi", options={"title": "Launch"})

    with pytest.raises(Permanent) as err:
        platform.publish(upload_only, content)

    assert "does not allow posting comments" in err.value.message
    assert fake.requests == []


def test_a_comment_refused_after_the_upload_still_reports_the_video(fake, tokens, platform):
    fake.fail_next(google_error(403, "commentsDisabled", "The video identified by the videoId parameter has "
                                "disabled comments.", "youtube.commentThread"), path="/commentThreads")
    got = platform.publish(tokens, PostContent(text="d", media=[video()], first_comment="hi",
                                               options={"title": "Launch"}))
    assert got.post_id in fake.videos and got.comment_id is None


# --- publish: errors ------------------------------------------------------------------------------

def test_an_expired_token_needs_reconnecting(fake, tokens, platform):
    fake.expire(tokens.access_token)
    with pytest.raises(AuthExpired) as err:
        platform.publish(tokens, post())
    assert err.value.status == 401 and "reconnect your YouTube account" in err.value.message
    assert "authError" in err.value.detail
    assert tokens.access_token not in json.dumps([str(err.value), err.value.detail])


def test_the_daily_quota_waits_for_midnight_pacific_time(fake, tokens, platform, frozen):
    fake.fail_next(quota_exceeded(), path="/upload/youtube/v3/videos")
    with pytest.raises(RateLimited) as err:
        platform.publish(tokens, post())
    # 12:00 UTC on 1 March is 04:00 in Los Angeles (PST): 20 hours to midnight.
    assert err.value.retry_after == 20 * 3600
    assert "youtube.quota" in err.value.detail and "<a" not in err.value.detail
    assert err.value.message.startswith("postr has used its YouTube allowance for today")


def test_the_quota_wait_follows_daylight_saving_time(fake, tokens, platform):
    fake.fail_next(quota_exceeded(), path="/channels")
    with clock.frozen(dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.timezone.utc)):  # 05:00 PDT
        with pytest.raises(RateLimited) as err:
            youtube.PLATFORM.profile(tokens)
    assert err.value.retry_after == 19 * 3600


@pytest.mark.parametrize("reason", ["rateLimitExceeded", "userRateLimitExceeded"])
def test_request_rate_limits_are_rate_limited(fake, tokens, platform, reason):
    fake.fail_next(google_error(403, reason, "Rate Limit Exceeded", "usageLimits"), path="/upload/youtube/v3/videos")
    with pytest.raises(RateLimited) as err:
        platform.publish(tokens, post())
    assert err.value.retry_after is None and reason in err.value.detail


def test_a_429_carries_its_retry_after(fake, tokens):
    fake.fail_next(Reply(429, google_error(429, "rateLimitExceeded", "Too many requests").body,
                         headers={"Retry-After": "30"}), path="/youtube/v3/videos")
    with pytest.raises(RateLimited) as err:
        youtube.PLATFORM.metrics(tokens, "dQw4w9WgXcQ")
    assert err.value.retry_after == 30


def test_the_channels_upload_limit_is_permanent_with_a_clear_message(fake, tokens, platform):
    fake.upload_limit_reached = True
    with pytest.raises(Permanent) as err:
        platform.publish(tokens, post())
    assert err.value.status == 400
    assert err.value.message == ("This channel has reached the number of videos YouTube lets it upload for now (a "
                                 "limit over 24 hours); schedule the video again tomorrow.")
    assert upload_puts(fake) == []


def test_metadata_youtube_refuses_is_permanent_in_its_words(fake, tokens, platform):
    with pytest.raises(Permanent) as err:
        platform.publish(tokens, post(category_id="99"))
    assert err.value.message == ("YouTube refused to start the upload: The snippet.categoryId property specifies an "
                                 "invalid category ID. Use the videoCategories.list method to retrieve supported "
                                 "categories.")
    assert "invalidCategoryId" in err.value.detail and upload_puts(fake) == []


def test_a_missing_permission_asks_to_reconnect(fake, platform):
    granted = fake.grant(scopes=("https://www.googleapis.com/auth/youtube.readonly",))
    reader = Tokens(access_token=granted["access_token"])  # scopes unknown: the API says what is missing
    with pytest.raises(Permanent) as err:
        platform.publish(reader, post())
    assert err.value.status == 403 and "missing a permission" in err.value.message


def test_a_server_error_starting_the_upload_is_transient(fake, tokens, platform):
    fake.fail_next(google_error(500, "backendError", "Backend Error", "global"), path="/upload/youtube/v3/videos")
    with pytest.raises(Transient) as err:
        platform.publish(tokens, post())
    assert err.value.status == 500 and fake.videos == {}


def test_youtube_unreachable_is_transient(tokens, fake_env, platform):
    with YouTubeFake() as gone:
        url = gone.url
    fake_env(YOUTUBE_API_URL=url)
    with pytest.raises(Transient):
        platform.publish(tokens, post())
    with pytest.raises(Transient):
        youtube.PLATFORM.profile(tokens)


# --- delete and metrics ------------------------------------------------------------------------

def test_delete(fake, tokens, platform):
    video_id = platform.publish(tokens, post()).post_id

    youtube.PLATFORM.delete(tokens, video_id)

    req = fake.requests[-1]
    assert (req.method, req.path, req.query, req.body) == ("DELETE", "/youtube/v3/videos", {"id": [video_id]}, b"")
    assert bearer(req, tokens) and video_id not in fake.videos
    youtube.PLATFORM.delete(tokens, video_id)  # already gone (404) is what deleting wanted


def test_delete_refusals(fake, tokens, platform):
    fake.add_account("5550001", "UCsomeoneElseChannel0001", title="Someone")
    theirs = platform.publish(Tokens(access_token=fake.grant(account="5550001")["access_token"]), post()).post_id
    with pytest.raises(Permanent) as err:
        youtube.PLATFORM.delete(tokens, theirs)
    assert err.value.status == 403 and theirs in fake.videos
    before = len(fake.requests)
    with pytest.raises(Permanent):
        youtube.PLATFORM.delete(tokens, "../channels")
    assert len(fake.requests) == before


def test_metrics(fake, tokens, platform):
    video_id = platform.publish(tokens, post()).post_id
    fake.videos[video_id]["statistics"] = {"viewCount": "10234", "likeCount": "812", "dislikeCount": "33",
                                           "favoriteCount": "0", "commentCount": "57"}

    got = youtube.PLATFORM.metrics(tokens, video_id)

    req = fake.requests[-1]
    assert (req.method, req.path, req.query) == ("GET", "/youtube/v3/videos",
                                                 {"part": ["statistics"], "id": [video_id]})
    assert bearer(req, tokens)
    assert (got.likes, got.reposts, got.replies, got.views) == (812, None, 57, 10234)  # no dislikes, no reposts


def test_metrics_youtube_does_not_give_are_none_not_zero(fake, tokens, platform):
    video_id = platform.publish(tokens, post()).post_id
    fake.videos[video_id]["statistics"] = {"viewCount": "40", "favoriteCount": "0"}  # likes hidden, comments off
    got = youtube.PLATFORM.metrics(tokens, video_id)
    assert (got.likes, got.reposts, got.replies, got.views) == (None, None, None, 40)


def test_metrics_of_a_deleted_video(fake, tokens):
    with pytest.raises(Permanent) as err:
        youtube.PLATFORM.metrics(tokens, "dQw4w9WgXcQ")
    assert err.value.message == "This video is no longer on YouTube (deleted, or not visible to this account)."


# --- metrics of many videos in one request -----------------------------------------------------

def test_metrics_many_reads_many_videos_in_one_request(fake, tokens, platform):
    videos = [platform.publish(tokens, post(title=f"Video {n}")).post_id for n in range(3)]
    for n, video_id in enumerate(videos):
        fake.videos[video_id]["statistics"] = {"viewCount": str(1000 * n), "likeCount": str(10 + n),
                                               "favoriteCount": "0", "commentCount": str(n)}
    before = len(fake.requests)

    got = youtube.PLATFORM.metrics_many(tokens, list(reversed(videos)))

    assert len(fake.requests) == before + 1
    req = fake.requests[-1]
    assert (req.method, req.path) == ("GET", "/youtube/v3/videos") and bearer(req, tokens)
    assert req.query == {"part": ["statistics"], "id": [",".join(reversed(videos))]}
    assert {v: (m.likes, m.reposts, m.replies, m.views) for v, m in got.items()} == {
        videos[0]: (10, None, 0, 0), videos[1]: (11, None, 1, 1000), videos[2]: (12, None, 2, 2000)}
    assert got[videos[2]] == youtube.PLATFORM.metrics(tokens, videos[2])


def test_metrics_many_reports_each_missing_video_on_its_own(fake, tokens, platform):
    kept = platform.publish(tokens, post()).post_id
    fake.videos[kept]["statistics"] = {"viewCount": "40", "favoriteCount": "0"}  # likes hidden, comments off

    got = youtube.PLATFORM.metrics_many(tokens, [kept, "dQw4w9WgXcQ", "not a video id"])

    assert (got[kept].likes, got[kept].replies, got[kept].views) == (None, None, 40)  # hidden stays unknown
    assert isinstance(got["dQw4w9WgXcQ"], Permanent)
    assert got["dQw4w9WgXcQ"].message == ("This video is no longer on YouTube (deleted, or not visible to this "
                                          "account).")
    assert got["not a video id"].message == "That is not a YouTube video id."
    assert fake.requests[-1].query["id"] == [f"{kept},dQw4w9WgXcQ"]  # the bad id never went out


def test_metrics_many_takes_at_most_fifty_videos(fake, tokens):
    assert youtube.PLATFORM.metrics_batch == 50
    before = len(fake.requests)
    with pytest.raises(ValueError):
        youtube.PLATFORM.metrics_many(tokens, [f"video{n:06d}" for n in range(51)])
    assert len(fake.requests) == before


def test_metrics_many_over_quota_is_rate_limited(fake, tokens, platform, frozen):
    video_id = platform.publish(tokens, post()).post_id
    fake.fail_next(quota_exceeded(), path="/youtube/v3/videos")
    with pytest.raises(RateLimited):
        youtube.PLATFORM.metrics_many(tokens, [video_id])
