"""Contract tests of the Pinterest module against tools/fakes/pinterest.py: the
exact requests it sends, the documented answers it reads, each error class, the
video processing state machine, boards that are not the person's, and the bad
input it refuses before sending anything."""

import base64
import datetime as _dt
import hashlib
import socket
import tracemalloc
import urllib.parse

import pytest
from platform_media import media_from_bytes

import platforms
from fakes.base import Reply
from fakes.pinterest import UPLOAD_PATH, PinterestFake
from kernel import clock
from platforms import pinterest as pin
from platforms.base import AppCredentials, Media, Metrics, Platform, PostContent, Tokens
from platforms.errors import AuthExpired, OutcomeUnknown, Permanent, RateLimited, Transient
from platforms.pinterest import upload as pin_upload

APP = AppCredentials("pin-client", "pin-secret")
REDIRECT = "https://app.postr.example/oauth/callback"
SCOPES = ["boards:read", "boards:write", "pins:read", "pins:write", "user_accounts:read"]
PLATFORM = platforms.get("pinterest")
IMAGE_URL = "https://storage.example/signed/photo.png?X-Goog-Signature=abc"


@pytest.fixture
def fake(fake_env):
    with PinterestFake() as server:
        fake_env(PINTEREST_API_URL=server.url, PINTEREST_AUTH_URL=server.url)
        yield server


@pytest.fixture
def ada(fake):
    return fake.add_user("ada.makes", "Ada Makes", 1234)


@pytest.fixture
def board(fake, ada):
    return fake.add_board(ada, "Recipes")


@pytest.fixture
def tokens(fake, ada) -> Tokens:
    return Tokens(access_token=fake.token_for(ada), scopes=list(SCOPES))


@pytest.fixture
def paused(monkeypatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(pin_upload, "_pause", waits.append)
    return waits


def png(size: int = 3000) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + bytes(i % 251 for i in range(size - 8))


def image(data: bytes | None = None, **kw) -> Media:
    kw.setdefault("url", IMAGE_URL)
    return media_from_bytes(data or png(), **kw)


def video(data: bytes = b"v" * 50_000, **kw) -> Media:
    kw.setdefault("mime_type", "video/mp4")
    kw.setdefault("duration_s", 12.0)
    kw.setdefault("width", 1080)
    kw.setdefault("height", 1920)
    kw.setdefault("alt_text", "A salad being tossed")
    return media_from_bytes(data, kind="video", **kw)


def on_board(board, **options) -> dict:
    return {"board_id": board.id, **options}


def calls(fake) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in fake.requests]


def messages(content: PostContent) -> list[str]:
    return [p.message for p in PLATFORM.validate(content)]


# --- the module as a whole -------------------------------------------------------
def test_registry_gives_a_pinterest_platform_implementing_every_method():
    assert isinstance(PLATFORM, pin.PinterestPlatform) and isinstance(PLATFORM, Platform)
    for method in ("authorization_url", "exchange_code", "refresh", "revoke", "profile", "validate", "publish",
                   "delete", "metrics"):
        assert getattr(type(PLATFORM), method) is not getattr(Platform, method), method
    assert list(PLATFORM.scopes) == SCOPES
    assert not PLATFORM.supports_threads and not PLATFORM.supports_first_comment and PLATFORM.supports_video
    assert not PLATFORM.uses_pkce


# --- OAuth ---------------------------------------------------------------------------
def test_authorization_url_asks_only_for_the_scopes_pinning_needs(fake):
    url = urllib.parse.urlsplit(PLATFORM.authorization_url(APP, state="st-1", redirect_uri=REDIRECT,
                                                           code_challenge="ignored"))
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{fake.url}/oauth/"
    assert urllib.parse.parse_qs(url.query) == {
        "client_id": ["pin-client"], "redirect_uri": [REDIRECT], "response_type": ["code"],
        "scope": ["boards:read,boards:write,pins:read,pins:write,user_accounts:read"], "state": ["st-1"],
    }


def test_exchange_code_sends_basic_auth_and_the_documented_form(fake, ada):
    code = fake.consent(ada, REDIRECT)
    at = _dt.datetime(2026, 12, 1, 9, 0, tzinfo=_dt.timezone.utc)
    with clock.frozen(at):
        got = PLATFORM.exchange_code(APP, code=code, redirect_uri=REDIRECT)

    (req,) = fake.requests
    assert (req.method, req.path) == ("POST", "/v5/oauth/token")
    assert req.headers["authorization"] == "Basic " + base64.b64encode(b"pin-client:pin-secret").decode()
    assert req.headers["content-type"] == "application/x-www-form-urlencoded"
    assert req.form == {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                        "continuous_refresh": "true"}
    assert "pin-secret" not in req.body.decode()  # the secret travels only in the Basic header

    assert got.access_token in fake.grants and got.refresh_token in fake.refresh_tokens
    assert got.expires_at == at + _dt.timedelta(days=30)
    assert got.extra == {"refresh_expires_at": (at + _dt.timedelta(days=60)).isoformat()}
    assert got.scopes == SCOPES


