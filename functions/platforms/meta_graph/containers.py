"""The media-container flow Threads and Instagram share: 60-day tokens
exchanged for a code's one-hour one and refreshed by themselves, media the
host downloads from a link (and the limits it documents for it), and posts
made from containers: make one, poll it until it is ready, publish it once.
"""

import dataclasses
import time
from collections.abc import Callable

from platforms.base import AppCredentials, Media, Problem, Tokens
from platforms.errors import OutcomeUnknown, Permanent, PlatformError, Transient
from platforms.media import size_text
from platforms.meta_graph import GraphPlatform

# Meta recommends checking a container about once a minute for up to five
# minutes; we look at once, then back off so text and images (ready almost at
# once) do not wait a minute, and the total stays about five minutes.
POLL_DELAYS = (2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 60.0, 60.0, 60.0)

# The videos Threads' and Instagram's containers take.
CONTAINER_VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime"})
_RATIO_SLACK = 1e-9  # 1080x1350 is exactly 4:5; float division must not refuse it


@dataclasses.dataclass(frozen=True)
class PulledMedia:
    """What a container host downloads from a media link itself, as its
    documentation limits it. The sentences that differ per network are given
    whole; `pulled_media_problems` words the others the same way for all."""

    image_types: frozenset[str]
    image_type_refusal: str  # names {mime_type}
    max_image_bytes: int
    image_ratio: tuple[float, float]  # width / height, the least and the most
    image_ratio_refusal: str  # may name {shape} ("tall" or "wide"), {width} and {height}
    max_video_bytes: int
    video_seconds: tuple[float, float]  # the shortest and the longest (a video lasts more than 0 seconds)
    video_seconds_refusal: str  # may name {seconds} and {lasts} (in minutes and seconds)
    max_video_width: int
    video_ratio: tuple[float, float]
    video_ratio_refusal: str
    max_alt_text: int | None = None  # None: no documented length to hold alt text to


def pulled_media_problems(network: str, media: Media, label: str, limits: PulledMedia) -> list[Problem]:
    """Every reason `network` (its display name) would refuse this file."""
    problems = []
    if media.url is None:
        problems.append(Problem(label, f"{network} fetches media from a link, and this file has none yet."))
    ratio = media.width / media.height if media.width and media.height else None
    if media.kind == "image":
        if media.mime_type not in limits.image_types:
            problems.append(Problem(label, limits.image_type_refusal.format(mime_type=media.mime_type)))
        if media.size > limits.max_image_bytes:
            problems.append(Problem(label, f"Images on {network} can be at most {size_text(limits.max_image_bytes)}; "
                                           f"this one is {size_text(media.size)}."))
        low, high = limits.image_ratio
        if ratio is not None and not (low - _RATIO_SLACK <= ratio <= high + _RATIO_SLACK):
            problems.append(Problem(label, limits.image_ratio_refusal.format(
                shape="tall" if ratio < low else "wide", width=media.width, height=media.height)))
        if limits.max_alt_text and media.alt_text and len(media.alt_text) > limits.max_alt_text:
            problems.append(Problem(label, f"{network} allows {limits.max_alt_text:,} characters of alt text; this "
                                           f"one has {len(media.alt_text):,}."))
    elif media.kind == "video":
        if media.mime_type not in CONTAINER_VIDEO_TYPES:
            problems.append(Problem(label, f"{network} takes MP4 or MOV videos, not {media.mime_type}."))
        if media.size > limits.max_video_bytes:
            problems.append(Problem(label, f"Videos on {network} can be at most {size_text(limits.max_video_bytes)}; "
                                           f"this one is {size_text(media.size)}."))
        low, high = limits.video_seconds
        if media.duration_s is not None and not (0 < media.duration_s and low <= media.duration_s <= high):
            problems.append(Problem(label, limits.video_seconds_refusal.format(
                seconds=media.duration_s, lasts=_lasts(media.duration_s))))
        if media.width is not None and media.width > limits.max_video_width:
            problems.append(Problem(label, f"Videos on {network} can be at most {limits.max_video_width} pixels "
                                           f"wide; this one is {media.width}."))
        low, high = limits.video_ratio
        if ratio is not None and not (low <= ratio <= high):
            problems.append(Problem(label, limits.video_ratio_refusal))
    else:
        problems.append(Problem(label, f"{network} takes images and videos, not {media.kind}."))
    return problems


def _lasts(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} seconds"
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"


