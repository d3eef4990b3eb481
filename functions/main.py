"""Entry points only: each decorator hands over to a handler, imported on first call
so a cold start pays only for firebase_functions and firebase_admin."""

from firebase_admin import initialize_app
from firebase_functions import https_fn, identity_fn, options

from core import edge

# Callable token verification (firebase_functions) needs the default Admin app.
initialize_app()

options.set_global_options(region="us-central1", max_instances=20)


def on_call(**options_):
    """https_fn.on_call, with non-JSON bodies refused as INVALID_ARGUMENT."""
    return lambda fn: edge.json_guard(https_fn.on_call(**options_)(fn))


def _serve(req: https_fn.CallableRequest, module: str, name: str):
    import importlib

    return edge.run(req, getattr(importlib.import_module(f"handlers.{module}"), name))


def _blocking(module: str, name: str, event):
    import importlib

    from core import errors

    try:
        return getattr(importlib.import_module(f"handlers.{module}"), name)(event)
    except errors.PostrError as err:
        raise edge.to_https_error(err) from None


# --- auth blocking hooks -------------------------------------------------------


@identity_fn.before_user_created()
def before_user_created(event: identity_fn.AuthBlockingEvent) -> None:
    return _blocking("auth_hooks", "before_user_created", event)


@identity_fn.before_user_signed_in()
def before_user_signed_in(event: identity_fn.AuthBlockingEvent) -> None:
    return _blocking("auth_hooks", "before_user_signed_in", event)


# --- profile ---------------------------------------------------------------------


@on_call()
def get_profile(req: https_fn.CallableRequest):
    return _serve(req, "profile", "get_profile")


@on_call()
def update_profile(req: https_fn.CallableRequest):
    return _serve(req, "profile", "update_profile")


@on_call()
def complete_onboarding(req: https_fn.CallableRequest):
    return _serve(req, "profile", "complete_onboarding")