def test_exchange_code_keeps_the_narrower_scope_pinterest_granted(fake, ada):
    code = fake.consent(ada, REDIRECT, "boards:read,pins:read,user_accounts:read")
    got = PLATFORM.exchange_code(APP, code=code, redirect_uri=REDIRECT)
    assert got.scopes == ["boards:read", "pins:read", "user_accounts:read"]
    assert PLATFORM.missing_scopes(got.scopes) == ["boards:write", "pins:write"]


def test_a_refresh_answer_without_scope_keeps_the_grant_held(fake, tokens):
    # RFC 6749 §6: a refresh without scope is the grant as it was.
    tokens.refresh_token = "pinr_1"
    fake.fail_next(Reply(200, {"access_token": "pina_2", "token_type": "bearer", "expires_in": 2_592_000}),
                   path="/v5/oauth/token")
    fresh = PLATFORM.refresh(APP, tokens)
    assert fresh.scopes == SCOPES and fresh.refresh_token == "pinr_1"


def test_exchange_code_refused_is_permanent_with_a_way_forward(fake):
    with pytest.raises(Permanent) as err:
        PLATFORM.exchange_code(APP, code="code-used-twice", redirect_uri=REDIRECT)
    assert "connect Pinterest again" in err.value.message
    assert err.value.status == 400 and err.value.detail == "400 1"


def test_exchange_code_with_wrong_app_secret_blames_the_app_not_the_person(fake, ada):
    code = fake.consent(ada, REDIRECT)
    with pytest.raises(Permanent) as err:
        PLATFORM.exchange_code(AppCredentials("pin-client", "wrong"), code=code, redirect_uri=REDIRECT)
    assert "app credentials" in err.value.message and err.value.detail == "401 2"


def test_refresh_rotates_the_continuous_refresh_token(fake, ada):
    first = PLATFORM.exchange_code(APP, code=fake.consent(ada, REDIRECT), redirect_uri=REDIRECT)
    first.extra["note"] = "kept"
    fake.requests.clear()

    at = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(days=27)
    with clock.frozen(at):
        fresh = PLATFORM.refresh(APP, first)

    (req,) = fake.requests
    assert (req.method, req.path) == ("POST", "/v5/oauth/token")
    assert req.headers["authorization"] == "Basic " + base64.b64encode(b"pin-client:pin-secret").decode()
    assert req.form == {"grant_type": "refresh_token", "refresh_token": first.refresh_token}
    assert fresh.access_token != first.access_token and fresh.access_token in fake.grants
    assert fresh.refresh_token != first.refresh_token and fresh.refresh_token in fake.refresh_tokens
    assert first.refresh_token not in fake.refresh_tokens  # the old one is spent
    assert fresh.expires_at == at + _dt.timedelta(days=30)
    assert fresh.extra == {"note": "kept", "refresh_expires_at": (at + _dt.timedelta(days=60)).isoformat()}
    assert fresh.scopes == SCOPES


def test_refresh_token_no_longer_accepted_means_reconnect(fake, tokens):
    tokens.refresh_token = "pinr_spent"
    with pytest.raises(AuthExpired) as err:
        PLATFORM.refresh(APP, tokens)
    assert "reconnect Pinterest" in err.value.message and err.value.status == 400


def test_refresh_after_the_refresh_token_lapsed_asks_to_reconnect_and_sends_nothing(fake, tokens):
    tokens.refresh_token = "pinr_old"
    tokens.extra["refresh_expires_at"] = "2026-01-01T00:00:00+00:00"
    with clock.frozen(_dt.datetime(2026, 1, 1, 0, 0, 1, tzinfo=_dt.timezone.utc)):
        with pytest.raises(AuthExpired) as err:
            PLATFORM.refresh(APP, tokens)
    assert "60 days" in err.value.message and fake.requests == []


def test_refresh_without_a_refresh_token_asks_to_reconnect_and_sends_nothing(fake, tokens):
    with pytest.raises(AuthExpired):
        PLATFORM.refresh(APP, tokens)
    assert fake.requests == []


def test_revoke_is_not_offered_for_a_persons_token(fake, tokens):
    # /v5/oauth/token/revoke takes only system-user tokens: nothing is sent, and the module says so.
    assert PLATFORM.revokes is False
    assert PLATFORM.revoke(APP, tokens) is False
    assert fake.requests == []
    assert tokens.access_token in fake.grants


# --- profile and boards --------------------------------------------------------------
def test_profile_from_user_account(fake, ada, tokens):
    got = PLATFORM.profile(tokens)
    assert (got.account_id, got.handle, got.display_name) == (ada.id, "ada.makes", "Ada Makes")
    assert got.avatar_url == f"https://i.pinimg.com/600x600_R/{ada.id}.jpg"
    assert got.followers_count == 1234
    (req,) = fake.requests
    assert (req.method, req.path, req.headers["authorization"]) == ("GET", "/v5/user_account",
                                                                   f"Bearer {tokens.access_token}")


