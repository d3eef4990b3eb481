"""Contract tests of the Mastodon module against the documented API (tools/fakes/mastodon.py),
length counting against hand-checked cases, and the instance address checks (SSRF)."""

import datetime as dt
import socket
import urllib.parse
from dataclasses import replace

import httpx
import pytest
from platform_media import media_from_bytes

from fakes.base import Reply
from fakes.mastodon import MastodonFake, s256
from kernel import clock
from platforms import mastodon as masto
from platforms.base import AppCredentials, PostContent, Profile, Tokens
from platforms.errors import AuthExpired, PartlyPublished, Permanent, RateLimited, Transient
from platforms.mastodon.text import status_length

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
SCOPES = "read:accounts read:statuses write:statuses write:media"


@pytest.fixture
def fake():
    with MastodonFake() as server:
        yield server


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def mastodon(sleeps):
    # allow_private: the fake listens on 127.0.0.1 over http.
    return masto.MastodonPlatform(allow_private=True, sleep=sleeps.append)


@pytest.fixture
def tokens(fake):
    return Tokens(access_token=fake.issue_token(SCOPES), scopes=SCOPES.split(), extra={"instance": fake.url})


def form_of(req) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(req.body.decode(), keep_blank_values=True)


def posts(fake):
    return fake.received("POST", r"/api/v1/statuses")


# --- the instance address (SSRF) ------------------------------------------------------------


def resolving(monkeypatch, table: dict[str, list[str]]):
    """Answer getaddrinfo from a table, as a resolver would."""

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in table[host]]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize("url, why", [
    ("https://localhost", "loopback address (127.0.0.1)"),
    ("https://127.0.0.1", "loopback address (127.0.0.1)"),
    ("https://[::1]", "loopback address (::1)"),
    ("https://10.1.2.3", "private address (10.1.2.3)"),
    ("https://192.168.0.10:8443", "private address (192.168.0.10)"),
    ("https://169.254.169.254", "link-local address (169.254.169.254)"),
    ("https://0.0.0.0", "unspecified address (0.0.0.0)"),
    ("https://100.64.0.1", "reserved address (100.64.0.1)"),
    ("https://[::ffff:127.0.0.1]", "loopback address (::ffff:"),  # an IPv4-mapped IPv6 loopback
])
def test_instance_addresses_that_resolve_inside_are_refused(url, why):
    with pytest.raises(masto.InstanceRefused) as refused:
        masto.check_instance_url(url)
    assert why in refused.value.message
    assert "only connects to public Mastodon servers" in refused.value.message


@pytest.mark.parametrize("url, message", [
    ("http://mastodon.social", "must start with https://"),
    ("ftp://mastodon.social", "must start with https://"),
    ("https://mastodon.social/@alice", "without a path"),
    ("https://mastodon.social/?next=x", "without a path"),
    ("https://user:pw@mastodon.social", "address only"),
    ("", "Enter the address"),
    ("https://mastodon.social:99999", "invalid port"),
])
def test_malformed_or_plain_http_addresses_are_refused_before_any_lookup(url, message, monkeypatch):
    resolving(monkeypatch, {})  # any lookup would fail loudly as "no server"
    with pytest.raises(masto.InstanceRefused) as refused:
        masto.check_instance_url(url)
    assert message in refused.value.message


def test_a_public_instance_is_accepted_and_normalized(monkeypatch):
    resolving(monkeypatch, {"mastodon.social": ["198.51.1.10", "2a00:1450:4001:80b::200e"],
                            "xn--mstdon-bua.example": ["203.1.113.7"]})
    assert masto.check_instance_url("https://Mastodon.Social/") == "https://mastodon.social"
    assert masto.check_instance_url("mastodon.social") == "https://mastodon.social"
    assert masto.check_instance_url("https://mastodon.social:443") == "https://mastodon.social"
    assert masto.check_instance_url("https://mastodon.social:8443") == "https://mastodon.social:8443"
    assert masto.check_instance_url("https://mästdon.example") == "https://xn--mstdon-bua.example"


