"""The boards a person can pin to and their sections: `GET /v5/boards` lists
their own boards and the group boards they collaborate on (bookmark
pagination), and `GET /v5/boards/{id}` answers 200 only for those, so a
publish checks the chosen board and section before uploading anything."""

from collections.abc import Iterator
from dataclasses import dataclass

from platforms import http
from platforms.base import Tokens
from platforms.errors import Permanent
from platforms.pinterest.api import NAME, api, bearer, error, is_id

BOARD_PAGE_SIZE = 250
MAX_PAGES = 40  # 10,000 boards or sections: beyond that the answer is not a list a person picks from


@dataclass(frozen=True)
class Board:
    id: str
    name: str
    privacy: str | None  # PUBLIC, PROTECTED or SECRET
    owner_username: str | None


@dataclass(frozen=True)
class BoardSection:
    id: str
    name: str


def list_boards(tokens: Tokens) -> list[Board]:
    return [Board(id=str(b["id"]), name=str(b.get("name") or ""), privacy=b.get("privacy"),
                  owner_username=(b.get("owner") or {}).get("username"))
            for b in _pages(tokens, "/v5/boards", "listing your Pinterest boards")]


def list_sections(tokens: Tokens, board_id: str) -> list[BoardSection]:
    if not is_id(board_id):
        raise Permanent(NAME, "That is not a Pinterest board id; choose the board again.")
    return [BoardSection(id=str(s["id"]), name=str(s.get("name") or ""))
            for s in _pages(tokens, f"/v5/boards/{board_id}/sections", "listing the board's sections")]


def check_board(tokens: Tokens, board_id: str, section_id: str | None) -> None:
    """Whether the board is one the person can pin to and the section is on it."""
    response = http.send(NAME, "GET", api(f"/v5/boards/{board_id}"), idempotent=True, headers=bearer(tokens))
    if response.status_code in (403, 404):
        raise Permanent(NAME, "That Pinterest board is not one of yours (or no longer exists); choose one of your "
                              "boards.", status=response.status_code,
                        detail=f"board {response.status_code} {http.json_object(response).get('code')}")
    if response.status_code != 200:
        raise error(response, "checking the board")
    if section_id and section_id not in {s.id for s in list_sections(tokens, board_id)}:
        raise Permanent(NAME, "That section is not on the chosen Pinterest board; choose the section again.",
                        detail="section not on board")


def _pages(tokens: Tokens, path: str, doing: str) -> Iterator[dict]:
    bookmark = None
    for _ in range(MAX_PAGES):
        params = {"page_size": BOARD_PAGE_SIZE, **({"bookmark": bookmark} if bookmark else {})}
        response = http.send(NAME, "GET", api(path), idempotent=True, params=params, headers=bearer(tokens))
        if response.status_code != 200:
            raise error(response, doing)
        body = http.json_object(response)
        yield from (item for item in body.get("items") or [] if isinstance(item, dict) and item.get("id"))
        bookmark = body.get("bookmark")
        if not bookmark:
            return
