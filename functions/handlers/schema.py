"""The pieces every callable's payload schema is made of, defined once.

- `Strict`: unknown fields refused, no coercion (a number is not a string, 1 is
  not true);
- `Id`: every document id a caller sends (posts, accounts, pending connections,
  exports, requests): letters, digits, `_` and `-`, so no id can name a path;
- `IsoDate`, `IsoDateTime`: dates and times are ISO 8601 strings only
  (`1990-01-01`, `2026-12-01T09:00:00+01:00`), never Unix seconds;
- `Confirm`: a confirmation is the JSON literal `true` and nothing else;
- `no_control` / `one_line`: text without control characters.
"""

import datetime as _dt
import re
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

ID_PATTERN = r"^[A-Za-z0-9_-]+$"
ID_MAX = 128

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # newlines and tabs are fine in longer text
_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("may not contain control characters")
    return value


def one_line(value: str) -> str:
    if _LINE_CONTROL.search(value):
        raise ValueError("must be one line without control characters")
    return value


def _date_text(value):
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError("must be a date as an ISO 8601 string, YYYY-MM-DD (such as 1990-01-31)")
    return value


def _datetime_text(value):
    if not isinstance(value, str) or not _DATETIME.match(value):
        raise ValueError("must be a date and time as an ISO 8601 string, such as 2026-12-01T09:00:00+01:00")
    return value


def _true(value):
    if value is not True:
        raise ValueError("must be true (the JSON literal) to confirm")
    return value


Id = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN)]
IsoDate = Annotated[_dt.date, BeforeValidator(_date_text), Field(strict=False)]
IsoDateTime = Annotated[_dt.datetime, BeforeValidator(_datetime_text), Field(strict=False)]
Confirm = Annotated[bool, BeforeValidator(_true)]
