"""Normalisation per network: a post with known counts on each network's contract
fake, read by the collector through the real network module, lands in Firestore
as likes / reposts / replies / views, and what a network does not give stays
null (never 0), in the snapshot, in the target's latest numbers, and in the
insights built on them."""

import datetime as _dt
import uuid

import pytest

from analytics import collect as analytics_collect
from kernel import clock
from platforms.base import Tokens

H = _dt.timedelta(hours=1)


def _x(monkeypatch, epoch):
    from fakes.x import XFake
    from platforms import x
    from platforms.base import PostContent

    fake = XFake().start()
    monkeypatch.setenv("X_API_URL", fake.url)
    granted = fake.grant()
    tokens = Tokens(access_token=granted["access_token"], scopes=granted["scope"].split())
    post = x.XPlatform(sleep=lambda s: None).publish(tokens, PostContent(text=uuid.uuid4().hex)).post_id
    # Quotes and bookmarks are not reposts or likes: neither is added in.
    fake.tweets[post]["public_metrics"].update(like_count=12, retweet_count=4, quote_count=2, reply_count=3,
                                               bookmark_count=5, impression_count=900)
    return fake, tokens, post, {"likes": 12, "reposts": 4, "replies": 3, "views": 900}


def _bluesky(monkeypatch, epoch):
    from fakes.bluesky import BlueskyFake
    from platforms import bluesky
    from platforms.base import PostContent

    fake = BlueskyFake().start()
    tokens = bluesky.PLATFORM.sign_in(fake.HANDLE, fake.APP_PASSWORD, fake.url)
    post = bluesky.PLATFORM.publish(tokens, PostContent(text="count me")).post_id
    fake.counts[post] = {"likeCount": 5, "repostCount": 2, "replyCount": 1, "quoteCount": 3}
    return fake, tokens, post, {"likes": 5, "reposts": 2, "replies": 1, "views": None}  # Bluesky has no views


def _threads(monkeypatch, epoch):
    from fakes.threads import ThreadsFake

    fake = ThreadsFake().start()
    monkeypatch.setenv("THREADS_API_URL", fake.url)
    user_id = fake.add_user()
    scopes = ("threads_basic", "threads_content_publish", "threads_manage_insights")
    tokens = Tokens(access_token=fake.issue_token(user_id, scopes), scopes=list(scopes), extra={"user_id": user_id})
    post = fake.publish_post(user_id)
    fake.posts[post]["insights"].update(views=4523, likes=187, replies=42, reposts=23, quotes=8, shares=5)
    # A repost and a quote are separate actions on Threads: both are passing the post on; shares are sends.
    return fake, tokens, post, {"likes": 187, "reposts": 31, "replies": 42, "views": 4523}


def _instagram(monkeypatch, epoch):
    from fakes.instagram import InstagramFake

    fake = InstagramFake().start()
    monkeypatch.setenv("INSTAGRAM_API_URL", fake.url)
    user_id = fake.add_user()
    tokens = Tokens(access_token=fake.issue_token(user_id), extra={"user_id": user_id},
                    scopes=["instagram_business_basic", "instagram_business_manage_insights"])
    post = fake.publish_media(user_id, "VIDEO", "REELS")
    # total_interactions already holds likes, comments, saves and shares: it is not added in.
    fake.media[post]["insights"].update(views=5120, reach=3900, likes=310, comments=42, shares=27, saved=64,
                                        total_interactions=443)
    return fake, tokens, post, {"likes": 310, "reposts": 27, "replies": 42, "views": 5120}


def _facebook(monkeypatch, epoch):
    from fakes.facebook import ALL_PERMISSIONS, FacebookFake

    fake = FacebookFake().start()
    app_id = "1234567890"
    fake.add_app(app_id, "fb-secret", "https://postr.example/oauth/facebook")
    monkeypatch.setenv("FACEBOOK_API_URL", fake.url)
    person = fake.add_user()
    page = fake.add_page("Postr Bakery", managers={person: ("ANALYZE", "MODERATE", "CREATE_CONTENT", "MANAGE")})
    tokens = Tokens(access_token=fake.issue_token(person, app_id=app_id), scopes=list(ALL_PERMISSIONS),
                    extra={"user_id": person, "app_id": app_id, "page_id": page,
                           "page_token": fake.page_token(person, page, app_id)})
    post = fake.publish_post(page)
    fake.posts[post].update(reactions=57, insights={"post_media_view": 2310})  # nobody shared it yet
    fake.posts[post]["comments"] += [{"id": "c1"}, {"id": "c2"}]
    return fake, tokens, post, {"likes": 57, "reposts": None, "replies": 2, "views": 2310}


def _mastodon(monkeypatch, epoch):
    from fakes.mastodon import MastodonFake
    from platforms import mastodon
    from platforms.base import PostContent

    fake = MastodonFake().start()
    monkeypatch.setattr(mastodon.PLATFORM, "allow_private", True)  # the fake is on loopback, over http
    tokens = Tokens(access_token=fake.issue_token(), extra={"instance": fake.url},
                    scopes="read:accounts read:statuses write:statuses write:media".split())
    post = mastodon.PLATFORM.publish(tokens, PostContent(text="count me")).post_id
    fake.statuses[post].update(favourites_count=112, reblogs_count=98, replies_count=7)
    return fake, tokens, post, {"likes": 112, "reposts": 98, "replies": 7, "views": None}


