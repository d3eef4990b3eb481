"""What X's validate reports: every problem, each a sentence a person can act on."""

from platforms import x
from platforms.base import Media, PostContent

MB = 1024 * 1024


def media(mime_type="image/png", size=1000, kind=None, alt_text=None, duration_s=None, width=1200, height=800):
    kind = kind or ("video" if mime_type.startswith("video/") else "image")
    return Media(kind=kind, mime_type=mime_type, size=size, alt_text=alt_text, duration_s=duration_s,
                 width=width, height=height, chunks=lambda n: iter([b"\0" * size]))


def problems(content: PostContent) -> dict[str, str]:
    return {p.field: p.message for p in x.PLATFORM.validate(content)}


def test_a_good_post_has_no_problems():
    content = PostContent(text="語" * 140, media=[media(alt_text="a" * 1000) for _ in range(4)],
                          thread=[PostContent(text="two"), PostContent(text="", media=[media("image/gif", 15 * MB)])],
                          first_comment="see https://example.com", options={"reply_settings": "mentionedUsers"})
    assert problems(content) == {}


def test_over_long_text_says_how_x_counts():
    assert problems(PostContent(text="語" * 141)) == {
        "text": "The post is 282 characters as X counts them (each link 23, emoji and CJK characters 2); X allows 280."}


def test_a_link_counts_23_and_joins_the_text_after_a_blank_line():
    # 255 + 2 line breaks + 23 = 280
    assert problems(PostContent(text="a" * 255, link="https://example.com/" + "p" * 100)) == {}
    assert "281 characters" in problems(PostContent(text="a" * 256, link="https://example.com/p"))["text"]


def test_an_empty_post():
    assert problems(PostContent(text="  ")) == {"text": "The post needs text or media for X."}
    assert problems(PostContent(text="", media=[media()])) == {}


def test_media_count_and_mixing():
    assert problems(PostContent(text="hi", media=[media() for _ in range(5)])) == {
        "media": "X takes at most 4 images per post; this post has 5."}
    assert problems(PostContent(text="hi", media=[media(), media("video/mp4")])) == {
        "media": "X takes up to 4 images, or 1 GIF, or 1 video per post, not a mix; this post has 1 image and 1 video."}
    assert problems(PostContent(text="hi", media=[media("image/gif"), media("image/gif")]))["media"].endswith(
        "this post has 2 GIFs.")


def test_media_types_and_sizes():
    got = problems(PostContent(text="hi", media=[
        media("image/bmp"), media("image/jpeg", 5 * MB + 1), media("image/gif", 15 * MB + 1), media(size=0)]))
    assert got == {
        "media[0]": "Attachment 1 is image/bmp; X takes JPEG, PNG, WebP or GIF images and MP4 or MOV video.",
        "media[1]": "Attachment 2 is 5 MB; X takes images up to 5 MB.",
        "media[2]": "Attachment 3 is 15 MB; X takes GIFs up to 15 MB.",
        "media[3]": "Attachment 4 is empty.",
        "media": "X takes up to 4 images, or 1 GIF, or 1 video per post, not a mix; this post has 2 images and 1 GIF.",
    }
    assert problems(PostContent(text="hi", media=[media("video/mp4", 8 * 1024 * MB + 1)])) == {
        "media[0]": "Attachment 1 is 8 GB; X takes videos up to 8 GB."}


def test_video_length_and_shape():
    assert problems(PostContent(text="hi", media=[media("video/quicktime", duration_s=0.3)])) == {
        "media[0]": "Attachment 1 lasts 0.3 seconds; X takes videos from 0.5 seconds to 20 minutes."}
    assert problems(PostContent(text="hi", media=[media("video/mp4", duration_s=1201)]))["media[0]"].startswith(
        "Attachment 1 lasts 1201 seconds")
    assert problems(PostContent(text="hi", media=[media("video/mp4", duration_s=10, width=2000, height=500)])) == {
        "media[0]": "Attachment 1 is 2000x500; X takes videos between 1:3 and 3:1."}
    assert problems(PostContent(text="hi", media=[media("video/mp4", kind="image")])) == {
        "media[0]": "Attachment 1 is marked as image but its type is video/mp4."}


def test_alt_text_length():
    assert problems(PostContent(text="hi", media=[media(alt_text="é" * 1001)])) == {
        "media[0].alt_text": "The alt text of attachment 1 is 1001 characters; X allows 1000."}


def test_text_x_refuses():
    assert problems(PostContent(text="bad \uffff char")) == {
        "text": "The post contains characters X does not accept: U+FFFF."}
    assert problems(PostContent(text="$AAPL beats $MSFT")) == {
        "text": "The post has 2 cashtags ($AAPL, $MSFT); X allows 1 per post from apps."}


def test_thread_parts_and_first_comment_are_checked_with_their_place():
    content = PostContent(text="one", thread=[
        PostContent(text="ok"),
        PostContent(text="x" * 300, first_comment="c", thread=[PostContent(text="deeper")], options={"a": 1}),
    ], first_comment="y" * 281)
    assert problems(content) == {
        "thread[1].text": "Part 3 of the thread is 300 characters as X counts them (each link 23, emoji and CJK "
                          "characters 2); X allows 280.",
        "thread[1].thread": "A part of an X thread cannot start a thread of its own.",
        "thread[1].first_comment": "Only the first post of an X thread can have a first comment.",
        "thread[1].options": "Options apply to the first post of an X thread only.",
        "first_comment": "The first comment is 281 characters as X counts them (each link 23, emoji and CJK "
                         "characters 2); X allows 280.",
    }


def test_options():
    assert problems(PostContent(text="hi", options={"reply_settings": "everyone", "board": "b"})) == {
        "options.reply_settings": "Who can reply on X must be one of: following, mentionedUsers, subscribers, verified.",
        "options.board": "X has no option 'board'.",
    }


def test_media_without_data():
    item = Media(kind="image", mime_type="image/png", size=10)
    assert problems(PostContent(text="hi", media=[item])) == {
        "media[0]": "Attachment 1 has no file data to upload to X."}
