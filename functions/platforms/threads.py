"""Threads, through Meta's Threads API (graph.threads.net).

What the module relies on, from Meta's Threads documentation:
- OAuth: the Authorization Window (`threads.com/oauth/authorize`), then
  `POST /oauth/access_token` (a one-hour token and the user id), exchanged at
  once for a 60-day token (`GET /access_token?grant_type=th_exchange_token`).
  Long-lived tokens refresh themselves (`GET /refresh_access_token?grant_type=
  th_refresh_token`); there is no refresh token. None of these answers says
  which permissions were granted (see `exchange_code`), and the API has no way
  to revoke a token (see `revoke`).
- Publishing is two steps: a media container (`POST /{user-id}/threads`), then
  `POST /{user-id}/threads_publish` with its id. Threads downloads images and
  videos from `Media.url` itself. Carousels are 2-20 item containers
  (`is_carousel_item=true`) under one CAROUSEL container. Replies (thread parts,
  the first comment) are containers with `reply_to_id`.
- A container is published only once its status (`GET /{container-id}?fields=
  status,error_message`) is FINISHED; ERROR and EXPIRED are final.
- Text: 500 characters, emojis counted as their UTF-8 bytes; at most 5 unique
  links. Images JPEG/PNG up to 8 MB, aspect ratio up to 10:1; videos MOV/MP4 up
  to 1 GB, 5 minutes, 1920 px wide, aspect ratio 0.01:1 to 10:1.
- Errors are Graph API bodies: {"error": {"message", "type", "code",
  "error_subcode", "is_transient", "fbtrace_id"}}.

Access tokens travel as the documented `access_token` parameter: in the query
of GET/DELETE requests and in the form body of POST requests (so they stay out
of URLs wherever the API allows it).
"""

import datetime as _dt
import functools

from firebase_functions.params import StringParam

from kernel import settings
from platforms.base import AppCredentials, Media, Metrics, PostContent, Problem, Profile, Published, TextRules, Tokens
from platforms.errors import PartlyPublished, Permanent, PlatformError
from platforms.media import GB, MB
from platforms.meta_graph import PermissionMissing, insight_values
from platforms.meta_graph.containers import ContainerPlatform, PulledMedia, pulled_media_problems

THREADS_API_URL = StringParam("THREADS_API_URL", default="https://graph.threads.net")
THREADS_AUTH_URL = StringParam("THREADS_AUTH_URL", default="https://threads.com/oauth/authorize")

NAME = "threads"
API_VERSION = "v1.0"

MAX_TEXT = 500
MAX_LINKS = 5
MIN_CAROUSEL, MAX_CAROUSEL = 2, 20
PULLED_MEDIA = PulledMedia(
    image_types=frozenset({"image/jpeg", "image/png"}),
    image_type_refusal="Threads takes JPEG or PNG images, not {mime_type}.",
    max_image_bytes=8 * MB,
    image_ratio=(1 / 10, 10.0),
    image_ratio_refusal="This image is too long and narrow for Threads (at most 10:1).",
    max_video_bytes=GB,
    video_seconds=(0, 5 * 60),
    video_seconds_refusal="Videos on Threads last up to 5 minutes; this one lasts {seconds:.0f} seconds.",
    max_video_width=1920,
    video_ratio=(0.01, 10.0),
    video_ratio_refusal="This video's shape is outside what Threads accepts (0.01:1 to 10:1).",
)
REPLY_CONTROLS = ("everyone", "accounts_you_follow", "mentioned_only", "parent_post_author_only", "followers_only")

RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 613})
TRANSIENT_CODES = frozenset({1, 2})

# Container error_message values Meta documents, in words a person can act on.
CONTAINER_ERRORS = {
    "FAILED_DOWNLOADING_VIDEO": "Threads could not download the video.",
    "FAILED_PROCESSING_AUDIO": "Threads could not process the video's audio (AAC, up to 48 kHz, mono or stereo).",
    "FAILED_PROCESSING_VIDEO": "Threads could not process the video (MP4 or MOV, H.264 or HEVC).",
    "INVALID_ASPEC_RATIO": "The video's aspect ratio is outside what Threads accepts (0.01:1 to 10:1).",
    "INVALID_ASPECT_RATIO": "The video's aspect ratio is outside what Threads accepts (0.01:1 to 10:1).",
    "INVALID_BIT_RATE": "The video's bitrate is too high for Threads (at most 25 Mbps).",
    "INVALID_DURATION": "The video's length is outside what Threads accepts (up to 5 minutes).",
    "INVALID_FRAME_RATE": "The video's frame rate is outside what Threads accepts (23 to 60 fps).",
    "INVALID_AUDIO_CHANNELS": "The video's audio must be mono or stereo.",
    "INVALID_AUDIO_CHANNEL_LAYOUT": "The video's audio channel layout is not one Threads accepts.",
}


