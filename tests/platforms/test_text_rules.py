"""Issue 17, bullet by bullet: the text rules at their exact limits, for X,
Bluesky and Mastodon. Pure functions, no stack; the corpus-wide comparison with
the networks' own libraries is in test_text_differential.py."""

import pytest

from platforms import mastodon as masto
from platforms import x
from platforms.base import PostContent
from platforms.bluesky import PLATFORM as BLUESKY
from platforms.bluesky.richtext import detect, facets
from platforms.mastodon.text import countable_text, status_length
from platforms.x import text as x_text


def spans(text):
    return [(s.kind, s.byte_start, s.byte_end, s.value) for s in detect(text)]


# --- X: only emoji presentation sequences weigh 2 ---------------------------------------

@pytest.mark.parametrize("mark", ["©", "®"])
def test_x_a_bare_copyright_sign_weighs_1_so_280_is_allowed(mark):
    at_limit = "a" * 279 + mark
    assert x_text.weighted_length(at_limit) == 280
    assert x.PLATFORM.validate(PostContent(text=at_limit)) == []
    assert x_text.weighted_length(mark * 280) == 280
    (problem,) = x.PLATFORM.validate(PostContent(text=at_limit + mark))
    assert problem.field == "text" and "281 characters" in problem.message


def test_x_the_emoji_presentation_of_copyright_weighs_2():
    assert x_text.weighted_length("a" * 278 + "©\ufe0f") == 280  # with U+FE0F it is an emoji
    assert x_text.weighted_length("a" * 279 + "©\ufe0f") == 281
    assert x_text.weighted_length("©\ufe0e") == 1 + 2  # text selector: © 1, U+FE0E 2
    assert x_text.weighted_length("™ ☺ ‼") == 2 + 1 + 2 + 1 + 2  # text by default, but past U+10FF anyway


def test_x_counts_a_crlf_as_two_characters_as_twitter_text_does():
    assert x_text.weighted_length("a\r\nb") == 4
    assert x_text.weighted_length("a" * 278 + "\r\n") == 280
    assert x_text.weighted_length("a" * 279 + "\r\n") == 281


def test_x_a_non_ascii_letter_never_completes_an_ascii_scheme():
    # Python's IGNORECASE matches "ſ" to "s"; twitter-text sees no URL here.
    assert x_text.weighted_length("httpſ://example.com") == 19
    assert x_text.weighted_length("https://tr.wikipedia.org/wiki/Işık") == 23  # in a path they are fine


def test_x_cashtags_end_at_javascripts_whitespace():
    assert x_text.cashtags("$AAPL\ufeff") == ["AAPL"]  # U+FEFF is white space to twitter-text
    assert x_text.cashtags("$AAPL\u0085") == []  # U+0085 is not


# --- Bluesky: hashtags of 64 graphemes and 640 bytes ------------------------------------

def test_bluesky_a_tag_of_40_emoji_gets_a_facet():
    assert spans("#" + "🐱" * 40) == [("tag", 0, 161, "🐱" * 40)]  # 80 UTF-16 units, 40 graphemes


def test_bluesky_a_tag_may_have_64_graphemes_not_65():
    assert spans("#" + "🐱" * 64) == [("tag", 0, 257, "🐱" * 64)]
    assert spans("#" + "👍🏽" * 64) == [("tag", 0, 513, "👍🏽" * 64)]  # 64 graphemes, 512 bytes
    assert spans("#" + "🐱" * 65) == []
    assert spans("#" + "a" * 64) == [("tag", 0, 65, "a" * 64)]
    assert spans("#" + "a" * 65) == []


def test_bluesky_a_tag_may_have_640_bytes_not_641():
    # One grapheme each: a letter under its combining acute accents (2 bytes each).
    assert spans("#a" + "\u0301" * 319) == [("tag", 0, 640, "a" + "\u0301" * 319)]
    assert spans("#a" + "\u0301" * 320) == []


# --- Bluesky: cashtags --------------------------------------------------------------------

