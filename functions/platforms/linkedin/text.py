"""A post's `commentary` as LinkedIn reads it: "little" text, where the
characters | { } @ [ ] ( ) < > # \\ * _ ~ must be backslash-escaped, or
LinkedIn cuts the post at the first one. A bare `#word` is a hashtag element
and is left as is. Length is counted as LinkedIn's Java backend counts the
text people see (UTF-16 units), escapes excluded."""

import re

# The characters LinkedIn's little text format reserves.
_RESERVED = re.compile(r"[\\|{}@\[\]()<>#*_~]")
# A bare #word is a HashtagElement: a letter first, then letters or digits
# (not "_", which is reserved), starting a word (not C#, nor a URL's #fragment).
_HASHTAG = re.compile(r"(?<!\S)#[^\W\d_][^\W_]*")


def little_text(text: str) -> str:
    """Plain text as LinkedIn's little format: reserved characters escaped,
    hashtags kept as hashtags."""
    out, pos = [], 0
    for tag in _HASHTAG.finditer(text):
        out.append(_RESERVED.sub(lambda m: "\\" + m.group(), text[pos:tag.start()]))
        out.append(tag.group())
        pos = tag.end()
    out.append(_RESERVED.sub(lambda m: "\\" + m.group(), text[pos:]))
    return "".join(out)


def text_length(text: str) -> int:
    """Length as LinkedIn counts it: UTF-16 code units of the visible text."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
