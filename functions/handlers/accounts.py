"""Connected accounts: connect (OAuth with state + PKCE, or app passwords),
list, disconnect, and the scheduled token refresh that warns people once when
an account needs reconnecting."""

import base64
import datetime as _dt
import hashlib
import secrets
from typing import Annotated

from pydantic import StringConstraints

import platforms
from accounts import store as account_store
from handlers.edge import Caller, callable_handler
from handlers.schema import Id, Strict
from kernel import clock, crypto, db, log, notify, plans, settings, users
from kernel.collections import ACCOUNT_TOKENS, ACCOUNTS, MASTODON_APPS, OAUTH_STATES, PENDING_CONNECTIONS, POSTS
from kernel.errors import (Aborted, FailedPrecondition, InvalidArgument, NotFound, ResourceExhausted, Unavailable,
                           from_store)
from platforms.base import AppCredentials
from platforms.errors import AuthExpired, PlatformError, RateLimited, Transient

STATE_TTL = _dt.timedelta(minutes=10)
CHOICE_TTL = _dt.timedelta(minutes=15)

# How long before expiry each network's token is refreshed (its lifetime decides).
REFRESH_AHEAD = {
    "x": _dt.timedelta(minutes=30),  # access tokens live 2 hours
    "bluesky": _dt.timedelta(minutes=30),  # access JWTs live about 2 hours
    "threads": _dt.timedelta(days=7),  # long-lived tokens live 60 days
    "linkedin": _dt.timedelta(days=7),  # access tokens live 60 days
    "mastodon": _dt.timedelta(days=1),  # usually no expiry at all
    "instagram": _dt.timedelta(days=7),  # long-lived tokens live 60 days
    "facebook": _dt.timedelta(days=7),  # long-lived user tokens live 60 days
    "tiktok": _dt.timedelta(hours=2),  # access tokens live 24 hours
    "youtube": _dt.timedelta(minutes=15),  # Google access tokens live 1 hour
    "pinterest": _dt.timedelta(days=3),  # access tokens live 30 days
}
DEFAULT_REFRESH_AHEAD = _dt.timedelta(hours=1)


Network = Annotated[str, StringConstraints(min_length=1, max_length=32)]


class StartConnection(Strict):
    network: Network
    instanceUrl: Annotated[str, StringConstraints(max_length=300)] | None = None


class ConnectWithAppPassword(Strict):
    network: Network
    identifier: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=253)]
    appPassword: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    serviceUrl: Annotated[str, StringConstraints(max_length=300)] | None = None


class ListAccounts(Strict):
    pass


class PendingChoices(Strict):
    pendingId: Id


class CompleteConnection(Strict):
    pendingId: Id
    choiceId: Id


class ListBoards(Strict):
    accountId: Id


class DisconnectAccount(Strict):
    accountId: Id


def _platform(network: str):
    try:
        return platforms.get(network)
    except (KeyError, ModuleNotFoundError):
        raise InvalidArgument(
            f"Unknown network '{network}'. Choose one of: {', '.join(platforms.names())}."
        ) from None


def _app(network: str, instance: str | None = None) -> AppCredentials:
    """Our app's credentials at a network. Mastodon has one app per instance,
    registered on first use and kept sealed in mastodonApps."""
    if network == "mastodon":
        return _mastodon_app(instance)
    if network not in settings.OAUTH_CLIENT_IDS:
        return AppCredentials("")  # no app of ours there (Bluesky: app passwords)
    client_id = settings.OAUTH_CLIENT_IDS.get(network)
    if client_id is None or not client_id.value:
        raise FailedPrecondition(f"Connecting {network} is not configured yet. Please try again later.")
    return AppCredentials(client_id.value, settings.secret_value(settings.OAUTH_CLIENT_SECRETS[network]))