def test_a_host_with_one_private_address_among_public_ones_is_refused(monkeypatch):
    resolving(monkeypatch, {"rebind.example": ["198.51.1.10", "10.0.0.7"]})
    with pytest.raises(masto.InstanceRefused) as refused:
        masto.check_instance_url("https://rebind.example")
    assert "private address (10.0.0.7)" in refused.value.message


def test_an_unknown_host_is_refused_and_a_resolver_hiccup_is_transient(monkeypatch):
    resolving(monkeypatch, {})
    with pytest.raises(masto.InstanceRefused) as refused:
        masto.check_instance_url("https://no-such-server.example")
    assert "There is no server at no-such-server.example" in refused.value.message

    def busy(*args, **kwargs):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", busy)
    with pytest.raises(Transient):
        masto.check_instance_url("https://mastodon.social")


def test_allow_private_admits_loopback_but_never_plain_http_to_a_public_host(monkeypatch):
    assert masto.check_instance_url("http://127.0.0.1:8080", allow_private=True) == "http://127.0.0.1:8080"
    assert masto.check_instance_url("https://localhost", allow_private=True) == "https://localhost"
    resolving(monkeypatch, {"mastodon.social": ["198.51.1.10"]})
    with pytest.raises(masto.InstanceRefused) as refused:
        masto.check_instance_url("http://mastodon.social", allow_private=True)
    assert "must start with https://" in refused.value.message


def test_the_deployed_module_refuses_a_loopback_instance_without_sending_anything(fake, monkeypatch):
    monkeypatch.setenv("ALLOW_PRIVATE_HOSTS", "false")  # as deployed: the local stack allows loopback fakes
    port = urllib.parse.urlsplit(fake.url).port
    for url in (fake.url, f"https://localhost:{port}", f"https://127.0.0.1:{port}"):
        with pytest.raises(masto.InstanceRefused):
            masto.PLATFORM.register_app(url, "https://app.example/cb")
    stored = Tokens(access_token=fake.issue_token(SCOPES), extra={"instance": f"https://localhost:{port}"})
    with pytest.raises(masto.InstanceRefused):
        masto.PLATFORM.publish(stored, PostContent(text="hello"))
    assert fake.requests == []


# --- app registration and OAuth -------------------------------------------------------------


def test_register_app_sends_the_documented_form_and_keeps_the_instance(fake, mastodon):
    app = mastodon.register_app(fake.url, "https://postr.example/oauth/mastodon", website="https://postr.example")
    (req,) = fake.received("POST", r"/api/v1/apps")
    assert req.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form_of(req) == {"client_name": ["postr"], "redirect_uris": ["https://postr.example/oauth/mastodon"],
                            "scopes": [SCOPES], "website": ["https://postr.example"]}
    registered = fake.apps[app.client_id]
    assert app == masto.MastodonApp(client_id=registered["client_id"], client_secret=registered["client_secret"],
                                    instance=fake.url)
    assert registered["scopes"] == SCOPES.split()


def test_register_app_refusal_carries_the_servers_reason(fake, mastodon):
    with pytest.raises(Permanent) as refused:
        mastodon.register_app(fake.url, "not a uri")
    assert refused.value.status == 422
    assert "Validation failed: Redirect URI must be an absolute URI." in refused.value.message