class ContainerPlatform(GraphPlatform):
    """Threads and Instagram: 60-day tokens exchanged for a code's one-hour one
    and refreshed by themselves (no refresh token), and posts made from media
    containers that are published once their status is FINISHED (ERROR and
    EXPIRED are final)."""

    grant_prefix = ""  # Meta names the grants th_exchange_token, ig_refresh_token...
    container_edge = ""  # POST /{user-id}/<edge> makes a container ("threads", "media")
    publish_edge = ""  # POST /{user-id}/<edge> publishes one ("threads_publish", "media_publish")
    # The fields a container's status is read from: its state, and the
    # network's words when that state is ERROR.
    status_fields = ("", "")
    # Whether a publish answered with a passing fault is checked against the
    # container's status before it counts as retryable (Instagram). Threads
    # does not check (yet): a passing fault there is a plain Transient.
    confirms_failed_publish = False

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep, poll_delays: tuple[float, ...] = POLL_DELAYS):
        self.sleep = sleep
        self.poll_delays = poll_delays

    # --- tokens -------------------------------------------------------------------------
    def refresh(self, app: AppCredentials, tokens: Tokens) -> Tokens:
        fresh = self._call("GET", "/refresh_access_token", versioned=False, params={
            "grant_type": f"{self.grant_prefix}_refresh_token",
            "access_token": tokens.access_token,
        })
        return self._renewed(fresh, tokens)

    def _code_form(self, app: AppCredentials, code: str, redirect_uri: str) -> dict:
        """The code exchange's form (`POST .../oauth/access_token`), our app
        secret in the body, never in the URL."""
        return {
            "client_id": app.client_id,
            "client_secret": app.client_secret or "",
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": redirect_uri,
        }

    def _long_lived(self, app: AppCredentials, short_token: str) -> dict:
        # The code's token lasts an hour; the 60-day one is what a schedule needs.
        return self._call("GET", "/access_token", versioned=False, params={
            "grant_type": f"{self.grant_prefix}_exchange_token",
            "client_secret": app.client_secret or "",
            "access_token": short_token,
        })

    # --- containers ---------------------------------------------------------------------
    def _container(self, tokens: Tokens, user: str, fields: dict) -> str:
        # An unpublished container is harmless (it expires after 24 hours), so
        # creating one again after a lost answer is safe.
        body = self._post(tokens.access_token, f"/{user}/{self.container_edge}", fields)
        if not body.get("id"):
            raise Transient(self.name, f"{self.display_name} did not accept the media; will retry.")
        return str(body["id"])

    def _ready_container(self, tokens: Tokens, user: str, fields: dict, what: str) -> str:
        """A container, made and waited for until it can be published."""
        container = self._container(tokens, user, fields)
        self._wait_ready(tokens, container, what)
        return container

    def _carousel(self, tokens: Tokens, user: str, children: list[str], fields: dict) -> str:
        """The carousel container over ready children, ready to publish."""
        return self._ready_container(tokens, user, {"media_type": "CAROUSEL", "children": ",".join(children),
                                                    **fields}, "the carousel")

    def _wait_ready(self, tokens: Tokens, container: str, what: str) -> None:
        network = self.display_name
        for delay in (0.0, *self.poll_delays):
            if delay:
                self.sleep(delay)
            state, said = self._container_state(tokens, container)
            if state in ("FINISHED", "PUBLISHED"):
                return
            if state == "ERROR":
                raise self._container_error(what, said)
            if state == "EXPIRED":
                raise Permanent(self.name, f"{network} discarded {what} before it was published (containers expire "
                                           "after 24 hours); publish it again.", detail="container EXPIRED")
        raise Transient(self.name, f"{network} was still processing {what} after about five minutes; will retry.",
                        detail="container IN_PROGRESS")

    def _container_state(self, tokens: Tokens, container: str) -> tuple[str | None, str | None]:
        """The container's status and the network's words on an ERROR."""
        state, words = self.status_fields
        body = self._call("GET", f"/{container}", token=tokens.access_token, params={"fields": f"{state},{words}"})
        return body.get(state), body.get(words)

    def _container_error(self, what: str, said: str | None) -> PlatformError:
        """The error for a container that ended in ERROR, from the network's words."""
        raise NotImplementedError

    def _publish_container(self, tokens: Tokens, user: str, container: str) -> str:
        """Publish a ready container; the new post's id."""
        # Publishing is the one step that must not run twice: a lost answer is
        # OutcomeUnknown, never a blind retry.
        network = self.display_name
        try:
            published = self._post(tokens.access_token, f"/{user}/{self.publish_edge}", {"creation_id": container},
                                   idempotent=False)
        except Transient as exc:
            if not self.confirms_failed_publish:
                raise
            # A container publishes only once, so after an error answer its
            # status says whether the post went out.
            try:
                went_out = self._container_state(tokens, container)[0] == "PUBLISHED"
            except PlatformError:
                went_out = None
            if went_out is False:
                raise
            raise OutcomeUnknown(self.name, f"{network} answered with an error, but the post may have gone out; "
                                            "check the account before publishing again.",
                                 status=exc.status, detail=f"{exc.detail}; container {container}") from None
        if not published.get("id"):
            raise OutcomeUnknown(self.name, f"{network} did not confirm the post; it may have gone through.",
                                 detail=f"container {container}")
        return str(published["id"])

    def _permalink(self, tokens: Tokens, media_id: str) -> str | None:
        return self._link(tokens.access_token, media_id, "permalink")
