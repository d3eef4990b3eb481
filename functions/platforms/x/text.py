"""How X counts a post: twitter-text's weighted length (configuration v3).

X documents the rules (docs.x.com, "Counting characters") and points to
twitter-text as the reference: text is NFC-normalised; every URL counts 23;
an emoji counts 2 however many code points it has (skin tones, ZWJ families,
flags, keycaps); code points 0-4351 and the punctuation ranges U+2000-200D,
U+2010-201F, U+2032-2037 count 1; everything else (CJK, most symbols) counts 2.

URL extraction, the v3 weights and the invalid-character set come from
twitter-text-parser, the conformance-tested Python port. Its emoji table
stops at Unicode 12 (2019), so a newer emoji sequence such as ❤️‍🔥 or 🐦‍🔥
would count as its code points (5) instead of 2 and a valid post would be
refused; emoji sequences are therefore also matched with the `emoji` package,
which follows current Unicode, and the longer match at each position wins.
twitter-text's own matches still count, which keeps its quirks that X also
has (a bare keycap like "1⃣" is one emoji).

Three places where the Python port parts from twitter-text itself (its
JavaScript, Java and Ruby libraries, which agree on these) are corrected here:

- Only what shows as an emoji counts as one (UTS #51, emoji presentation): a
  lone code point is an emoji only if its default presentation is emoji
  (Emoji_Presentation=Yes); a text-default one needs U+FE0F. A bare © or ® is
  text and weighs 1 (its code point is below 4352), as in twitter-text, where
  the port's table and the `emoji` package made it 2 and refused a post at
  exactly 280. "©️" (with U+FE0F) is 2.
- Line breaks count as written: CRLF is two characters. The port rewrites
  every line break to LF before counting; twitter-text does not.
- A letter that Python's IGNORECASE folds onto ASCII ("ſ", "ı", "İ") does not
  complete a scheme or TLD: "httpſ://example.com" is text, not a URL.

tests/platforms/test_text_differential.py runs twitter-text (npm) on a corpus
and lists the remaining, deliberate differences with their reasons.
"""

import functools
import re
import unicodedata
import warnings

MAX_WEIGHTED_LENGTH = 280
URL_WEIGHT = 23

# twitter-text-parser compiles its URL pattern with re.IGNORECASE, under which
# Python matches "ſ", "ı", "İ" and the Kelvin sign to ASCII letters, so
# "httpſ://example.com" would be a URL (23) where twitter-text, whose /i never
# folds a non-ASCII letter onto ASCII, sees plain text. URLs are looked for in
# a copy with those letters swapped for Latin letters of the same block that fold
# onto nothing ASCII: same length, same character classes, same indexes.
_NO_ASCII_FOLD = str.maketrans({"\u017f": "\u015d", "\u0131": "\u012d", "\u0130": "\u012e", "\u212a": "\u0136"})

# JavaScript's \s as a character-class body (ECMA-262 WhiteSpace and LineTerminator).
_JS_WHITESPACE = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


@functools.cache
def _lib():
    # twitter-text-parser loads its emoji table through pkg_resources, whose
    # import warns that it is deprecated; the warning is not ours to act on.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from twitter_text.config import config
        from twitter_text.extract_emojis import extract_emojis_with_indices
        from twitter_text.extract_urls import extract_urls_with_indices
        from twitter_text.get_character_weight import get_character_weight
        from twitter_text.regexp.invalid_chars_group import invalid_chars_group
        from twitter_text.regexp.punct import punct
        from twitter_text.regexp.spaces_group import spaces_group
    import emoji
    import regex

    # twitter-text's validCashtag: "$" and 1-6 letters (optionally ".xx"),
    # at the start or after a space, followed by the end, a space or punctuation.
    # The lookahead's \s is JavaScript's (U+FEFF in, U+0085 out), and the letters
    # are spelled in both cases: under /i without the u flag JavaScript never folds
    # a non-ASCII letter onto ASCII, where Python's IGNORECASE would let "ſ" be "s".
    cashtag = re.compile(
        rf"(?:^|[{spaces_group}])\$([A-Za-z]{{1,6}}(?:[._][A-Za-z]{{1,2}})?)(?=\Z|[{_JS_WHITESPACE}]|[{punct}])")
    return {
        "options": config["version3"],
        "urls": extract_urls_with_indices,
        "emojis": extract_emojis_with_indices,
        "emoji_list": emoji.emoji_list,
        "weight": get_character_weight,
        "invalid": re.compile(f"[{invalid_chars_group}]"),
        "cashtag": cashtag,
        "emoji_presentation": regex.compile(r"\p{Emoji_Presentation}"),
    }


def _normalize(text: str) -> str:
    # As twitter-text's parseTweet: NFC only. (twitter-text-parser's parse_tweet
    # also turns CRLF into LF; twitter-text counts both characters.)
    return unicodedata.normalize("NFC", text)


def _spans(text: str) -> tuple[dict[int, int], dict[int, int]]:
    """{start: end} of URLs and of emoji (the longest match at each start)."""
    lib = _lib()
    urls = {u["indices"][0]: u["indices"][1] for u in lib["urls"](text.translate(_NO_ASCII_FOLD))}
    emojis: dict[int, int] = {}
    found = [tuple(e["indices"]) for e in lib["emojis"](text)]
    found += [(e["match_start"], e["match_end"]) for e in lib["emoji_list"](text)]
    for start, end in found:
        # A lone code point that is text by default (©, ®, ☺) is not an emoji
        # presentation sequence; it weighs what its code point weighs.
        if end - start == 1 and not lib["emoji_presentation"].match(text, start):
            continue
        emojis[start] = max(end, emojis.get(start, end))
    return urls, emojis


def weighted_length(text: str) -> int:
    """The length X gives `text` (X allows MAX_WEIGHTED_LENGTH)."""
    lib = _lib()
    options = lib["options"]
    scale = options["scale"]
    text = _normalize(text)
    urls, emojis = _spans(text)
    total, i = 0, 0
    while i < len(text):
        if i in urls:
            total += URL_WEIGHT * scale
            i = urls[i]
        elif i in emojis:
            total += options["default_weight"]
            i = emojis[i]
        else:
            total += lib["weight"](text[i], options)
            i += 1
    return total // scale


def invalid_characters(text: str) -> list[str]:
    """Code points X refuses in a post (U+FFFE, U+FEFF, U+FFFF), as U+XXXX."""
    return sorted({f"U+{ord(c):04X}" for c in _lib()["invalid"].findall(text)})


def cashtags(text: str) -> list[str]:
    """The $CASHTAGS in `text`, as twitter-text finds them (not inside URLs)."""
    text = _normalize(text)
    urls, _ = _spans(text)
    inside = [range(start, end) for start, end in urls.items()]
    return [m.group(1) for m in _lib()["cashtag"].finditer(text)
            if not any(m.start(1) in r for r in inside)]
