"""X's weighted length, against hand-checked cases.

Each expected number is worked out by hand from X's rules ("Counting
characters", docs.x.com): code points 0-4351 and U+2000-200D, U+2010-201F,
U+2032-2037 count 1, others 2; an emoji sequence counts 2; any URL 23; text
is NFC-normalised first. Cases marked "conformance" are from twitter-text's
conformance suite (validate.yml, WeightedTweetsWithDiscountedEmojiCounterTest).
"""

import pytest

from platforms.x import text as x_text

CASES = [
    # Latin, punctuation, combining marks
    ("hello", 5),
    ("café", 4),                       # precomposed é
    ("cafe\u0301", 4),                 # e + combining acute: NFC makes it one é
    ("x\u0303\u0308", 3),              # no precomposed form: x + 2 marks, each in 0-4351
    ("\u0928\u093f", 2),               # Devanagari ni: consonant + vowel sign, both < 4352
    ("— “quoted” …", 13),              # — “ ” are 1 (U+2010-201F), … (U+2026) 2: 1+1+1+6+1+1+2
    # CJK and Hangul
    ("日本語", 6),
    ("한국어", 6),
    ("the故人西辞", 3 + 8),
    # Emoji: any sequence is 2
    ("👾", 2),
    ("🙋🏽", 2),                          # skin tone modifier
    ("👨\u200d🎤", 2),                    # ZWJ sequence
    ("👨\u200d👩\u200d👧\u200d👦", 2),    # family of four, 3 ZWJs
    ("🇫🇷", 2),                          # flag: two regional indicators
    ("1\ufe0f\u20e3", 2),               # keycap
    ("1\u20e3", 2),                     # conformance: keycap without FE0F
    ("❤\ufe0f\u200d🔥", 2),              # Unicode 13.1, newer than twitter-text-parser's table
    ("🐦\u200d🔥", 2),                    # Unicode 15.1 phoenix
    ("🧑\u200d🧑\u200d🧒", 2),            # Unicode 15.1 family
    ("🫱🏻", 2),                          # Unicode 14 hand + skin tone
    ("©", 1),                           # text by default: its code point (< 4352) weighs 1
    ("®", 1),
    ("©\ufe0f", 2),                     # emoji presentation sequence
    ("© 2026", 6),
    ("H🐱☺👨\u200d👩\u200d👧\u200d👦", 7),  # conformance
    ("Unicode 10.0 emoji: 🤪; 🧕; 🧕🏾; 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", 34),  # conformance
    # URLs, mentions, hashtags
    ("https://example.com", 23),
    ("http://test.co", 23),            # conformance
    ("Hi http://test.co", 26),         # conformance
    ("see https://example.com/a/very/long/path?with=query&and=more#fragment now", 4 + 23 + 4),
    ("example.com", 23),               # URLs without a scheme count too
    ("randomurlrandomurlrandomurlrandomurlrandomurlrandomurlrandomurls.com", 68),  # conformance: 64-char label is no domain
    ("@jack hello", 11),               # mentions count as written
    ("#postr", 6),
    ("$AAPL", 5),
    # line breaks count as written, as twitter-text does (its Python port folds CRLF to LF)
    ("a\r\nb", 4),
    ("a\rb\nc", 5),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_weighted_length(text, expected):
    assert x_text.weighted_length(text) == expected


def test_the_limit_in_latin_cjk_and_emoji():
    assert x_text.weighted_length("a" * 280) == 280
    assert x_text.weighted_length("語" * 140) == 280
    assert x_text.weighted_length("語" * 141) == 282
    assert x_text.weighted_length("👨\u200d👩\u200d👧\u200d👦" * 140) == 280  # conformance: 140 family emoji
    assert x_text.weighted_length("😷" * 160) == 320


def test_ten_urls_count_23_each():
    text = " ".join(["https://www.twitter.com/aloha"] * 10)
    assert x_text.weighted_length(text) == 10 * 23 + 9  # conformance


def test_invalid_characters():
    assert x_text.invalid_characters("ABC\u202a\uffffABC\ufffe") == ["U+FFFE", "U+FFFF"]
    assert x_text.invalid_characters("fine text 👍") == []


def test_cashtags():
    assert x_text.cashtags("$AAPL and $tsla.b up") == ["AAPL", "tsla.b"]
    assert x_text.cashtags("costs $5 or US$10") == []
    assert x_text.cashtags("see https://example.com/$ABC") == []
