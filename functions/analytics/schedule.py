"""When a published post's numbers are read: a decaying schedule.

Engagement moves fast in the first hours and hardly at all after a month, so a
target is read at fixed ages after it was published and then never again.
A run that comes late (the collector was down, the account needed a
reconnect) reads once and moves on to the next age still ahead, rather than
making up every missed reading in a burst.
"""

import datetime as _dt

# Ages after publishing at which a target is read; the last one ends its collection.
CHECKPOINTS: tuple[tuple[str, _dt.timedelta], ...] = (
    ("1h", _dt.timedelta(hours=1)),
    ("6h", _dt.timedelta(hours=6)),
    ("24h", _dt.timedelta(hours=24)),
    ("3d", _dt.timedelta(days=3)),
    ("7d", _dt.timedelta(days=7)),
    ("30d", _dt.timedelta(days=30)),
)
LAST_AGE = CHECKPOINTS[-1][1]


def first_due(published_at: _dt.datetime) -> tuple[int, _dt.datetime]:
    """The first checkpoint of a newly found target: (step, when)."""
    return 0, published_at + CHECKPOINTS[0][1]


def label(step: int) -> str:
    return CHECKPOINTS[step][0]


def after_reading(published_at: _dt.datetime, now: _dt.datetime) -> tuple[int, _dt.datetime] | None:
    """The checkpoint after a reading taken at `now`: the first age still ahead,
    or None when the target is finished (its last age has passed)."""
    for step, (_, age) in enumerate(CHECKPOINTS):
        if published_at + age > now:
            return step, published_at + age
    return None


def reached(published_at: _dt.datetime, now: _dt.datetime) -> int:
    """The latest checkpoint a reading at `now` stands for (-1: before the first)."""
    step = -1
    for index, (_, age) in enumerate(CHECKPOINTS):
        if published_at + age <= now:
            step = index
    return step