def test_authorization_url_then_code_exchange_with_pkce(fake, mastodon):
    app = mastodon.register_app(fake.url, "https://postr.example/cb")
    verifier = "v" * 64
    url = mastodon.authorization_url(app, state="st4te", redirect_uri="https://postr.example/cb",
                                     code_challenge=s256(verifier))
    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{fake.url}/oauth/authorize"
    assert urllib.parse.parse_qs(parts.query) == {
        "response_type": ["code"], "client_id": [app.client_id], "redirect_uri": ["https://postr.example/cb"],
        "scope": [SCOPES], "state": ["st4te"], "code_challenge": [s256(verifier)], "code_challenge_method": ["S256"]}

    # The person approves on their server, which redirects back with the code and our state.
    approved = httpx.get(url)
    assert approved.status_code == 302
    back = urllib.parse.parse_qs(urllib.parse.urlsplit(approved.headers["location"]).query)
    assert back["state"] == ["st4te"]

    tokens = mastodon.exchange_code(app, code=back["code"][0], redirect_uri="https://postr.example/cb",
                                    code_verifier=verifier)
    (req,) = fake.received("POST", r"/oauth/token")
    assert form_of(req) == {"grant_type": ["authorization_code"], "code": back["code"], "client_id": [app.client_id],
                            "client_secret": [app.client_secret], "redirect_uri": ["https://postr.example/cb"],
                            "code_verifier": [verifier]}
    assert tokens.access_token in fake.tokens
    assert tokens.scopes == SCOPES.split()
    assert tokens.refresh_token is None and tokens.expires_at is None  # Mastodon tokens do not expire
    assert tokens.extra == {"instance": fake.url}
    assert mastodon.profile(tokens).handle == "@alice@social.example"


def test_a_wrong_pkce_verifier_or_client_secret_is_refused(fake, mastodon):
    app = mastodon.register_app(fake.url, "https://postr.example/cb")

    def code():
        url = mastodon.authorization_url(app, state="s", redirect_uri="https://postr.example/cb",
                                         code_challenge=s256("right-verifier"))
        return urllib.parse.parse_qs(urllib.parse.urlsplit(httpx.get(url).headers["location"]).query)["code"][0]

    with pytest.raises(Permanent) as refused:
        mastodon.exchange_code(app, code=code(), redirect_uri="https://postr.example/cb", code_verifier="wrong")
    assert refused.value.status == 400
    assert refused.value.detail.startswith("The provided authorization grant is invalid")

    forged = masto.MastodonApp(client_id=app.client_id, client_secret="not-the-secret", instance=fake.url)
    with pytest.raises(AuthExpired) as expired:
        mastodon.exchange_code(forged, code=code(), redirect_uri="https://postr.example/cb",
                               code_verifier="right-verifier")
    assert expired.value.status == 401
    assert expired.value.detail.startswith("Client authentication failed")


def test_oauth_needs_the_app_registered_at_an_instance(mastodon):
    with pytest.raises(ValueError, match="register_app"):
        mastodon.authorization_url(AppCredentials(client_id="x"), state="s", redirect_uri="https://a.example/cb")


def test_refresh_keeps_non_expiring_tokens_without_a_request(fake, mastodon, tokens):
    app = mastodon.register_app(fake.url, "https://postr.example/cb")
    fake.requests.clear()
    assert mastodon.refresh(app, tokens) is tokens
    assert fake.requests == []


def test_refresh_with_a_refresh_token_tries_the_standard_grant_which_mastodon_refuses(fake, mastodon, tokens):
    # Mastodon's token endpoint has no refresh_token grant: it answers
    # unsupported_grant_type, which must surface as a reason, not a crash.
    app = mastodon.register_app(fake.url, "https://postr.example/cb")
    tokens.refresh_token = "r-123"
    with pytest.raises(Permanent) as refused:
        mastodon.refresh(app, tokens)
    (req,) = fake.received("POST", r"/oauth/token")
    assert form_of(req) == {"grant_type": ["refresh_token"], "refresh_token": ["r-123"], "client_id": [app.client_id],
                            "client_secret": [app.client_secret]}
    assert refused.value.status == 400


