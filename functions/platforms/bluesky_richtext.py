"""Bluesky rich text: length counted the network's way, and facets.

A post's text is limited to 300 graphemes and 3,000 UTF-8 bytes (lexicon
app.bsky.feed.post). Links, mentions and hashtags are not markup in the text:
they are facets (app.bsky.richtext.facet) that point at a range of the text by
UTF-8 byte offsets, start inclusive, end exclusive.

Detection follows the reference client (@atproto/api, rich-text/detection.ts
and util.ts), so a post reads as it would have if typed in the Bluesky app,
with one difference: the app also links bare domains ("example.com") by
checking a list of top-level domains; here only http(s):// URLs become links.
Mentions are kept only when the handle resolves to a DID (the app drops
unresolved ones too).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import regex

MAX_GRAPHEMES = 300
MAX_BYTES = 3000
TAG_MAX_UTF16 = 64  # the reference client's limit, inside the lexicon's 64 graphemes / 640 bytes

_GRAPHEME = regex.compile(r"\X")

# The reference client's patterns. Its \b is JavaScript's, which is ASCII-only,
# hence the scoped (?a:...) flag; its \d under the u flag is [0-9].
_MENTION = regex.compile(r"(^|\s|\()(@)([a-zA-Z0-9.-]+)(?a:\b)")
_URL = regex.compile(r"(^|\s|\()(https?://\S+)", regex.IGNORECASE | regex.MULTILINE)
_INVISIBLE = r"\u00AD\u2060\u200A\u200B\u200C\u200D\u20e2\ufeff"
_TAG = regex.compile(
    rf"(^|\s)[#＃]((?!\ufe0f)[^\s{_INVISIBLE}]*[^0-9\s\p{{P}}{_INVISIBLE}]+[^\s{_INVISIBLE}]*)?"
)
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+$")

# Handle syntax (atproto spec, "Handle"): DNS labels, the last not starting with a digit.
_HANDLE = regex.compile(
    r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$"
)
# Reserved TLDs that are never resolved (@atproto/syntax DISALLOWED_TLDS; ".test" is allowed for testing).
_DISALLOWED_TLDS = (".local", ".arpa", ".invalid", ".localhost", ".internal", ".example", ".onion", ".alt")


def graphemes(text: str) -> int:
    """User-perceived characters (extended grapheme clusters, UAX #29), as Bluesky counts."""
    return len(_GRAPHEME.findall(text))


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Span:
    """One detected link, mention or hashtag: byte range and what it points at
    (a URL, a handle without '@', a tag without '#')."""

    kind: Literal["link", "mention", "tag"]
    byte_start: int
    byte_end: int
    value: str


def _span(kind, text: str, start: int, end: int, value: str) -> Span:
    """A span from code-point indexes into `text`."""
    byte_start = utf8_len(text[:start])
    return Span(kind, byte_start, byte_start + utf8_len(text[start:end]), value)


def is_handle(value: str) -> bool:
    return (len(value) <= 253 and bool(_HANDLE.match(value))
            and not value.lower().endswith(_DISALLOWED_TLDS))


def detect(text: str) -> list[Span]:
    """Every link, mention and hashtag in `text`, in text order."""
    spans: list[Span] = []
    for m in _MENTION.finditer(text):
        handle = m.group(3)
        if not is_handle(handle):
            continue  # not a handle ("@home", "@.")
        start = m.start(2)
        spans.append(_span("mention", text, start, m.end(3), handle.lower()))
    for m in _URL.finditer(text):
        uri, start = m.group(2), m.start(2)
        # Trailing punctuation is the sentence's, not the URL's; one character, as the client does.
        if uri[-1] in ".,;:!?":
            uri = uri[:-1]
        if uri.endswith(")") and "(" not in uri:
            uri = uri[:-1]
        spans.append(_span("link", text, start, start + len(uri), uri))
    for m in _TAG.finditer(text):
        tag = m.group(2)
        if not tag:
            continue
        tag = _TRAILING_PUNCTUATION.sub("", tag.strip())
        if not tag or _utf16_len(tag) > TAG_MAX_UTF16:
            continue
        start = m.start() + len(m.group(1))  # at the '#'
        spans.append(_span("tag", text, start, start + 1 + len(tag), tag))
    spans.sort(key=lambda s: s.byte_start)
    return spans


def facets(text: str, resolve_handle: Callable[[str], str | None]) -> list[dict]:
    """The app.bsky.richtext.facet list for `text`. `resolve_handle` maps a handle
    to its DID, or None when it does not resolve (that mention gets no facet)."""
    out = []
    resolved: dict[str, str | None] = {}
    for span in detect(text):
        if span.kind == "link":
            feature = {"$type": "app.bsky.richtext.facet#link", "uri": span.value}
        elif span.kind == "tag":
            feature = {"$type": "app.bsky.richtext.facet#tag", "tag": span.value}
        else:
            if span.value not in resolved:
                resolved[span.value] = resolve_handle(span.value)
            did = resolved[span.value]
            if did is None:
                continue
            feature = {"$type": "app.bsky.richtext.facet#mention", "did": did}
        out.append({"index": {"byteStart": span.byte_start, "byteEnd": span.byte_end}, "features": [feature]})
    return out
