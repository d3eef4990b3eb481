"""Calling a network as one connected account, for publishing and analytics.

`call_as(account_id, action)` loads the account's tokens and runs
`action(platform, tokens)`. When the network says the token expired (or it has
expired by the clock) the token is refreshed once (accounts.refresh.renew, the
same path as the scheduled refresh), stored, and the action tried again; a
refresh the network refuses marks the account reconnect_needed and tells its
owner once. An account that is gone, paused or waiting for a reconnect raises
ReconnectNeeded at once, without calling the network.
"""

from collections.abc import Callable
from typing import TypeVar

from accounts import store
from accounts.refresh import ReconnectNeeded, mark_reconnect_needed, renew
from kernel import clock, db
from kernel.collections import ACCOUNTS
from platforms.errors import AuthExpired

T = TypeVar("T")

__all__ = ["ReconnectNeeded", "call_as"]


def call_as(account_id: str, action: Callable[..., T], *, snap=None) -> T:
    """Run action(platform, tokens) as the account; see the module doc.
    Raises ReconnectNeeded or what the action raises (platforms.errors)."""
    import platforms

    snap = snap if snap is not None else db.doc(ACCOUNTS, account_id).get()
    if not snap.exists:
        raise ReconnectNeeded("postr", "The account was disconnected. Connect it again to post there.")
    data = snap.to_dict()
    network = data.get("network")
    platform = platforms.get(network)
    status = data.get("status")
    if status != store.ACTIVE:
        why = ("is paused because your plan allows fewer accounts" if status == store.PAUSED
               else "needs to be reconnected")
        raise ReconnectNeeded(network, f"Your {platform.display_name} account @{data.get('handle')} {why}.")
    tokens = store.load_tokens(account_id)
    if tokens is None:
        raise ReconnectNeeded(network, f"Your {platform.display_name} account needs to be reconnected.")
    if tokens.expires_at is not None and tokens.expires_at <= clock.now() and tokens.refresh_token:
        tokens = renew(snap, platform, tokens)
    for refreshed in (False, True):
        try:
            return action(platform, tokens)
        except AuthExpired as err:  # (a thread cut short midway is PartlyPublished: never sent again)
            if refreshed:
                mark_reconnect_needed(snap, err.message)
                raise ReconnectNeeded(network, f"{platform.display_name} refused the account's access: "
                                               f"{err.message}") from None
        tokens = renew(snap, platform, tokens)
