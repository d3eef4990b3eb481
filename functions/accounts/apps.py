"""Which network module serves a network, and postr's own app there.

An app is the client id and secret postr holds at a network (the network's
`client_id` / `client_secret` params, kernel.settings). Mastodon is the
exception (Capability.PER_INSTANCE_APP): every instance registers postr on
first use, and the registration is kept sealed in mastodonApps.
"""

import hashlib

import platforms
from kernel import clock, crypto, db, settings
from kernel.collections import MASTODON_APPS
from kernel.errors import FailedPrecondition, InvalidArgument
from platforms.base import AppCredentials, Capability


def platform(network: str):
    """The network's module; an unknown name is the caller's mistake."""
    try:
        return platforms.get(network)
    except (KeyError, ModuleNotFoundError):
        raise InvalidArgument(f"Unknown network '{network}'. Choose one of: {', '.join(platforms.names())}.") from None


def app(network: str, instance: str | None = None) -> AppCredentials:
    """Our app's credentials at a network (at one instance, where each has its own)."""
    module = platform(network)
    if Capability.PER_INSTANCE_APP in module.capabilities:
        return _instance_app(module, instance)
    if not module.uses_oauth or module.client_id is None:
        return AppCredentials("")  # no app of ours there (Bluesky: app passwords)
    if not module.client_id.value:
        raise FailedPrecondition(f"Connecting {module.display_name} is not configured yet. Please try again later.")
    return AppCredentials(module.client_id.value, settings.secret_value(module.client_secret))


def _instance_app(module, instance: str | None) -> AppCredentials:
    if not instance:
        raise InvalidArgument(f"{module.display_name} needs your server's address, such as https://mastodon.social.")
    base = module.check(instance)
    redirect_uri = settings.OAUTH_CALLBACK_URL.value
    ref = db.doc(MASTODON_APPS, hashlib.sha256(f"{base}\0{redirect_uri}".encode()).hexdigest()[:32])
    snap = ref.get()
    if snap.exists:
        return module.app_class(client_id=snap.get("clientId"), instance=base,
                                client_secret=crypto.open_sealed(snap.get("clientSecret"), f"{MASTODON_APPS}/{ref.id}"))
    registered = module.register_app(base, redirect_uri, website=settings.FRONTEND_URL.value)
    ref.set({"instance": base, "clientId": registered.client_id, "redirectUri": redirect_uri, "createdAt": clock.now(),
             "clientSecret": crypto.seal(registered.client_secret or "", f"{MASTODON_APPS}/{ref.id}")})
    return registered