def test_bluesky_cashtags_become_tag_facets_upper_cased_with_their_dollar():
    assert spans("$AAPL up, ($tsla) and $brk.") == [
        ("tag", 0, 5, "$AAPL"), ("tag", 11, 16, "$TSLA"), ("tag", 22, 26, "$BRK")]
    assert facets("buy $AAPL", lambda handle: None) == [
        {"index": {"byteStart": 4, "byteEnd": 9}, "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "$AAPL"}]}]


@pytest.mark.parametrize("text", ["$100", "US$10", "$TOOLONG", "a$AAPL", "$AAPLXY!", "$AAPL_"])
def test_bluesky_what_is_not_a_cashtag(text):
    assert spans(text) == []


# --- Bluesky: U+FEFF is white space ----------------------------------------------------------

def test_bluesky_a_link_stops_at_u_feff():
    text = "see https://example.com\ufeffnext word"
    assert spans(text) == [("link", 4, 23, "https://example.com")]
    assert text.encode()[4:23] == b"https://example.com"


def test_bluesky_a_mention_or_tag_right_after_u_feff_is_found():
    # U+FEFF is 3 bytes: the mention starts at byte 3.
    assert spans("\ufeff@alice.bsky.social") == [("mention", 3, 21, "alice.bsky.social")]
    assert spans("\ufeff#tag \ufeff$AAPL") == [("tag", 3, 7, "tag"), ("tag", 11, 16, "$AAPL")]
    assert spans("#tag\ufeffnext") == [("tag", 0, 4, "tag")]


def test_bluesky_u_0085_is_not_white_space_to_the_app():
    assert spans("\u0085@alice.bsky.social") == []
    assert spans("https://example.com\u0085x") == [("link", 0, 22, "https://example.com\u0085x")]


# --- Bluesky: bare domains -------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("example.com", [("link", 0, 11, "https://example.com")]),
    ("go to www.example.com/path.", [("link", 6, 26, "https://www.example.com/path")]),
    ("(example.org)", [("link", 1, 12, "https://example.org")]),
    ("news.bbc.co.uk", [("link", 0, 14, "https://news.bbc.co.uk")]),
    ("Example.com", [("link", 0, 11, "https://Example.com")]),
    ("hello.world", [("link", 0, 11, "https://hello.world")]),  # .world is a real TLD
])
def test_bluesky_links_a_bare_domain_with_a_real_tld(text, expected):
    assert spans(text) == expected


@pytest.mark.parametrize("text", [
    "foo.notatld", "file.txt", "e.g. i.e.", "v1.2.3", "3.14", "EXAMPLE.COM", "someone@example.com",
    "my-site.com",  # the app's pattern has no hyphen in a label
])
def test_bluesky_leaves_other_dotted_words_alone(text):
    assert spans(text) == []


def test_bluesky_a_bare_domain_starting_with_http_still_gets_its_scheme():
    assert spans("httpbin.org") == [("link", 0, 11, "https://httpbin.org")]


def test_bluesky_a_mention_needs_a_real_tld():
    assert spans("@bob.notatld @bob.bsky.social @bob.test") == [
        ("mention", 13, 29, "bob.bsky.social"), ("mention", 30, 39, "bob.test")]


def test_bluesky_bare_domains_and_cashtags_go_out_as_facets():
    problems = BLUESKY.validate(PostContent(text="read example.com/a for $AAPL"))
    assert problems == []
    assert facets("read example.com/a for $AAPL", lambda handle: None) == [
        {"index": {"byteStart": 5, "byteEnd": 18},
         "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/a"}]},
        {"index": {"byteStart": 23, "byteEnd": 28},
         "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "$AAPL"}]},
    ]


# --- Mastodon: a remote mention counts short only with a valid host; blank text is 0 ----------

def domain(length):
    """A host name of `length` characters: 63-character labels, then ".example"."""
    labels, left = [], length - len(".example")
    while left > 0:
        label = min(63, left if not labels else left - 1)
        labels.append("d" * label)
        left -= label + (1 if len(labels) > 1 else 0)
    name = ".".join(labels) + ".example"
    assert len(name) == length
    return name


def test_mastodon_a_mention_with_a_253_character_domain_counts_as_the_username():
    assert status_length("hi @bob@" + domain(253)) == len("hi @bob")


def test_mastodon_a_mention_with_a_254_character_domain_counts_in_full():
    text = "hi @bob@" + domain(254)
    assert status_length(text) == len(text) == 3 + 5 + 254
    assert countable_text(text) == text


def test_mastodon_validate_refuses_what_the_server_refuses():
    platform = masto.MastodonPlatform(allow_private=True, sleep=lambda s: None)
    fits = "a" * 250 + " @bob@" + domain(253)
    assert status_length(fits) == 250 + 5 and platform.validate(PostContent(text=fits)) == []
    over = "a" * 241 + " @bob@" + domain(254)
    assert status_length(over) == 241 + 1 + len("@bob@") + 254 == 501  # the mention counts in full
    (problem,) = platform.validate(PostContent(text=over))
    assert problem.field == "text" and "501 characters long" in problem.message


@pytest.mark.parametrize("text", ["", " ", "\n\t\r", "\u3000\u00a0\u2028", " \u0085 "])
def test_mastodon_blank_text_counts_0(text):
    assert status_length(text) == 0
    assert status_length(text, "CW") == 2  # the content warning still counts


def test_mastodon_invisible_but_not_blank_text_counts():
    assert status_length("\u200b") == 1  # a zero-width space is no white space (Unicode White_Space)
    assert status_length(" a ") == 3
