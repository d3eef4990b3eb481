"""What a post may be on one Mastodon instance, checked before anything is
sent: its options, the length of each status counted the server's way
(platforms.mastodon.text), and its media against the instance's limits.
"""

from collections.abc import Mapping
from typing import Any

from platforms.base import Media, PostContent, Problem
from platforms.mastodon.limits import InstanceLimits
from platforms.media import size_text

VISIBILITIES = ("public", "unlisted", "private", "direct")
# Options a post may carry for Mastodon (PostContent.options).
OPTIONS = ("instance", "limits", "visibility", "spoiler_text", "sensitive", "language", "idempotency_key")


def problems(content: PostContent, limits: InstanceLimits) -> list[Problem]:
    """Every problem of the post and its thread under `limits`."""
    from platforms.mastodon.text import status_length

    options = content.options or {}
    found = _check_options(options)
    spoiler = options.get("spoiler_text") if isinstance(options.get("spoiler_text"), str) else ""
    where = limits.domain or "this Mastodon server"

    def check_text(field_name: str, text: str, has_media: bool) -> None:
        if not text.strip() and not has_media:
            found.append(Problem(field_name, "Write some text or attach media: Mastodon does not take an empty post."))
            return
        used = status_length(text, spoiler, limits.characters_reserved_per_url)
        if used > limits.max_characters:
            found.append(Problem(field_name, (
                f"This is {used} characters long and {where} allows {limits.max_characters} "
                f"(a link counts as {limits.characters_reserved_per_url}, a mention without its @server part"
                f"{', the content warning included' if spoiler else ''}). Shorten it by {used - limits.max_characters}.")))

    for prefix, part in [("", content), *((f"thread[{i}].", p) for i, p in enumerate(content.thread, 1))]:
        check_text(prefix + "text", status_text(part), bool(part.media))
        found.extend(_check_media(part.media, prefix + "media", limits, where))
        if prefix and part.thread:
            found.append(Problem(prefix + "thread", "A thread part cannot start a thread of its own; "
                                 "add the parts to the main post's thread in order."))
        if prefix and part.first_comment is not None:
            found.append(Problem(prefix + "first_comment", "Only the first post of a thread can have a first comment."))
        if prefix and part.options:
            found.append(Problem(prefix + "options", "Options apply to the whole thread; set them on the first post."))
    if content.first_comment is not None:
        check_text("first_comment", content.first_comment, False)
    return found


def status_text(part: PostContent) -> str:
    """The status as posted: Mastodon has no link field, so a link joins the text."""
    return part.text_with_link()


def _check_options(options: Mapping[str, Any]) -> list[Problem]:
    problems = []
    for name in options:
        if name not in OPTIONS:
            problems.append(Problem(f"options.{name}", f"Mastodon has no option '{name}' (it takes: {', '.join(OPTIONS)})."))
    visibility = options.get("visibility")
    if visibility is not None and visibility not in VISIBILITIES:
        problems.append(Problem("options.visibility", f"Visibility must be one of {', '.join(VISIBILITIES)}."))
    if options.get("spoiler_text") is not None and not isinstance(options["spoiler_text"], str):
        problems.append(Problem("options.spoiler_text", "The content warning must be text."))
    if options.get("sensitive") is not None and not isinstance(options["sensitive"], bool):
        problems.append(Problem("options.sensitive", "Sensitive must be true or false."))
    language = options.get("language")
    if language is not None and not (isinstance(language, str) and language.isascii() and language.isalpha()
                                     and len(language) in (2, 3)):
        problems.append(Problem("options.language", "Language must be an ISO 639 code like 'en' or 'fr'."))
    limits = options.get("limits")
    if limits is not None and not isinstance(limits, InstanceLimits | Mapping):
        problems.append(Problem("options.limits", "Limits must be an instance's configuration object."))
    key = options.get("idempotency_key")
    if key is not None and not (isinstance(key, str) and 0 < len(key) <= 200):
        problems.append(Problem("options.idempotency_key", "The idempotency key must be text of 1 to 200 characters."))
    return problems


def _check_media(media: list[Media], field_name: str, limits: InstanceLimits, where: str) -> list[Problem]:
    problems = []
    if len(media) > limits.max_media_attachments:
        problems.append(Problem(field_name, f"{len(media)} attachments: {where} takes at most "
                                f"{limits.max_media_attachments} per post."))
    if len(media) > 1 and any(m.kind == "video" for m in media):
        problems.append(Problem(field_name, "A video must be the only attachment of a Mastodon post."))
    accepted = [t for t in limits.supported_mime_types if t.startswith(("image/", "video/"))]
    for i, m in enumerate(media):
        at = f"{field_name}[{i}]"
        if m.kind not in ("image", "video") or not m.mime_type.startswith(m.kind + "/"):
            problems.append(Problem(at, f"The file type {m.mime_type} does not match a {m.kind}."))
        elif m.mime_type not in limits.supported_mime_types:
            problems.append(Problem(at, f"{where} does not take {m.mime_type} files (it takes {', '.join(accepted)})."))
        size_limit = limits.video_size_limit if m.kind == "video" else limits.image_size_limit
        if m.size <= 0:
            problems.append(Problem(at, "The file is empty."))
        elif m.size > size_limit:
            problems.append(Problem(at, f"This {m.kind} is {size_text(m.size)}; {where} takes {m.kind}s up to "
                                    f"{size_text(size_limit)}."))
        matrix = limits.video_matrix_limit if m.kind == "video" else limits.image_matrix_limit
        if m.width and m.height and m.width * m.height > matrix:
            problems.append(Problem(at, f"This {m.kind} is {m.width}x{m.height} pixels; {where} takes at most "
                                    f"{matrix:,} pixels (width times height)."))
        if m.alt_text and len(m.alt_text) > limits.description_limit:
            problems.append(Problem(at + ".alt_text", f"The alt text is {len(m.alt_text)} characters; {where} allows "
                                    f"{limits.description_limit}."))
        if m.chunks is None:
            problems.append(Problem(at, "This media has no file to upload (Mastodon takes uploads, not links)."))
    return problems