def test_profile_of_a_personal_account_uses_the_username(fake):
    bob = fake.add_user("bob", business_name=None, followers=0)
    got = PLATFORM.profile(Tokens(access_token=fake.token_for(bob)))
    assert (got.handle, got.display_name, got.followers_count) == ("bob", "bob", 0)


def test_profile_with_a_revoked_token_is_auth_expired(fake, tokens):
    fake.revoke_token(tokens.access_token)
    with pytest.raises(AuthExpired) as err:
        PLATFORM.profile(tokens)
    assert "reconnect Pinterest" in err.value.message and err.value.detail == "401 2"


def test_missing_scope_asks_to_reconnect_with_the_permission(fake, ada):
    tokens = Tokens(access_token=fake.token_for(ada, "boards:read,pins:read"))
    with pytest.raises(AuthExpired) as err:
        PLATFORM.profile(tokens)
    assert "lacks a permission" in err.value.message and err.value.detail == "401 3"


def test_boards_pages_through_every_board_the_person_can_pin_to(fake, ada, tokens):
    bob = fake.add_user("bob")
    own = [fake.add_board(ada, f"Board {n}") for n in range(255)]
    group = fake.add_board(bob, "Family trip", collaborators=(ada,))
    fake.add_board(bob, "Bob's own")
    fake.add_board(ada, "Hidden", privacy="SECRET")  # needs boards:read_secret, not asked for

    got = PLATFORM.boards(tokens)

    assert [b.id for b in got] == [b.id for b in own] + [group.id]
    assert got[0] == pin.Board(id=own[0].id, name="Board 0", privacy="PUBLIC", owner_username="ada.makes")
    assert got[-1].owner_username == "bob"
    first, second = fake.requests
    assert (first.method, first.path, first.query) == ("GET", "/v5/boards", {"page_size": ["250"]})
    assert second.query["page_size"] == ["250"] and second.query["bookmark"]
    assert all(r.headers["authorization"] == f"Bearer {tokens.access_token}" for r in fake.requests)


def test_sections_of_a_board(fake, board, tokens):
    salads = fake.add_section(board, "Salads")
    soups = fake.add_section(board, "Soups")
    assert PLATFORM.sections(tokens, board.id) == [pin.BoardSection(salads, "Salads"),
                                                   pin.BoardSection(soups, "Soups")]
    assert calls(fake) == [("GET", f"/v5/boards/{board.id}/sections")]


# --- validate --------------------------------------------------------------------------
def test_valid_pins_have_no_problems(board):
    assert PLATFORM.validate(PostContent(text="x" * 800, media=[image(alt_text="a" * 500)], link="https://ex.com/r",
                                         options=on_board(board, title="t" * 100))) == []
    assert PLATFORM.validate(PostContent(text="😀" * 800, media=[image()], options=on_board(board))) == []
    carousel = [image(alt_text="Same words") for _ in range(5)]
    assert PLATFORM.validate(PostContent(text="", media=carousel, options=on_board(board))) == []
    assert PLATFORM.validate(PostContent(text="", media=[video(), image()], options=on_board(board))) == []
    assert PLATFORM.validate(PostContent(text="", media=[video()], options=on_board(
        board, cover_image_key_frame_time=3, board_section_id="123"))) == []


def test_aspect_ratio_recommendations_are_not_problems(board):
    # 2:3 and 9:16 are recommended; 16:9 and 1:2 are allowed all the same.
    for width, height in ((1920, 1080), (1000, 2000), (1000, 1000)):
        assert PLATFORM.validate(PostContent(text="", media=[video(width=width, height=height), image()],
                                             options=on_board(board))) == []
    assert PLATFORM.validate(PostContent(text="", media=[image(width=1000, height=5000)],
                                         options=on_board(board))) == []


def test_a_board_must_be_chosen(board):
    assert messages(PostContent(text="x", media=[image()])) == ["Choose the Pinterest board this Pin goes on."]
    assert messages(PostContent(text="x", media=[image()], options={"board_id": "../boards"})) == [
        "That is not a Pinterest board id; choose the board again."]
    assert messages(PostContent(text="x", media=[image()], options=on_board(board, board_section_id=7))) == [
        "That is not a Pinterest board section id; choose the section again."]


def test_threads_and_first_comments_are_clear_problems(board):
    problems = PLATFORM.validate(PostContent(text="one", media=[image()], thread=[PostContent(text="two")],
                                             first_comment="more", options=on_board(board)))
    assert [p.field for p in problems] == ["thread", "first_comment"]
    assert problems[0].message.startswith("Pinterest has no threads")
    assert problems[1].message.startswith("Pinterest's API cannot add comments")


def test_over_long_text_says_by_how_much(board):
    assert messages(PostContent(text="😀" * 801, media=[image()], options=on_board(board, title="t" * 102))) == [
        "The Pin title is 102 characters long and Pinterest allows 100; remove 2.",
        "The Pin description is 801 characters long and Pinterest allows 800; remove 1.",
    ]


def test_a_pin_needs_media(board):
    assert messages(PostContent(text="Words only", options=on_board(board))) == [
        "A Pinterest Pin needs an image or a video."]