def _mastodon_app(instance: str | None) -> AppCredentials:
    from platforms.mastodon import MastodonApp

    if not instance:
        raise InvalidArgument("Mastodon needs your server's address, such as https://mastodon.social.")
    platform = platforms.get("mastodon")
    try:
        base = platform.check(instance)
    except PlatformError as err:
        raise InvalidArgument(err.message) from None
    redirect_uri = settings.OAUTH_CALLBACK_URL.value
    ref = db.doc(MASTODON_APPS, hashlib.sha256(f"{base}\0{redirect_uri}".encode()).hexdigest()[:32])
    snap = ref.get()
    if snap.exists:
        return MastodonApp(client_id=snap.get("clientId"), instance=base,
                           client_secret=crypto.open_sealed(snap.get("clientSecret"), f"{MASTODON_APPS}/{ref.id}"))
    try:
        app = platform.register_app(base, redirect_uri, website=settings.FRONTEND_URL.value)
    except (Transient, RateLimited) as err:
        raise Unavailable(err.message) from None
    except PlatformError as err:
        raise InvalidArgument(err.message) from None
    ref.set({"instance": base, "clientId": app.client_id, "redirectUri": redirect_uri, "createdAt": clock.now(),
             "clientSecret": crypto.seal(app.client_secret or "", f"{MASTODON_APPS}/{ref.id}")})
    return app


def _check_room(uid: str, plan_name: str | None) -> None:
    limit = plans.plan(plan_name).connected_accounts
    if account_store.count_connected(uid) >= limit:
        raise ResourceExhausted(
            f"Your plan allows {limit} connected accounts. Disconnect one or upgrade your plan to add more."
        )


def _has_account_on(uid: str, network: str) -> bool:
    from google.cloud.firestore import FieldFilter

    query = (db.client().collection(ACCOUNTS).where(filter=FieldFilter("uid", "==", uid))
             .where(filter=FieldFilter("network", "==", network)).limit(1))
    return any(True for _ in query.stream())


def _state_id(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


@callable_handler(StartConnection)
def start_connection(caller: Caller, payload: StartConnection) -> dict:
    _, profile = caller.profile()
    platform = _platform(payload.network)
    if not platform.uses_oauth:
        raise InvalidArgument(f"{platform.display_name} connects with an app password, not a sign-in page.")
    if not _has_account_on(caller.uid, payload.network):
        # At the limit, only a reconnect can succeed: the callback checks again for new accounts.
        _check_room(caller.uid, profile.get("plan"))
    app = _app(payload.network, payload.instanceUrl)
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64) if platform.uses_pkce else None
    challenge = (base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
                 if verifier else None)
    redirect_uri = settings.OAUTH_CALLBACK_URL.value
    url = platform.authorization_url(app, state=state, redirect_uri=redirect_uri, code_challenge=challenge)
    now = clock.now()
    sid = _state_id(state)
    db.doc(OAUTH_STATES, sid).create({
        "uid": caller.uid,
        "network": payload.network,
        "verifier": crypto.seal(verifier, f"{OAUTH_STATES}/{sid}:verifier") if verifier else None,
        "redirectUri": redirect_uri,
        "instance": getattr(app, "instance", None),
        "createdAt": now,
        "expiresAt": now + STATE_TTL,
    })
    log.security_event("account_connect_started", caller.uid, network=payload.network)
    return {"authorizationUrl": url, "expiresAt": now + STATE_TTL}


@callable_handler(ConnectWithAppPassword)
def connect_with_app_password(caller: Caller, payload: ConnectWithAppPassword) -> dict:
    _, profile = caller.profile()
    platform = _platform(payload.network)
    if platform.uses_oauth or not hasattr(platform, "sign_in"):
        raise InvalidArgument(f"{platform.display_name} connects through its sign-in page: use start_connection.")
    try:
        tokens = platform.sign_in(payload.identifier, payload.appPassword, payload.serviceUrl)
        who = platform.profile(tokens)
    except AuthExpired:
        raise InvalidArgument("That handle and app password were not accepted. Check them and try again.") from None
    except (Transient, RateLimited) as err:
        raise Unavailable(err.message) from None
    except PlatformError as err:
        raise InvalidArgument(err.message) from None
    doc_id = account_store.account_id(caller.uid, payload.network, who.account_id)
    if not db.doc(ACCOUNTS, doc_id).get().exists:
        _check_room(caller.uid, profile.get("plan"))
    doc_id, created = account_store.save(caller.uid, payload.network, who, tokens)
    _connected(caller.uid, payload.network, created)
    log.security_event("account_connected", caller.uid, network=payload.network, accountId=doc_id, created=created)
    snap = db.doc(ACCOUNTS, doc_id).get()
    return account_store.public_view(doc_id, snap.to_dict())


