"""Every setting and secret of the backend, declared once as firebase-functions params.

Deployed functions get values from the Firebase CLI (.env files, Secret Manager);
the emulators read functions/.env.local and functions/.secret.local (written by
`make dev`); tests set the same names in the environment. Defaults here are the
local ones, so nothing outside this module reads os.environ for configuration.
"""

import os

from firebase_functions.params import IntParam, SecretParam, StringParam

# AES-GCM keyring for OAuth tokens: {"current": "<kid>", "keys": {"<kid>": "<base64 32 bytes>"}}.
TOKEN_ENCRYPTION_KEYS = SecretParam("TOKEN_ENCRYPTION_KEYS")
# Resend API key; unset means email is not configured (logged, never faked as sent).
RESEND_API_KEY = SecretParam("RESEND_API_KEY")

RESEND_API_URL = StringParam("RESEND_API_URL", default="https://api.resend.com")
EMAIL_FROM = StringParam("EMAIL_FROM", default="postr <notifications@postr.app>")
OPERATOR_EMAIL = StringParam("OPERATOR_EMAIL", default="support@minnerlabs.com")
FRONTEND_URL = StringParam("FRONTEND_URL", default="http://127.0.0.1:3000")
MINIMUM_AGE = IntParam("MINIMUM_AGE", default=13)
# Media uploads; empty means the project's default bucket.
STORAGE_BUCKET = StringParam("STORAGE_BUCKET", default="")
TASKS_LOCATION = StringParam("TASKS_LOCATION", default="us-central1")

# Google Analytics 4's Measurement Protocol API secret, and a PostHog personal API key (scope
# person:write) to delete a person's events at account deletion; empty means off (see below).
GA4_API_SECRET = SecretParam("GA4_API_SECRET")
POSTHOG_PERSONAL_API_KEY = SecretParam("POSTHOG_PERSONAL_API_KEY")

# Secrets each kind of entry point needs, so main.py declares them in one place.
NOTIFY_SECRETS = [RESEND_API_KEY]
# Every function that sends product events (telemetry.product.capture) declares these.
ANALYTICS_SECRETS = [GA4_API_SECRET]


def project_id() -> str:
    """The GCP project, as Cloud Functions and the emulators both set it."""
    for name in ("GCLOUD_PROJECT", "GOOGLE_CLOUD_PROJECT"):
        value = os.environ.get(name)
        if value:
            return value
    return "demo-postr"


def secret_value(param: SecretParam) -> str | None:
    """A secret's value, or None when it is not configured (never raises, never logs)."""
    value = os.environ.get(param.name)
    return value or None

# --- connected accounts (OAuth apps per network) ---------------------------------
# Our app's client id per network is a plain param, its secret a secret param.
# Mastodon registers an app per instance at connect time; Bluesky uses app passwords.
OAUTH_CLIENT_IDS = {
    "x": StringParam("X_CLIENT_ID", default=""),
    "threads": StringParam("THREADS_CLIENT_ID", default=""),
    "linkedin": StringParam("LINKEDIN_CLIENT_ID", default=""),
    "instagram": StringParam("INSTAGRAM_CLIENT_ID", default=""),
    "facebook": StringParam("FACEBOOK_CLIENT_ID", default=""),
    "tiktok": StringParam("TIKTOK_CLIENT_KEY", default=""),
    "youtube": StringParam("YOUTUBE_CLIENT_ID", default=""),
    "pinterest": StringParam("PINTEREST_CLIENT_ID", default=""),
}
OAUTH_CLIENT_SECRETS = {
    "x": SecretParam("X_CLIENT_SECRET"),
    "threads": SecretParam("THREADS_CLIENT_SECRET"),
    "linkedin": SecretParam("LINKEDIN_CLIENT_SECRET"),
    "instagram": SecretParam("INSTAGRAM_CLIENT_SECRET"),
    "facebook": SecretParam("FACEBOOK_CLIENT_SECRET"),
    "tiktok": SecretParam("TIKTOK_CLIENT_SECRET"),
    "youtube": SecretParam("YOUTUBE_CLIENT_SECRET"),
    "pinterest": SecretParam("PINTEREST_CLIENT_SECRET"),
}
# Where networks send the browser back: the oauth_callback HTTP function (in
# production behind Firebase Hosting, on the web app's origin, so the
# __session cookie reaches it).
OAUTH_CALLBACK_URL = StringParam(
    "OAUTH_CALLBACK_URL", default="http://127.0.0.1:5001/demo-postr/us-central1/oauth_callback"
)
ACCOUNT_SECRETS = [TOKEN_ENCRYPTION_KEYS, *OAUTH_CLIENT_SECRETS.values(), *ANALYTICS_SECRETS]