def test_bad_link(board):
    assert messages(PostContent(text="x", media=[image()], link="javascript:alert(1)", options=on_board(board))) == [
        "The Pin's link must be a web address starting with http:// or https://."]
    assert messages(PostContent(text="x", media=[image()], link="https://ex.com/" + "a" * 2034,
                                options=on_board(board))) == [
        "The Pin's link is 2,049 characters long and Pinterest allows 2,048."]


def test_wrong_images_each_named(board):
    webp = image(mime_type="image/webp")
    huge = image(png(3000))
    huge = Media(kind="image", mime_type="image/png", size=20_000_001, url=IMAGE_URL, chunks=huge.chunks)
    long_alt = image(alt_text="a" * 501)
    assert messages(PostContent(text="x", media=[webp], options=on_board(board))) == [
        "Image 1 is image/webp; Pinterest takes PNG or JPEG images."]
    assert messages(PostContent(text="x", media=[huge], options=on_board(board))) == [
        "Image 1 is 20,000,001 bytes; Pinterest takes images of up to 20 MB."]
    assert messages(PostContent(text="x", media=[long_alt], options=on_board(board))) == [
        "The alt text of image 1 is 501 characters; Pinterest allows 500."]
    nothing = Media(kind="image", mime_type="image/png", size=10)
    assert messages(PostContent(text="x", media=[nothing], options=on_board(board))) == [
        "Image 1 has no file to upload."]


def test_carousel_limits(board):
    assert messages(PostContent(text="x", media=[image() for _ in range(6)], options=on_board(board))) == [
        "A Pinterest Pin takes up to 5 images (a carousel); this one has 6."]
    local = image(url=None)
    assert messages(PostContent(text="x", media=[image(), local], options=on_board(board))) == [
        "Image 2 has no web address; Pinterest fetches every image of a carousel itself."]
    assert messages(PostContent(text="x", media=[image(alt_text="A"), image(alt_text="B")],
                                options=on_board(board))) == [
        "Pinterest takes one alt text for a whole carousel: give every image the same alt text, or write it on the "
        "first image only."]
    assert messages(PostContent(text="x", media=[image(alt_text="A"), image(alt_text=None)],
                                options=on_board(board))) == []


def test_video_limits(board):
    webm = video(mime_type="video/webm", duration_s=3)
    long = video(duration_s=901)
    wide = video(width=2000, height=1000)
    tall = video(width=1000, height=2100)
    big = Media(kind="video", mime_type="video/quicktime", size=2_000_000_001, chunks=webm.chunks, duration_s=10)
    cover = image()
    assert messages(PostContent(text="x", media=[webm, cover], options=on_board(board))) == [
        "Video 1 is video/webm; Pinterest takes MP4, MOV or M4V videos.",
        "Video 1 lasts 3 seconds; Pinterest takes videos from 4 seconds to 15 minutes.",
    ]
    assert messages(PostContent(text="x", media=[long, cover], options=on_board(board))) == [
        "Video 1 lasts 901 seconds; Pinterest takes videos from 4 seconds to 15 minutes."]
    for clip, size in ((wide, "2000x1000"), (tall, "1000x2100")):
        assert messages(PostContent(text="x", media=[clip, cover], options=on_board(board))) == [
            f"Video 1 is {size} pixels; Pinterest takes videos from 1:2 (tall) to 1.91:1 (wide). "
            "Crop it to 1:1, 2:3, 4:5 or 9:16."]
    assert messages(PostContent(text="x", media=[big, cover], options=on_board(board))) == [
        "Video 1 is 2,000,000,001 bytes; Pinterest takes videos of up to 2 GB."]
    no_file = Media(kind="video", mime_type="video/mp4", size=10, url="https://ex.com/v.mp4")
    assert messages(PostContent(text="x", media=[no_file, cover], options=on_board(board))) == [
        "Video 1 has no file to upload."]


def test_video_needs_one_cover(board):
    assert messages(PostContent(text="x", media=[video()], options=on_board(board))) == [
        "A Pinterest video Pin needs a cover: add an image after the video, or choose a moment of the video as the "
        "cover."]
    assert messages(PostContent(text="x", media=[video()], options=on_board(board, cover_image_url="ftp://x/y"))) == [
        "The video's cover must be a web address starting with http:// or https://."]
    assert messages(PostContent(text="x", media=[video()], options=on_board(board, cover_image_key_frame_time=-1))) == [
        "The cover frame must be a whole number of seconds into the video."]
    assert messages(PostContent(text="x", media=[video(), video(), image()], options=on_board(board))) == [
        "A Pinterest Pin takes one video; this one has 2."]
    assert messages(PostContent(text="x", media=[video(), image(), image()], options=on_board(board))) == [
        "A Pinterest video Pin takes one video and at most one image, its cover; this one has 2 images."]