# --- length and links, Threads' way ------------------------------------------

@functools.cache
def _grapheme_patterns():
    import regex

    return regex.compile(r"\X"), regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}\u20e3]")


@functools.cache
def _linkifier():
    from linkify_it import LinkifyIt

    return LinkifyIt()


def threads_length(text: str) -> int:
    """Length as Threads counts it: one per character, except that an emoji
    counts as the number of its UTF-8 bytes (Meta: "Emojis are counted as the
    number of UTF-8 bytes", a sentence Meta links to a grapheme splitter). So
    characters are user-perceived ones: a letter with combining marks or a
    Devanagari syllable is one. An emoji is a grapheme holding a pictographic
    code point, a regional-indicator flag or a keycap; its modifiers, variation
    selectors and joiners are part of its bytes."""
    split, pictographic = _grapheme_patterns()
    return sum(len(g.encode()) if pictographic.search(g) else 1 for g in split.findall(text))


def links_in(text: str, attachment: str | None = None) -> set[str]:
    """The unique links Threads counts: every URL in the text (with or without a
    scheme, as Threads linkifies them), plus the link attachment when it differs
    from all of them. Both sides are normalised the same way before comparing."""
    linkify = _linkifier()
    found = {m.url for m in (linkify.match(text) or []) if m.schema != "mailto:"}
    if attachment:
        matched = linkify.match(attachment)
        found.add(matched[0].url if matched else attachment)
    return found


# --- the platform --------------------------------------------------------------


