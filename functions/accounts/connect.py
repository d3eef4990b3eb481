"""Connecting an account: the OAuth flow (a state that works once, PKCE where the
network uses it, the callback that saves the account), app passwords
(Capability.APP_PASSWORD) and the choice of a Page after a person's login
(Capability.PAGES). The plan's account limit holds at every step that adds an
account; a reconnect of an account postr already holds is always allowed.
"""

import base64
import datetime as _dt
import hashlib
import secrets

from kernel import clock, crypto, db, log, plans, settings
from kernel.collections import ACCOUNTS, OAUTH_STATES, PENDING_CONNECTIONS, USERS
from kernel.errors import FailedPrecondition, InvalidArgument, NotFound, ResourceExhausted
from platforms.base import Capability
from platforms.errors import PlatformError

from accounts import apps, store

STATE_TTL = _dt.timedelta(minutes=10)
CHOICE_TTL = _dt.timedelta(minutes=15)


def start(uid: str, plan: str | None, network: str, instance_url: str | None) -> dict:
    """The URL of the network's sign-in page, and until when the flow is open."""
    platform = apps.platform(network)
    if not platform.uses_oauth:
        raise InvalidArgument(f"{platform.display_name} connects with an app password, not a sign-in page.")
    if not _has_account_on(uid, network):
        # At the limit, only a reconnect can succeed: the callback checks again for new accounts.
        check_room(uid, plan)
    app = apps.app(network, instance_url)
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64) if platform.uses_pkce else None
    challenge = (base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
                 if verifier else None)
    redirect_uri = settings.OAUTH_CALLBACK_URL.value
    url = platform.authorization_url(app, state=state, redirect_uri=redirect_uri, code_challenge=challenge)
    now = clock.now()
    sid = _state_id(state)
    db.doc(OAUTH_STATES, sid).create({
        "uid": uid,
        "network": network,
        "verifier": crypto.seal(verifier, f"{OAUTH_STATES}/{sid}:verifier") if verifier else None,
        "redirectUri": redirect_uri,
        "instance": getattr(app, "instance", None),
        "createdAt": now,
        "expiresAt": now + STATE_TTL,
    })
    log.security_event("account_connect_started", uid, network=network)
    return {"authorizationUrl": url, "expiresAt": now + STATE_TTL}


def with_app_password(uid: str, plan: str | None, network: str, identifier: str, app_password: str,
                      service_url: str | None) -> dict:
    platform = apps.platform(network)
    if Capability.APP_PASSWORD not in platform.capabilities:
        raise InvalidArgument(f"{platform.display_name} connects through its sign-in page: use start_connection.")
    tokens = platform.sign_in(identifier, app_password, service_url)
    who = platform.profile(tokens)
    doc_id = _save(uid, plan, network, who, tokens)
    return store.public_view(doc_id, db.doc(ACCOUNTS, doc_id).get().to_dict())


def complete(request) -> dict:
    """The network sent the browser back: the outcome for the web app (never a token),
    {connected, account}, {choose, pending} or {error, network}."""
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
    platform = apps.platform(network)
    try:
        verifier = (crypto.open_sealed(flow["verifier"], f"{OAUTH_STATES}/{_state_id(state)}:verifier")
                    if flow.get("verifier") else None)
        tokens = platform.exchange_code(apps.app(network, flow.get("instance")), code=code,
                                        redirect_uri=flow["redirectUri"], code_verifier=verifier)
        if Capability.PAGES in platform.capabilities:
            # A Facebook login is for a person; postr posts as a Page they pick next.
            return {"choose": network, "pending": _hold_for_choice(uid, network, tokens)}
        who = platform.profile(tokens)
    except PlatformError as err:
        log.warn("oauth exchange failed", network=network, error=type(err).__name__, detail=err.detail)
        return {"error": "exchange_failed", "network": network}
    try:
        doc_id = _save(uid, db.doc(USERS, uid).get().get("plan"), network, who, tokens)
    except ResourceExhausted:
        return {"error": "plan_limit", "network": network}
    return {"connected": network, "account": doc_id}


def pending_choices(uid: str, pending_id: str) -> dict:
    """The Pages a person can connect after signing in (no tokens)."""
    _, data, tokens = _pending(uid, pending_id)
    pages = apps.platform(data["network"]).pages(tokens)
    return {"network": data["network"],
            "choices": [{"id": p.id, "name": p.name, "pictureUrl": p.picture_url, "tasks": list(p.tasks)}
                        for p in pages]}


def choose(uid: str, plan: str | None, pending_id: str, choice_id: str) -> dict:
    """Connect the Page the person chose; refuses one they do not manage."""
    ref, data, tokens = _pending(uid, pending_id)
    network = data["network"]
    platform = apps.platform(network)
    chosen = platform.select_page(tokens, choice_id)
    who = platform.profile(chosen)
    doc_id = _save(uid, plan, network, who, chosen)
    ref.delete()
    return store.public_view(doc_id, db.doc(ACCOUNTS, doc_id).get().to_dict())


def check_room(uid: str, plan_name: str | None) -> None:
    limit = plans.plan(plan_name).connected_accounts
    if store.count_connected(uid) >= limit:
        raise ResourceExhausted(
            f"Your plan allows {limit} connected accounts. Disconnect one or upgrade your plan to add more."
        )


def _save(uid: str, plan: str | None, network: str, who, tokens) -> str:
    """Save the account, within the plan's limit unless postr holds it already; a new
    one is a product event (the network's name only)."""
    if not db.doc(ACCOUNTS, store.account_id(uid, network, who.account_id)).get().exists:
        check_room(uid, plan)
    doc_id, created = store.save(uid, network, who, tokens)
    if created:
        from telemetry import product

        product.capture(uid, product.ACCOUNT_CONNECTED, {"network": network})
    log.security_event("account_connected", uid, network=network, accountId=doc_id, created=created)
    return doc_id


def _has_account_on(uid: str, network: str) -> bool:
    from google.cloud.firestore import FieldFilter

    query = (db.client().collection(ACCOUNTS).where(filter=FieldFilter("uid", "==", uid))
             .where(filter=FieldFilter("network", "==", network)).limit(1))
    return any(True for _ in query.stream())


def _state_id(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _hold_for_choice(uid: str, network: str, tokens) -> str:
    ref = db.client().collection(PENDING_CONNECTIONS).document()
    now = clock.now()
    ref.set({"uid": uid, "network": network, "createdAt": now, "expiresAt": now + CHOICE_TTL,
             "tokens": store.seal_tokens(tokens, f"{PENDING_CONNECTIONS}/{ref.id}")})
    return ref.id


def _pending(uid: str, pending_id: str):
    ref = db.doc(PENDING_CONNECTIONS, pending_id)
    snap = ref.get()
    if not snap.exists or snap.get("uid") != uid:
        raise NotFound("That connection is not waiting for a choice. Start connecting again.")
    if snap.get("expiresAt") <= clock.now():
        ref.delete()
        raise FailedPrecondition("That connection waited too long for a choice. Start connecting again.")
    data = snap.to_dict()
    return ref, data, store.open_tokens(data["tokens"], f"{PENDING_CONNECTIONS}/{pending_id}")


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