# --- billing (Stripe) --------------------------------------------------------------
# Stripe's secret API key (sk_...) and the webhook endpoint's signing secret (whsec_...).
STRIPE_SECRET_KEY = SecretParam("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = SecretParam("STRIPE_WEBHOOK_SECRET")
# Stripe's API address; the local stack and the tests point it at a loopback stand-in.
STRIPE_API_BASE = StringParam("STRIPE_API_BASE", default="https://api.stripe.com")
# The recurring Stripe Price each paid plan is sold at; empty means it cannot be bought.
STRIPE_PRICE_PRO = StringParam("STRIPE_PRICE_PRO", default="")
STRIPE_PRICE_BUSINESS = StringParam("STRIPE_PRICE_BUSINESS", default="")
# Days a paid plan stays usable after a renewal payment fails (the grace period).
BILLING_GRACE_DAYS = IntParam("BILLING_GRACE_DAYS", default=7)
# Years payment records (retention="payment") are kept after an account is deleted:
# bookkeeping law, not the two-year content purge; 10 covers the longest common EU rule.
PAYMENT_RETENTION_YEARS = IntParam("PAYMENT_RETENTION_YEARS", default=10)
BILLING_SECRETS = [STRIPE_SECRET_KEY]
# The webhook also sends notices (payment failed), so it needs the email key too.
STRIPE_WEBHOOK_SECRETS = [STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, RESEND_API_KEY, *ANALYTICS_SECRETS]

# --- ai (policy 2.4: OpenAI, and xAI's Grok through its OpenAI-compatible API) ------
# Provider API keys; an unset key means that provider's models answer UNAVAILABLE.
OPENAI_API_KEY = SecretParam("OPENAI_API_KEY")
XAI_API_KEY = SecretParam("XAI_API_KEY")
# API addresses (the openai SDK's base_url); tests point them at a loopback fake.
OPENAI_BASE_URL = StringParam("OPENAI_BASE_URL", default="https://api.openai.com/v1")
XAI_BASE_URL = StringParam("XAI_BASE_URL", default="https://api.x.ai/v1")
AI_SECRETS = [OPENAI_API_KEY, XAI_API_KEY]

# --- privacy (policy 6, 7, 11) -------------------------------------------------------
from firebase_functions.params import BoolParam  # noqa: E402

# Years content, media, analytics and AI history are kept after an account is deleted (policy 6).
CONTENT_RETENTION_YEARS = IntParam("CONTENT_RETENTION_YEARS", default=2)
# Years the privacy-request register (retention="legal": proof that a person's rights were
# honoured) is kept after a request is completed, or after the account's deletion (policy 6:
# "legal and compliance data may be retained longer"); 6 outlasts the common limitation periods.
LEGAL_RETENTION_YEARS = IntParam("LEGAL_RETENTION_YEARS", default=6)
# The daily purge stops after this many deletions (documents and media files); the next run continues.
PURGE_MAX_DELETES = IntParam("PURGE_MAX_DELETES", default=50000)
# true: the purge only counts what it would delete, and deletes nothing.
PURGE_DRY_RUN = BoolParam("PURGE_DRY_RUN", default=False)
# The Cloud Tasks queue of privacy work (export archives, policy announcements).
PRIVACY_TASKS_QUEUE = StringParam("PRIVACY_TASKS_QUEUE", default="privacy")
# Where those tasks are delivered: the base address of this codebase's HTTP functions
# (production: https://<region>-<project>.cloudfunctions.net); the default is the local emulator.
PRIVACY_TASKS_URL = StringParam("PRIVACY_TASKS_URL", default="http://127.0.0.1:5001/demo-postr/us-central1")
# The service account Cloud Tasks signs its OIDC token as (it needs run.invoker on the task
# functions, which are private); empty sends no token (the local emulator checks none).
TASKS_SERVICE_ACCOUNT = StringParam("TASKS_SERVICE_ACCOUNT", default="")
# How long a data export's signed download link works; the app can ask for a fresh one.
EXPORT_LINK_MINUTES = IntParam("EXPORT_LINK_MINUTES", default=60)
# Days an export archive is kept in Storage before it is deleted.
EXPORT_ARCHIVE_DAYS = IntParam("EXPORT_ARCHIVE_DAYS", default=7)
# Deleting an account revokes network tokens, cancels Stripe and sends a confirmation.
DELETION_SECRETS = [TOKEN_ENCRYPTION_KEYS, *OAUTH_CLIENT_SECRETS.values(), STRIPE_SECRET_KEY, RESEND_API_KEY,
                    POSTHOG_PERSONAL_API_KEY]

# --- analytics (policy 2.3, 3, 7.4; issue 9) -----------------------------------------
# Calls for post numbers per network, and per connected account, in one collector run
# (hourly); what is left waits, oldest first, for the next run. A network's own 429 also
# stops that network for the run.
ANALYTICS_CALLS_PER_NETWORK = IntParam("ANALYTICS_CALLS_PER_NETWORK", default=300)
ANALYTICS_CALLS_PER_ACCOUNT = IntParam("ANALYTICS_CALLS_PER_ACCOUNT", default=30)
# Product analytics (PostHog): the project API key (write-only, phc_...) and the ingestion
# host; an empty key sends nothing. Never sent for a person who opted out (policy 7.4).
POSTHOG_PROJECT_API_KEY = StringParam("POSTHOG_PROJECT_API_KEY", default="")
POSTHOG_HOST = StringParam("POSTHOG_HOST", default="https://us.i.posthog.com")
# PostHog's private API, to delete a person and their events when their account is deleted
# (policy 7.3): the project's id and a personal API key (phx_..., scope person:write); either
# empty means PostHog is not asked (logged). The private API is on the app host
# (us.posthog.com, eu.posthog.com), not on the ingestion host above.
POSTHOG_PROJECT_ID = StringParam("POSTHOG_PROJECT_ID", default="")
POSTHOG_API_HOST = StringParam("POSTHOG_API_HOST", default="https://us.posthog.com")
# Google Analytics 4 (policy 2.4, 4.2) through the Measurement Protocol: the web data stream's
# measurement id (G-...) and one of its Measurement Protocol API secrets; either empty sends
# nothing. Collection in the EU: https://region1.google-analytics.com. Never sent for a person
# who opted out (policy 7.4).
GA4_MEASUREMENT_ID = StringParam("GA4_MEASUREMENT_ID", default="")
GA4_BASE_URL = StringParam("GA4_BASE_URL", default="https://www.google-analytics.com")
# Error tracking (Sentry): the project's DSN; empty sends nothing.
SENTRY_DSN = StringParam("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = StringParam("SENTRY_ENVIRONMENT", default="production")

# --- posts and publishing (issue 6) ---------------------------------------------------
# The Cloud Tasks queue that fires each post at its time (tasks go to the publish_post
# HTTP function at PRIVACY_TASKS_URL's base address, signed as TASKS_SERVICE_ACCOUNT).
POSTS_TASKS_QUEUE = StringParam("POSTS_TASKS_QUEUE", default="publish")
# Posts publish with the tokens of connected accounts (refreshed on use) and send notices.
PUBLISH_SECRETS = [TOKEN_ENCRYPTION_KEYS, *OAUTH_CLIENT_SECRETS.values(), RESEND_API_KEY, *ANALYTICS_SECRETS]