def _tiktok(monkeypatch, epoch):
    from fakes.tiktok import TikTokFake

    fake = TikTokFake().start()
    monkeypatch.setenv("TIKTOK_API_URL", fake.url)
    granted = fake.grant()
    tokens = Tokens(access_token=granted["access_token"], scopes=granted["scope"].split(","))
    post = "7434560000000000123"
    fake.videos[post] = {"id": post, "open_id": "open-id-1", "public": True, "title": "", "like_count": 120,
                         "comment_count": 7, "share_count": 9, "view_count": 4000}
    return fake, tokens, post, {"likes": 120, "reposts": 9, "replies": 7, "views": 4000}


def _youtube(monkeypatch, epoch):
    from fakes.youtube import YouTubeFake

    fake = YouTubeFake().start()
    monkeypatch.setenv("YOUTUBE_API_URL", fake.url)
    granted = fake.grant()
    tokens = Tokens(access_token=granted["access_token"], scopes=granted["scope"].split())
    post = "dQw4w9WgXcQ"
    channel = fake.channel_of(tokens.access_token)
    fake.videos[post] = {"kind": "youtube#video", "id": post, "channelId": channel["id"],
                         # dislikeCount is private since 2021 and favoriteCount always 0: neither is read.
                         "statistics": {"viewCount": "10234", "likeCount": "812", "dislikeCount": "33",
                                        "favoriteCount": "0", "commentCount": "57"}}
    return fake, tokens, post, {"likes": 812, "reposts": None, "replies": 57, "views": 10234}


def _linkedin(monkeypatch, epoch):
    from fakes.linkedin import LinkedInFake

    fake = LinkedInFake().start()
    fake.add_member("782bbtaQ", "Ada Lovelace")
    monkeypatch.setenv("LINKEDIN_API_URL", fake.url)
    monkeypatch.setenv("LINKEDIN_API_VERSION", "202606")
    scopes = "openid profile w_member_social r_member_postAnalytics"
    tokens = Tokens(access_token=fake.token_for("782bbtaQ", scopes), scopes=scopes.split(),
                    extra={"person_urn": "urn:li:person:782bbtaQ"})
    post = "urn:li:share:7100000000000000001"
    fake.analytics[post] = {"IMPRESSION": 1520, "REACTION": 48, "COMMENT": 0}  # no reshare data yet
    return fake, tokens, post, {"likes": 48, "reposts": None, "replies": 0, "views": 1520}


def _pinterest(monkeypatch, epoch):
    from fakes.pinterest import PinterestFake

    fake = PinterestFake().start()
    monkeypatch.setenv("PINTEREST_API_URL", fake.url)
    user = fake.add_user("ada.makes", "Ada Makes", 1234)
    tokens = Tokens(access_token=fake.token_for(user), scopes=["boards:read", "pins:read", "user_accounts:read"])
    post = "987650001"
    fake.pins[post] = {"id": post, "owner_id": user.id, "media_source": {"source_type": "image_url"}}
    fake.analytics[post] = {"lifetime": {"TOTAL_REACTIONS": 12, "TOTAL_COMMENTS": 3},
                            "summary": {"IMPRESSION": 240, "SAVE": 20, "PIN_CLICK": 37}}
    fake.today = (epoch + H).date()
    return fake, tokens, post, {"likes": 12, "reposts": 20, "replies": 3, "views": 240}


NETWORKS = {"x": _x, "bluesky": _bluesky, "threads": _threads, "instagram": _instagram, "facebook": _facebook,
            "mastodon": _mastodon, "tiktok": _tiktok, "youtube": _youtube, "linkedin": _linkedin,
            "pinterest": _pinterest}


@pytest.mark.parametrize("network", sorted(NETWORKS))
def test_each_network_lands_in_the_same_shape(network, monkeypatch, epoch, uid, connect, seed_post, snapshots,
                                              tracker):
    fake, tokens, net_id, expected = NETWORKS[network](monkeypatch, epoch)
    try:
        account = connect(uid, network, tokens)
        post = seed_post(uid, {account: (network, net_id, epoch)})
        with clock.frozen(epoch + H):
            report = analytics_collect.run(epoch + H)
    finally:
        fake.stop()

    assert report.collected == 1, report
    (snap,) = snapshots(post)
    assert {k: snap[k] for k in ("likes", "reposts", "replies", "views")} == expected
    assert (snap["network"], snap["checkpoint"], snap["uid"]) == (network, "1h", uid)
    latest = tracker(post, account)["latest"]
    assert {k: latest[k] for k in ("likes", "reposts", "replies", "views")} == expected


def test_a_network_without_numbers_stays_unknown_everywhere(monkeypatch, epoch, uid, connect, seed_post, snapshots,
                                                            tracker):
    from fakes.bluesky import BlueskyFake
    from platforms import bluesky
    from platforms.base import PostContent

    with BlueskyFake() as fake:
        tokens = bluesky.PLATFORM.sign_in(fake.HANDLE, fake.APP_PASSWORD, fake.url)
        net_id = bluesky.PLATFORM.publish(tokens, PostContent(text="count me")).post_id
        fake.app_view = False  # a PDS with no AppView behind it gives no counts at all
        account = connect(uid, "bluesky", tokens)
        post = seed_post(uid, {account: ("bluesky", net_id, epoch)})
        for at in (epoch + H, epoch + 6 * H):
            with clock.frozen(at):
                analytics_collect.run(at)

    taken = snapshots(post)
    assert len(taken) == 2
    for snap in taken:
        assert [snap[k] for k in ("likes", "reposts", "replies", "views")] == [None, None, None, None]
    assert tracker(post, account)["latest"]["likes"] is None
