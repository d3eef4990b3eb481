"""Differential tests: postr's text rules against the networks' own reference
libraries, on a corpus of awkward text.

For X, platforms.x.text against twitter-text (npm, the JavaScript build of the
library X points to in "Counting characters"); for Bluesky,
platforms.bluesky.richtext against @atproto/api's RichText (the client library
the Bluesky app uses to count and find facets). Both run under Node in
tests/platforms/reference/text_reference.mjs, from the versions pinned in the
root package.json (`npm ci` at the repository root installs them).

Every corpus text must come out the same on both sides, except where DIVERGENCES
lists a reason; an item marked with a divergence must really diverge (so the
list cannot go stale), and each divergence checks the claim its reason makes.

Run: functions/venv/bin/python -m pytest tests/platforms/test_text_differential.py
"""

import json
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import emoji
import pytest

from platforms.bluesky import richtext as bluesky_richtext
from platforms.x import text as x_text

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).parent / "reference" / "text_reference.mjs"


# --- the divergences: every known difference, in one place, with its reason ----------

@dataclass(frozen=True)
class Divergence:
    network: str  # "x" or "bluesky"
    reason: str
    # True when only some of the items marked with it differ (which ones is the
    # reference's business, e.g. which sequences an old emoji table happens to know).
    may_agree: bool = False


DIVERGENCES = {
    "emoji-table": Divergence("x", may_agree=True, reason=(
        "twitter-text 3.1.0's JavaScript build finds emoji with twemoji-parser 11 (Emoji 11.0, 2018). A "
        "sequence it does not know (anything from Emoji 12.0 on, and sequences written without their U+FE0F) "
        "is weighed code point by code point: ❤️‍🔥 is 5, a kiss with skin tones 11. X counts every emoji as "
        "2 (docs.x.com, \"Counting characters\") and renders these as one emoji; X's own Java twitter-text "
        "3.1.0 already knows Emoji 12. postr counts any sequence in current Unicode (emoji-test.txt, through "
        "the `emoji` package) as 2, so it never refuses a post that X takes. Checked: postr counts 2 per "
        "emoji and the reference counts more.")),
    "tag-over-640-bytes": Divergence("bluesky", reason=(
        "A hashtag of at most 64 graphemes but more than 640 UTF-8 bytes (a letter under 320 combining "
        "marks, or 23 subdivision flags of 28 bytes each). The reference checks graphemes only and makes a "
        "tag facet; the lexicon (app.bsky.richtext.facet#tag: maxLength 640, maxGraphemes 64) refuses it, so "
        "the PDS would refuse the whole post. postr leaves the tag as plain text and the post goes through. "
        "Checked: the reference's own validator refuses its record.")),
    "bare-domain-starting-http": Divergence("bluesky", reason=(
        "A bare domain that starts with the letters \"http\" (httpbin.org, https.example.com). The reference "
        "tests uri.startsWith('http') to decide whether to add https://, so it makes a link facet whose uri is "
        "\"httpbin.org\", which is no URI: the lexicon (format uri) refuses the post. postr links "
        "https://httpbin.org, as it does every other bare domain. Checked: the reference's own validator "
        "refuses its record.")),
    "scheme-in-capitals": Divergence("bluesky", reason=(
        "HTTPS://EXAMPLE.COM: the reference's URL pattern is case-insensitive but its startsWith('http') is "
        "not, so a URL with its scheme in capitals is matched and then dropped, unlinked. Schemes are "
        "case-insensitive (RFC 3986, 3.1) and the pattern plainly means to take it: postr links it as "
        "typed, as it did before. Checked: the reference makes no link there.")),
    "mention-tld-in-capitals": Divergence("bluesky", reason=(
        "@Bob.Bsky.SOCIAL: the reference compares the TLD against its lower-case list case-sensitively and "
        "makes no mention. Handles are case-insensitive (atproto spec, Handle) and postr makes the mention "
        "only if the handle resolves, so it keeps its mention. Checked: the reference makes no mention.")),
    "not-a-handle": Divergence("bluesky", reason=(
        "@a..com, @x.arpa, a 254-character name: the reference makes a mention facet for anything of "
        "[a-zA-Z0-9.-] ending in a listed TLD, then resolves it, which fails and leaves a facet with an "
        "empty DID. postr checks the handle syntax first (atproto spec: labels, at most 253 characters, "
        "the reserved TLDs that never resolve) and sends no lookup; the text is plain either way. Checked: "
        "the reference's facet is a mention and postr has none there.")),
}


