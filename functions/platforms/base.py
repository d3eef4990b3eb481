"""The interface every social network module implements, and the data it speaks.

A network package (platforms/x/, platforms/bluesky/, ...) defines one class
that subclasses `Platform` and implements every method; `platforms.get(name)`
returns its instance. Methods are synchronous, send HTTP through
`platforms.http` (pooled httpx clients with timeouts) and raise only the
taxonomy of `platforms.errors`.
"""

import datetime as _dt
import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from firebase_functions.params import SecretParam, StringParam

from platforms.errors import Permanent


@dataclass(frozen=True)
class AppCredentials:
    """Our app's registration at a network (client id/secret), from params."""

    client_id: str
    client_secret: str | None = None


@dataclass
class Tokens:
    """What a connection to one account holds. Sealed at rest by kernel.crypto;
    never logged, never returned to a client."""

    access_token: str
    refresh_token: str | None = None
    expires_at: _dt.datetime | None = None
    scopes: list[str] = field(default_factory=list)
    # Network specifics a later call needs (a Mastodon instance URL, a Bluesky
    # DID and PDS endpoint, a Facebook page id...). No secrets beyond the tokens.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Profile:
    account_id: str
    handle: str
    display_name: str
    avatar_url: str | None
    followers_count: int | None  # None: the network did not give it


@dataclass(frozen=True)
class Media:
    """One image or video to publish. Bytes are streamed, never held whole:
    `chunks(size)` yields the file in pieces; `url` is a short-lived signed URL
    for networks that pull media themselves."""

    kind: Literal["image", "video"]
    mime_type: str
    size: int
    alt_text: str | None = None
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    chunks: Callable[[int], Iterator[bytes]] | None = None
    url: str | None = None


@dataclass
class PostContent:
    """A post as one network will receive it (per-account overrides already applied)."""

    text: str
    media: list[Media] = field(default_factory=list)
    # Follow-up parts published as a reply chain under the first (threads).
    thread: list["PostContent"] = field(default_factory=list)
    first_comment: str | None = None
    link: str | None = None
    # Network-specific choices (privacy level, board id, title...).
    options: dict[str, Any] = field(default_factory=dict)

    def text_with_link(self) -> str:
        """The text as posted where the network has no link field: the link
        joins it after a blank line, unless the text holds it already."""
        text = self.text or ""
        if self.link and self.link not in text:
            text = f"{text}\n\n{self.link}" if text.strip() else self.link
        return text


@dataclass(frozen=True)
class Problem:
    """One reason a post cannot go to a network, readable by a person."""

    field: str
    message: str


@dataclass(frozen=True)
class Published:
    post_id: str
    url: str | None
    # Ids of the thread parts and the first comment, in order, where published.
    part_ids: tuple[str, ...] = ()
    comment_id: str | None = None


@dataclass(frozen=True)
class Metrics:
    """Engagement of one published post. None means the network does not give
    that metric (or not for this kind of post): never a fake zero."""

    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    views: int | None = None


def split_post_ids(post_ids: list[str], check: Callable[[str], None], most: int, network: str
                   ) -> tuple[list[str], dict[str, "Metrics | Permanent"]]:
    """For a multi-id read: the distinct ids `check` accepts, to send, and the
    Permanent error of each it refuses, kept out of the request (one bad id
    would make the network refuse them all). More than `most` distinct ids is
    the caller's mistake (the collector chunks by `metrics_batch`)."""
    ids = list(dict.fromkeys(post_ids))
    if len(ids) > most:
        raise ValueError(f"{network} takes at most {most} post ids a request.")
    wanted: list[str] = []
    refused: dict[str, Metrics | Permanent] = {}
    for post_id in ids:
        try:
            check(post_id)
            wanted.append(post_id)
        except Permanent as err:
            refused[post_id] = err
    return wanted, refused


class Capability(enum.Enum):
    """What a network offers beyond the common interface, declared by its module
    (never discovered with hasattr); tests/platforms/test_conformance.py holds
    each module to the methods a capability needs."""

    # A login is for a person and the account is a Page they choose next (pages, select_page).
    PAGES = "pages"
    # A post goes to one of the account's boards (boards).
    BOARDS = "boards"
    # Connects with a handle and an app password (sign_in), not a sign-in page.
    APP_PASSWORD = "app_password"
    # postr registers an app on each server the person names (check, register_app, app_class).
    PER_INSTANCE_APP = "per_instance_app"


@dataclass(frozen=True)
class TextRules:
    """What AI writing needs to know of a network's text (the module's validate stays
    the authority on whether a text fits): the limit guides the prompt and sizes the
    token budget, the hashtag rules shape suggestions."""

    text_limit: int
    max_hashtags: int = 30  # hashtags a post may carry, those in the text included
    max_tag_length: int = 100  # characters after the '#'
    tag_starts_with_letter: bool = False