@callable_handler(ListAccounts)
def list_accounts(caller: Caller, _payload: ListAccounts) -> dict:
    from google.cloud.firestore import FieldFilter

    docs = db.client().collection(ACCOUNTS).where(filter=FieldFilter("uid", "==", caller.uid)).stream()
    accounts = sorted((account_store.public_view(d.id, d.to_dict()) for d in docs),
                      key=lambda a: (a["network"], a["handle"] or ""))
    return {"accounts": accounts}


@callable_handler(ListBoards)
def list_boards(caller: Caller, payload: ListBoards) -> dict:
    """The boards a connected Pinterest account can pin to (a post names one)."""
    snap = db.doc(ACCOUNTS, payload.accountId).get()
    if not snap.exists or snap.get("uid") != caller.uid:
        raise NotFound("That account is not connected to your postr account.")
    platform = _platform(snap.get("network"))
    if not hasattr(platform, "boards"):
        raise InvalidArgument(f"{platform.display_name} has no boards.")
    tokens = account_store.load_tokens(payload.accountId)
    try:
        boards = platform.boards(tokens)
    except AuthExpired:
        raise FailedPrecondition(f"Your {platform.display_name} connection expired; reconnect it.") from None
    except (Transient, RateLimited) as err:
        raise Unavailable(err.message) from None
    except PlatformError as err:
        raise FailedPrecondition(err.message) from None
    return {"boards": [{"id": b.id, "name": b.name, "privacy": b.privacy, "owner": b.owner_username} for b in boards]}


@callable_handler(DisconnectAccount)
def disconnect_account(caller: Caller, payload: DisconnectAccount) -> dict:
    ref = db.doc(ACCOUNTS, payload.accountId)
    snap = ref.get()
    if not snap.exists or snap.get("uid") != caller.uid:
        raise NotFound("That account is not connected to your postr account.")
    network = snap.get("network")
    revoked = _revoke(payload.accountId, network)
    cancelled = cancel_pending_publishes(payload.accountId, "The account was disconnected.")
    batch = db.client().batch()
    batch.delete(db.doc(ACCOUNT_TOKENS, payload.accountId))
    batch.delete(ref)
    batch.commit()
    log.security_event("account_disconnected", caller.uid, network=network, accountId=payload.accountId,
                       revokedAtNetwork=revoked, cancelledPosts=cancelled)
    return {"disconnected": payload.accountId, "revokedAtNetwork": revoked, "cancelledPosts": cancelled}


def _revoke(doc_id: str, network: str) -> bool:
    """Revoke at the network where it can; a failure there never keeps the tokens here."""
    try:
        if not _platform(network).revokes:
            return False  # the network documents no way (Platform.revokes): the person removes postr there
        tokens = account_store.load_tokens(doc_id)
        if tokens is None:
            return False
        return bool(_platform(network).revoke(_app(network, tokens.extra.get("instance")), tokens))
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
        if target.get("status") in ("draft", "scheduled", "paused", None):
            snap.reference.update({f"targets.{account_id}.status": "cancelled",
                                   f"targets.{account_id}.error": reason,
                                   "updatedAt": clock.now()})
            cancelled += 1
    return cancelled


# --- the OAuth callback (HTTP) ------------------------------------------------------


def oauth_callback(request):
    """Where the network sends the browser back. Ends with a redirect to the web
    app carrying the outcome (never a token): ?connected=<network>&account=<id>
    or ?error=<code>&network=<network>."""
    import urllib.parse

    from flask import redirect

    try:
        outcome = _complete(request)
    except Exception as exc:
        # Contention or a busy store: nothing was saved, and the person can start again.
        if not isinstance(exc, Aborted | Unavailable) and from_store(exc) is None:
            raise
        outcome = {"error": "try_again"}
    target = f"{settings.FRONTEND_URL.value.rstrip('/')}/accounts?{urllib.parse.urlencode(outcome)}"
    return redirect(target, code=302)