@pytest.mark.parametrize("content", [
    PostContent(text="one", media=[image()], thread=[PostContent(text="two")], options={"board_id": "1"}),
    PostContent(text="x" * 801, media=[image()], options={"board_id": "1"}),
    PostContent(text="x", media=[image()]),
    PostContent(text="x", media=[video(width=3000, height=1000), image()], options={"board_id": "1"}),
    PostContent(text="x", media=[video()], options={"board_id": "1"}),
])
def test_publish_refuses_without_sending_when_validate_finds_problems(fake, tokens, content):
    with pytest.raises(Permanent) as err:
        PLATFORM.publish(tokens, content)
    assert err.value.message == "This post cannot go to Pinterest: " + " ".join(messages(content))
    assert fake.requests == []


# --- publish: images -------------------------------------------------------------------
def test_publish_image_pin_from_its_address(fake, board, tokens):
    content = PostContent(text="Crisp green salad, ready in 10 minutes.", link="https://ada.example/salad",
                          media=[image(alt_text="A bowl of green salad")],
                          options=on_board(board, title="Green salad"))
    got = PLATFORM.publish(tokens, content)

    assert calls(fake) == [("GET", f"/v5/boards/{board.id}"), ("POST", "/v5/pins")]
    create = fake.requests[-1]
    assert create.headers["authorization"] == f"Bearer {tokens.access_token}"
    assert create.headers["content-type"] == "application/json"
    assert create.json == {
        "board_id": board.id,
        "media_source": {"source_type": "image_url", "url": IMAGE_URL},
        "title": "Green salad",
        "description": "Crisp green salad, ready in 10 minutes.",
        "link": "https://ada.example/salad",
        "alt_text": "A bowl of green salad",
    }
    assert got.post_id in fake.pins and got.url == f"https://www.pinterest.com/pin/{got.post_id}/"
    assert got.part_ids == () and got.comment_id is None


def test_publish_image_without_an_address_sends_its_bytes(fake, board, tokens):
    data = png(5000)
    PLATFORM.publish(tokens, PostContent(text="", media=[image(data, url=None, mime_type="image/png")],
                                         options=on_board(board)))
    source = fake.requests[-1].json["media_source"]
    assert source["source_type"] == "image_base64" and source["content_type"] == "image/png"
    assert base64.b64decode(source["data"]) == data
    assert "description" not in fake.requests[-1].json


def test_publish_carousel_with_one_alt_text(fake, board, tokens):
    urls = [f"https://storage.example/signed/{n}.jpg" for n in range(3)]
    media = [image(url=u, mime_type="image/jpeg", alt_text="Three salads" if n == 0 else None)
             for n, u in enumerate(urls)]
    PLATFORM.publish(tokens, PostContent(text="Three salads", media=media, options=on_board(board)))
    body = fake.requests[-1].json
    assert body["media_source"] == {"source_type": "multiple_image_urls", "items": [{"url": u} for u in urls]}
    assert body["alt_text"] == "Three salads"


def test_publish_into_a_board_section(fake, board, tokens):
    section = fake.add_section(board, "Salads")
    got = PLATFORM.publish(tokens, PostContent(text="x", media=[image()],
                                               options=on_board(board, board_section_id=section)))
    assert calls(fake) == [("GET", f"/v5/boards/{board.id}"), ("GET", f"/v5/boards/{board.id}/sections"),
                           ("POST", "/v5/pins")]
    assert fake.requests[-1].json["board_section_id"] == section
    assert fake.pins[got.post_id]["board_section_id"] == section


def test_publish_on_a_group_board_the_person_joined(fake, ada, tokens):
    group = fake.add_board(fake.add_user("bob"), "Family trip", collaborators=(ada,))
    got = PLATFORM.publish(tokens, PostContent(text="x", media=[image()], options=on_board(group)))
    assert fake.pins[got.post_id]["board_id"] == group.id


# --- boards that are not the person's ---------------------------------------------------
def test_someone_elses_board_is_refused_before_any_upload(fake, tokens, paused):
    theirs = fake.add_board(fake.add_user("bob"), "Bob's board")
    with pytest.raises(Permanent) as err:
        PLATFORM.publish(tokens, PostContent(text="x", media=[video(), image()], options=on_board(theirs)))
    assert err.value.message == ("That Pinterest board is not one of yours (or no longer exists); choose one of "
                                 "your boards.")
    assert calls(fake) == [("GET", f"/v5/boards/{theirs.id}")]
    assert not fake.media and not fake.pins


def test_a_board_that_does_not_exist_is_refused_the_same_way(fake, tokens):
    with pytest.raises(Permanent) as err:
        PLATFORM.publish(tokens, PostContent(text="x", media=[image()], options={"board_id": "424242"}))
    assert err.value.status == 404 and "not one of yours" in err.value.message
    assert calls(fake) == [("GET", "/v5/boards/424242")]


def test_a_section_of_another_board_is_refused_before_any_upload(fake, ada, board, tokens, paused):
    other = fake.add_board(ada, "Soups")
    foreign = fake.add_section(other, "Winter")
    with pytest.raises(Permanent) as err:
        PLATFORM.publish(tokens, PostContent(text="x", media=[video(), image()],
                                             options=on_board(board, board_section_id=foreign)))
    assert err.value.message == "That section is not on the chosen Pinterest board; choose the section again."
    assert not fake.media and not fake.pins


