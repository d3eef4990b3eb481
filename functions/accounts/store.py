"""Connected accounts in Firestore: the public document (accounts/{id}) and its
sealed tokens (accountTokens/{id}), written together and never apart.

The id is derived from (uid, network, network account id), so connecting the
same network account again lands on the same documents: never a duplicate,
even when two callbacks race.
"""

import datetime as _dt
import hashlib
import json

from kernel import clock, crypto, db
from kernel.collections import ACCOUNT_TOKENS, ACCOUNTS

ACTIVE, RECONNECT_NEEDED, PAUSED = "active", "reconnect_needed", "paused"

# Fields of accounts/{id} a client may see; tokens live elsewhere.
PUBLIC_FIELDS = ("network", "accountId", "handle", "displayName", "avatarUrl", "followersCount", "scopes",
                 "tokenExpiresAt", "status", "statusReason", "connectedAt", "updatedAt")


def account_id(uid: str, network: str, network_account_id: str) -> str:
    digest = hashlib.sha256(f"{uid}\0{network}\0{network_account_id}".encode()).hexdigest()[:24]
    return f"{network}-{digest}"


def _ctx(doc_id: str, field: str) -> str:
    return f"{ACCOUNT_TOKENS}/{doc_id}:{field}"


def save(uid: str, network: str, profile, tokens) -> tuple[str, bool]:
    """Create or update the account and its tokens in one transaction.
    Returns (account id, created). A refresh token is never replaced by an empty one."""
    doc_id = account_id(uid, network, profile.account_id)
    client = db.client()
    acc_ref = client.collection(ACCOUNTS).document(doc_id)
    tok_ref = client.collection(ACCOUNT_TOKENS).document(doc_id)
    now = clock.now()

    def write(tx) -> bool:
        existing = acc_ref.get(transaction=tx)
        old_tokens = tok_ref.get(transaction=tx)
        refresh = crypto.seal(tokens.refresh_token, _ctx(doc_id, "refresh")) if tokens.refresh_token else None
        if refresh is None and old_tokens.exists:
            refresh = old_tokens.get("refresh")
        account = {
            "uid": uid,
            "network": network,
            "accountId": profile.account_id,
            "handle": profile.handle,
            "displayName": profile.display_name,
            "avatarUrl": profile.avatar_url,
            "followersCount": profile.followers_count,
            "scopes": list(tokens.scopes),
            "tokenExpiresAt": tokens.expires_at,
            "updatedAt": now,
        }
        # Reconnecting fixes the connection, not the plan: an account paused for
        # the plan's limit stays paused.
        if not existing.exists or existing.get("status") != PAUSED:
            account.update(status=ACTIVE, statusReason=None)
        if not existing.exists:
            account["connectedAt"] = now
        tx.set(acc_ref, account, merge=True)
        tx.set(tok_ref, _sealed(uid, network, doc_id, tokens, refresh))
        return not existing.exists

    return doc_id, db.transaction(write)


def _sealed(uid: str, network: str, doc_id: str, tokens, refresh: str | None) -> dict:
    return {
        "uid": uid,
        "network": network,
        "access": crypto.seal(tokens.access_token, _ctx(doc_id, "access")),
        "refresh": refresh,
        "extra": crypto.seal(json.dumps(tokens.extra, default=str), _ctx(doc_id, "extra")),
        "expiresAt": tokens.expires_at,
        "scopes": list(tokens.scopes),
        "updatedAt": clock.now(),
    }


def load_tokens(doc_id: str):
    """The account's tokens, opened. None when it has none (disconnected)."""
    from platforms.base import Tokens

    snap = db.doc(ACCOUNT_TOKENS, doc_id).get()
    if not snap.exists:
        return None
    data = snap.to_dict()
    return Tokens(
        access_token=crypto.open_sealed(data["access"], _ctx(doc_id, "access")),
        refresh_token=crypto.open_sealed(data["refresh"], _ctx(doc_id, "refresh")) if data.get("refresh") else None,
        expires_at=data.get("expiresAt"),
        scopes=list(data.get("scopes") or []),
        extra=json.loads(crypto.open_sealed(data["extra"], _ctx(doc_id, "extra"))) if data.get("extra") else {},
    )


def store_refreshed(doc_id: str, tokens) -> None:
    """After a refresh: new tokens sealed, expiry on the account; the old refresh
    token stays when the network did not send a new one."""
    snap = db.doc(ACCOUNT_TOKENS, doc_id).get()
    old = snap.to_dict() if snap.exists else {}
    refresh = crypto.seal(tokens.refresh_token, _ctx(doc_id, "refresh")) if tokens.refresh_token else old.get("refresh")
    batch = db.client().batch()
    batch.set(db.doc(ACCOUNT_TOKENS, doc_id), _sealed(old.get("uid"), old.get("network"), doc_id, tokens, refresh))
    # A refresh answer may say the grant changed (scopes held when it does not).
    batch.update(db.doc(ACCOUNTS, doc_id), {"tokenExpiresAt": tokens.expires_at, "scopes": list(tokens.scopes),
                                            "lastRefreshAt": clock.now(), "updatedAt": clock.now()})
    batch.commit()


def public_view(doc_id: str, data: dict) -> dict:
    """What the owner sees of an account. `scopes` are the ones the network
    granted; `missingScopes` are those postr asked for and did not get (a
    narrower grant, which may leave something postr does unavailable), or
    None when the network did not say what it granted."""
    return {"id": doc_id, **{k: data.get(k) for k in PUBLIC_FIELDS},
            "missingScopes": missing_scopes(data.get("network"), data.get("scopes"))}


def missing_scopes(network: str | None, granted: list[str] | None) -> list[str] | None:
    import platforms

    try:
        platform = platforms.get(network or "")
    except (KeyError, ModuleNotFoundError):
        return None
    return platform.missing_scopes(list(granted or []))


def count_connected(uid: str) -> int:
    from google.cloud.firestore import FieldFilter

    query = db.client().collection(ACCOUNTS).where(filter=FieldFilter("uid", "==", uid))
    return int(query.count().get()[0][0].value)


def expiring_before(deadline: _dt.datetime) -> list:
    from google.cloud.firestore import FieldFilter

    query = (db.client().collection(ACCOUNTS)
             .where(filter=FieldFilter("status", "==", ACTIVE))
             .where(filter=FieldFilter("tokenExpiresAt", "<=", deadline)))
    return list(query.stream())


def seal_tokens(tokens, context: str) -> str:
    """All of a Tokens sealed as one value (a connection waiting for a choice)."""
    return crypto.seal(json.dumps({
        "access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
        "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else None,
        "scopes": list(tokens.scopes), "extra": tokens.extra,
    }, default=str), context)


def open_tokens(sealed: str, context: str):
    from platforms.base import Tokens

    data = json.loads(crypto.open_sealed(sealed, context))
    expires = _dt.datetime.fromisoformat(data["expires_at"]) if data.get("expires_at") else None
    return Tokens(data["access_token"], data.get("refresh_token"), expires, data.get("scopes") or [],
                  data.get("extra") or {})
