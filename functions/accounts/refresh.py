"""Keeping tokens alive: one way to refresh an account's token, used by the
scheduled job (ahead of expiry, the network's `refresh_ahead`) and by a call
that found the token expired (accounts.calls).

A refresh the network refuses (revoked, expired for good, the app gone) marks
the account reconnect_needed and tells its owner once; a transient failure
waits for the next try. A closed account's tokens are left to lapse.
"""

from accounts import apps, store
from kernel import clock, log, notify, users
from kernel.errors import PostrError
from platforms.errors import Permanent, PlatformError, RateLimited, Transient


class ReconnectNeeded(Permanent):
    """The account cannot be used until its owner reconnects (or resumes) it."""


def renew(snap, platform, tokens):
    """Fresh tokens for the account `snap`, stored. Raises Transient or RateLimited
    (try later), or ReconnectNeeded after marking the account."""
    try:
        fresh = platform.refresh(apps.app(platform.name, tokens.extra.get("instance")), tokens)
    except (Transient, RateLimited):
        raise
    except (PlatformError, PostrError) as err:  # the network refused, or no app of ours is configured there
        reason = err.message or "the token could not be refreshed"
        mark_reconnect_needed(snap, reason)
        raise ReconnectNeeded(platform.name, f"Your {platform.display_name} account needs to be reconnected: "
                                             f"{reason}") from None
    store.store_refreshed(snap.id, fresh)
    return fresh


def refresh_expiring() -> dict:
    """Refresh every active account whose token expires within its network's window."""
    import platforms

    now = clock.now()
    lead = {name: platforms.get(name).refresh_ahead for name in platforms.names()}
    counts = {"refreshed": 0, "reconnect_needed": 0, "deferred": 0}
    due = [snap for snap in store.expiring_before(now + max(lead.values()))
           if snap.get("tokenExpiresAt") is not None and snap.get("network") in lead
           and snap.get("tokenExpiresAt") <= now + lead[snap.get("network")]]
    owners = users.active_uids(snap.get("uid") for snap in due)  # a closed account's tokens are left to lapse
    for snap in due:
        if snap.get("uid") not in owners:
            continue
        tokens = store.load_tokens(snap.id)
        if tokens is None:
            continue
        try:
            renew(snap, platforms.get(snap.get("network")), tokens)
        except (Transient, RateLimited) as err:
            log.warn("token refresh deferred", network=snap.get("network"), accountId=snap.id,
                     error=type(err).__name__)
            counts["deferred"] += 1
            continue
        except PlatformError:
            counts["reconnect_needed"] += 1
            continue
        counts["refreshed"] += 1
    log.info("token refresh run", **counts)
    return counts


def mark_reconnect_needed(snap, reason: str) -> None:
    import platforms

    data = snap.to_dict()
    network = data.get("network")
    display = platforms.get(network).display_name
    snap.reference.update({"status": store.RECONNECT_NEEDED, "statusReason": reason, "updatedAt": clock.now()})
    log.security_event("token_refresh_failed", data.get("uid"), network=network, accountId=snap.id)
    since = data.get("connectedAt") or data.get("updatedAt")
    notify.notify(
        data["uid"], kind="account_reconnect_needed", category="transactional",
        title=f"Reconnect your {display} account",
        body=(f"postr can no longer post to {display} as @{data.get('handle')}: {reason} "
              "Reconnect it in Accounts so your scheduled posts go out."),
        dedupe_key=f"reconnect:{snap.id}:{since.isoformat() if since else ''}",
    )
