"""What AI writing needs to know about each network, in one table, and the checks
that make AI output fit a network.

Whether a text fits is the network module's call (`platforms.get(name).validate`):
the table's character limits only guide the prompt and size the token budget.
A network without a module (Instagram, for now) is checked against the table.
"""

import re
from dataclasses import dataclass

from platforms.base import PostContent, Problem

HASHTAGS_MAX = 30  # the most suggestions one request may ask for, on any network


@dataclass(frozen=True)
class NetworkRules:
    label: str
    text_limit: int  # characters a post may have (the module's validate is the authority)
    max_hashtags: int = HASHTAGS_MAX  # hashtags a post may carry, those in the text included
    max_tag_length: int = 100  # characters after the '#'
    tag_starts_with_letter: bool = False


NETWORK_RULES: dict[str, NetworkRules] = {
    "x": NetworkRules("X", 280),
    # app.bsky.richtext.facet#tag: at most 64 graphemes.
    "bluesky": NetworkRules("Bluesky", 300, max_tag_length=64),
    # Threads links one topic tag per post.
    "threads": NetworkRules("Threads", 500, max_hashtags=1),
    # LinkedIn makes #word a hashtag only when it starts with a letter (platforms.linkedin).
    "linkedin": NetworkRules("LinkedIn", 3000, tag_starts_with_letter=True),
    # 500 is Mastodon's default; instances may allow more, never checked here for less.
    "mastodon": NetworkRules("Mastodon", 500),
    # Instagram: captions up to 2,200 characters and 30 hashtags a post.
    "instagram": NetworkRules("Instagram", 2200, max_hashtags=30),
}

_HASHTAG_IN_TEXT = re.compile(r"(?<![\w#])#(\w+)")
_WORD = re.compile(r"[^\W_]+")


def rules(network: str) -> NetworkRules:
    return NETWORK_RULES[network]


def problems(network: str, text: str) -> list[Problem]:
    """Everything that keeps `text` from being posted as it is to `network`."""
    from platforms import REGISTRY, get

    if network in REGISTRY:
        # Only what is wrong with the words: a network that also needs media
        # (Instagram) says so, and that is for the composer, not for AI writing.
        return [p for p in get(network).validate(PostContent(text=text)) if p.field == "text"]
    limit = NETWORK_RULES[network].text_limit
    if len(text) > limit:
        return [Problem("text", f"{NETWORK_RULES[network].label} allows {limit:,} characters; "
                                f"this text has {len(text):,}.")]
    return []


def trim(network: str, text: str) -> str | None:
    """The longest start of `text` that ends at a word boundary, with an ellipsis,
    and fits the network; None when not even one word does."""
    ends = [m.end() for m in re.finditer(r"\S+", text)]

    def candidate(words: int) -> str:
        return text[:ends[words - 1]].rstrip(" \t\n,;:-\u2013\u2014") + "\u2026"

    low, high, best = 1, len(ends) - 1, None
    while low <= high:  # fitting is monotonic in length: binary search the word count
        mid = (low + high) // 2
        if problems(network, candidate(mid)):
            high = mid - 1
        else:
            best, low = candidate(mid), mid + 1
    return best


def hashtags_in(text: str) -> list[str]:
    return _HASHTAG_IN_TEXT.findall(text)


def normalize_hashtags(network: str, suggested: list[str], text: str, count: int) -> list[str]:
    """Suggestions made into valid hashtags for the network: '#' + letters and
    digits (several words become CamelCase), none all digits, none too long,
    none twice or already in the text (case-insensitively), at most `count` and
    never past the network's cap counting those already in the text."""
    r = NETWORK_RULES[network]
    seen = {t.casefold() for t in hashtags_in(text)}
    room = min(count, r.max_hashtags - len(seen))
    out: list[str] = []
    for raw in suggested:
        if len(out) >= room:
            break
        words = _WORD.findall(str(raw).lstrip("#"))
        if not words:
            continue
        tag = words[0] if len(words) == 1 else "".join(w[:1].upper() + w[1:] for w in words)
        if tag.isdigit() or len(tag) > r.max_tag_length or (r.tag_starts_with_letter and not tag[0].isalpha()):
            continue
        if tag.casefold() in seen:
            continue
        seen.add(tag.casefold())
        out.append(f"#{tag}")
    return out