def _complete(request) -> dict:
    state = request.args.get("state", "")
    if not state or len(state) > 200:
        return {"error": "invalid_state"}
    flow = _consume_state(state)
    if flow is None:
        log.security_event("oauth_state_refused", None, reason="unknown_or_replayed")
        return {"error": "invalid_state"}
    network, uid = flow["network"], flow["uid"]
    if flow["expiresAt"] <= clock.now():
        log.security_event("oauth_state_refused", uid, reason="expired", network=network)
        return {"error": "expired_state", "network": network}
    caller = _session_uid(request)
    if caller != uid:
        log.security_event("oauth_state_refused", uid, reason="wrong_user" if caller else "not_signed_in",
                           network=network)
        return {"error": "wrong_user" if caller else "not_signed_in", "network": network}
    if request.args.get("error"):
        reason = "denied" if request.args.get("error") == "access_denied" else "network_error"
        log.info("network refused the connection", network=network, error=request.args.get("error")[:100])
        return {"error": reason, "network": network}
    code = request.args.get("code")
    if not code:
        return {"error": "missing_code", "network": network}
    platform = _platform(network)
    try:
        verifier = (crypto.open_sealed(flow["verifier"], f"{OAUTH_STATES}/{_state_id(state)}:verifier")
                    if flow.get("verifier") else None)
        tokens = platform.exchange_code(_app(network, flow.get("instance")), code=code, redirect_uri=flow["redirectUri"],
                                        code_verifier=verifier)
        if hasattr(platform, "pages"):
            # A Facebook login is for a person; postr posts as a Page they pick next.
            return {"choose": network, "pending": _hold_for_choice(uid, network, tokens)}
        who = platform.profile(tokens)
    except PlatformError as err:
        log.warn("oauth exchange failed", network=network, error=type(err).__name__, detail=err.detail)
        return {"error": "exchange_failed", "network": network}
    doc_id = account_store.account_id(uid, network, who.account_id)
    if not db.doc(ACCOUNTS, doc_id).get().exists:
        try:
            _check_room(uid, db.doc("users", uid).get().get("plan"))
        except ResourceExhausted:
            return {"error": "plan_limit", "network": network}
    doc_id, created = account_store.save(uid, network, who, tokens)
    _connected(uid, network, created)
    log.security_event("account_connected", uid, network=network, accountId=doc_id, created=created)
    return {"connected": network, "account": doc_id}


def _hold_for_choice(uid: str, network: str, tokens) -> str:
    ref = db.client().collection(PENDING_CONNECTIONS).document()
    now = clock.now()
    ref.set({"uid": uid, "network": network, "createdAt": now, "expiresAt": now + CHOICE_TTL,
             "tokens": account_store.seal_tokens(tokens, f"{PENDING_CONNECTIONS}/{ref.id}")})
    return ref.id


def _pending(caller: Caller, pending_id: str):
    ref = db.doc(PENDING_CONNECTIONS, pending_id)
    snap = ref.get()
    if not snap.exists or snap.get("uid") != caller.uid:
        raise NotFound("That connection is not waiting for a choice. Start connecting again.")
    if snap.get("expiresAt") <= clock.now():
        ref.delete()
        raise FailedPrecondition("That connection waited too long for a choice. Start connecting again.")
    data = snap.to_dict()
    return ref, data, account_store.open_tokens(data["tokens"], f"{PENDING_CONNECTIONS}/{pending_id}")


@callable_handler(PendingChoices)
def list_pending_choices(caller: Caller, payload: PendingChoices) -> dict:
    """The Pages a person can connect after signing in to Facebook (no tokens)."""
    _, data, tokens = _pending(caller, payload.pendingId)
    try:
        pages = _platform(data["network"]).pages(tokens)
    except (Transient, RateLimited) as err:
        raise Unavailable(err.message) from None
    except PlatformError as err:
        raise FailedPrecondition(err.message) from None
    return {"network": data["network"],
            "choices": [{"id": p.id, "name": p.name, "pictureUrl": p.picture_url, "tasks": list(p.tasks)}
                        for p in pages]}


@callable_handler(CompleteConnection)
def complete_connection(caller: Caller, payload: CompleteConnection) -> dict:
    """Connect the Page the person chose; refuses one they do not manage."""
    _, profile = caller.profile()
    ref, data, tokens = _pending(caller, payload.pendingId)
    network = data["network"]
    platform = _platform(network)
    try:
        chosen = platform.select_page(tokens, payload.choiceId)
        who = platform.profile(chosen)
    except (Transient, RateLimited) as err:
        raise Unavailable(err.message) from None
    except PlatformError as err:
        raise InvalidArgument(err.message) from None
    if not db.doc(ACCOUNTS, account_store.account_id(caller.uid, network, who.account_id)).get().exists:
        _check_room(caller.uid, profile.get("plan"))
    doc_id, created = account_store.save(caller.uid, network, who, chosen)
    _connected(caller.uid, network, created)
    ref.delete()
    log.security_event("account_connected", caller.uid, network=network, accountId=doc_id, created=created)
    return account_store.public_view(doc_id, db.doc(ACCOUNTS, doc_id).get().to_dict())