# --- the corpus ---------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    id: str
    text: str
    x: str | None = None  # a DIVERGENCES key, when postr and twitter-text differ here
    bluesky: str | None = None  # a DIVERGENCES key, when postr and RichText differ here
    x_length: int | None = None  # what postr must count for X, worked out by hand


def _shape(seq: str) -> str:
    if "\u200d" in seq:
        return "zwj"
    if "\u20e3" in seq:
        return "keycap"
    if any(0xE0020 <= ord(c) <= 0xE007F for c in seq):
        return "subdivision-flag"
    if any(0x1F1E6 <= ord(c) <= 0x1F1FF for c in seq):
        return "flag"
    if any(0x1F3FB <= ord(c) <= 0x1F3FF for c in seq):
        return "skin-tone"
    if "\ufe0f" in seq:
        return "fe0f"
    return "single"


def _code_point_weight(char: str) -> int:
    """X's weight of a code point outside any emoji: 1 in 0-4351 and the punctuation ranges, else 2."""
    cp = ord(char)
    return 1 if cp <= 4351 or 0x2000 <= cp <= 0x200D or 0x2010 <= cp <= 0x201F or 0x2032 <= cp <= 0x2037 else 2


def _emoji_items() -> list[Item]:
    """Sequences of every Emoji version, from Unicode's emoji-test.txt (as the
    `emoji` package carries it): two of each shape per version and status, alone
    and inside words; and per version one sequence at X's limit and one over."""
    status = {1: "component", 2: "fully", 3: "minimally", 4: "unqualified"}
    groups: dict[tuple, list[str]] = {}
    for seq, data in emoji.EMOJI_DATA.items():
        groups.setdefault((data["E"], status[data["status"]], _shape(seq)), []).append(seq)
    items = []
    for (version, qualified, shape), seqs in sorted(groups.items()):
        seqs.sort(key=lambda s: [ord(c) for c in s])
        for n, seq in enumerate(seqs[:: max(1, len(seqs) // 2)][:2]):
            tag = f"emoji-{version}-{qualified}-{shape}-{n}"
            # A lone code point without emoji presentation (©, ‼) is text: its code point's weight.
            weight = _code_point_weight(seq) if len(seq) == 1 and qualified != "fully" else 2
            items.append(Item(tag, seq, x="emoji-table", x_length=weight))
            items.append(Item(tag + "-in-words", f"I{seq}you {seq}.", x="emoji-table", x_length=1 + weight + 4 + weight + 1))
    for version in sorted({data["E"] for data in emoji.EMOJI_DATA.values()}):
        seqs = sorted((s for s, d in emoji.EMOJI_DATA.items() if d["E"] == version and d["status"] == 2),
                      key=lambda s: (-len(s), [ord(c) for c in s]))
        seq = seqs[0]  # the longest fully-qualified sequence of that version
        items.append(Item(f"emoji-{version}-at-limit", seq * 140, x="emoji-table", x_length=280))
        items.append(Item(f"emoji-{version}-one-over", seq * 141, x="emoji-table", x_length=282))
    return items


FAMILY = "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466"
ENGLAND = "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F"  # 7 code points, 28 bytes
SCOTLAND = "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F"

HAND = [
    # Text presentation: a bare © or ® is a character, not an emoji.
    Item("copyright-bare", "© 2026 ® ™", x_length=1 + 6 + 1 + 1 + 2),  # ™ is U+2122: 2 as any symbol
    Item("copyright-emoji", "©\ufe0f ®\ufe0f", x_length=2 + 1 + 2),
    Item("copyright-text-selector", "©\ufe0e ☺\ufe0e", x_length=1 + 2 + 1 + 2 + 2),
    Item("copyright-at-limit", "a" * 279 + "©", x_length=280),
    Item("copyright-one-over", "a" * 280 + "©", x_length=281),
    Item("registered-at-limit", "®" * 280, x_length=280),
    Item("default-text-symbols", "☺ ❤ ↔ ‼ ⁉ ℹ 〰 ⚠", x_length=8 * 2 + 7),
    Item("keycaps", "1\ufe0f\u20e3 #\u20e3 *\ufe0f\u20e3 1 #", x_length=2 + 1 + 2 + 1 + 2 + 1 + 1 + 1 + 1),
    # Flags
    Item("flags", "🇫🇷🇯🇵🇺🇳🇪🇺", x_length=8),
    Item("flag-subdivisions", ENGLAND + SCOTLAND, x_length=4),
    # Not a subdivision Unicode lists ("scte"): black flag 2 and five tag characters 2 each.
    Item("flag-subdivision-unknown", "\U0001F3F4\U000E0073\U000E0063\U000E0074\U000E0065\U000E007F", x_length=12),
    Item("flag-odd-regional-indicators", "🇫🇷🇫 x", x_length=2 + 2 + 1 + 1),  # a lone indicator shows as emoji
    Item("flag-rainbow-pirate", "🏳️‍🌈 🏴‍☠️", x_length=5),
    # Skin tones
    Item("skin-tones", "👍🏻👍🏼👍🏽👍🏾👍🏿", x_length=10),
    Item("skin-tone-alone", "🏽 a🏽", x_length=2 + 1 + 1 + 2),
    Item("skin-tone-mixed-couple", "🧑🏽\u200d🤝\u200d🧑🏿", x="emoji-table", x_length=2),
    # ZWJ sequences
    Item("zwj-family", FAMILY + " " + FAMILY, x_length=5),
    Item("zwj-family-at-limit", FAMILY * 140, x_length=280),
    Item("zwj-family-one-over", FAMILY * 141, x_length=282),
    Item("zwj-between-letters", "a\u200db a\u200cb", x_length=7),
    Item("zwj-new", "❤️\u200d🔥 🐦\u200d🔥 🐦\u200d⬛ 🙂\u200d↔️", x="emoji-table", x_length=11),
    # Combining marks
    Item("combining-nfc", "cafe\u0301 Cafe\u0301", x_length=9),
    Item("combining-stacked", "x\u0303\u0308 q\u0307\u0323", x_length=7),
    Item("combining-zalgo", "Z" + "\u0336\u0301\u0317" * 10 + "algo"),
    Item("devanagari-conjuncts", "क्षत्रिय नमस्ते"),
    Item("thai-tone-marks", "น้ำ ผู้ใหญ่"),
    Item("vietnamese-nfd", unicodedata.normalize("NFD", "Tiếng Việt có dấu")),
    Item("kana-voiced-nfd", "か\u3099き\u3099", x_length=4),
    # CJK, Hangul jamo
    Item("cjk", "日本語の文章、中文，한국어。", x_length=28),  # 14 characters, all 2 (、，。 too)
    Item("cjk-astral", "𠀋𡈽𩸽", x_length=6),
    Item("hangul-jamo-composing", "\u1100\u1161\u11a8 \u1112\u1161\u11ab", x_length=5),
    # NFC makes 각 of the first three; jamo start at U+1100 = 4352, so each left over is 2.
    Item("hangul-jamo-old", "\u1100\u1161\u11a8\u11a8 \ua960\u1161", x_length=2 + 2 + 1 + 2 + 2),
    Item("hangul-compatibility-jamo", "ㄱㅏㄴ ㅋㅋㅋ", x_length=13),
    Item("cjk-at-limit", "語" * 140, x_length=280),
    Item("cjk-one-over", "語" * 141, x_length=282),
    # Right to left
    Item("arabic", "مرحبا بالعالم", x_length=13),
    Item("arabic-harakat", "العَرَبِيَّة ١٢٣", x_length=16),
    Item("hebrew-points", "שָׁלוֹם עולם", x_length=12),
    Item("bidi-marks", "\u200fشكرا\u200e @jack \u2067abc\u2069", x_length=2 + 4 + 2 + 1 + 5 + 1 + 2 + 3 + 2),
    Item("rtl-url", "راجع https://example.com/مسار للمزيد"),
    # Line breaks
    Item("crlf", "a\r\nb", x_length=4),
    Item("crlf-lines", "one\r\ntwo\r\n\r\nthree\r\n", x_length=19),
    Item("cr-alone", "a\rb\n\nc", x_length=6),
    Item("line-separators", "a\u2028b\u2029c\u0085d", x_length=9),  # U+2028/9 are past U+200D: 2
    Item("crlf-at-limit", "a" * 278 + "\r\n", x_length=280),
    Item("crlf-one-over", "a" * 279 + "\r\n", x_length=281),
    # URLs at the ends and beside punctuation
    Item("url-alone", "https://example.com", x_length=23),
    Item("url-at-start", "https://example.com/a?b=1 is it", x_length=23 + 6),
    Item("url-at-end-period", "Read https://example.com/a.", x_length=5 + 23 + 1),
    Item("url-in-parentheses", "(https://example.com/x) and (see https://ex.com)", x_length=1 + 23 + 6 + 5 + 23 + 1),
    Item("url-balanced-parentheses", "https://en.wikipedia.org/wiki/Sandwich_(disambiguation)"),
    Item("url-unbalanced-parenthesis", "see https://example.com/a_(b)c)"),
    Item("url-punctuation-run", "https://example.com/x?!, ok", x_length=23 + 6),
    Item("url-in-quotes", "“https://example.com/q” «https://example.org»"),
    Item("url-comma-joined", "https://a.example.com,https://b.example.com"),
    Item("url-query-fragment", "https://example.com/p/a/t/h?query=1&x=y#frag-ment"),
    Item("url-long", "https://example.com/" + "p" * 300, x_length=23),
    Item("url-at-limit", "a" * 256 + " https://example.com/" + "p" * 50, x_length=280),
    Item("url-one-over", "a" * 257 + " https://example.com/" + "p" * 50, x_length=281),
    Item("url-glued-to-a-word", "a" * 10 + "https://example.com/" + "p" * 10),
    Item("url-ftp-and-localhost", "ftp://example.com http://localhost:8080/x https://127.0.0.1/y"),
    Item("url-idn", "https://例え.jp/パス and https://xn--r8jz45g.jp"),
    Item("url-idn-bare", "例え.jp bücher.de münchen.de"),
    Item("url-before-feff", "https://example.com\ufeffnext word"),
    Item("url-after-feff", "\ufeffhttps://example.com"),
    Item("url-before-nbsp", "https://example.com\u00a0next"),
    Item("url-before-ideographic-space", "https://example.com\u3000次"),
    Item("url-before-nel", "https://example.com\u0085next"),
    Item("url-before-zwsp", "https://example.com\u200bnext"),
    Item("email", "write to someone@example.com or a.b@c.org"),
    Item("tco", "t.co/abc https://t.co/abc", x_length=23 + 1 + 23),
    # Bare domains (Bluesky links them when the TLD is real)
    Item("bare-domain", "example.com", x_length=23),
    Item("bare-domain-www-path", "go to www.example.com/path?x=1.", x_length=6 + 23 + 1),
    Item("bare-domain-cctld", "news.bbc.co.uk or example.co.jp"),
    Item("bare-domain-capital-first", "Example.com is up"),
    Item("bare-domain-all-capitals", "EXAMPLE.COM is up"),
    Item("bare-domain-fake-tlds", "file.txt e.g. i.e. v1.2.3 3.14 a.b foo.notatld"),
    Item("bare-domain-real-tlds-in-words", "readme.md hello.world setup.py"),
    Item("bare-domain-hyphen", "my-site.com and site.co-op"),
    Item("bare-domain-in-parentheses", "(example.org) [example.net]"),
    Item("bare-domain-digit-label", "1password.com 9gag.com a1.io"),
    Item("bare-domain-http-prefix", "see httpbin.org and https.example.com", bluesky="bare-domain-starting-http"),
    Item("scheme-in-capitals", "HTTPS://EXAMPLE.COM/Path and Http://example.com", bluesky="scheme-in-capitals"),
    # Letters that Python's IGNORECASE folds onto ASCII, JavaScript's /i does not.
    Item("long-s-scheme", "httpſ://example.com hſtp://x.com", x_length=32),
    Item("dotless-i-in-paths", "https://tr.wikipedia.org/wiki/Işık see https://example.com/İstanbul ok", x_length=23 + 5 + 23 + 3),
    Item("dotless-i-in-tld", "example.cım EXAMPLE.COM", x_length=11 + 1 + 23),
    # Mentions beside punctuation
    Item("mention-plain", "@alice.bsky.social hi", x_length=21),
    Item("mention-punctuation", "(@alice.bsky.social), @bob.test. @carol.example.com: @dave.co's"),
    Item("mention-in-word", "hi@alice.bsky.social a@b.com"),
    Item("mention-after-feff", "\ufeff@alice.bsky.social and \ufeff@bob.test"),
    Item("mention-before-feff", "@alice.bsky.social\ufeffnext"),
    Item("mention-after-nbsp-and-nel", "\u00a0@alice.bsky.social \u0085@bob.bsky.social"),
    Item("mention-capitals", "@Alice.bsky.social"),
    Item("mention-tld-capitals", "@Bob.Bsky.SOCIAL", bluesky="mention-tld-in-capitals"),
    Item("mention-fake-tld", "@bob.notatld @home"),
    Item("mention-bad-syntax", "@a..com @-x.com @x.arpa @.com", bluesky="not-a-handle"),
    Item("mention-253", "@" + "a" * 60 + ("." + "b" * 60) * 3 + "." + "c" * 5 + ".com"),  # 253 characters
    Item("mention-254", "@" + "a" * 61 + ("." + "b" * 60) * 3 + "." + "c" * 5 + ".com", bluesky="not-a-handle"),
    Item("mention-accent-after", "@alice.bsky.socialé"),
    Item("mention-x", "@jack @jack_dorsey_1 @jack. (@jack)", x_length=35),
    Item("mention-url", "https://bsky.app/profile/@alice.bsky.social"),
    # Tags and cashtags beside punctuation
    Item("tag-plain", "#postr #日本語 #한국어 #café", x_length=6 + 1 + 7 + 1 + 7 + 1 + 5),
    Item("tag-punctuation", "#tag. #tag! (#tag) #tag's #tag… #tag,next"),
    Item("tag-digits", "#123 #1a #a1 #1_000"),
    Item("tag-fullwidth-hash", "＃全角 x ＃tag"),
    Item("tag-keycap", "#\u20e3 #\ufe0f\u20e3 #\ufe0fnot"),
    Item("tag-emoji", "#🐱 #🐱🐱 #" + FAMILY + " #🇫🇷"),
    Item("tag-zero-width", "#a\u200bb #c\u00add #e\u2060f"),
    Item("tag-feff", "#tag\ufeffnext \ufeff#after"),
    Item("tag-nel", "#tag\u0085next \u0085#after"),
    Item("tag-64-emoji", "#" + "🐱" * 64),
    Item("tag-65-emoji", "#" + "🐱" * 65),
    Item("tag-40-emoji", "#" + "🐱" * 40),
    Item("tag-64-letters", "#" + "a" * 64),
    Item("tag-65-letters", "#" + "a" * 65),
    Item("tag-64-skin-tones", "#" + "👍🏽" * 64),
    Item("tag-639-bytes", "#a" + "\u0301" * 319),
    Item("tag-641-bytes", "#a" + "\u0301" * 320, bluesky="tag-over-640-bytes"),
    Item("tag-23-subdivision-flags", "#" + ENGLAND * 23, bluesky="tag-over-640-bytes"),
    Item("tag-22-subdivision-flags", "#" + ENGLAND * 22),
    Item("cashtags", "$AAPL and $tsla up", x_length=18),
    Item("cashtag-punctuation", "($TSLA) $aapl. $BRK.B $msft’s $goog\"", x_length=36),
    Item("cashtag-not", "$100 US$10 $TOOLONGX a$AAPL #$AAPL $1A $A1B2C3"),
    Item("cashtag-feff", "$AAPL\ufeff \ufeff$TSLA"),
    Item("cashtag-nel", "$AAPL\u0085 \u0085$TSLA"),
    Item("cashtag-end-newline", "buy $AAPL\n"),
    # Invalid characters on X, whitespace-only and empty text
    Item("x-invalid-characters", "ABC\uffffABC\ufffe"),
    Item("feff-alone", "a\ufeffb"),
    Item("empty", "", x_length=0),
    Item("spaces", "   ", x_length=3),
    # Limits
    Item("latin-at-limit", "a" * 280, x_length=280),
    Item("latin-one-over", "a" * 281, x_length=281),
    Item("bluesky-at-limit", "a" * 300),
    Item("bluesky-one-over", "a" * 301),
    Item("bluesky-graphemes-at-limit", "e\u0301" * 300),
    Item("bluesky-bytes-at-limit", FAMILY * 119 + "a" * 25),  # 119 x 25 bytes + 25 = 3,000
    Item("bluesky-bytes-one-over", FAMILY * 120 + "a"),
    Item("mixed-at-limit", "日本語 " * 20 + "👍🏽" * 40 + "a" * 60, x_length=140 + 80 + 60),
    Item("mixed-one-over", "日本語 " * 20 + "👍🏽" * 40 + "a" * 61, x_length=281),
]

CORPUS = _emoji_items() + HAND


# --- running the reference ------------------------------------------------------------

@pytest.fixture(scope="module")
def reference() -> dict:
    """Every corpus text through the reference libraries, in one Node run."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node is not installed: the differential tests run the networks' reference libraries "
                    "under Node (>= 20). Install Node, then run `npm ci` at the repository root.")
    texts = [item.text for item in CORPUS]
    run = subprocess.run([node, str(SCRIPT)], input=json.dumps({"x": texts, "bluesky": texts}),
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    if run.returncode != 0:
        pytest.fail(f"The reference script failed ({run.returncode}). If an npm package is missing, run `npm ci` "
                    f"at the repository root.\n{run.stderr.strip()}")
    out = json.loads(run.stdout)
    return {"versions": out["versions"], "tlds": out["tlds"],
            "x": dict(zip((i.id for i in CORPUS), out["x"])),
            "bluesky": dict(zip((i.id for i in CORPUS), out["bluesky"]))}


def ours_x(text: str) -> dict:
    length = x_text.weighted_length(text)
    return {"weightedLength": length,
            "valid": 0 < length <= x_text.MAX_WEIGHTED_LENGTH and not x_text.invalid_characters(text),
            "cashtags": x_text.cashtags(text)}


def ours_bluesky(text: str) -> dict:
    facets = [[s.kind, s.byte_start, s.byte_end, s.value] for s in bluesky_richtext.detect(text)]
    return {"graphemeLength": bluesky_richtext.graphemes(text), "length": bluesky_richtext.utf8_len(text),
            "facets": facets}


def comparable_bluesky(result: dict) -> dict:
    # A mention's handle is looked up case-insensitively: postr sends it lower-cased,
    # the reference as typed. That is no difference.
    facets = [[k, s, e, v.lower() if k == "mention" else v] for k, s, e, v in result["facets"]]
    return {"graphemeLength": result["graphemeLength"], "length": result["length"], "facets": facets}


# --- the tests ------------------------------------------------------------------------

def test_the_corpus_is_well_formed():
    ids = [item.id for item in CORPUS]
    assert len(ids) == len(set(ids))
    for item in CORPUS:
        for network in ("x", "bluesky"):
            key = getattr(item, network)
            assert key is None or DIVERGENCES[key].network == network, item.id


def test_the_reference_is_the_pinned_one(reference):
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]
    for name in ("twitter-text", "@atproto/api", "tlds"):
        assert reference["versions"][name] == pinned[name], (
            f"{name} {reference['versions'][name]} is installed, package.json pins {pinned[name]}: run `npm ci`")


def test_bluesky_knows_the_references_tlds(reference):
    assert bluesky_richtext._TLDS == set(reference["tlds"])


@pytest.mark.parametrize("item", CORPUS, ids=lambda item: item.id)
def test_x_agrees_with_twitter_text(item, reference):
    ref, ours = reference["x"][item.id], ours_x(item.text)
    if item.x_length is not None:
        assert ours["weightedLength"] == item.x_length
    if item.x is None:
        assert ours == ref
        return
    divergence = DIVERGENCES[item.x]
    if ours == ref:
        assert divergence.may_agree, f"listed as {item.x!r} but postr and twitter-text agree: drop the mark"
        return
    assert item.x == "emoji-table"
    assert ours["cashtags"] == ref["cashtags"]
    assert item.x_length is not None and ours["weightedLength"] < ref["weightedLength"]


@pytest.mark.parametrize("item", CORPUS, ids=lambda item: item.id)
def test_bluesky_agrees_with_richtext(item, reference):
    raw = reference["bluesky"][item.id]
    ref, ours = comparable_bluesky(raw), ours_bluesky(item.text)
    if item.bluesky is None:
        assert ours == ref
        return
    assert ours != ref, f"listed as {item.bluesky!r} but postr and RichText agree: drop the mark"
    assert (ours["graphemeLength"], ours["length"]) == (ref["graphemeLength"], ref["length"])
    only_ref = [f for f in ref["facets"] if f not in ours["facets"]]
    only_ours = [f for f in ours["facets"] if f not in ref["facets"]]
    if item.bluesky in ("tag-over-640-bytes", "bare-domain-starting-http"):
        assert not raw["recordValid"], "the reference's record should fail its own lexicon validation"
    if item.bluesky == "tag-over-640-bytes":
        assert [f[0] for f in only_ref] == ["tag"] and only_ours == []
    elif item.bluesky == "bare-domain-starting-http":
        assert {f[0] for f in only_ref + only_ours} == {"link"}
        assert all(f[3].startswith("https://") for f in only_ours)
        assert [(f[1], f[2]) for f in only_ref] == [(f[1], f[2]) for f in only_ours]
    elif item.bluesky == "scheme-in-capitals":
        assert only_ref == [] and {f[0] for f in only_ours} == {"link"}
    elif item.bluesky == "mention-tld-in-capitals":
        assert only_ref == [] and {f[0] for f in only_ours} == {"mention"}
    elif item.bluesky == "not-a-handle":
        assert {f[0] for f in only_ref} == {"mention"} and only_ours == []


def test_every_divergence_is_used_and_shows(reference):
    shown = set()
    for item in CORPUS:
        if item.x and ours_x(item.text) != reference["x"][item.id]:
            shown.add(item.x)
        if item.bluesky:
            shown.add(item.bluesky)
    assert shown == set(DIVERGENCES)
