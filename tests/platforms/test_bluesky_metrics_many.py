"""Bluesky's multi-post read (app.bsky.feed.getPosts with up to 25 `uris`)
against tools/fakes/bluesky.py: one request for many posts, each post's counts
mapped as the one-post read maps them, and a post the AppView no longer shows
reported on its own."""

import pytest

from platforms.base import Metrics, PostContent
from platforms.bluesky import PLATFORM
from platforms.errors import Permanent


@pytest.fixture
def tokens(bluesky_fake):
    return PLATFORM.sign_in(bluesky_fake.HANDLE, bluesky_fake.APP_PASSWORD, bluesky_fake.url)


def get_posts(fake):
    return fake.received(path="/xrpc/app.bsky.feed.getPosts")


def test_one_request_carries_every_uri(bluesky_fake, tokens):
    uris = [PLATFORM.publish(tokens, PostContent(text=f"count me {n}")).post_id for n in range(3)]
    for n, uri in enumerate(uris):
        bluesky_fake.counts[uri] = {"likeCount": 10 + n, "repostCount": n, "replyCount": 2 * n, "quoteCount": 7}

    got = PLATFORM.metrics_many(tokens, uris)

    (req,) = get_posts(bluesky_fake)
    assert req.query == {"uris": uris}  # the lexicon's array: the key repeated
    assert {u: (m.likes, m.reposts, m.replies, m.views) for u, m in got.items()} == {
        uris[0]: (10, 0, 0, None), uris[1]: (11, 1, 2, None), uris[2]: (12, 2, 4, None)}  # no views on Bluesky
    assert got[uris[1]] == PLATFORM.metrics(tokens, uris[1])


def test_a_deleted_post_is_reported_on_its_own(bluesky_fake, tokens):
    kept = PLATFORM.publish(tokens, PostContent(text="staying")).post_id
    gone = PLATFORM.publish(tokens, PostContent(text="gone soon")).post_id
    bluesky_fake.counts[kept] = {"likeCount": 3, "repostCount": 0, "replyCount": 1}
    PLATFORM.delete(tokens, gone)

    got = PLATFORM.metrics_many(tokens, [kept, gone, "https://bsky.app/not-a-uri"])

    assert got[kept].likes == 3
    assert isinstance(got[gone], Permanent) and "no longer shows this post" in got[gone].message
    assert "not a Bluesky post id" in got["https://bsky.app/not-a-uri"].message
    assert get_posts(bluesky_fake)[-1].query == {"uris": [kept, gone]}  # the bad id never went out


def test_without_an_appview_every_count_is_unknown(bluesky_fake, tokens):
    uris = [PLATFORM.publish(tokens, PostContent(text=f"post {n}")).post_id for n in range(2)]
    bluesky_fake.app_view = False
    assert PLATFORM.metrics_many(tokens, uris) == {uri: Metrics() for uri in uris}


def test_at_most_25_posts_a_request(bluesky_fake, tokens):
    assert PLATFORM.metrics_batch == 25
    with pytest.raises(ValueError):
        PLATFORM.metrics_many(tokens, [f"at://did:plc:abc/app.bsky.feed.post/{n}" for n in range(26)])
    assert get_posts(bluesky_fake) == []