class ThreadsPlatform(ContainerPlatform):
    name = NAME
    display_name = "Threads"
    client_id = settings.OAUTH_CLIENT_IDS["threads"]
    client_secret = settings.OAUTH_CLIENT_SECRETS["threads"]
    refresh_ahead = _dt.timedelta(days=7)  # long-lived tokens live 60 days
    pulls_media = ("image", "video")  # Threads takes media only from a URL
    # Threads links one topic tag per post.
    text_rules = TextRules(500, max_hashtags=1)
    api_url = THREADS_API_URL
    auth_url = THREADS_AUTH_URL
    api_version = API_VERSION
    rate_limit_codes = RATE_LIMIT_CODES
    transient_codes = TRANSIENT_CODES
    unreadable_outcome = "Threads' answer was unreadable; the post may have gone through."
    grant_prefix = "th"
    container_edge, publish_edge = "threads", "threads_publish"
    status_fields = ("status", "error_message")
    uses_pkce = False
    # threads_basic: every endpoint; threads_content_publish: containers and
    # publishing; threads_manage_replies: POST calls that reply (thread parts,
    # the first comment); threads_manage_insights: metrics and followers;
    # threads_delete: deleting a post.
    scopes = ("threads_basic", "threads_content_publish", "threads_manage_replies",
              "threads_manage_insights", "threads_delete")
    revokes = False  # see revoke()
    supports_threads = True
    supports_first_comment = True
    supports_video = True

    # --- OAuth -----------------------------------------------------------------
    def exchange_code(self, app: AppCredentials, *, code: str, redirect_uri: str,
                      code_verifier: str | None = None) -> Tokens:
        short = self._call("POST", "/oauth/access_token", versioned=False,
                           data=self._code_form(app, code, redirect_uri))
        user_id = short.get("user_id")
        if not short.get("access_token") or user_id is None:
            raise self._no_token()
        long = self._long_lived(app, short["access_token"])
        # The requested permissions stand in for the granted ones, because
        # Threads does not say: the code exchange answers `access_token` and
        # `user_id` only, the long-lived exchange `access_token`, `token_type`
        # and `expires_in` (Threads API: get-access-tokens-and-permissions,
        # long-lived-tokens). The one documented reader of a token's
        # permissions, `GET /debug_token` (troubleshooting/debug-access-token),
        # must be called with "a user access token from a Threads tester",
        # which the people postr connects are not. A permission the person
        # declined surfaces when a call needs it, as PermissionMissing.
        return self._tokens(long, scopes=list(self.scopes), extra={"user_id": str(user_id)})

    def revoke(self, app: AppCredentials, tokens: Tokens) -> bool:
        """Threads offers no way for an app to revoke a token or remove its
        permissions. The Threads API Reference (developers.facebook.com/docs/
        threads/reference) lists publishing, media, replies, user, locations,
        insights, oEmbed and `debug_token`, and nothing that revokes; the token
        endpoints (`/oauth/access_token`, `/access_token`,
        `/refresh_access_token`) only issue tokens. Unlike graph.facebook.com,
        graph.threads.net documents no `DELETE /{user-id}/permissions`. So
        nothing is sent: the person removes postr in Threads (Settings >
        Account > Website permissions), or the 60-day token lapses, as postr
        no longer refreshes it."""
        return False

    # --- account -----------------------------------------------------------------
    def profile(self, tokens: Tokens) -> Profile:
        me = self._call("GET", "/me", token=tokens.access_token,
                        params={"fields": "id,username,name,threads_profile_picture_url"})
        account_id = str(me["id"])
        return Profile(
            account_id=account_id,
            handle=me.get("username") or "",
            display_name=me.get("name") or me.get("username") or "",
            avatar_url=me.get("threads_profile_picture_url"),
            followers_count=self._followers(tokens, account_id),
        )

    def _followers(self, tokens: Tokens, user_id: str) -> int | None:
        # Followers come from the insights endpoint; an account that did not
        # grant insights still has a profile, just no count.
        try:
            body = self._call("GET", f"/{user_id}/threads_insights", token=tokens.access_token,
                              params={"metric": "followers_count"})
        except (PermissionMissing, Permanent):
            return None
        return insight_values(body).get("followers_count")

    # --- validation ----------------------------------------------------------------
    def validate(self, content: PostContent) -> list[Problem]:
        problems = self._validate_part(content, "")
        for i, part in enumerate(content.thread, start=1):
            if part.thread:
                problems.append(Problem(f"thread[{i}]", "A thread part cannot have a thread of its own."))
            if part.first_comment:
                problems.append(Problem(f"thread[{i}].first_comment",
                                        "Only the first post of a thread can have a first comment."))
            problems += self._validate_part(part, f"thread[{i}].")
        if content.first_comment is not None:
            if not content.first_comment.strip():
                problems.append(Problem("first_comment", "The first comment is empty."))
            problems += self._text_problems(content.first_comment, None, "first_comment")
        reply_control = content.options.get("reply_control")
        if reply_control is not None and reply_control not in REPLY_CONTROLS:
            problems.append(Problem("options.reply_control",
                                    f"Threads lets you choose who can reply: {', '.join(REPLY_CONTROLS)}."))
        return problems

    def _validate_part(self, part: PostContent, prefix: str) -> list[Problem]:
        problems = self._text_problems(part.text, part.link, f"{prefix}text")
        if not part.media and not part.text.strip():
            problems.append(Problem(f"{prefix}text", "A Threads post without media needs some text."))
        if part.link and part.media:
            problems.append(Problem(f"{prefix}link", "Threads shows a link card only on posts without media."))
        if len(part.media) > MAX_CAROUSEL:
            problems.append(Problem(f"{prefix}media",
                                    f"Threads takes at most {MAX_CAROUSEL} images or videos in one post; "
                                    f"this one has {len(part.media)}."))
        for i, media in enumerate(part.media, start=1):
            label = f"{prefix}media[{i}]"
            problems += pulled_media_problems(self.display_name, media, label, PULLED_MEDIA)
        return problems

    def _text_problems(self, text: str, link: str | None, field: str) -> list[Problem]:
        problems = []
        length = threads_length(text)
        if length > MAX_TEXT:
            problems.append(Problem(field, f"Threads allows {MAX_TEXT} characters (each emoji counts as several); "
                                           f"this text counts {length}."))
        links = links_in(text, link)
        if len(links) > MAX_LINKS:
            problems.append(Problem(field, f"Threads allows at most {MAX_LINKS} different links in a post; "
                                           f"this one has {len(links)}."))
        return problems

    # --- publishing ----------------------------------------------------------------
    def publish(self, tokens: Tokens, content: PostContent) -> Published:
        self.refuse(self.validate(content))
        user = str(tokens.extra.get("user_id") or "me")
        reply_control = content.options.get("reply_control")
        root = self._publish_part(tokens, user, content, reply_to=None, reply_control=reply_control)
        part_ids: list[str] = []
        comment_id = None
        try:
            previous = root
            for part in content.thread:
                previous = self._publish_part(tokens, user, part, reply_to=previous, reply_control=reply_control)
                part_ids.append(previous)
            if content.first_comment:
                comment_id = self._publish_part(tokens, user, PostContent(text=content.first_comment),
                                                reply_to=root, reply_control=None)
        except PlatformError as exc:
            # The root (and maybe some parts) are live: say so, so the caller
            # records them instead of publishing them a second time.
            raise PartlyPublished(Published(post_id=root, url=self._permalink(tokens, root),
                                            part_ids=tuple(part_ids), comment_id=None), exc) from exc
        return Published(post_id=root, url=self._permalink(tokens, root), part_ids=tuple(part_ids),
                         comment_id=comment_id)

    def _publish_part(self, tokens: Tokens, user: str, part: PostContent, *, reply_to: str | None,
                      reply_control: str | None) -> str:
        extra: dict[str, str] = {}
        if reply_to:
            extra["reply_to_id"] = reply_to
        if reply_control:
            extra["reply_control"] = reply_control
        if not part.media:
            fields = {"media_type": "TEXT", "text": part.text, **extra}
            if part.link:
                fields["link_attachment"] = part.link
            container = self._ready_container(tokens, user, fields, "the post")
        elif len(part.media) == 1:
            container = self._ready_container(tokens, user, {**_media_fields(part.media[0]), **_text(part.text),
                                                             **extra}, "the " + part.media[0].kind)
        else:
            children = [self._ready_container(tokens, user, {**_media_fields(media), "is_carousel_item": "true"},
                                              f"{media.kind} {i}") for i, media in enumerate(part.media, start=1)]
            container = self._carousel(tokens, user, children, {**_text(part.text), **extra})
        return self._publish_container(tokens, user, container)

    def _container_error(self, what: str, said: str | None) -> PlatformError:
        reason = said or "UNKNOWN"
        message = CONTAINER_ERRORS.get(reason, f"Threads could not process {what} ({reason}).")
        return Permanent(NAME, f"{what[0].upper()}{what[1:]}: {message}", detail=f"container ERROR {reason}")

    # --- after publishing ------------------------------------------------------------
    def delete(self, tokens: Tokens, post_id: str) -> None:
        body = self._call("DELETE", f"/{post_id}", token=tokens.access_token)
        if body.get("success") is not True:
            raise Permanent(NAME, "Threads did not delete the post.", detail=str(body.get("deleted_id")))

    def metrics(self, tokens: Tokens, post_id: str) -> Metrics:
        """views, likes and replies as Threads reports them. Threads reports a
        repost and a quote post as separate actions (each is one or the other,
        never both), so `reposts` is reposts + quotes: every time someone
        passed the post on, counted once. `shares` (sends outside Threads, "in
        development") is not a repost and is left out. A metric Threads did not
        return stays None."""
        body = self._call("GET", f"/{post_id}/insights", token=tokens.access_token,
                          params={"metric": "views,likes,replies,reposts,quotes"})
        values = insight_values(body)
        passed_on = [values[k] for k in ("reposts", "quotes") if values.get(k) is not None]
        return Metrics(likes=values.get("likes"), replies=values.get("replies"), views=values.get("views"),
                       reposts=sum(passed_on) if passed_on else None)

    # --- errors ---------------------------------------------------------------------
    def _known_refusal(self, error: dict, said: str, kw: dict) -> PlatformError | None:
        if "THREADS_API__LINK_LIMIT_EXCEEDED" in f"{said} {error.get('error_user_title') or ''}":
            return Permanent(NAME, f"Threads allows at most {MAX_LINKS} different links in a post.", **kw)
        return None


def _media_fields(media: Media) -> dict[str, str]:
    fields = {"media_type": "IMAGE", "image_url": media.url} if media.kind == "image" else \
        {"media_type": "VIDEO", "video_url": media.url}
    if media.alt_text:
        fields["alt_text"] = media.alt_text
    return fields


def _text(text: str) -> dict[str, str]:
    return {"text": text} if text else {}


PLATFORM = ThreadsPlatform()