def _consume_state(state: str) -> dict | None:
    """Read and delete the flow in one transaction: a state works once."""
    ref = db.doc(OAUTH_STATES, _state_id(state))

    def take(tx):
        snap = ref.get(transaction=tx)
        if not snap.exists:
            return None
        tx.delete(ref)
        return snap.to_dict()

    return db.transaction(take)


def _session_uid(request) -> str | None:
    """The signed-in person completing the flow: Firebase Hosting forwards only
    the `__session` cookie, where the web app puts the user's ID token."""
    from firebase_admin import auth

    token = request.cookies.get("__session")
    if not token:
        return None
    try:
        return auth.verify_id_token(token)["uid"]
    except Exception:  # invalid, expired or revoked: not a signed-in caller
        return None


# --- scheduled refresh ------------------------------------------------------------------


def _connected(uid: str, network: str, created: bool) -> None:
    """A newly connected account is a product event (names only: the network)."""
    if created:
        from telemetry import product as analytics_product

        analytics_product.capture(uid, analytics_product.ACCOUNT_CONNECTED, {"network": network})


def reseal_tokens() -> dict:
    """Daily: sealed tokens and app secrets still under an old key move to the current
    one (accounts.key_rotation), so a retired key is never needed again."""
    from accounts import key_rotation

    log.new_request_id()
    return key_rotation.reseal_all()


def refresh_expiring_tokens() -> dict:
    """Refresh every active account whose token expires within its network's
    window. An auth failure marks the account reconnect_needed and tells its
    owner once; transient failures wait for the next run."""
    now = clock.now()
    horizon = now + max(REFRESH_AHEAD.values())
    counts = {"refreshed": 0, "reconnect_needed": 0, "deferred": 0}
    due = [snap for snap in account_store.expiring_before(horizon)
           if snap.get("tokenExpiresAt") is not None
           and snap.get("tokenExpiresAt") <= now + REFRESH_AHEAD.get(snap.get("network"), DEFAULT_REFRESH_AHEAD)]
    owners = users.active_uids(snap.get("uid") for snap in due)  # a disabled account's tokens are left to lapse
    for snap in due:
        network = snap.get("network")
        if snap.get("uid") not in owners:
            continue
        tokens = account_store.load_tokens(snap.id)
        if tokens is None:
            continue
        try:
            fresh = _platform(network).refresh(_app(network, tokens.extra.get("instance")), tokens)
        except (Transient, RateLimited) as err:
            log.warn("token refresh deferred", network=network, accountId=snap.id, error=type(err).__name__)
            counts["deferred"] += 1
            continue
        except (PlatformError, FailedPrecondition, InvalidArgument) as err:
            _mark_reconnect_needed(snap, getattr(err, "message", str(err)))
            counts["reconnect_needed"] += 1
            continue
        account_store.store_refreshed(snap.id, fresh)
        counts["refreshed"] += 1
    log.info("token refresh run", **counts)
    return counts


def _mark_reconnect_needed(snap, reason: str) -> None:
    data = snap.to_dict()
    network = data.get("network")
    display = _platform(network).display_name
    snap.reference.update({"status": account_store.RECONNECT_NEEDED, "statusReason": reason,
                           "updatedAt": clock.now()})
    log.security_event("token_refresh_failed", data.get("uid"), network=network, accountId=snap.id)
    since = data.get("connectedAt") or data.get("updatedAt")
    notify.notify(
        data["uid"], kind="account_reconnect_needed", category="transactional",
        title=f"Reconnect your {display} account",
        body=(f"postr can no longer post to {display} as @{data.get('handle')}: {reason} "
              "Reconnect it in Accounts so your scheduled posts go out."),
        dedupe_key=f"reconnect:{snap.id}:{since.isoformat() if since else ''}",
    )