def test_revoke_posts_the_token_and_it_stops_working(fake, mastodon):
    app = mastodon.register_app(fake.url, "https://postr.example/cb")
    url = mastodon.authorization_url(app, state="s", redirect_uri="https://postr.example/cb")
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(httpx.get(url).headers["location"]).query)["code"][0]
    tokens = mastodon.exchange_code(app, code=code, redirect_uri="https://postr.example/cb")

    assert mastodon.revoke(app, tokens) is True
    (req,) = fake.received("POST", r"/oauth/revoke")
    assert form_of(req) == {"client_id": [app.client_id], "client_secret": [app.client_secret],
                            "token": [tokens.access_token]}
    with pytest.raises(AuthExpired):
        mastodon.profile(tokens)


def test_a_personal_token_cannot_be_revoked_by_us(fake, mastodon, tokens):
    assert mastodon.revoke(AppCredentials(client_id=""), tokens) is False
    assert fake.requests == []
    assert tokens.access_token in fake.tokens


# --- account and instance -------------------------------------------------------------------


def test_profile_reads_verify_credentials(fake, mastodon, tokens):
    profile = mastodon.profile(tokens)
    (req,) = fake.received("GET", r"/api/v1/accounts/verify_credentials")
    assert req.headers["authorization"] == f"Bearer {tokens.access_token}"
    assert profile == Profile(account_id="109348@social.example", handle="@alice@social.example",
                                    display_name="Alice Example",
                                    avatar_url=f"{fake.url}/system/accounts/avatars/alice.png", followers_count=321)


def test_connect_with_a_personal_token_checks_it_against_the_server(fake, mastodon):
    tokens, profile = mastodon.connect_with_token(fake.url, fake.issue_token("read write"))
    assert tokens.extra == {"instance": fake.url} and profile.handle == "@alice@social.example"
    with pytest.raises(AuthExpired):
        mastodon.connect_with_token(fake.url, "not-a-token")


def test_instance_limits_are_the_instances_own_and_cached(fake, mastodon):
    fake.configuration["statuses"]["max_characters"] = 5000
    fake.configuration["media_attachments"]["description_limit"] = 4000
    limits = mastodon.instance_limits(fake.url)
    assert (limits.max_characters, limits.description_limit, limits.domain) == (5000, 4000, "social.example")
    assert limits.image_size_limit == 16777216 and limits.video_size_limit == 103809024
    assert mastodon.instance_limits(fake.url) is limits
    assert len(fake.received("GET", r"/api/v2/instance")) == 1


def test_servers_before_4_0_answer_limits_from_api_v1(fake, mastodon):
    fake.instance_api = "v1"
    fake.configuration["statuses"]["max_characters"] = 1000
    limits = mastodon.instance_limits(fake.url)
    assert [r.path for r in fake.requests] == ["/api/v2/instance", "/api/v1/instance"]
    assert (limits.max_characters, limits.domain) == (1000, "social.example")


# --- counting ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text, spoiler, expected", [
    ("hello", "", 5),
    ("e\u0301te\u0301", "", 3),  # a combining accent is one character with its letter
    ("👩‍👩‍👧‍👦 family", "", 8),  # a ZWJ family is one grapheme
    ("🇫🇷🇯🇵", "", 2),  # flags
    ("日本語のテキスト", "", 8),  # CJK counts one per character (no weighting on Mastodon)
    ("read https://example.com/a/very/long/path/that/goes/on?and=on", "", 5 + 23),
    ("short link http://a.co", "", 11 + 23),
    ("no protocol example.com stays as typed", "", 38),
    ("hi @alice@mastodon.social!", "", 10),  # remote mention counts as @alice
    ("hi @bob", "", 7),
    ("mail a@b.example", "", 16),  # not a mention: preceded by a word character
    ("https://mastodon.social/@bob@other.example", "", 23),  # a mention inside a URL is the URL
    ("body", "CW: spoilers", 16),  # the content warning counts too
])
def test_status_length_hand_checked(text, spoiler, expected):
    assert status_length(text, spoiler) == expected


