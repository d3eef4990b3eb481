"""Helpers the posts tests import by name (a module name no other test folder uses)."""

import datetime as _dt

UTC = _dt.timezone.utc


def statuses(fake) -> list:
    """The statuses the Mastodon fake was asked to create."""
    return fake.received("POST", r"/api/v1/statuses")
