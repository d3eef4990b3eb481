"""How long a Mastodon server considers a status to be.

Mirrors the server's StatusLengthValidator (app/validators/status_length_validator.rb):
the content warning and the text are joined and counted in grapheme clusters,
after every URL that twitter-text extracts with its protocol is replaced by a
fixed placeholder (`characters_reserved_per_url`, 23 by default) and every
mention `@user@domain` is shortened to `@user` ("only the username part will
count against your character limit": docs, Posting to your profile). URL
extraction is twitter-text's own (the server uses the Ruby gem; this is its
conformance-tested Python port), graphemes come from `regex`'s `\\X`.

As the server's Extractor.extract_mentions_or_lists_with_indices
(app/lib/extractor.rb), a mention whose domain is longer than a host name can be
(MAX_DOMAIN_LENGTH, 253 characters) is no mention: it counts in full. Text that
is blank (empty or only white space, Rails' String#blank?) counts 0; the
content warning still counts.
"""

import functools

# Account::USERNAME_RE and Account::MENTION_RE (app/models/account.rb), with
# Onigmo's [[:word:]] spelled as the Unicode classes it stands for.
_WORD = r"\p{L}\p{M}\p{Nd}\p{Pc}"
_USERNAME = r"(?i:[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)"
_MENTION = rf"(?<![=/{_WORD}])@({_USERNAME}(?:@[{_WORD}]+(?:[.-]+[{_WORD}]+)*)?)"
# twitter-text's end_mention_match: a mention followed by one of these is not one.
_LATIN_ACCENTS = "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
_END_MENTION = rf"(?:[@\uff20{_LATIN_ACCENTS}]|://)"
# Extractor::MAX_DOMAIN_LENGTH: the longest DNS name (RFC 1035), in characters.
MAX_DOMAIN_LENGTH = 253


@functools.cache
def _patterns():
    import regex

    # Rails' String#blank? is /\A[[:space:]]*\z/; Onigmo's [[:space:]] is Unicode White_Space.
    return (regex.compile(_MENTION), regex.compile(_END_MENTION), regex.compile(r"\X"),
            regex.compile(r"\p{White_Space}*+\Z"))


def _entities(text: str) -> list[tuple[int, int, str | None]]:
    """(start, end, replacement) for each URL and mention, overlaps removed the
    way twitter-text's remove_overlapping_entities does (first by start wins)."""
    from twitter_text.extract_urls import extract_urls_with_indices

    mention_re, end_mention_re, _, _ = _patterns()
    found: list[tuple[int, int, str | None]] = []
    for url in extract_urls_with_indices(text, extract_urls_without_protocol=False):
        start, end = url["indices"]
        found.append((start, end, None))
    for m in mention_re.finditer(text):
        if end_mention_re.match(text, m.end()):
            continue
        username, _, domain = m.group(1).partition("@")
        if len(domain) > MAX_DOMAIN_LENGTH:
            continue  # no host is that long: the server counts it as written
        found.append((m.start(), m.end(), "@" + username))
    found.sort(key=lambda e: e[0])
    kept: list[tuple[int, int, str | None]] = []
    for entity in found:
        if kept and kept[-1][1] > entity[0]:
            continue
        kept.append(entity)
    return kept


def countable_text(text: str, url_length: int = 23) -> str:
    """The text as the server counts it: URLs as `url_length` placeholders,
    remote mentions without their domain; blank text is nothing."""
    if _patterns()[3].match(text):
        return ""
    out, last = [], 0
    for start, end, replacement in _entities(text):
        out.append(text[last:start])
        out.append("x" * url_length if replacement is None else replacement)
        last = end
    out.append(text[last:])
    return "".join(out)


def graphemes(text: str) -> int:
    return len(_patterns()[2].findall(text))


def status_length(text: str, spoiler_text: str = "", url_length: int = 23) -> int:
    """Characters a status uses against the server's max_characters."""
    return graphemes(spoiler_text + countable_text(text, url_length))
