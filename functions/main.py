"""Entry points only: each decorator hands over to a handler, imported on first call
so a cold start pays only for firebase_functions and firebase_admin."""

import os

from firebase_admin import initialize_app
from firebase_functions import https_fn, identity_fn, options, scheduler_fn

from handlers import edge
from kernel import settings

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

    from kernel import errors

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


@on_call(secrets=settings.ANALYTICS_SECRETS)
def complete_onboarding(req: https_fn.CallableRequest):
    return _serve(req, "profile", "complete_onboarding")


# --- connected accounts --------------------------------------------------------------


@on_call(secrets=settings.ACCOUNT_SECRETS)
def start_connection(req: https_fn.CallableRequest):
    return _serve(req, "accounts", "start_connection")


@on_call(secrets=settings.ACCOUNT_SECRETS)
def connect_with_app_password(req: https_fn.CallableRequest):
    return _serve(req, "accounts", "connect_with_app_password")


@on_call(secrets=settings.ACCOUNT_SECRETS)
def list_pending_choices(req: https_fn.CallableRequest):
    return _serve(req, "accounts", "list_pending_choices")


@on_call(secrets=settings.ACCOUNT_SECRETS)
def complete_connection(req: https_fn.CallableRequest):
    return _serve(req, "accounts", "complete_connection")


@on_call()
def list_accounts(req: https_fn.CallableRequest):
    return _serve(req, "accounts", "list_accounts")


@on_call(secrets=settings.ACCOUNT_SECRETS)
def list_boards(req: https_fn.CallableRequest):
    return _serve(req, "accounts", "list_boards")


@on_call(secrets=settings.ACCOUNT_SECRETS)
def disconnect_account(req: https_fn.CallableRequest):
    return _serve(req, "accounts", "disconnect_account")


@https_fn.on_request(secrets=settings.ACCOUNT_SECRETS)
def oauth_callback(req: https_fn.Request) -> https_fn.Response:
    from handlers import accounts

    return accounts.oauth_callback(req)


@scheduler_fn.on_schedule(schedule="every 15 minutes", secrets=settings.ACCOUNT_SECRETS)
def refresh_account_tokens(_event: scheduler_fn.ScheduledEvent) -> None:
    from handlers import accounts

    accounts.refresh_expiring_tokens()


@scheduler_fn.on_schedule(schedule="every day 04:00", secrets=[settings.TOKEN_ENCRYPTION_KEYS], timeout_sec=540)
def reseal_tokens(_event: scheduler_fn.ScheduledEvent) -> None:
    from handlers import accounts

    accounts.reseal_tokens()


# --- billing ---------------------------------------------------------------------


@on_call(secrets=settings.BILLING_SECRETS)
def create_checkout_session(req: https_fn.CallableRequest):
    return _serve(req, "billing", "create_checkout_session")


@on_call(secrets=settings.BILLING_SECRETS)
def create_portal_session(req: https_fn.CallableRequest):
    return _serve(req, "billing", "create_portal_session")


@on_call()
def get_subscription(req: https_fn.CallableRequest):
    return _serve(req, "billing", "get_subscription")


@https_fn.on_request(secrets=settings.STRIPE_WEBHOOK_SECRETS)
def stripe_webhook(req: https_fn.Request) -> https_fn.Response:
    from handlers import billing

    return billing.stripe_webhook(req)


@scheduler_fn.on_schedule(schedule="every 1 hours", secrets=settings.STRIPE_WEBHOOK_SECRETS)
def expire_billing_grace(_event: scheduler_fn.ScheduledEvent) -> None:
    from handlers import billing

    billing.expire_grace_periods()


# --- ai writing -------------------------------------------------------------------
# The provider keys are secrets of these functions only. 180 s covers a draft and
# one regeneration, each within its retry budget (ai.providers.POLICY).


@on_call(secrets=settings.AI_SECRETS, timeout_sec=180)
def ai_generate(req: https_fn.CallableRequest):
    return _serve(req, "ai", "ai_generate")


@on_call(secrets=settings.AI_SECRETS, timeout_sec=180)
def ai_enhance(req: https_fn.CallableRequest):
    return _serve(req, "ai", "ai_enhance")