# --- publish: video ----------------------------------------------------------------------
def test_publish_video_registers_uploads_waits_then_pins(fake_env, paused):
    data = bytes(i % 256 for i in range(300_000))
    with PinterestFake(media_processing_checks=2) as fake:
        fake_env(PINTEREST_API_URL=fake.url, PINTEREST_AUTH_URL=fake.url)
        ada = fake.add_user()
        board = fake.add_board(ada)
        tokens = Tokens(access_token=fake.token_for(ada))
        got = PLATFORM.publish(tokens, PostContent(text="Tossing a salad", media=[video(data), image()],
                                                   options=on_board(board, title="Salad in 10 s")))

        media_id = next(iter(fake.media))
        assert calls(fake) == [
            ("GET", f"/v5/boards/{board.id}"),
            ("POST", "/v5/media"),
            ("POST", UPLOAD_PATH),
            *[("GET", f"/v5/media/{media_id}")] * 3,
            ("POST", "/v5/pins"),
        ]
        register, upload = fake.requests[1], fake.requests[2]
        assert register.json == {"media_type": "video"}
        assert register.headers["authorization"] == f"Bearer {tokens.access_token}"
        # The upload goes to S3 with the fields Pinterest gave, no bearer token, and a known length.
        assert "authorization" not in upload.headers
        assert upload.headers["content-type"].startswith("multipart/form-data; boundary=")
        assert upload.upload["content_length"] and not upload.upload["transfer_encoding"]
        assert upload.upload["fields"] == fake.media[media_id].parameters
        stored = fake.upload_of(media_id)
        assert (stored.filename, stored.content_type, stored.data) == ("video.mp4", "video/mp4", data)
        assert paused == [1.0, 2.0]  # two "processing" answers, then "succeeded"
        assert fake.requests[-1].json == {
            "board_id": board.id,
            "media_source": {"source_type": "video_id", "media_id": media_id, "cover_image_url": IMAGE_URL},
            "title": "Salad in 10 s",
            "description": "Tossing a salad",
            "alt_text": "A salad being tossed",
        }
        assert fake.pins[got.post_id]["media"] == {"media_type": "video"}


def test_video_cover_from_an_image_without_an_address(fake, board, tokens, paused):
    cover = png(4000)
    PLATFORM.publish(tokens, PostContent(text="x", media=[video(), image(cover, url=None)], options=on_board(board)))
    source = fake.requests[-1].json["media_source"]
    assert source["cover_image_content_type"] == "image/png"
    assert base64.b64decode(source["cover_image_data"]) == cover and "cover_image_url" not in source


def test_video_cover_from_a_moment_of_the_video(fake, board, tokens, paused):
    PLATFORM.publish(tokens, PostContent(text="x", media=[video(mime_type="video/quicktime")],
                                         options=on_board(board, cover_image_key_frame_time=7)))
    assert fake.requests[-1].json["media_source"]["cover_image_key_frame_time"] == 7
    assert fake.upload_of(next(iter(fake.media))).filename == "video.mov"


def test_video_that_fails_processing_is_permanent_and_no_pin_is_made(fake_env, paused):
    with PinterestFake(media_processing_checks=1, media_outcome="failed") as fake:
        fake_env(PINTEREST_API_URL=fake.url, PINTEREST_AUTH_URL=fake.url)
        ada = fake.add_user()
        board = fake.add_board(ada)
        with pytest.raises(Permanent) as err:
            PLATFORM.publish(Tokens(access_token=fake.token_for(ada)),
                             PostContent(text="x", media=[video(), image()], options=on_board(board)))
        assert "could not process the video" in err.value.message
        assert paused == [1.0] and not fake.pins and not fake.received("POST", "/v5/pins")


def test_video_still_processing_after_every_wait_is_transient(fake_env, paused):
    with PinterestFake(media_processing_checks=100) as fake:
        fake_env(PINTEREST_API_URL=fake.url, PINTEREST_AUTH_URL=fake.url)
        ada = fake.add_user()
        board = fake.add_board(ada)
        with pytest.raises(Transient) as err:
            PLATFORM.publish(Tokens(access_token=fake.token_for(ada)),
                             PostContent(text="x", media=[video(), image()], options=on_board(board)))
        assert "still processing" in err.value.message
        assert paused == list(pin_upload.VIDEO_WAIT_DELAYS) and not fake.pins


def test_video_never_uploaded_stays_registered(fake, board, tokens, paused):
    # Pinterest says "registered" until the file arrives: the wait treats it as not ready.
    fake.fail_next(Reply(204, b""), path=UPLOAD_PATH)
    with pytest.raises(Transient):
        PLATFORM.publish(tokens, PostContent(text="x", media=[video(), image()], options=on_board(board)))
    media_id = next(iter(fake.media))
    assert not fake.upload_of(media_id).uploaded and not fake.pins