def test_validate_uses_the_limit_exactly(mastodon):
    assert mastodon.validate(PostContent(text="a" * 500)) == []
    (problem,) = mastodon.validate(PostContent(text="a" * 501))
    assert problem.field == "text"
    assert "501 characters long" in problem.message and "allows 500" in problem.message
    assert "Shorten it by 1" in problem.message


def test_validate_counts_links_and_mentions_the_servers_way(mastodon):
    # 460 + 1 + 23 + 1 + 6 = 491: fits, though the raw text is far longer than 500.
    text = "a" * 460 + " https://example.com/" + "p" * 300 + " @alice@a-very-long-instance-name.example"
    assert len(text) > 500
    assert mastodon.validate(PostContent(text=text)) == []


def test_validate_takes_the_instance_limit_from_options_or_the_cache(fake, mastodon):
    long = PostContent(text="a" * 800)
    assert mastodon.validate(long) != []  # default 500
    assert mastodon.validate(PostContent(text="a" * 800, options={"limits": {"statuses": {"max_characters": 1000}}})) == []
    fake.configuration["statuses"]["max_characters"] = 1000
    assert mastodon.validate(PostContent(text="a" * 800, options={"instance": fake.url})) != []  # nothing cached yet
    mastodon.instance_limits(fake.url)
    assert mastodon.validate(PostContent(text="a" * 800, options={"instance": fake.url})) == []


def test_validate_reports_every_media_problem(mastodon):
    big = media_from_bytes(b"x", alt_text="a" * 1501)
    big = replace(big, size=17 * 1024 * 1024, width=8000, height=6000)
    problems = mastodon.validate(PostContent(text="look", media=[
        big,
        media_from_bytes(PNG, mime_type="image/bmp"),
        media_from_bytes(PNG, kind="video", mime_type="image/png"),
        replace(media_from_bytes(PNG), chunks=None, url="https://cdn.example/x.png"),
        media_from_bytes(PNG),
    ]))
    messages = {p.field: p.message for p in problems if p.field != "media"}
    count, video = [p.message for p in problems if p.field == "media"]
    assert "5 attachments" in count and "at most 4" in count
    assert "A video must be the only attachment" in video
    assert [p.field for p in problems if p.field.startswith("media[0]")] == ["media[0]", "media[0]", "media[0].alt_text"]
    assert "17 MB" in problems[2].message and "16 MB" in problems[2].message
    assert "8000x6000 pixels" in problems[3].message
    assert "1501 characters" in messages["media[0].alt_text"] and "allows 1500" in messages["media[0].alt_text"]
    assert "does not take image/bmp" in messages["media[1]"]
    assert "does not match a video" in messages["media[2]"]
    assert "no file to upload" in messages["media[3]"]


def test_validate_refuses_bad_options_empty_posts_and_nested_threads(mastodon):
    content = PostContent(text="  ", options={"visibility": "everyone", "poll": {}, "sensitive": "yes",
                                              "language": "english"},
                          thread=[PostContent(text="two", thread=[PostContent(text="three")], first_comment="c")],
                          first_comment="x" * 501)
    fields = [p.field for p in mastodon.validate(content)]
    assert fields == ["options.poll", "options.visibility", "options.sensitive", "options.language", "text",
                      "thread[1].thread", "thread[1].first_comment", "first_comment"]


# --- publishing -----------------------------------------------------------------------------


def test_publish_text_sends_one_status_with_an_idempotency_key(fake, mastodon, tokens):
    published = mastodon.publish(tokens, PostContent(text="Hello fediverse", link="https://postr.example/blog",
                                                     options={"visibility": "unlisted", "language": "en",
                                                              "idempotency_key": "target-42"}))
    (req,) = posts(fake)
    assert req.headers["authorization"] == f"Bearer {tokens.access_token}"
    assert req.headers["idempotency-key"] == "target-42:0"
    assert form_of(req) == {"status": ["Hello fediverse\n\nhttps://postr.example/blog"], "visibility": ["unlisted"],
                            "language": ["en"]}
    assert published.post_id in fake.statuses
    assert published.url == f"{fake.url}/@alice/{published.post_id}"
    assert published.part_ids == () and published.comment_id is None


