"""The Pages a person can let postr publish to, and the one they chose.

Postr publishes as a Page, chosen after sign-in: `GET /me/accounts` lists the
Pages the person granted postr, each with its tasks and a Page access token
(cursor paging). The chosen Page's id and token go in `Tokens.extra`; the
token stays on the server.
"""

from collections.abc import Callable
from dataclasses import dataclass

from platforms.base import Tokens
from platforms.errors import Permanent
from platforms.facebook.api import NAME, NUMERIC_ID

# /me/accounts pages of 100: enough for anyone managing 1,000 Pages.
MAX_ACCOUNT_PAGES = 10


class PageNotSelected(Permanent):
    """Signed in, but no Page chosen yet: list `pages(...)`, then `select_page`."""


@dataclass(frozen=True)
class Page:
    """A Page the person can choose (no token: those stay on the server)."""

    id: str
    name: str
    picture_url: str | None
    tasks: tuple[str, ...]

    @property
    def can_publish(self) -> bool:
        return "CREATE_CONTENT" in self.tasks


def accounts(call: Callable[..., dict], tokens: Tokens, fields: str) -> list[dict]:
    """Every Page of /me/accounts, with these fields; `call` is the platform's Graph request."""
    found: list[dict] = []
    after = None
    for _ in range(MAX_ACCOUNT_PAGES):
        params = {"fields": fields, "limit": "100"}
        if after:
            params["after"] = after
        body = call("GET", "/me/accounts", token=tokens.access_token, params=params)
        found += [item for item in body.get("data") or [] if isinstance(item, dict)]
        paging = body.get("paging") or {}
        after = (paging.get("cursors") or {}).get("after")
        if not paging.get("next") or not after:
            break
    return found


def with_page(tokens: Tokens, items: list[dict], page_id: str) -> Tokens:
    """The tokens with this Page chosen: its id and Page token in `extra`.
    Refuses a Page the person does not manage or may not publish to."""
    for item in items:
        if str(item.get("id")) != page_id:
            continue
        page = page_of(item)
        if not page.can_publish:
            raise Permanent(NAME, f"Your role on the Page “{page.name}” does not let you publish; ask one of "
                                  "its admins for a role that can create content.", detail="no CREATE_CONTENT")
        if not item.get("access_token"):
            raise Permanent(NAME, "Facebook did not give postr access to that Page; connect Facebook again and "
                                  "choose the Page when asked.", detail="no page token")
        return Tokens(access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                      expires_at=tokens.expires_at, scopes=list(tokens.scopes),
                      extra={**tokens.extra, "page_id": page_id, "page_token": item["access_token"]})
    raise Permanent(NAME, "You do not manage that page, or did not let postr use it: connect Facebook again "
                          "and choose it when Facebook asks which Pages postr may use.",
                    detail="page not in /me/accounts")


def check_page_id(page_id: str) -> str:
    page_id = str(page_id or "").strip()
    if not NUMERIC_ID.fullmatch(page_id):
        raise Permanent(NAME, "That is not a Facebook Page id.", detail="bad page id")
    return page_id


def selected(tokens: Tokens) -> tuple[str, str]:
    """The chosen Page's id and token."""
    page_id, page_token = tokens.extra.get("page_id"), tokens.extra.get("page_token")
    if not page_id or not page_token:
        raise PageNotSelected(NAME, "Choose which Facebook Page postr should publish to.", detail="no page chosen")
    return str(page_id), str(page_token)


def page_of(item: dict) -> Page:
    return Page(id=str(item.get("id")), name=item.get("name") or "", picture_url=picture(item),
                tasks=tuple(t for t in item.get("tasks") or [] if isinstance(t, str)))


def picture(node: dict) -> str | None:
    picture = node.get("picture")
    data = picture.get("data") if isinstance(picture, dict) else None
    return data.get("url") if isinstance(data, dict) else None