def test_video_shorter_than_its_recorded_size_is_refused(fake, board, tokens, paused):
    clip = video(b"v" * 1000)
    clip = Media(kind="video", mime_type="video/mp4", size=5000, chunks=clip.chunks, width=1080, height=1920)
    with pytest.raises(Permanent) as err:
        PLATFORM.publish(tokens, PostContent(text="x", media=[clip, image()], options=on_board(board)))
    assert "not the size it was said to be" in err.value.message and not fake.pins


@pytest.mark.parametrize("status, code, error", [(403, "AccessDenied", Permanent), (503, "SlowDown", Transient)])
def test_upload_refused_by_storage(fake, board, tokens, paused, status, code, error):
    fake.fail_next(Reply(status, f"<Error><Code>{code}</Code><Message>no</Message></Error>"), path=UPLOAD_PATH)
    with pytest.raises(error) as err:
        PLATFORM.publish(tokens, PostContent(text="x", media=[video(), image()], options=on_board(board)))
    assert err.value.detail == f"{status} {code}" and not fake.pins


def test_a_large_video_is_streamed_with_bounded_memory(fake, board, tokens, paused):
    size = 200 * 1024 * 1024
    block = bytes(range(256)) * 4096  # 1 MiB, sent again and again: the test itself holds 1 MiB

    def chunks(chunk_size: int):
        for start in range(0, size, chunk_size):
            sent = 0
            while sent < min(chunk_size, size - start):
                piece = block[:min(len(block), chunk_size, size - start - sent)]
                sent += len(piece)
                yield piece

    expected = hashlib.sha256()
    for piece in chunks(pin_upload.UPLOAD_CHUNK):
        expected.update(piece)
    big = Media(kind="video", mime_type="video/mp4", size=size, chunks=chunks, width=1080, height=1920,
                duration_s=600)

    tracemalloc.start()
    try:
        PLATFORM.publish(tokens, PostContent(text="x", media=[big, image()], options=on_board(board)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    stored = fake.upload_of(next(iter(fake.media)))
    assert stored.size == size and stored.sha256 == expected.hexdigest()
    assert peak < 32 * 1024 * 1024, f"peak {peak:,} bytes while uploading {size:,}"


# --- delete and metrics ------------------------------------------------------------------
def test_delete_removes_the_pin_and_a_second_delete_is_fine(fake, board, tokens):
    pin_id = PLATFORM.publish(tokens, PostContent(text="bye", media=[image()], options=on_board(board))).post_id
    fake.requests.clear()
    PLATFORM.delete(tokens, pin_id)
    PLATFORM.delete(tokens, pin_id)  # 404 at Pinterest: nothing left to delete
    assert calls(fake) == [("DELETE", f"/v5/pins/{pin_id}")] * 2
    assert all(r.headers["authorization"] == f"Bearer {tokens.access_token}" for r in fake.requests)
    assert pin_id not in fake.pins


def test_delete_of_someone_elses_pin_is_permanent(fake, tokens):
    bob = fake.add_user("bob")
    bobs = PLATFORM.publish(Tokens(access_token=fake.token_for(bob)),
                            PostContent(text="mine", media=[image()], options=on_board(fake.add_board(bob)))).post_id
    with pytest.raises(Permanent) as err:
        PLATFORM.delete(tokens, bobs)
    assert err.value.status == 403 and err.value.detail == "403 29" and bobs in fake.pins


def test_delete_and_metrics_refuse_an_id_that_is_not_a_pin_without_sending(fake, tokens):
    for call in (PLATFORM.delete, PLATFORM.metrics):
        with pytest.raises(Permanent):
            call(tokens, "123/../../boards")
    assert fake.requests == []


def test_metrics_from_pin_analytics(fake, board, tokens):
    pin_id = PLATFORM.publish(tokens, PostContent(text="measured", media=[image()], options=on_board(board))).post_id
    fake.analytics[pin_id] = {"lifetime": {"TOTAL_REACTIONS": 12, "TOTAL_COMMENTS": 3},
                              "summary": {"IMPRESSION": 240, "SAVE": 20, "PIN_CLICK": 37}}
    fake.today = _dt.date(2026, 6, 30)
    fake.requests.clear()

    with clock.frozen(_dt.datetime(2026, 6, 30, 23, 0, tzinfo=_dt.timezone.utc)):
        got = PLATFORM.metrics(tokens, pin_id)

    assert got == Metrics(likes=12, reposts=20, replies=3, views=240)
    (req,) = fake.requests
    assert (req.method, req.path) == ("GET", f"/v5/pins/{pin_id}/analytics")
    assert req.headers["authorization"] == f"Bearer {tokens.access_token}"
    assert req.query == {"start_date": ["2026-04-02"], "end_date": ["2026-06-30"],
                         "metric_types": ["IMPRESSION,SAVE,TOTAL_REACTIONS,TOTAL_COMMENTS"]}


def test_metrics_pinterest_does_not_give_are_unknown_not_zero(fake, board, tokens):
    pin_id = PLATFORM.publish(tokens, PostContent(text="new", media=[image()], options=on_board(board))).post_id
    fake.analytics[pin_id] = {"summary": {"IMPRESSION": 0}}
    assert PLATFORM.metrics(tokens, pin_id) == Metrics(likes=None, reposts=None, replies=None, views=0)


def test_lifetime_totals_win_over_the_last_90_days(fake, board, tokens):
    pin_id = PLATFORM.publish(tokens, PostContent(text="old", media=[image()], options=on_board(board))).post_id
    fake.analytics[pin_id] = {"lifetime": {"IMPRESSION": 9000}, "summary": {"IMPRESSION": 300, "SAVE": 4}}
    assert PLATFORM.metrics(tokens, pin_id) == Metrics(reposts=4, views=9000)


def test_metrics_of_a_deleted_pin_is_permanent(fake, tokens):
    with pytest.raises(Permanent) as err:
        PLATFORM.metrics(tokens, "987654321")
    assert err.value.status == 404 and "could not find that Pin" in err.value.message


# --- errors ------------------------------------------------------------------------------
RATE_LIMIT = {"code": 8, "message": "This request exceeded a rate limit. This can happen if the client exceeds one\n"
                                    "of the published rate limits within a short time window."}


def test_throttled_with_retry_after(fake, board, tokens):
    fake.fail_next(Reply(429, RATE_LIMIT, headers={"Retry-After": "120"}), path="/v5/pins")
    with pytest.raises(RateLimited) as err:
        PLATFORM.publish(tokens, PostContent(text="x", media=[image()], options=on_board(board)))
    assert err.value.retry_after == 120.0 and err.value.detail == "429 8" and not fake.pins


def test_throttled_with_only_the_rate_limit_reset_header(fake, tokens):
    fake.fail_next(Reply(429, RATE_LIMIT, headers={"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "0",
                                                   "X-RateLimit-Reset": "3540"}))
    with pytest.raises(RateLimited) as err:
        PLATFORM.profile(tokens)
    assert err.value.retry_after == 3540.0 and "limiting requests" in err.value.message


def test_throttled_without_a_hint(fake, tokens):
    fake.fail_next(Reply(429, RATE_LIMIT))
    with pytest.raises(RateLimited) as err:
        PLATFORM.boards(tokens)
    assert err.value.retry_after is None


def test_spam_block_is_rate_limited_and_says_so(fake, board, tokens):
    fake.fail_next(Reply(429, {"code": 8, "message": "Your request was blocked due to a block (Pins) we have in place "
                                                     "to combat spam."}), path="/v5/pins")
    with pytest.raises(RateLimited) as err:
        PLATFORM.publish(tokens, PostContent(text="x", media=[image()], options=on_board(board)))
    assert "suspected spam" in err.value.message


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_transient(fake, board, tokens, status):
    fake.fail_next(Reply(status, {"code": 4197, "message": "Something went wrong on our end."}), path="/v5/pins")
    with pytest.raises(Transient) as err:
        PLATFORM.publish(tokens, PostContent(text="x", media=[image()], options=on_board(board)))
    assert "will retry" in err.value.message and not fake.pins


def test_pin_refused_is_permanent_with_pinterests_reason(fake, board, tokens):
    fake.fail_next(Reply(400, {"code": 1, "message": "Sorry, we could not fetch the image."}), path="/v5/pins")
    with pytest.raises(Permanent) as err:
        PLATFORM.publish(tokens, PostContent(text="x", media=[image()], options=on_board(board)))
    assert err.value.message == "Pinterest refused creating the Pin: Sorry, we could not fetch the image."
    assert err.value.detail == "400 1"


def test_revoked_token_on_publish_is_auth_expired(fake, board, tokens):
    fake.revoke_token(tokens.access_token)
    with pytest.raises(AuthExpired):
        PLATFORM.publish(tokens, PostContent(text="x", media=[image()], options=on_board(board)))
    assert calls(fake) == [("GET", f"/v5/boards/{board.id}")]


def test_pin_answer_without_an_id_is_outcome_unknown(fake, board, tokens):
    fake.fail_next(Reply(201, {}), path="/v5/pins")
    with pytest.raises(OutcomeUnknown):
        PLATFORM.publish(tokens, PostContent(text="x", media=[image()], options=on_board(board)))


def test_pin_create_timing_out_after_send_is_outcome_unknown(fake, board, tokens, short_timeouts):
    fake.fail_next(Reply(201, {"id": "9"}, delay=1.0), path="/v5/pins")
    with pytest.raises(OutcomeUnknown) as err:
        PLATFORM.publish(tokens, PostContent(text="x", media=[image()], options=on_board(board)))
    assert "may have gone through" in err.value.message
    assert len(fake.received("POST", "/v5/pins")) == 1  # sent once, never retried blindly


def test_read_timing_out_is_transient(fake, tokens, short_timeouts):
    fake.fail_next(Reply(200, {}, delay=1.0), path="/v5/user_account")
    with pytest.raises(Transient):
        PLATFORM.profile(tokens)


def test_pinterest_unreachable_is_transient(fake_env, tokens):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    fake_env(PINTEREST_API_URL=f"http://127.0.0.1:{port}")
    with pytest.raises(Transient):
        PLATFORM.publish(tokens, PostContent(text="x", media=[image()], options={"board_id": "1"}))
