"""Connected accounts: connect (OAuth with state + PKCE, or app passwords),
list, disconnect, and the scheduled token refresh that warns people once when
an account needs reconnecting."""

from typing import Annotated

from pydantic import StringConstraints

from accounts import apps, connect, disconnect, key_rotation, refresh, store
from handlers.edge import Caller, callable_handler
from handlers.schema import Id, Strict
from kernel import db, log, settings
from kernel.collections import ACCOUNTS
from kernel.errors import Aborted, InvalidArgument, NotFound, Unavailable, from_store
from platforms.base import Capability


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


@callable_handler(StartConnection, network_judges="input")
def start_connection(caller: Caller, payload: StartConnection) -> dict:
    _, profile = caller.profile()
    return connect.start(caller.uid, profile.get("plan"), payload.network, payload.instanceUrl)


@callable_handler(ConnectWithAppPassword, network_judges="input")
def connect_with_app_password(caller: Caller, payload: ConnectWithAppPassword) -> dict:
    _, profile = caller.profile()
    return connect.with_app_password(caller.uid, profile.get("plan"), payload.network, payload.identifier,
                                     payload.appPassword, payload.serviceUrl)


@callable_handler(ListAccounts)
def list_accounts(caller: Caller, _payload: ListAccounts) -> dict:
    from google.cloud.firestore import FieldFilter

    docs = db.client().collection(ACCOUNTS).where(filter=FieldFilter("uid", "==", caller.uid)).stream()
    accounts = sorted((store.public_view(d.id, d.to_dict()) for d in docs),
                      key=lambda a: (a["network"], a["handle"] or ""))
    return {"accounts": accounts}


@callable_handler(ListBoards)
def list_boards(caller: Caller, payload: ListBoards) -> dict:
    """The boards a connected Pinterest account can pin to (a post names one)."""
    snap = db.doc(ACCOUNTS, payload.accountId).get()
    if not snap.exists or snap.get("uid") != caller.uid:
        raise NotFound("That account is not connected to your postr account.")
    platform = apps.platform(snap.get("network"))
    if Capability.BOARDS not in platform.capabilities:
        raise InvalidArgument(f"{platform.display_name} has no boards.")
    tokens = store.load_tokens(payload.accountId)
    boards = platform.boards(tokens)
    return {"boards": [{"id": b.id, "name": b.name, "privacy": b.privacy, "owner": b.owner_username} for b in boards]}


@callable_handler(DisconnectAccount)
def disconnect_account(caller: Caller, payload: DisconnectAccount) -> dict:
    snap = db.doc(ACCOUNTS, payload.accountId).get()
    if not snap.exists or snap.get("uid") != caller.uid:
        raise NotFound("That account is not connected to your postr account.")
    done = disconnect.disconnect(snap, cancel_reason="The account was disconnected.", why="requested")
    return {"disconnected": payload.accountId, **done}


@callable_handler(PendingChoices)
def list_pending_choices(caller: Caller, payload: PendingChoices) -> dict:
    """The Pages a person can connect after signing in to Facebook (no tokens)."""
    return connect.pending_choices(caller.uid, payload.pendingId)


@callable_handler(CompleteConnection, network_judges="input")
def complete_connection(caller: Caller, payload: CompleteConnection) -> dict:
    """Connect the Page the person chose; refuses one they do not manage."""
    _, profile = caller.profile()
    return connect.choose(caller.uid, profile.get("plan"), payload.pendingId, payload.choiceId)


def oauth_callback(request):
    """Where the network sends the browser back. Ends with a redirect to the web
    app carrying the outcome (never a token): ?connected=<network>&account=<id>
    or ?error=<code>&network=<network>."""
    import urllib.parse

    from flask import redirect

    try:
        outcome = connect.complete(request)
    except Exception as exc:
        # Contention or a busy store: nothing was saved, and the person can start again.
        if not isinstance(exc, Aborted | Unavailable) and from_store(exc) is None:
            raise
        outcome = {"error": "try_again"}
    target = f"{settings.FRONTEND_URL.value.rstrip('/')}/accounts?{urllib.parse.urlencode(outcome)}"
    return redirect(target, code=302)


def refresh_expiring_tokens(_event=None) -> dict:
    """Every 15 minutes: tokens that expire within their network's window (accounts.refresh)."""
    return refresh.refresh_expiring()


def reseal_tokens(_event=None) -> dict:
    """Daily: sealed tokens and app secrets still under an old key move to the current
    one (accounts.key_rotation), so a retired key is never needed again."""
    log.new_request_id()
    return key_rotation.reseal_all()
