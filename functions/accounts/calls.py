"""Calling a network as one connected account, for publishing and analytics.

`call_as(account_id, action)` loads the account's tokens and runs
`action(platform, tokens)`. When the network says the token expired (or it has
expired by the clock) the token is refreshed once, stored, and the action tried
again; a refresh the network refuses marks the account reconnect_needed and
tells its owner once (the same path as the scheduled refresh). An account that
is gone, paused or waiting for a reconnect raises ReconnectNeeded at once,
without calling the network.
"""

from collections.abc import Callable
from typing import TypeVar

from accounts import store as account_store
from kernel import clock, db, log
from kernel.collections import ACCOUNTS
from platforms.errors import AuthExpired, Permanent, PlatformError, RateLimited, Transient

T = TypeVar("T")


class ReconnectNeeded(Permanent):
    """The account cannot be used until its owner reconnects (or resumes) it."""


def call_as(account_id: str, action: Callable[..., T], *, snap=None) -> T:
    """Run action(platform, tokens) as the account; see the module doc.
    Raises ReconnectNeeded or what the action raises (platforms.errors)."""
    import platforms
    from handlers import accounts

    snap = snap if snap is not None else db.doc(ACCOUNTS, account_id).get()
    if not snap.exists:
        raise ReconnectNeeded("postr", "The account was disconnected. Connect it again to post there.")
    data = snap.to_dict()
    network = data.get("network")
    platform = platforms.get(network)
    status = data.get("status")
    if status != account_store.ACTIVE:
        why = ("is paused because your plan allows fewer accounts" if status == account_store.PAUSED
               else "needs to be reconnected")
        raise ReconnectNeeded(network, f"Your {platform.display_name} account @{data.get('handle')} {why}.")
    tokens = account_store.load_tokens(account_id)
    if tokens is None:
        raise ReconnectNeeded(network, f"Your {platform.display_name} account needs to be reconnected.")
    if tokens.expires_at is not None and tokens.expires_at <= clock.now() and tokens.refresh_token:
        tokens = _refresh(snap, platform, tokens)
    for refreshed in (False, True):
        try:
            return action(platform, tokens)
        except AuthExpired as err:
            # A thread that failed midway must not be sent again from the start.
            if getattr(err, "partial", None) is not None:
                raise
            if refreshed:
                accounts._mark_reconnect_needed(snap, err.message)
                raise ReconnectNeeded(network, f"{platform.display_name} refused the account's access: "
                                               f"{err.message}") from None
        tokens = _refresh(snap, platform, tokens)


def _refresh(snap, platform, tokens):
    from handlers import accounts

    network = platform.name
    try:
        fresh = platform.refresh(accounts._app(network, tokens.extra.get("instance")), tokens)
    except (Transient, RateLimited):
        raise
    except PlatformError as err:
        accounts._mark_reconnect_needed(snap, err.message)
        raise ReconnectNeeded(network, f"Your {platform.display_name} account needs to be reconnected: "
                                       f"{err.message}") from None
    except Exception as err:  # no app configured for the network, and the like
        message = getattr(err, "message", None) or "the token could not be refreshed"
        raise ReconnectNeeded(network, message) from None
    account_store.store_refreshed(snap.id, fresh)
    log.info("token refreshed on use", network=network, accountId=snap.id)
    return fresh