@on_call(secrets=settings.AI_SECRETS, timeout_sec=120)
def ai_hashtags(req: https_fn.CallableRequest):
    return _serve(req, "ai", "ai_hashtags")


@on_call()
def ai_history(req: https_fn.CallableRequest):
    return _serve(req, "ai", "ai_history")


# --- privacy (policy 6, 7, 11; support 2.1) ------------------------------------------
# Task targets are private: only the tasks service account (TASKS_SERVICE_ACCOUNT)
# may invoke them in production.


@on_call()
def request_export(req: https_fn.CallableRequest):
    return _serve(req, "privacy", "request_export")


@on_call()
def get_export(req: https_fn.CallableRequest):
    return _serve(req, "privacy", "get_export")


@https_fn.on_request(invoker="private", timeout_sec=1800, memory=options.MemoryOption.GB_1,
                     secrets=settings.NOTIFY_SECRETS)
def build_export(req: https_fn.Request) -> https_fn.Response:
    from handlers import privacy

    return privacy.build_export(req)


@on_call(secrets=settings.DELETION_SECRETS, timeout_sec=300)
def delete_account(req: https_fn.CallableRequest):
    return _serve(req, "privacy", "delete_account")


@scheduler_fn.on_schedule(schedule="every 1 hours", secrets=settings.DELETION_SECRETS, timeout_sec=540)
def resume_account_deletions(_event: scheduler_fn.ScheduledEvent) -> None:
    from handlers import privacy

    privacy.resume_account_deletions()


@scheduler_fn.on_schedule(schedule="every day 03:00", timeout_sec=540)
def purge_expired_accounts(_event: scheduler_fn.ScheduledEvent) -> None:
    from handlers import privacy

    privacy.purge_expired_accounts()


@on_call()
def list_privacy_requests(req: https_fn.CallableRequest):
    return _serve(req, "privacy", "list_privacy_requests")


@on_call()
def complete_privacy_request(req: https_fn.CallableRequest):
    return _serve(req, "privacy", "complete_privacy_request")


@on_call()
def publish_policy_version(req: https_fn.CallableRequest):
    return _serve(req, "privacy", "publish_policy_version")


@https_fn.on_request(invoker="private", timeout_sec=540, secrets=settings.NOTIFY_SECRETS)
def announce_policy_version(req: https_fn.Request) -> https_fn.Response:
    from handlers import privacy

    return privacy.announce_policy_version(req)


@on_call()
def accept_policy(req: https_fn.CallableRequest):
    return _serve(req, "privacy", "accept_policy")


@on_call()
def get_policy(req: https_fn.CallableRequest):
    return _serve(req, "privacy", "get_policy")


@on_call(secrets=settings.NOTIFY_SECRETS)
def send_support_message(req: https_fn.CallableRequest):
    return _serve(req, "privacy", "send_support_message")


@on_call()
def list_support_messages(req: https_fn.CallableRequest):
    return _serve(req, "privacy", "list_support_messages")


@on_call()
def close_support_message(req: https_fn.CallableRequest):
    return _serve(req, "privacy", "close_support_message")


@on_call()
def record_privacy_request(req: https_fn.CallableRequest):
    return _serve(req, "privacy", "record_privacy_request")


@scheduler_fn.on_schedule(schedule="every 1 hours", secrets=settings.NOTIFY_SECRETS)
def retry_support_emails(_event: scheduler_fn.ScheduledEvent) -> None:
    from handlers import privacy

    privacy.retry_support_emails()


@scheduler_fn.on_schedule(schedule="every day 08:00", secrets=settings.NOTIFY_SECRETS)
def remind_privacy_requests(_event: scheduler_fn.ScheduledEvent) -> None:
    from handlers import privacy

    privacy.remind_privacy_requests()


# --- analytics (policy 2.3, 3; issue 9) ---------------------------------------------------
# Collectors call networks as each account, so they need the token keyring, the OAuth
# apps (a token may be refreshed on use) and email (an account that needs reconnecting).


