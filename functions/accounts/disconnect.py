"""Disconnecting an account, one way for the person's own request and for account
deletion: revoke at the network where it documents a way (Platform.revokes),
cancel the account's target in every post not yet published to it, delete its
tokens and the account, and log the security event.
"""

from kernel import clock, db, log
from kernel.collections import ACCOUNT_TOKENS, POSTS

from accounts import apps, store

# Target states that have not gone out yet (the posts feature's shape).
PENDING = ("draft", "scheduled", "paused", None)


def disconnect(snap, *, cancel_reason: str, why: str) -> dict:
    """Disconnect the account `snap` (an accounts/{id} snapshot). Returns
    {revokedAtNetwork, cancelledPosts}."""
    network = snap.get("network")
    revoked = revoke(snap.id, network)
    cancelled = cancel_pending_publishes(snap.id, cancel_reason)
    batch = db.client().batch()
    batch.delete(db.doc(ACCOUNT_TOKENS, snap.id))
    batch.delete(snap.reference)
    batch.commit()
    log.security_event("account_disconnected", snap.get("uid"), network=network, accountId=snap.id,
                       revokedAtNetwork=revoked, cancelledPosts=cancelled, reason=why)
    return {"revokedAtNetwork": revoked, "cancelledPosts": cancelled}


def revoke(doc_id: str, network: str) -> bool:
    """Revoke at the network where it can; a failure there never keeps the tokens here."""
    try:
        module = apps.platform(network)
        if not module.revokes:
            return False  # the network documents no way: the person removes postr there
        tokens = store.load_tokens(doc_id)
        if tokens is None:
            return False
        return bool(module.revoke(apps.app(network, tokens.extra.get("instance")), tokens))
    except Exception as exc:  # revocation is best effort; the tokens are deleted regardless
        log.warn("revoke at network failed", network=network, accountId=doc_id, error=type(exc).__name__)
        return False


def cancel_pending_publishes(account_id: str, reason: str) -> int:
    """Cancel this account's target in every post not yet published to it.
    Posts list their targets' account ids in `targetAccountIds` and keep each
    target's state in `targets.<accountId>.status` (the posts feature's shape)."""
    from google.cloud.firestore import FieldFilter

    cancelled = 0
    query = db.client().collection(POSTS).where(filter=FieldFilter("targetAccountIds", "array_contains", account_id))
    for snap in query.stream():
        target = (snap.get("targets") or {}).get(account_id) or {}
        if target.get("status") in PENDING:
            snap.reference.update({f"targets.{account_id}.status": "cancelled",
                                   f"targets.{account_id}.error": reason,
                                   "updatedAt": clock.now()})
            cancelled += 1
    return cancelled