def test_publish_streams_an_image_with_its_alt_text(fake, mastodon, tokens):
    asked = []
    image = media_from_bytes(PNG, alt_text="A red square")
    chunks = image.chunks
    image = replace(image, chunks=lambda size: (asked.append(size), chunks(size))[1])

    published = mastodon.publish(tokens, PostContent(text="with a picture", media=[image]))
    (upload,) = fake.received("POST", r"/api/v2/media")
    assert upload.headers["authorization"] == f"Bearer {tokens.access_token}"
    assert int(upload.headers["content-length"]) == len(upload.body)  # streamed with a length, not chunked
    assert "transfer-encoding" not in upload.headers
    assert asked == [masto.UPLOAD_CHUNK]
    (media,) = fake.media.values()
    assert (media["bytes"], media["content_type"], media["filename"], media["description"]) == (
        PNG, "image/png", "upload.png", "A red square")
    (status,) = posts(fake)
    assert form_of(status)["media_ids[]"] == [media["id"]]
    assert fake.statuses[published.post_id]["media_ids"] == [media["id"]]
    assert fake.received("GET", r"/api/v1/media/.*") == []  # an image is processed at once (200)


def test_publish_waits_for_video_processing_with_backoff(fake, mastodon, tokens, sleeps):
    fake.processing_polls = 3
    video = media_from_bytes(b"\x00\x00\x00\x18ftypmp42" * 100, kind="video", mime_type="video/mp4",
                             alt_text=None, duration_s=3.0)
    published = mastodon.publish(tokens, PostContent(text="a clip", media=[video]))
    (media,) = fake.media.values()
    polls = fake.received("GET", rf"/api/v1/media/{media['id']}")
    assert len(polls) == 4  # three 206 answers, then 200 with a url
    assert sleeps == [1.0, 2.0, 4.0, 8.0]
    assert media["description"] is None
    assert fake.statuses[published.post_id]["media_ids"] == [media["id"]]
    # The status went out only after processing finished.
    assert fake.requests.index(posts(fake)[0]) > fake.requests.index(polls[-1])


def test_media_still_processing_at_the_deadline_is_transient_and_nothing_is_posted(fake, sleeps, tokens):
    mastodon = masto.MastodonPlatform(allow_private=True, media_wait_s=20, sleep=sleeps.append)
    fake.processing_polls = 1000
    video = media_from_bytes(b"v" * 5000, kind="video", mime_type="video/mp4")
    with pytest.raises(Transient) as waited:
        mastodon.publish(tokens, PostContent(text="a clip", media=[video]))
    assert "still processing the media after 15 seconds" in waited.value.message
    assert sleeps == [1.0, 2.0, 4.0, 8.0]
    assert posts(fake) == []


def test_a_media_stream_shorter_than_announced_is_refused_and_nothing_is_posted(fake, mastodon, tokens):
    short = replace(media_from_bytes(PNG), size=len(PNG) + 10)
    with pytest.raises(Permanent) as refused:
        mastodon.publish(tokens, PostContent(text="x", media=[short]))
    assert "not the size" in refused.value.message
    assert posts(fake) == []


