"""What AI writing needs to know about each network, and the checks that make AI
output fit a network.

The facts are the network's own (Platform.text_rules, declared on its module:
the character limit guides the prompt and sizes the token budget, the hashtag
rules shape suggestions); whether a text fits is the module's validate. AI
writes for the networks that declare text rules.
"""

import re
from dataclasses import dataclass

from platforms.base import PostContent, Problem

HASHTAGS_MAX = 30  # the most suggestions one request may ask for, on any network


@dataclass(frozen=True)
class NetworkRules:
    label: str  # the network's display name
    text_limit: int
    max_hashtags: int
    max_tag_length: int
    tag_starts_with_letter: bool


def names() -> list[str]:
    """The networks AI writes for: those whose module declares text rules."""
    import platforms

    return [n for n in platforms.names() if platforms.get(n).text_rules is not None]


def rules(network: str) -> NetworkRules:
    import platforms

    module = platforms.get(network)
    r = module.text_rules
    return NetworkRules(module.display_name, r.text_limit, r.max_hashtags, r.max_tag_length, r.tag_starts_with_letter)


_HASHTAG_IN_TEXT = re.compile(r"(?<![\w#])#(\w+)")
_WORD = re.compile(r"[^\W_]+")


def problems(network: str, text: str) -> list[Problem]:
    """Everything that keeps `text` from being posted as it is to `network`: only what is
    wrong with the words (a network that also needs media, Instagram, says so, and that
    is for the composer, not for AI writing)."""
    from platforms import get

    return [p for p in get(network).validate(PostContent(text=text)) if p.field == "text"]


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
    r = rules(network)
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