@on_call(secrets=settings.ANALYTICS_SECRETS)
def get_post_analytics(req: https_fn.CallableRequest):
    return _serve(req, "analytics", "get_post_analytics")


@on_call(secrets=settings.ANALYTICS_SECRETS)
def get_account_analytics(req: https_fn.CallableRequest):
    return _serve(req, "analytics", "get_account_analytics")


@on_call(secrets=settings.ANALYTICS_SECRETS)
def get_analytics_overview(req: https_fn.CallableRequest):
    return _serve(req, "analytics", "get_analytics_overview")


@on_call(secrets=settings.ANALYTICS_SECRETS)
def get_best_times(req: https_fn.CallableRequest):
    return _serve(req, "analytics", "get_best_times")


@scheduler_fn.on_schedule(schedule="every 1 hours", secrets=settings.PUBLISH_SECRETS, timeout_sec=540)
def collect_post_metrics(_event: scheduler_fn.ScheduledEvent) -> None:
    from handlers import analytics

    analytics.collect_post_metrics()


@scheduler_fn.on_schedule(schedule="every 6 hours", secrets=settings.PUBLISH_SECRETS, timeout_sec=540)
def collect_follower_counts(_event: scheduler_fn.ScheduledEvent) -> None:
    from handlers import analytics

    analytics.collect_follower_counts()


# --- posts and publishing (issue 6) ---------------------------------------------------
# Callables check and save posts and keep each post's task in step (the trigger below
# does too, for writes from anywhere); publish_post is the task target (private).


@on_call(secrets=settings.PUBLISH_SECRETS)
def create_post(req: https_fn.CallableRequest):
    return _serve(req, "posts", "create_post")


@on_call(secrets=settings.PUBLISH_SECRETS)
def update_post(req: https_fn.CallableRequest):
    return _serve(req, "posts", "update_post")


@on_call()
def delete_post(req: https_fn.CallableRequest):
    return _serve(req, "posts", "delete_post")


@on_call()
def get_post(req: https_fn.CallableRequest):
    return _serve(req, "posts", "get_post")


@on_call()
def list_posts(req: https_fn.CallableRequest):
    return _serve(req, "posts", "list_posts")


@on_call(secrets=settings.PUBLISH_SECRETS)
def publish_now(req: https_fn.CallableRequest):
    return _serve(req, "posts", "publish_now")


@on_call()
def duplicate_post(req: https_fn.CallableRequest):
    return _serve(req, "posts", "duplicate_post")


@https_fn.on_request(invoker="private", timeout_sec=1800, memory=options.MemoryOption.GB_1,
                     secrets=settings.PUBLISH_SECRETS)
def publish_post(req: https_fn.Request) -> https_fn.Response:
    from handlers import posts

    return posts.publish_post(req)


@scheduler_fn.on_schedule(schedule="every 1 minutes", timeout_sec=540, memory=options.MemoryOption.GB_1,
                          secrets=settings.PUBLISH_SECRETS)
def sweep_due_posts(_event: scheduler_fn.ScheduledEvent) -> None:
    from handlers import posts

    posts.sweep_due_posts()


# firestore_fn loads the Firestore client (about 140 ms). Cloud Run sets FUNCTION_TARGET to
# the one function each service runs, so only the trigger's own service (and the Firebase
# CLI's discovery, which sets none) defines it; every other cold start skips that import.
if os.environ.get("FUNCTION_TARGET") in (None, "", "on_post_written"):
    from firebase_functions import firestore_fn

    @firestore_fn.on_document_written(document="posts/{postId}")
    def on_post_written(event) -> None:
        from handlers import posts

        posts.on_post_written(event)


# A new profile is a sign-up: counted for product analytics here, not in the blocking hook,
# which must answer within seconds whatever the analytics services do.
if os.environ.get("FUNCTION_TARGET") in (None, "", "on_profile_created"):
    from firebase_functions import firestore_fn

    @firestore_fn.on_document_created(document="users/{uid}", secrets=settings.ANALYTICS_SECRETS)
    def on_profile_created(event) -> None:
        from handlers import auth_hooks

        auth_hooks.on_profile_created(event)