def test_publish_thread_and_first_comment_as_a_reply_chain(fake, mastodon, tokens):
    content = PostContent(text="1/3 start", thread=[PostContent(text="2/3 middle", media=[media_from_bytes(PNG)]),
                                                    PostContent(text="3/3 end")],
                          first_comment="Sources in the replies", options={"spoiler_text": "long thread"})
    published = mastodon.publish(tokens, content)
    first, second, third, comment = posts(fake)
    ids = [published.post_id, *published.part_ids, published.comment_id]
    assert [form_of(r)["status"][0] for r in (first, second, third, comment)] == [
        "1/3 start", "2/3 middle", "3/3 end", "Sources in the replies"]
    assert "in_reply_to_id" not in form_of(first)
    assert form_of(second)["in_reply_to_id"] == [ids[0]]
    assert form_of(third)["in_reply_to_id"] == [ids[1]]
    assert form_of(comment)["in_reply_to_id"] == [ids[0]]
    assert all(form_of(r)["spoiler_text"] == ["long thread"] for r in (first, second, third, comment))
    keys = [r.headers["idempotency-key"] for r in (first, second, third, comment)]
    assert len(set(keys)) == 4 and keys[0].endswith(":0") and keys[3].endswith(":comment")
    assert fake.statuses[ids[1]]["media_ids"] == [next(iter(fake.media))]
    # Media went up before anything was posted.
    assert fake.requests.index(fake.received("POST", r"/api/v2/media")[0]) < fake.requests.index(first)


def test_a_retried_publish_gets_the_same_statuses_back(fake, mastodon, tokens):
    content = PostContent(text="only once", thread=[PostContent(text="and its reply")])
    first = mastodon.publish(tokens, content)
    again = mastodon.publish(tokens, content)
    assert again == first
    assert len(fake.statuses) == 2
    keys = [r.headers["idempotency-key"] for r in posts(fake)]
    assert keys[:2] == keys[2:]


def test_a_failure_after_the_first_post_reports_what_is_live(fake, mastodon, tokens):
    content = PostContent(text="root", thread=[PostContent(text="reply")])
    fake.statuses_before_outage = 1
    with pytest.raises(PartlyPublished) as failed:
        mastodon.publish(tokens, content)
    assert failed.value.published.post_id in fake.statuses
    assert failed.value.published.part_ids == ()
    # The retry reuses the keys: the root comes back, only the reply is new.
    fake.statuses_before_outage = None
    retried = mastodon.publish(tokens, content)
    assert retried.post_id == failed.value.published.post_id
    assert len(fake.statuses) == 2


def test_publish_refuses_an_invalid_post_without_sending_it(fake, mastodon, tokens):
    with pytest.raises(Permanent) as refused:
        mastodon.publish(tokens, PostContent(text="a" * 501, media=[media_from_bytes(PNG, mime_type="image/bmp")]))
    assert refused.value.message.startswith("This post cannot go to Mastodon: This is 501 characters long")
    assert "does not take image/bmp" in refused.value.message
    assert [r.method for r in fake.requests] == ["GET"]  # only the instance's limits were read
    assert fake.media == {} and fake.statuses == {}


def test_publish_uses_the_instances_own_character_limit(fake, mastodon, tokens):
    fake.configuration["statuses"]["max_characters"] = 1000
    published = mastodon.publish(tokens, PostContent(text="a" * 900))
    assert fake.statuses[published.post_id]["text"] == "a" * 900


def test_delete_removes_the_status_and_its_media_and_is_idempotent(fake, mastodon, tokens):
    published = mastodon.publish(tokens, PostContent(text="bye", media=[media_from_bytes(PNG)]))
    mastodon.delete(tokens, published.post_id)
    (req,) = fake.received("DELETE", rf"/api/v1/statuses/{published.post_id}")
    assert req.query == {"delete_media": ["true"]}
    assert req.headers["authorization"] == f"Bearer {tokens.access_token}"
    assert fake.statuses == {} and fake.media == {}
    mastodon.delete(tokens, published.post_id)  # already gone: 404 is not an error


def test_metrics_read_the_status_counts(fake, mastodon, tokens):
    published = mastodon.publish(tokens, PostContent(text="count me"))
    fake.statuses[published.post_id].update(favourites_count=112, reblogs_count=98, replies_count=7)
    metrics = mastodon.metrics(tokens, published.post_id)
    assert (metrics.likes, metrics.reposts, metrics.replies, metrics.views) == (112, 98, 7, None)
    (req,) = fake.received("GET", rf"/api/v1/statuses/{published.post_id}")
    assert req.headers["authorization"] == f"Bearer {tokens.access_token}"


