"""The one source of "now" for everything time-dependent, so tests can move time."""

import contextlib
import datetime as _dt
from collections.abc import Callable, Iterator

UTC = _dt.timezone.utc

_source: Callable[[], _dt.datetime] | None = None


def now() -> _dt.datetime:
    """Current time, timezone-aware in UTC."""
    if _source is not None:
        return _source()
    return _dt.datetime.now(UTC)


@contextlib.contextmanager
def use(source: Callable[[], _dt.datetime]) -> Iterator[None]:
    """Run with another clock (a fixed instant or a controllable one)."""
    global _source
    previous, _source = _source, source
    try:
        yield
    finally:
        _source = previous


def frozen(at: _dt.datetime):
    """A clock stopped at `at` (must be aware)."""
    if at.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime")
    return use(lambda: at.astimezone(UTC))