class Platform:
    """Base class of a network module. Subclasses set the class attributes (the
    network's facts, declared once here) and implement every method
    (NotImplementedError marks what is missing)."""

    name: str = ""  # registry key, e.g. "x"
    display_name: str = ""  # shown to people, e.g. "X"
    uses_pkce: bool = False
    uses_oauth: bool = True  # False: credentials through a callable (Bluesky app passwords)
    scopes: tuple[str, ...] = ()  # only what publishing, deleting and metrics need
    # Whether `revoke` asks the network to end postr's access. A module whose
    # network documents no way to sets False and says in `revoke` which
    # documentation shows it: `revoke` then sends nothing and returns False, and
    # the person removes postr in the network's own settings.
    # tests/accounts/test_revoke_declared.py holds every module to what it says.
    revokes: bool = True
    supports_threads: bool = False
    supports_first_comment: bool = False
    supports_video: bool = False
    # Post ids one metrics request can carry (a network's multi-id read); 1: one post a request.
    metrics_batch: int = 1
    capabilities: frozenset[Capability] = frozenset()
    # postr's app at the network: the client id and secret params (kernel.settings); None
    # where postr has no app of its own there (app passwords, an app per server).
    client_id: StringParam | None = None
    client_secret: SecretParam | None = None
    app_class: type = None  # the credentials type register_app returns (Capability.PER_INSTANCE_APP)
    # How long before a token expires it is refreshed (its lifetime decides).
    refresh_ahead: _dt.timedelta = _dt.timedelta(hours=1)
    # Publishes to this network at once in one instance (large uploads share bandwidth).
    max_concurrent_publishes: int = 10
    # Media kinds the network fetches from a signed URL rather than taking as bytes.
    pulls_media: tuple[str, ...] = ()
    # None: AI writing does not write for this network.
    text_rules: TextRules | None = None

    # --- OAuth ------------------------------------------------------------------
    def authorization_url(self, app: AppCredentials, *, state: str, redirect_uri: str,
                          code_challenge: str | None = None) -> str:
        raise NotImplementedError

    def exchange_code(self, app: AppCredentials, *, code: str, redirect_uri: str,
                      code_verifier: str | None = None) -> Tokens:
        raise NotImplementedError

    def refresh(self, app: AppCredentials, tokens: Tokens) -> Tokens:
        raise NotImplementedError

    def revoke(self, app: AppCredentials, tokens: Tokens) -> bool:
        """End postr's access at the network. True when the network revoked the
        tokens, or says they no longer work (an expired or already revoked
        token is as good as revoked where its documentation says so); False
        where it cannot be asked (`revokes` is False, or these tokens are not
        postr's to revoke). A failure to reach or convince the network raises
        the taxonomy of platforms.errors; callers delete the tokens regardless.
        """
        raise NotImplementedError

    def requested_scopes(self) -> list[str]:
        """The scopes the authorization URL asks for."""
        return list(self.scopes)

    def missing_scopes(self, granted: list[str] | None) -> list[str] | None:
        """Which requested scopes a connection was not granted, so a narrower
        grant can be shown; None when what was granted is not known (nothing
        stored). A network whose broader scopes cover narrower ones (Mastodon's
        `write` covers `write:statuses`) would override it."""
        if not granted:
            return None
        return [s for s in self.requested_scopes() if s not in granted]

    # --- account ----------------------------------------------------------------
    def profile(self, tokens: Tokens) -> Profile:
        raise NotImplementedError

    # --- posts ------------------------------------------------------------------
    def validate(self, content: PostContent) -> list[Problem]:
        """Every problem with this post for this network; [] when it can go."""
        raise NotImplementedError

    def publish(self, tokens: Tokens, content: PostContent) -> Published:
        """Post it (every part, the first comment); the first thing it does is
        `refuse(self.validate(content))`, so nothing is sent for a post with problems."""
        raise NotImplementedError

    def refuse(self, problems: list[Problem], what: str = "post") -> None:
        """Raise Permanent, naming every problem, when there are any."""
        if problems:
            raise Permanent(self.name, f"This {what} cannot go to {self.display_name}: "
                                       + " ".join(p.message for p in problems),
                            detail="; ".join(p.field for p in problems))

    def delete(self, tokens: Tokens, post_id: str) -> None:
        raise NotImplementedError

    def metrics(self, tokens: Tokens, post_id: str) -> Metrics:
        raise NotImplementedError

    def metrics_many(self, tokens: Tokens, post_ids: list[str]) -> dict[str, Metrics | Permanent]:
        """The numbers of up to `metrics_batch` posts in one request, keyed by
        post id, with an entry for every id asked. A post the network no longer
        has (deleted, hidden, or an id it cannot take) maps to the Permanent
        error `metrics()` would raise for it, so one gone post does not sink
        the others; an error of the whole request (RateLimited, Transient,
        AuthExpired, a refusal) is raised as by `metrics()`.

        This default asks `metrics()` once per id, so every network answers;
        networks with a documented multi-id read override it."""
        out: dict[str, Metrics | Permanent] = {}
        for post_id in dict.fromkeys(post_ids):
            try:
                out[post_id] = self.metrics(tokens, post_id)
            except Permanent as err:
                out[post_id] = err
        return out