# --- errors ---------------------------------------------------------------------------------


def test_an_invalid_token_is_auth_expired(fake, mastodon):
    stale = Tokens(access_token="revoked", extra={"instance": fake.url})
    with pytest.raises(AuthExpired) as expired:
        mastodon.metrics(stale, "1")
    assert expired.value.status == 401 and expired.value.detail == "The access token is invalid"
    assert "reconnect" in expired.value.message


def test_rate_limit_waits_until_the_documented_reset_time(fake, mastodon, tokens):
    fake.fail_next(Reply(429, {"error": "Too many requests"}, headers={
        "X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "2026-03-01T12:05:00.000000Z"}), path="/api/v1/statuses")
    with clock.frozen(dt.datetime(2026, 3, 1, 12, 0, 30, tzinfo=dt.timezone.utc)):
        with pytest.raises(RateLimited) as limited:
            mastodon.metrics(tokens, "1")
    assert limited.value.retry_after == 270.0
    assert limited.value.status == 429 and limited.value.detail == "Too many requests"


@pytest.mark.parametrize("reply", [
    Reply(503, {"error": "Remote data could not be fetched"}),
    Reply(500, {"error": "Error processing thumbnail for uploaded media"}),
    Reply(502, "<html>Bad Gateway</html>"),
])
def test_server_errors_are_transient(fake, mastodon, tokens, reply):
    fake.fail_next(reply, path="/api/v1/statuses")
    with pytest.raises(Transient) as failed:
        mastodon.publish(tokens, PostContent(text="try later"))
    assert failed.value.status == reply.status
    assert "will retry" in failed.value.message


def test_unprocessable_is_permanent_with_the_servers_message(fake, mastodon, tokens):
    fake.fail_next(Reply(422, {"error": "Validation failed: Text can't be blank"}), path="/api/v1/statuses")
    with pytest.raises(Permanent) as refused:
        mastodon.publish(tokens, PostContent(text="x"))
    assert refused.value.status == 422
    assert refused.value.message == "127.0.0.1 refused it: Validation failed: Text can't be blank"


def test_a_media_file_the_server_rejects_is_permanent(fake, mastodon, tokens):
    fake.fail_next(Reply(422, {"error": "Validation failed: File content type is invalid, File is invalid"}),
                   path="/api/v2/media")
    with pytest.raises(Permanent) as refused:
        mastodon.publish(tokens, PostContent(text="x", media=[media_from_bytes(PNG)]))
    assert "File content type is invalid" in refused.value.message
    assert posts(fake) == []


def test_a_token_without_the_scope_is_refused_with_the_servers_reason(fake, mastodon):
    read_only = Tokens(access_token=fake.issue_token("read:accounts"), extra={"instance": fake.url})
    with pytest.raises(Permanent) as refused:
        mastodon.publish(read_only, PostContent(text="x"))
    assert refused.value.status == 403
    assert "This action is outside the authorized scopes" in refused.value.message
    assert fake.statuses == {}


def test_media_not_ready_at_post_time_is_transient(fake, mastodon, tokens):
    fake.fail_next(Reply(422, {"error": "Cannot attach files that have not finished processing. "
                                        "Try again in a moment!"}), path="/api/v1/statuses")
    with pytest.raises(Transient):
        mastodon.publish(tokens, PostContent(text="x"))


def test_a_connection_without_an_instance_says_to_reconnect(mastodon):
    with pytest.raises(Permanent) as refused:
        mastodon.metrics(Tokens(access_token="t"), "1")
    assert "reconnect" in refused.value.message


def test_the_registry_returns_the_module():
    import platforms

    platform = platforms.get("mastodon")
    assert isinstance(platform, masto.MastodonPlatform) and platform.allow_private is False
    assert platform.scopes == ("read:accounts", "read:statuses", "write:statuses", "write:media")
