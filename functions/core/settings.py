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

# Secrets each kind of entry point needs, so main.py declares them in one place.
NOTIFY_SECRETS = [RESEND_API_KEY]


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
